//! The `access-csv` kind: the access report an EHR exports (Epic-, Cerner-
//! style), one access per row, with a header row and a column mapping in the
//! config (`[source.columns] actor = "User ID"`, …). Quoted fields, a byte
//! order mark and CRLF line ends are handled; a mapping that names a column
//! the file does not have stops the read with the columns it does have.
//!
//! Rows are read line by line, so a quoted field that spans lines is
//! quarantined rather than joined (rare in access reports).

use chrono::{DateTime, NaiveDateTime, TimeZone, Utc};
use chrono_tz::Tz;
use serde::Deserialize;

use super::RecordParser;
use vigil_domain::{NewEvent, Outcome, SafeText, TimeBasis, ZoneBasis};

/// Which column holds what (`[source.columns]`).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CsvColumns {
    pub actor: String,
    pub subject: String,
    pub occurred_at: String,
    pub action: Option<String>,
    pub outcome: Option<String>,
    pub client: Option<String>,
    pub host: Option<String>,
    /// Free text kept with the event: the reason given, say (break-the-glass
    /// reasons land here).
    pub detail: Option<String>,
    /// chrono format of the time column; common forms are tried without it.
    pub time_format: Option<String>,
}

#[derive(Debug, Clone, Copy)]
struct Idx {
    actor: usize,
    subject: usize,
    occurred_at: usize,
    action: Option<usize>,
    outcome: Option<usize>,
    client: Option<usize>,
    host: Option<usize>,
    detail: Option<usize>,
}

pub struct AccessCsvParser {
    cols: CsvColumns,
    zone: Option<Tz>,
    header: Option<Vec<String>>,
    idx: Option<Idx>,
    fatal: Option<String>,
    layouts: Layouts,
}

/// The time layouts tried when a mapping names no `time_format`.
pub(crate) const TIME_FORMATS: &[&str] = &[
    "%Y-%m-%d %H:%M:%S",
    "%Y-%m-%dT%H:%M:%S",
    "%Y-%m-%d %H:%M",
    "%m/%d/%Y %H:%M:%S",
    "%m/%d/%Y %I:%M:%S %p",
    "%m/%d/%Y %H:%M",
    "%m/%d/%Y %I:%M %p",
    "%d.%m.%Y %H:%M:%S",
];

