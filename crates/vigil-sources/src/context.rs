//! Clinical context sources: what gives an access to a patient's record a
//! reason. Three kinds, read incrementally like every file source:
//!
//! - `fhir-encounter`: FHIR R4 Encounter, Appointment and CareTeam
//!   resources, one per line (bulk export NDJSON), in Bundles, or alone.
//! - `adt-csv`: an ADT or scheduling export with a column mapping.
//! - `hl7-adt`: HL7 v2 ADT messages (A01 A02 A03 A04 A08 A11), one message
//!   per line with `\r` between segments, or one segment per line.
//!
//! Each hands out `Encounter`s (through `RecordParser::context`), never
//! events: context is stored apart from what it explains.

use chrono::{DateTime, FixedOffset, NaiveDate, NaiveDateTime, TimeZone, Utc};
use chrono_tz::Tz;
use serde::Deserialize;
use serde_json::Value;

use super::access_csv::split_record;
use super::json_frame::JsonKind;
use super::{RecordParser, Reject};
use vigil_domain::{Encounter, NewEvent, SafeText};

/// The last path part of a FHIR reference (`Patient/123/_history/2` → `123`,
/// `Practitioner/p1` → `p1`).
fn reference_id(r: &str) -> &str {
    let r = r.split("/_history/").next().unwrap_or(r);
    r.rsplit('/').next().unwrap_or(r)
}

/// A Reference's best name: its identifier value, else its reference's id,
/// else its display.
fn who(v: &Value) -> Option<String> {
    if let Some(id) = v["identifier"]["value"].as_str() {
        return Some(id.to_owned());
    }
    if let Some(r) = v["reference"].as_str() {
        return Some(reference_id(r).to_owned());
    }
    v["display"].as_str().map(String::from)
}

/// The text of a CodeableConcept (or a Coding, or a list of either).
fn concept(v: &Value) -> Option<String> {
    if let Some(a) = v.as_array() {
        return a.iter().find_map(concept);
    }
    v["text"]
        .as_str()
        .or_else(|| v["display"].as_str())
        .or_else(|| v["coding"][0]["display"].as_str())
        .or_else(|| v["coding"][0]["code"].as_str())
        .or_else(|| v["code"].as_str())
        .map(String::from)
}

fn instant(v: &Value) -> Option<DateTime<Utc>> {
    let s = v.as_str()?;
    if let Ok(t) = DateTime::parse_from_rfc3339(s) {
        return Some(t.with_timezone(&Utc));
    }
    // FHIR dateTime may be a bare date, or lack seconds' zone.
    if let Ok(t) = NaiveDateTime::parse_from_str(s, "%Y-%m-%dT%H:%M:%S") {
        return Some(t.and_utc());
    }
    NaiveDate::parse_from_str(s, "%Y-%m-%d")
        .ok()
        .and_then(|d| d.and_hms_opt(0, 0, 0))
        .map(|t| t.and_utc())
}

