//! The `fhir-auditevent` kind: FHIR R4 AuditEvent resources, one per line
//! (NDJSON bulk export), one per file, or in a Bundle (searchset or
//! collection; only `match` entries count). The mapping (ARCHITECTURE.md, "Formats"):
//! actor from the requesting agent's `who`, patient from the entity whose
//! `what` is a Patient (or a Patient agent), action from `subtype`/`action`,
//! outcome from `outcome`; a break-the-glass purpose is kept in the detail
//! where the break-glass rule sees it. Resources that break cardinality are
//! kept and marked partial, never rejected for it.

use std::borrow::Cow;
use std::sync::LazyLock;

use chrono::{DateTime, Utc};
use memchr::memmem::Finder;
use serde::Deserialize;
use serde_json::value::RawValue;

use super::Reject;
use super::json_frame::JsonKind;
use vigil_domain::{NewEvent, Outcome, SafeText, TimeBasis};

#[derive(Deserialize, Default)]
#[serde(default)]
struct Coding<'a> {
    #[serde(borrow)]
    code: Option<Cow<'a, str>>,
    #[serde(borrow)]
    display: Option<Cow<'a, str>>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct Concept<'a> {
    #[serde(borrow)]
    coding: Vec<Coding<'a>>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct Identifier<'a> {
    #[serde(borrow)]
    value: Option<Cow<'a, str>>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct Reference<'a> {
    #[serde(borrow)]
    reference: Option<Cow<'a, str>>,
    #[serde(borrow)]
    identifier: Option<Identifier<'a>>,
    #[serde(borrow)]
    display: Option<Cow<'a, str>>,
    #[serde(borrow, rename = "type")]
    kind: Option<Cow<'a, str>>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct Network<'a> {
    #[serde(borrow)]
    address: Option<Cow<'a, str>>,
    #[serde(borrow, rename = "type")]
    kind: Option<Cow<'a, str>>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct Agent<'a> {
    #[serde(borrow)]
    who: Option<Reference<'a>>,
    #[serde(borrow, rename = "altId")]
    alt_id: Option<Cow<'a, str>>,
    #[serde(borrow)]
    name: Option<Cow<'a, str>>,
    requestor: Option<bool>,
    #[serde(borrow)]
    network: Option<Network<'a>>,
    #[serde(borrow, rename = "purposeOfUse")]
    purpose_of_use: Vec<Concept<'a>>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct Entity<'a> {
    #[serde(borrow)]
    what: Option<Reference<'a>>,
    #[serde(borrow, rename = "type")]
    kind: Option<Coding<'a>>,
    #[serde(borrow)]
    role: Option<Coding<'a>>,
    #[serde(borrow)]
    name: Option<Cow<'a, str>>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct Source<'a> {
    #[serde(borrow)]
    site: Option<Cow<'a, str>>,
    #[serde(borrow)]
    observer: Option<Reference<'a>>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct AuditEvent<'a> {
    #[serde(borrow, rename = "resourceType")]
    resource_type: Option<Cow<'a, str>>,
    #[serde(borrow, rename = "type")]
    kind: Option<Coding<'a>>,
    #[serde(borrow)]
    subtype: Vec<Coding<'a>>,
    #[serde(borrow)]
    action: Option<Cow<'a, str>>,
    #[serde(borrow)]
    recorded: Option<Cow<'a, str>>,
    #[serde(borrow)]
    outcome: Option<Cow<'a, str>>,
    #[serde(borrow, rename = "outcomeDesc")]
    outcome_desc: Option<Cow<'a, str>>,
    #[serde(borrow, rename = "purposeOfEvent")]
    purpose_of_event: Vec<Concept<'a>>,
    #[serde(borrow)]
    agent: Vec<Agent<'a>>,
    #[serde(borrow)]
    source: Option<Source<'a>>,
    #[serde(borrow)]
    entity: Vec<Entity<'a>>,
}

#[derive(Deserialize)]
struct Bundle<'a> {
    #[serde(borrow, default)]
    entry: Vec<Entry<'a>>,
}

#[derive(Deserialize)]
struct Entry<'a> {
    #[serde(borrow)]
    resource: Option<&'a RawValue>,
    search: Option<SearchMode>,
}

#[derive(Deserialize)]
struct SearchMode {
    mode: Option<String>,
}

/// Purposes of use that mean emergency access (HL7 v3 PurposeOfUse).
const EMERGENCY: &[&str] = &["ETREAT", "BTG", "ERTREAT", "EMERGENCY"];

/// One AuditEvent resource to a normalized event (shared with the FHIR
/// server source).
pub fn normalize(resource: &[u8], offset: u64, seq: u32) -> Result<NewEvent, String> {
    let text = std::str::from_utf8(resource).map_err(|_| "resource is not UTF-8")?;
    let ae: AuditEvent<'_> =
        serde_json::from_str(text).map_err(|e| format!("not a valid AuditEvent: {e}"))?;
    match ae.resource_type.as_deref() {
        Some("AuditEvent") => {}
        Some(other) => return Err(format!("resourceType is {other}, not AuditEvent")),
        None => return Err("no resourceType".into()),
    }
    let recorded = ae
        .recorded
        .as_deref()
        .ok_or("AuditEvent.recorded is missing (it is required)")?;
    let at = DateTime::parse_from_rfc3339(recorded)
        .map_err(|_| format!("AuditEvent.recorded {recorded:?} is not an instant"))?
        .with_timezone(&Utc);
    let mut partial = Vec::new();
    let requestor = match ae.agent.iter().find(|a| a.requestor == Some(true)) {
        Some(a) => Some(a),
        None => {
            if !ae.agent.is_empty() {
                partial.push("no agent has requestor=true; the first agent is taken");
            }
            ae.agent.first()
        }
    };
    if ae.agent.is_empty() {
        partial.push("no agent (it is required)");
    }
    if ae
        .source
        .as_ref()
        .and_then(|s| s.observer.as_ref())
        .is_none()
    {
        partial.push("no source.observer (it is required)");
    }
    let actor = requestor.and_then(|a| {
        a.who
            .as_ref()
            .and_then(|w| {
                w.identifier
                    .as_ref()
                    .and_then(|i| i.value.clone())
                    .or_else(|| w.reference.clone())
                    .or_else(|| w.display.clone())
            })
            .or_else(|| a.alt_id.clone())
            .or_else(|| a.name.clone())
    });
    let client = requestor
        .and_then(|a| a.network.as_ref())
        .filter(|n| n.kind.as_deref() == Some("2"))
        .or_else(|| {
            ae.agent
                .iter()
                .filter_map(|a| a.network.as_ref())
                .find(|n| n.kind.as_deref() == Some("2"))
        })
        .and_then(|n| n.address.clone());
    let subject = ae
        .entity
        .iter()
        .filter_map(|e| {
            let what = e.what.as_ref()?;
            let is_patient = what
                .reference
                .as_deref()
                .is_some_and(|r| r.starts_with("Patient/"))
                || what.kind.as_deref() == Some("Patient")
                || e.role.as_ref().and_then(|r| r.code.as_deref()) == Some("1")
                    && e.kind.as_ref().and_then(|t| t.code.as_deref()) == Some("1");
            is_patient.then(|| patient_id(what)).flatten()
        })
        .next()
        .or_else(|| {
            // A patient acting for themselves (a portal), as the `patient`
            // search parameter also reads it.
            ae.agent
                .iter()
                .filter_map(|a| a.who.as_ref())
                .find(|w| {
                    w.reference
                        .as_deref()
                        .is_some_and(|r| r.starts_with("Patient/"))
                })
                .and_then(patient_id)
        });
    let sub = ae.subtype.iter().find_map(|s| s.code.as_deref());
    let action = match (sub, ae.action.as_deref()) {
        (Some("read" | "vread" | "history-instance" | "history-type" | "history-system"), _) => {
            "read"
        }
        (Some(s), _) if s.starts_with("search") => "query",
        (Some("create" | "update" | "patch"), _) => "write",
        (Some("delete"), _) => "delete",
        (Some("110122"), _) => "login",
        (Some("110123"), _) => "logout",
        (Some("110106" | "ITI-32"), _) => "export",
        (_, Some("C")) => "create",
        (_, Some("R")) => "read",
        (_, Some("U")) => "write",
        (_, Some("D")) => "delete",
        (_, Some("E")) => "execute",
        _ => "other",
    };
    let outcome = match ae.outcome.as_deref() {
        Some("0") => Outcome::Success,
        Some("4" | "8" | "12") => Outcome::Failure,
        _ => Outcome::Unknown,
    };
    // The detail is written in one string: this runs for every access.
    let mut detail = String::with_capacity(64);
    detail.push_str(
        ae.kind
            .as_ref()
            .and_then(|k| k.display.as_deref().or(k.code.as_deref()))
            .unwrap_or("?"),
    );
    let subs = ae
        .subtype
        .iter()
        .filter_map(|s| s.display.as_deref().or(s.code.as_deref()));
    for (i, sub) in subs.enumerate() {
        detail.push_str(if i == 0 { " / " } else { ", " });
        detail.push_str(sub);
    }
    if let Some(d) = &ae.outcome_desc {
        detail.push_str("; outcome: ");
        detail.push_str(d);
    }
    let purposes = || {
        ae.purpose_of_event
            .iter()
            .chain(ae.agent.iter().flat_map(|a| a.purpose_of_use.iter()))
            .flat_map(|c| c.coding.iter().filter_map(|x| x.code.as_deref()))
    };
    for (i, p) in purposes().enumerate() {
        detail.push_str(if i == 0 { "; purpose of use: " } else { ", " });
        detail.push_str(p);
    }
    if purposes().any(|p| EMERGENCY.iter().any(|e| p.eq_ignore_ascii_case(e)))
        || ae.subtype.iter().any(|s| {
            s.code
                .as_deref()
                .is_some_and(|c| c.eq_ignore_ascii_case("btg"))
        })
    {
        detail.push_str("; break-glass: emergency access declared");
    }
    if let Some(n) = ae.entity.iter().find_map(|e| e.name.as_deref()) {
        detail.push_str("; entity ");
        detail.push_str(n);
    }
    for p in &partial {
        detail.push_str("; [partial: ");
        detail.push_str(p);
        detail.push(']');
    }
    let host = ae.source.as_ref().and_then(|s| {
        s.observer
            .as_ref()
            .and_then(|o| {
                o.display
                    .clone()
                    .or_else(|| o.identifier.as_ref().and_then(|i| i.value.clone()))
            })
            .or_else(|| s.site.clone())
    });
    Ok(NewEvent {
        occurred_at: at,
        time_basis: TimeBasis::default(),
        host: host.map(safe),
        program: Some(SafeText::from_static("fhir")),
        actor: actor.map(safe),
        subject: subject.map(SafeText::from_string),
        action: SafeText::from_static(action),
        outcome,
        client: client.map(safe),
        detail: Some(SafeText::from_string(detail)),
        raw: resource.to_vec(),
        offset,
        seq,
    })
}

/// A field as safe text, copied only when it was not already (an
/// unescaped JSON string is borrowed from the line).
fn safe(text: Cow<'_, str>) -> SafeText {
    match text {
        Cow::Borrowed(t) => SafeText::new(t),
        Cow::Owned(t) => SafeText::from_string(t),
    }
}

/// The patient an entity names: its identifier, else the id in its
/// reference (`Patient/123/_history/2` → `123`).
fn patient_id(what: &Reference<'_>) -> Option<String> {
    if let Some(v) = what.identifier.as_ref().and_then(|i| i.value.as_deref()) {
        return Some(v.to_owned());
    }
    let r = what.reference.as_deref()?;
    let id = r.strip_prefix("Patient/").unwrap_or(r);
    Some(id.split('/').next().unwrap_or(id).to_owned())
}

/// Whether the start of a document names a Bundle (built once: a searcher
/// costs more to make than to run over one resource).
fn names_bundle(doc: &[u8]) -> bool {
    static BUNDLE: LazyLock<Finder<'static>> = LazyLock::new(|| Finder::new(b"\"Bundle\""));
    BUNDLE.find(&doc[..doc.len().min(4096)]).is_some()
}

fn names_audit_event(resource: &[u8]) -> bool {
    static AUDIT_EVENT: LazyLock<Finder<'static>> =
        LazyLock::new(|| Finder::new(b"\"AuditEvent\""));
    AUDIT_EVENT.find(resource).is_some()
}

/// The `fhir-auditevent` kind's handling of each framed document.
pub struct Fhir;

impl JsonKind for Fhir {
    fn document(
        &mut self,
        doc: &[u8],
        offset: u64,
        out: &mut Vec<NewEvent>,
        rejects: &mut Vec<Reject>,
    ) {
        document(doc, offset, out, rejects);
    }

    fn whole_line(
        &mut self,
        line: &[u8],
        offset: u64,
        out: &mut Vec<NewEvent>,
        _rejects: &mut Vec<Reject>,
    ) -> bool {
        // A line that parses as an AuditEvent is a whole document (the
        // parser refuses trailing text); anything else, a Bundle included,
        // goes the framer's way and is read, or rejected, there.
        if names_bundle(line) {
            return false;
        }
        match normalize(line, offset, 0) {
            Ok(e) => {
                out.push(e);
                true
            }
            Err(_) => false,
        }
    }
}

/// A document's top-level `resourceType`: `None` when it has none or is
/// not JSON.
fn resource_type(doc: &[u8]) -> Option<String> {
    #[derive(Deserialize)]
    struct Top<'a> {
        #[serde(borrow, rename = "resourceType")]
        resource_type: Option<Cow<'a, str>>,
    }
    let top: Top<'_> = serde_json::from_str(std::str::from_utf8(doc).ok()?).ok()?;
    top.resource_type.map(Cow::into_owned)
}

/// One framed document: an AuditEvent, or a Bundle of them.
fn document(doc: &[u8], offset: u64, out: &mut Vec<NewEvent>, rejects: &mut Vec<Reject>) {
    {
        // Most documents are single AuditEvents (NDJSON): parse as one first.
        // One that names a Bundle near its start is asked its resourceType
        // before (an AuditEvent may name a Bundle as what it is about), and
        // one that fails as an AuditEvent is asked after (a Bundle's keys
        // may come in any order).
        let bundle = names_bundle(doc) && resource_type(doc).is_none_or(|t| t == "Bundle");
        if !bundle {
            let err = match normalize(doc, offset, 0) {
                Ok(e) => {
                    out.push(e);
                    return;
                }
                Err(e) => e,
            };
            if resource_type(doc).as_deref() != Some("Bundle") {
                rejects.push(Reject::record(offset, err, doc.to_vec()));
                return;
            }
        }
        let b: Bundle<'_> = match std::str::from_utf8(doc)
            .map_err(|e| e.to_string())
            .and_then(|t| serde_json::from_str(t).map_err(|e| e.to_string()))
        {
            Ok(b) => b,
            Err(e) => {
                rejects.push(Reject::record(
                    offset,
                    format!("not a valid Bundle: {e}"),
                    doc.to_vec(),
                ));
                return;
            }
        };
        for (i, entry) in b.entry.iter().enumerate() {
            let mode = entry.search.as_ref().and_then(|s| s.mode.as_deref());
            if mode.is_some_and(|m| m != "match") {
                continue; // `include` and `outcome` entries are not hits
            }
            let Some(res) = entry.resource else { continue };
            let raw = res.get().as_bytes();
            if !names_audit_event(raw) {
                continue; // other resource types in a collection
            }
            match normalize(raw, offset, i as u32) {
                Ok(e) => out.push(e),
                Err(reason) => rejects.push(Reject::record(
                    offset,
                    format!("entry {i}: {reason}"),
                    raw.to_vec(),
                )),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(doc: &str) -> (Vec<NewEvent>, Vec<Reject>) {
        let (mut out, mut rejects) = (Vec::new(), Vec::new());
        document(doc.as_bytes(), 0, &mut out, &mut rejects);
        (out, rejects)
    }

    #[test]
    fn an_audit_event_about_a_bundle_is_an_audit_event() {
        // (an export of a Bundle is itself audited; the word must not make
        // the record a Bundle with no entries, read as nothing)
        let ae = r#"{"resourceType":"AuditEvent","recorded":"2026-11-20T10:00:00Z",
            "subtype":[{"code":"read"}],"agent":[{"who":{"identifier":{"value":"u1"}},"requestor":true}],
            "source":{"observer":{"display":"ehr"}},
            "entity":[{"what":{"reference":"Bundle/77"}},{"what":{"reference":"Patient/123"}}]}"#;
        let (events, rejects) = read(ae);
        assert!(rejects.is_empty(), "{rejects:?}");
        assert_eq!(events.len(), 1);
        assert_eq!(events[0].subject.as_ref().unwrap().as_str(), "123");
        assert_eq!(events[0].actor.as_ref().unwrap().as_str(), "u1");

        // a Bundle is still read as one, and a broken one is said to be
        let bundle = format!(
            r#"{{"resourceType":"Bundle","type":"searchset","entry":[{{"resource":{ae},"search":{{"mode":"match"}}}}]}}"#
        );
        assert_eq!(read(&bundle).0.len(), 1);
        let (events, rejects) = read(r#"{"resourceType":"Bundle","entry":[{"resource":"#);
        assert!(events.is_empty());
        assert!(
            rejects[0].reason.contains("not a valid Bundle"),
            "{rejects:?}"
        );
    }
}