/// The time layouts a parser tries, read once: chrono's `parse_from_str`
/// reads its format string again for every value, the largest single
/// cost of reading an access report's row.
pub(crate) struct Layouts(Vec<Vec<chrono::format::Item<'static>>>);

impl Layouts {
    /// The configured format, or the common forms. A format chrono cannot
    /// read matches nothing, so every row says to set `time_format`.
    pub(crate) fn new(configured: Option<&str>) -> Layouts {
        let read = |f: &str| chrono::format::StrftimeItems::new(f).parse_to_owned().ok();
        Layouts(match configured {
            Some(f) => read(f).into_iter().collect(),
            None => TIME_FORMATS.iter().filter_map(|f| read(f)).collect(),
        })
    }

    /// The first layout's reading of `s`.
    pub(crate) fn parse(&self, s: &str) -> Option<NaiveDateTime> {
        self.0.iter().find_map(|items| {
            let mut p = chrono::format::Parsed::new();
            chrono::format::parse(&mut p, s, items.iter()).ok()?;
            p.to_naive_datetime_with_offset(0).ok()
        })
    }
}

/// Splits one CSV line (RFC 4180: quoted fields, `""` for a quote inside).
/// Written by hand because building a `csv::Reader` per line costs more
/// than the rest of the ingest.
fn split(line: &str) -> Result<Vec<String>, String> {
    split_record(line, true).map_err(|e| {
        if e.starts_with("a quoted field") {
            "not a CSV row: a quoted field is not closed (a field spanning lines is not supported)"
                .into()
        } else {
            e
        }
    })
}

/// Splits one CSV record, which may hold newlines inside quoted fields.
/// `strict` refuses text after a closing quote (`"x"y`); pgAudit's payload
/// is taken as written instead.
pub(crate) fn split_record(line: &str, strict: bool) -> Result<Vec<String>, String> {
    let mut fields = Vec::with_capacity(8);
    let mut cur = String::new();
    let mut chars = line.chars().peekable();
    let mut quoted = false;
    let mut at_start = true;
    while let Some(c) = chars.next() {
        if quoted {
            if c == '"' {
                if chars.peek() == Some(&'"') {
                    chars.next();
                    cur.push('"');
                } else {
                    quoted = false;
                    if strict && !matches!(chars.peek(), None | Some(',')) {
                        return Err("not a CSV row: text after a closing quote".into());
                    }
                }
            } else {
                cur.push(c);
            }
            continue;
        }
        match c {
            '"' if at_start => {
                quoted = true;
                at_start = false;
            }
            ',' => {
                fields.push(std::mem::take(&mut cur));
                at_start = true;
            }
            c => {
                cur.push(c);
                at_start = false;
            }
        }
    }
    if quoted {
        return Err("a quoted field is not closed".into());
    }
    fields.push(cur);
    Ok(fields)
}

impl AccessCsvParser {
    pub fn new(cols: CsvColumns, zone: Option<Tz>, state: &str) -> Self {
        let mut p = AccessCsvParser {
            layouts: Layouts::new(cols.time_format.as_deref()),
            cols,
            zone,
            header: None,
            idx: None,
            fatal: None,
        };
        if !state.is_empty() {
            p.set_header(state.split('\u{1f}').map(String::from).collect());
        }
        p
    }

    fn set_header(&mut self, header: Vec<String>) {
        let find = |name: &str| header.iter().position(|h| h.trim() == name);
        let need = |name: &String| find(name).ok_or_else(|| name.clone());
        let c = &self.cols;
        let opt = |n: &Option<String>| -> Result<Option<usize>, String> {
            n.as_ref().map(&need).transpose()
        };
        let resolved = (|| -> Result<Idx, String> {
            Ok(Idx {
                actor: need(&c.actor)?,
                subject: need(&c.subject)?,
                occurred_at: need(&c.occurred_at)?,
                action: opt(&c.action)?,
                outcome: opt(&c.outcome)?,
                client: opt(&c.client)?,
                host: opt(&c.host)?,
                detail: opt(&c.detail)?,
            })
        })();
        match resolved {
            Ok(i) => self.idx = Some(i),
            Err(missing) => {
                self.fatal = Some(format!(
                    "[source.columns] names column {:?}, which this file does not have; columns found: {}",
                    SafeText::new(&missing).as_str(),
                    header
                        .iter()
                        .map(|h| SafeText::new(h).into_string())
                        .collect::<Vec<_>>()
                        .join(", ")
                ))
            }
        }
        self.header = Some(header);
    }

    fn time(&self, s: &str) -> Option<(DateTime<Utc>, TimeBasis)> {
        let s = s.trim();
        if let Ok(t) = DateTime::parse_from_rfc3339(s) {
            return Some((t.with_timezone(&Utc), TimeBasis::default()));
        }
        let naive = self.layouts.parse(s)?;
        let (t, zone) = match self.zone {
            Some(z) => (
                z.from_local_datetime(&naive)
                    .earliest()
                    .map(|t| t.with_timezone(&Utc))
                    .unwrap_or_else(|| naive.and_utc()),
                ZoneBasis::AssumedHostLocal,
            ),
            None => (naive.and_utc(), ZoneBasis::AssumedUtc),
        };
        Some((
            t,
            TimeBasis {
                zone,
                year_inferred: false,
            },
        ))
    }
}

fn outcome_of(v: &str) -> Outcome {
    let v = v.trim().to_ascii_lowercase();
    if ["succ", "allow", "grant", "ok", "pass"]
        .iter()
        .any(|p| v.starts_with(p))
    {
        Outcome::Success
    } else if ["fail", "den", "err", "reject", "block"]
        .iter()
        .any(|p| v.starts_with(p))
    {
        Outcome::Failure
    } else {
        Outcome::Unknown
    }
}

/// `View Chart` -> `view chart`; a break-the-glass action keeps its meaning.
fn action_of(v: &str) -> String {
    let a = v.trim().to_ascii_lowercase();
    if a.contains("break") && a.contains("glass") || a == "btg" {
        return "break-glass".into();
    }
    if a.is_empty() { "access".into() } else { a }
}

impl RecordParser for AccessCsvParser {
    fn parse(&mut self, line: &[u8], offset: u64, out: &mut Vec<NewEvent>) -> Result<(), String> {
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        let text = String::from_utf8_lossy(line);
        let text = text.trim_start_matches('\u{feff}');
        if text.trim().is_empty() {
            return Ok(());
        }
        let fields = split(text)?;
        if self.header.is_none() {
            self.set_header(fields);
            return Ok(());
        }
        let Some(idx) = self.idx else {
            return Err("the header did not match the column mapping".into());
        };
        let get = |i: usize| fields.get(i).map(|s| s.trim()).filter(|s| !s.is_empty());
        let opt = |i: Option<usize>| i.and_then(get).map(SafeText::new);
        let when = get(idx.occurred_at).ok_or("the time column is empty")?;
        let (t, basis) = self.time(when).ok_or_else(|| {
            format!(
                "time {:?} is not understood; set time_format in [source.columns]",
                SafeText::new(when).as_str()
            )
        })?;
        out.push(NewEvent {
            occurred_at: t,
            time_basis: basis,
            host: opt(idx.host),
            program: None,
            actor: opt(Some(idx.actor)),
            subject: opt(Some(idx.subject)),
            action: SafeText::new(&action_of(idx.action.and_then(get).unwrap_or(""))),
            outcome: idx
                .outcome
                .and_then(get)
                .map(outcome_of)
                .unwrap_or(Outcome::Success),
            client: opt(idx.client),
            detail: opt(idx.detail),
            raw: line.to_vec(),
            offset,
            seq: 0,
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
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cols() -> CsvColumns {
        CsvColumns {
            actor: "User ID".into(),
            subject: "MRN".into(),
            occurred_at: "Access Time".into(),
            action: Some("Action".into()),
            outcome: None,
            client: Some("Workstation".into()),
            host: None,
            detail: Some("Reason".into()),
            time_format: None,
        }
    }

    #[test]
    fn times_read_in_the_layouts_given_or_the_common_ones() {
        let at = |y, m, d, h, min, s| {
            chrono::NaiveDate::from_ymd_opt(y, m, d)
                .unwrap()
                .and_hms_opt(h, min, s)
        };
        let common = Layouts::new(None);
        assert_eq!(
            common.parse("2026-10-01 07:05:09"),
            at(2026, 10, 1, 7, 5, 9)
        );
        assert_eq!(
            common.parse("10/01/2026 01:02:03 PM"),
            at(2026, 10, 1, 13, 2, 3)
        );
        assert_eq!(
            common.parse("01.10.2026 13:02:03"),
            at(2026, 10, 1, 13, 2, 3)
        );
        assert_eq!(common.parse("yesterday"), None);
        let day_first = Layouts::new(Some("%d/%m/%Y %H:%M"));
        assert_eq!(
            day_first.parse("02/10/2026 13:02"),
            at(2026, 10, 2, 13, 2, 0)
        );
        assert_eq!(day_first.parse("2026-10-01 07:05:09"), None);
        // a format chrono cannot read matches nothing
        assert_eq!(Layouts::new(Some("%Y-%Q")).parse("2026-1"), None);
    }

    #[test]
    fn rows_with_bom_quotes_and_crlf() {
        let mut p = AccessCsvParser::new(cols(), Some(chrono_tz::America::New_York), "");
        let mut out = Vec::new();
        p.parse(
            "\u{feff}User ID,MRN,Access Time,Action,Workstation,Reason\r".as_bytes(),
            0,
            &mut out,
        )
        .unwrap();
        p.parse(
            b"nurse1,100234,11/20/2026 23:14:05,View Chart,\"WS-12, ward 3\",\r",
            60,
            &mut out,
        )
        .unwrap();
        p.parse(b"drx,100777,2026-11-20 02:00:00,Break the Glass,ED-1,\"trauma, \"\"unknown\"\" patient\"", 120, &mut out).unwrap();
        assert_eq!(out.len(), 2);
        assert_eq!(out[0].actor.as_ref().unwrap().as_str(), "nurse1");
        assert_eq!(out[0].subject.as_ref().unwrap().as_str(), "100234");
        assert_eq!(out[0].client.as_ref().unwrap().as_str(), "WS-12, ward 3");
        assert_eq!(out[0].action.as_str(), "view chart");
        assert_eq!(out[0].occurred_at.to_rfc3339(), "2026-11-21T04:14:05+00:00");
        assert_eq!(out[1].action.as_str(), "break-glass");
        assert_eq!(
            out[1].detail.as_ref().unwrap().as_str(),
            "trauma, \"unknown\" patient"
        );
        // resuming mid-file keeps the header
        let mut q = AccessCsvParser::new(cols(), None, &p.state());
        q.parse(b"x,1,2026-11-20 10:00:00,View,WS,", 200, &mut out)
            .unwrap();
        assert_eq!(out.len(), 3);
    }

    #[test]
    fn a_missing_mapped_column_names_the_columns_found() {
        let mut p = AccessCsvParser::new(cols(), None, "");
        let mut out = Vec::new();
        p.parse(b"user,mrn,when", 0, &mut out).unwrap();
        let f = p.fatal().unwrap();
        assert!(f.contains("\"User ID\""), "{f}");
        assert!(f.contains("columns found: user, mrn, when"), "{f}");
    }

    #[test]
    fn the_splitter_follows_rfc_4180() {
        assert_eq!(
            split("a,\"b,c\",\"d \"\"e\"\"\",").unwrap(),
            ["a", "b,c", "d \"e\"", ""]
        );
        assert_eq!(split("").unwrap(), [""]);
        assert!(split("a,\"open").is_err());
        assert!(split("a,\"x\"y").is_err());
    }

    #[test]
    fn bad_rows_are_refused_with_a_reason() {
        let mut p = AccessCsvParser::new(cols(), None, "");
        let mut out = Vec::new();
        p.parse(
            b"User ID,MRN,Access Time,Action,Workstation,Reason",
            0,
            &mut out,
        )
        .unwrap();
        assert!(
            p.parse(b"a,1,yesterday,View,WS,", 1, &mut out)
                .unwrap_err()
                .contains("time_format")
        );
        assert!(p.parse(b"a,1,,View,WS,", 2, &mut out).is_err());
    }
}