/// One FHIR resource as context, or why it is not.
pub fn fhir_resource(r: &Value, raw: &[u8], offset: u64) -> Result<Option<Encounter>, String> {
    let kind = match r["resourceType"].as_str() {
        Some("Encounter") => "encounter",
        Some("Appointment") => "appointment",
        Some("CareTeam") => "care-team",
        // (a bundle's OperationOutcome and the like are not context)
        Some("OperationOutcome" | "Patient" | "Practitioner" | "Location" | "Organization") => {
            return Ok(None);
        }
        Some(other) => {
            return Err(format!(
                "a {} resource is not clinical context (Encounter, Appointment or CareTeam)",
                SafeText::new(other).as_str()
            ));
        }
        None => return Err("not a FHIR resource: no resourceType".into()),
    };
    let id = r["id"].as_str().unwrap_or("");
    let mut team = Vec::new();
    let mut patient = who(&r["subject"]);
    let (start, end);
    match kind {
        "appointment" => {
            for p in r["participant"].as_array().into_iter().flatten() {
                let actor = &p["actor"];
                let is_patient = actor["reference"]
                    .as_str()
                    .is_some_and(|s| s.starts_with("Patient/"));
                match who(actor) {
                    Some(w) if is_patient => patient = Some(w),
                    Some(w) => team.push(w),
                    None => {}
                }
            }
            start = instant(&r["start"]);
            end = instant(&r["end"]);
        }
        "care-team" => {
            for p in r["participant"].as_array().into_iter().flatten() {
                team.extend(who(&p["member"]));
            }
            start = instant(&r["period"]["start"]);
            end = instant(&r["period"]["end"]);
        }
        _ => {
            for p in r["participant"].as_array().into_iter().flatten() {
                team.extend(who(&p["individual"]).or_else(|| who(&p["actor"])));
            }
            start = instant(&r["period"]["start"]);
            end = instant(&r["period"]["end"]);
        }
    }
    let patient = patient.ok_or("the resource names no patient (subject)")?;
    let start = start.ok_or("the resource has no start time (period.start or start)")?;
    let department = r["serviceProvider"]["display"]
        .as_str()
        .map(String::from)
        .or_else(|| {
            r["location"][0]["location"]["display"]
                .as_str()
                .map(String::from)
        })
        .or_else(|| {
            r["managingOrganization"][0]["display"]
                .as_str()
                .map(String::from)
        })
        .or_else(|| concept(&r["serviceType"]))
        .or_else(|| {
            r["serviceProvider"]["reference"]
                .as_str()
                .map(|s| reference_id(s).to_owned())
        });
    let class = concept(&r["class"])
        .or_else(|| concept(&r["type"]))
        .or_else(|| concept(&r["appointmentType"]))
        .or_else(|| r["name"].as_str().map(String::from));
    let status = r["status"].as_str().unwrap_or("");
    Ok(Some(Encounter {
        key: format!("{}/{id}", r["resourceType"].as_str().unwrap_or("")),
        kind: if matches!(status, "cancelled" | "entered-in-error" | "noshow") {
            "cancelled".into()
        } else {
            kind.into()
        },
        patient: SafeText::new(&patient).into_string(),
        start,
        end,
        department: department.map(|d| SafeText::new(&d).into_string()),
        class: class.map(|c| SafeText::new(&c).into_string()),
        team: team
            .iter()
            .map(|t| SafeText::new(t).into_string())
            .collect(),
        raw: raw.to_vec(),
        offset,
    }))
}

/// `fhir-encounter`: JSON documents framed across lines, each a resource or
/// a Bundle of them.
#[derive(Default)]
pub struct FhirContext {
    found: Vec<Encounter>,
}

impl JsonKind for FhirContext {
    fn document(
        &mut self,
        doc: &[u8],
        offset: u64,
        _out: &mut Vec<NewEvent>,
        rejects: &mut Vec<Reject>,
    ) {
        let v: Value = match serde_json::from_slice(doc) {
            Ok(v) => v,
            Err(e) => {
                rejects.push(Reject::record(offset, format!("not JSON: {e}"), doc));
                return;
            }
        };
        let mut one = |r: &Value, raw: &[u8]| match fhir_resource(r, raw, offset) {
            Ok(Some(e)) => self.found.push(e),
            Ok(None) => {}
            Err(why) => rejects.push(Reject::record(offset, why, raw)),
        };
        if v["resourceType"] == "Bundle" {
            for entry in v["entry"].as_array().into_iter().flatten() {
                let r = &entry["resource"];
                let raw = serde_json::to_vec(r).unwrap_or_default();
                one(r, &raw);
            }
        } else {
            one(&v, doc);
        }
    }

    fn context(&mut self) -> Vec<Encounter> {
        std::mem::take(&mut self.found)
    }
}

/// Which column holds what in an `adt-csv` export (`[source.columns]`).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ContextColumns {
    pub patient: String,
    pub start: String,
    pub end: Option<String>,
    pub department: Option<String>,
    /// Care-team accounts, `;` or `|` between them.
    pub team: Option<String>,
    /// The encounter's id; without it, patient and start make the key.
    pub encounter: Option<String>,
    #[serde(rename = "type")]
    pub class: Option<String>,
    /// chrono format of the time columns; common forms are tried without it.
    pub time_format: Option<String>,
}

/// `adt-csv`: one encounter (or appointment) per row.
pub struct AdtCsv {
    cols: ContextColumns,
    layouts: Layouts,
    zone: Option<Tz>,
    header: Option<Vec<String>>,
    fatal: Option<String>,
    found: Vec<Encounter>,
}

use super::access_csv::Layouts;

impl AdtCsv {
    pub fn new(cols: ContextColumns, zone: Option<Tz>, state: &str) -> Self {
        let mut p = AdtCsv {
            layouts: Layouts::new(cols.time_format.as_deref()),
            cols,
            zone,
            header: None,
            fatal: None,
            found: Vec::new(),
        };
        if !state.is_empty() {
            p.set_header(state.split('\u{1f}').map(String::from).collect());
        }
        p
    }

    fn set_header(&mut self, header: Vec<String>) {
        let c = &self.cols;
        let named = [
            Some(&c.patient),
            Some(&c.start),
            c.end.as_ref(),
            c.department.as_ref(),
            c.team.as_ref(),
            c.encounter.as_ref(),
            c.class.as_ref(),
        ];
        if let Some(missing) = named
            .into_iter()
            .flatten()
            .find(|n| !header.iter().any(|h| h.trim() == n.as_str()))
        {
            self.fatal = Some(format!(
                "[source.columns] names column {:?}, which this file does not have; columns found: {}",
                SafeText::new(missing).as_str(),
                header
                    .iter()
                    .map(|h| SafeText::new(h).into_string())
                    .collect::<Vec<_>>()
                    .join(", ")
            ));
        }
        self.header = Some(header);
    }

    fn time(&self, s: &str) -> Option<DateTime<Utc>> {
        let s = s.trim();
        if let Ok(t) = DateTime::parse_from_rfc3339(s) {
            return Some(t.with_timezone(&Utc));
        }
        Some(local(self.zone, self.layouts.parse(s)?))
    }
}

/// A wall-clock time in the source's zone (UTC when it has none).
fn local(zone: Option<Tz>, naive: NaiveDateTime) -> DateTime<Utc> {
    vigil_domain::time::wall_clock(zone, naive)
}

fn list(v: &str) -> Vec<String> {
    v.split([';', '|'])
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(|s| SafeText::new(s).into_string())
        .collect()
}

impl RecordParser for AdtCsv {
    fn parse(&mut self, line: &[u8], offset: u64, _out: &mut Vec<NewEvent>) -> Result<(), String> {
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        let text = String::from_utf8_lossy(line);
        let text = text.trim_start_matches('\u{feff}');
        if text.trim().is_empty() {
            return Ok(());
        }
        let fields = split_record(text, true)?;
        let Some(header) = &self.header else {
            self.set_header(fields);
            return Ok(());
        };
        let get = |name: &Option<String>| -> Option<&str> {
            let i = header
                .iter()
                .position(|h| Some(h.trim()) == name.as_deref())?;
            fields.get(i).map(|s| s.trim()).filter(|s| !s.is_empty())
        };
        let c = &self.cols;
        let patient = get(&Some(c.patient.clone())).ok_or("the patient column is empty")?;
        let when = get(&Some(c.start.clone())).ok_or("the start column is empty")?;
        let start = self.time(when).ok_or_else(|| {
            format!(
                "time {:?} is not understood; set time_format in [source.columns]",
                SafeText::new(when).as_str()
            )
        })?;
        let end = match get(&c.end) {
            Some(t) => Some(self.time(t).ok_or_else(|| {
                format!("end time {:?} is not understood", SafeText::new(t).as_str())
            })?),
            None => None,
        };
        let patient = SafeText::new(patient).into_string();
        let key = match get(&c.encounter) {
            Some(k) => SafeText::new(k).into_string(),
            None => format!("{patient}@{}", start.timestamp()),
        };
        self.found.push(Encounter {
            key,
            kind: "encounter".into(),
            patient,
            start,
            end,
            department: get(&c.department).map(|d| SafeText::new(d).into_string()),
            class: get(&c.class).map(|d| SafeText::new(d).into_string()),
            team: get(&c.team).map(list).unwrap_or_default(),
            raw: line.to_vec(),
            offset,
        });
        Ok(())
    }

    fn state(&self) -> String {
        self.header
            .as_ref()
            .map(|h| h.join("\u{1f}"))
            .unwrap_or_default()
    }

    fn fatal(&self) -> Option<String> {
        self.fatal.clone()
    }

    fn context(&mut self) -> Vec<Encounter> {
        std::mem::take(&mut self.found)
    }
}

/// `hl7-adt`: HL7 v2 ADT messages. A message starts at its MSH segment and
/// ends where the next one starts (or the file ends); a message still open
/// at the end of a read is kept in the parser state, as JSON framing does.
pub struct Hl7Adt {
    zone: Option<Tz>,
    /// The open message: where it started and its segments so far.
    open: Option<(u64, Vec<String>)>,
    found: Vec<Encounter>,
    rejects: Vec<Reject>,
}

#[derive(serde::Serialize, Deserialize)]
struct Hl7State {
    offset: u64,
    segments: Vec<String>,
}

impl Hl7Adt {
    pub fn new(zone: Option<Tz>, state: &str) -> Self {
        let open = serde_json::from_str::<Hl7State>(state)
            .ok()
            .map(|s| (s.offset, s.segments));
        Hl7Adt {
            zone,
            open,
            found: Vec::new(),
            rejects: Vec::new(),
        }
    }

    fn close(&mut self) {
        let Some((offset, segments)) = self.open.take() else {
            return;
        };
        let raw = segments.join("\r");
        match hl7_message(&segments, self.zone) {
            Ok(Some(mut e)) => {
                e.offset = offset;
                e.raw = raw.into_bytes();
                self.found.push(e);
            }
            Ok(None) => {}
            Err(why) => self.rejects.push(Reject::record(offset, why, raw)),
        }
    }
}

/// An HL7 timestamp (`YYYYMMDDHHMM[SS[.S…]][+/-ZZZZ]`).
fn hl7_time(s: &str, zone: Option<Tz>) -> Option<DateTime<Utc>> {
    let s = s.split('^').next()?.trim();
    let (body, off) = match s.find(['+', '-']) {
        Some(i) => (&s[..i], Some(&s[i..])),
        None => (s, None),
    };
    let body = body.split('.').next()?;
    let padded = format!("{body:0<14}");
    let naive = NaiveDateTime::parse_from_str(&padded, "%Y%m%d%H%M%S").ok()?;
    if body.len() < 8 {
        return None;
    }
    match off {
        Some(o) if o.len() == 5 => {
            let sign = if o.starts_with('-') { -1 } else { 1 };
            let h: i32 = o[1..3].parse().ok()?;
            let m: i32 = o[3..5].parse().ok()?;
            let fixed = FixedOffset::east_opt(sign * (h * 3600 + m * 60))?;
            fixed
                .from_local_datetime(&naive)
                .single()
                .map(|t| t.with_timezone(&Utc))
        }
        _ => Some(local(zone, naive)),
    }
}

/// One ADT message as context; `None` for message types that carry none.
fn hl7_message(segments: &[String], zone: Option<Tz>) -> Result<Option<Encounter>, String> {
    let msh = segments.first().ok_or("an empty message")?;
    let sep = msh.chars().nth(3).ok_or("MSH has no field separator")?;
    let fields = |seg: &str| -> Vec<String> { seg.split(sep).map(String::from).collect() };
    let find = |name: &str| -> Vec<Vec<String>> {
        segments
            .iter()
            .filter(|s| s.starts_with(name) && s[name.len()..].starts_with(sep))
            .map(|s| fields(s))
            .collect()
    };
    let msh_f = fields(msh);
    // MSH-1 is the separator itself, so MSH-n is at index n - 1.
    let msh_field = |n: usize| msh_f.get(n - 1).map(String::as_str).unwrap_or("");
    let kind = msh_field(9);
    let event = kind.split('^').nth(1).unwrap_or("");
    if !kind.starts_with("ADT") && !kind.starts_with("SIU") {
        return Ok(None);
    }
    let pid = find("PID").into_iter().next().ok_or("no PID segment")?;
    let pv1 = find("PV1").into_iter().next().ok_or("no PV1 segment")?;
    let evn = find("EVN").into_iter().next();
    let at = |seg: &Vec<String>, n: usize| {
        seg.get(n)
            .map(String::as_str)
            .unwrap_or("")
            .trim()
            .to_owned()
    };
    // PID-3: the identifier list; prefer the one typed MR.
    let ids = at(&pid, 3);
    let patient = ids
        .split('~')
        .find(|r| r.split('^').nth(4) == Some("MR"))
        .or_else(|| ids.split('~').next())
        .and_then(|r| r.split('^').next())
        .filter(|s| !s.is_empty())
        .ok_or("PID-3 names no patient")?
        .to_owned();
    let evn_time = evn.as_ref().and_then(|e| hl7_time(&at(e, 2), zone));
    let start = hl7_time(&at(&pv1, 44), zone)
        .or(evn_time)
        .or_else(|| hl7_time(msh_field(7), zone))
        .ok_or("no admit time (PV1-44, EVN-2 or MSH-7)")?;
    let mut end = hl7_time(&at(&pv1, 45), zone);
    if event == "A03" && end.is_none() {
        end = evn_time.or_else(|| hl7_time(msh_field(7), zone));
    }
    // Attending, referring, consulting and admitting doctors, and ROL-4.
    let mut team: Vec<String> = [7, 8, 9, 17]
        .iter()
        .flat_map(|n| {
            at(&pv1, *n)
                .split('~')
                .filter_map(|x| x.split('^').next().map(str::trim).map(String::from))
                .collect::<Vec<_>>()
        })
        .filter(|s| !s.is_empty())
        .collect();
    for rol in find("ROL") {
        if let Some(id) = at(&rol, 4).split('^').next().filter(|s| !s.is_empty()) {
            team.push(id.to_owned());
        }
    }
    team.dedup();
    let location = at(&pv1, 3);
    let service = at(&pv1, 10);
    let department = Some(service)
        .filter(|s| !s.is_empty())
        .or_else(|| location.split('^').next().map(String::from))
        .filter(|s| !s.is_empty());
    let visit = at(&pv1, 19);
    let visit = visit.split('^').next().unwrap_or("");
    let class = match at(&pv1, 2).as_str() {
        "I" => "inpatient",
        "O" => "outpatient",
        "E" => "emergency",
        "P" => "preadmit",
        "R" => "recurring",
        "B" => "obstetrics",
        _ => "encounter",
    };
    Ok(Some(Encounter {
        key: if visit.is_empty() {
            format!("{patient}@{}", start.timestamp())
        } else {
            SafeText::new(visit).into_string()
        },
        kind: if event == "A11" {
            "cancelled".into()
        } else {
            "encounter".into()
        },
        patient: SafeText::new(&patient).into_string(),
        start,
        end,
        department: department.map(|d| SafeText::new(&d).into_string()),
        class: Some(class.into()),
        team: team
            .iter()
            .map(|t| SafeText::new(t).into_string())
            .collect(),
        raw: Vec::new(),
        offset: 0,
    }))
}

impl RecordParser for Hl7Adt {
    fn parse(&mut self, line: &[u8], offset: u64, _out: &mut Vec<NewEvent>) -> Result<(), String> {
        let text = String::from_utf8_lossy(line);
        // (MLLP framing bytes, when a capture kept them)
        let text = text.trim_matches(|c| c == '\u{0b}' || c == '\u{1c}' || c == '\n');
        // A whole message on one line (segments between CRs) is complete at
        // the line's end; one segment per line waits for the next MSH.
        let whole = text.starts_with("MSH") && text.trim_end_matches('\r').contains('\r');
        for seg in text.split('\r') {
            let seg = seg.trim_matches(|c| c == '\u{0b}' || c == '\u{1c}');
            if seg.trim().is_empty() {
                continue;
            }
            if seg.starts_with("MSH") {
                self.close();
                self.open = Some((offset, vec![seg.to_owned()]));
            } else {
                match &mut self.open {
                    Some((_, segs)) => segs.push(seg.to_owned()),
                    None => {
                        return Err("an HL7 segment outside a message (no MSH before it)".into());
                    }
                }
            }
        }
        if whole {
            self.close();
        }
        Ok(())
    }

    fn state(&self) -> String {
        match &self.open {
            Some((offset, segments)) => serde_json::to_string(&Hl7State {
                offset: *offset,
                segments: segments.clone(),
            })
            .unwrap_or_default(),
            None => String::new(),
        }
    }

    fn rejects(&mut self) -> Vec<Reject> {
        std::mem::take(&mut self.rejects)
    }

    fn finish(&mut self, _out: &mut Vec<NewEvent>) {
        self.close();
    }

    fn context(&mut self) -> Vec<Encounter> {
        std::mem::take(&mut self.found)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hl7_times() {
        let t = hl7_time("202611020700", None).unwrap();
        assert_eq!(t.to_rfc3339(), "2026-11-02T07:00:00+00:00");
        let t = hl7_time("20261102070000-0500", None).unwrap();
        assert_eq!(t.to_rfc3339(), "2026-11-02T12:00:00+00:00");
        assert!(hl7_time("2026", None).is_none());
    }

    #[test]
    fn fhir_reference_ids() {
        assert_eq!(reference_id("Patient/123/_history/2"), "123");
        assert_eq!(reference_id("Practitioner/p1"), "p1");
    }
}
