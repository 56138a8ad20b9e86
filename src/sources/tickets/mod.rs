//! Ticket systems in: one `Tracker` per API (Jira, GitHub, ServiceNow,
//! PagerDuty, TheHive) says how to ask for what changed and how to read a
//! page; this module pages through them, stores every ticket version as an
//! event with the checkpoint in the same transaction (an `updated`
//! watermark re-read with an overlap, and the id+updated of what was stored
//! inside it, so the overlap never doubles a record), and keeps one `ticket`
//! item per ticket showing its latest status, priority, assignee and link.

pub mod github;
pub mod jira;
pub mod pagerduty;
pub mod servicenow;
pub mod thehive;

use std::collections::{BTreeMap, HashMap};

use chrono::{DateTime, Duration, NaiveDateTime, TimeZone, Utc};
use color_eyre::eyre::{Result, bail, eyre};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::file::{FileReport, FileSource};
use super::http::{HttpClient, Req, Response};
use crate::domain::{ItemKind, NewEvent, Outcome, SafeText, Severity, TimeBasis, ZoneBasis};
use crate::store::{Batch, NewItem, Store};

/// How far before the watermark each search starts again: trackers commit
/// late, and Jira's JQL dates have minute resolution in the user's zone.
pub const OVERLAP: i64 = 10 * 60;
/// Entries asked for per page.
pub const PAGE: usize = 100;
/// A pull that pages this often is looping (a server that keeps handing
/// out the same `next`): it stops and says so.
const MAX_PAGES: usize = 10_000;

/// One ticket as a tracker reports it, normalized.
#[derive(Debug, Clone, PartialEq)]
pub struct Ticket {
    /// The tracker's id (dedupe with `updated`).
    pub id: String,
    /// What people call it: `SEC-12`, `octo/repo#5`, `INC0010001`.
    pub key: String,
    pub title: String,
    pub status: String,
    pub priority: Option<String>,
    pub severity: Severity,
    pub assignee: Option<String>,
    pub url: Option<String>,
    pub created: DateTime<Utc>,
    pub updated: DateTime<Utc>,
    pub raw: Vec<u8>,
}

/// One page: tickets (or why one could not be read, with its bytes) and the
/// request for the next page.
pub struct Page {
    pub tickets: Vec<std::result::Result<Ticket, (String, Vec<u8>)>>,
    pub next: Option<Req>,
}

/// One ticket API.
pub trait Tracker: Send {
    /// "Jira", "GitHub": for reasons and errors.
    fn name(&self) -> &'static str;
    /// The first request of a search for what changed at or after `since`
    /// (all of it when `None`).
    fn first(&self, since: Option<DateTime<Utc>>, now: DateTime<Utc>) -> Result<Req>;
    /// The tickets of a page and the request for the next one.
    fn page(&self, req: &Req, resp: &Response) -> Result<Page>;
    /// Statuses that are an answer rather than a failure (an empty page).
    fn accept(&self) -> &'static [u16] {
        &[]
    }
    /// Where the next search starts, given the latest `updated` stored.
    fn since(
        &self,
        watermark: Option<DateTime<Utc>>,
        _now: DateTime<Utc>,
    ) -> Option<DateTime<Utc>> {
        watermark.map(|w| w - Duration::seconds(OVERLAP))
    }
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
struct State {
    /// The next page of a search under way.
    #[serde(default)]
    next: Option<Req>,
    #[serde(default)]
    watermark: Option<DateTime<Utc>>,
    /// `id@updated` of what was stored that a later search can bring back,
    /// with its `updated` (Unix seconds).
    #[serde(default)]
    seen: BTreeMap<String, i64>,
}

/// Severity from a tracker's priority name, number or label.
pub fn severity_of(priority: &str) -> Severity {
    let p = priority.trim().to_ascii_lowercase();
    let has = |words: &[&str]| words.iter().any(|w| p.contains(w));
    if has(&["highest", "critical", "blocker", "urgent", "p1", "sev1"]) || p == "1" {
        Severity::Critical
    } else if has(&["high", "major", "p2", "sev2"]) || p == "2" {
        Severity::High
    } else if has(&["low", "minor", "trivial", "planning", "p4", "p5", "sev4"])
        || p == "4"
        || p == "5"
    {
        Severity::Low
    } else {
        Severity::Medium
    }
}

/// Text from a tracker, neutralized for the screen and the store.
pub fn text(v: &Value) -> Option<String> {
    match v {
        Value::String(s) if !s.trim().is_empty() => Some(SafeText::new(s.trim()).into_string()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

/// A time in any of the forms trackers use: RFC 3339, Jira's
/// `2020-12-03T14:05:20.974+0100`, ServiceNow's zone-less UTC
/// `2016-12-12 15:19:57`, or epoch milliseconds (TheHive).
pub fn time(v: &Value) -> Option<DateTime<Utc>> {
    match v {
        Value::Number(n) => Utc.timestamp_millis_opt(n.as_i64()?).single(),
        Value::String(s) => {
            let s = s.trim();
            DateTime::parse_from_rfc3339(s)
                .or_else(|_| DateTime::parse_from_str(s, "%Y-%m-%dT%H:%M:%S%.f%z"))
                .map(|t| t.with_timezone(&Utc))
                .ok()
                .or_else(|| {
                    NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M:%S")
                        .ok()
                        .map(|n| n.and_utc())
                })
        }
        _ => None,
    }
}

/// A JSON body, or an error naming the tracker and the page.
pub fn body(name: &str, req: &Req, resp: &Response) -> Result<Value> {
    serde_json::from_slice(&resp.body).map_err(|e| {
        eyre!(
            "{}: {name} answered with something that is not JSON: {e}",
            super::http::redact_url(&req.url)
        )
    })
}

/// The tracker a configured source of a ticket kind reads.
pub fn tracker(s: &crate::config::SourceConfig) -> Result<Box<dyn Tracker>> {
    use crate::sources::SourceKind as K;
    let base = s.url.clone().unwrap_or_default();
    let query = s.query.clone().unwrap_or_default();
    Ok(match s.kind {
        K::Jira => Box::new(jira::Jira {
            base,
            query,
            api: s.tracker.api.unwrap_or(3),
            zone: s.timezone,
        }),
        K::Github => Box::new(github::Github { base, query }),
        K::ServiceNow => Box::new(servicenow::ServiceNow {
            base,
            query,
            table: s.tracker.table.clone().unwrap_or_else(|| "incident".into()),
        }),
        K::PagerDuty => Box::new(pagerduty::PagerDuty { base, query }),
        K::TheHive => Box::new(thehive::TheHive {
            base,
            objects: s
                .tracker
                .objects
                .clone()
                .unwrap_or_else(|| vec!["alert".into(), "case".into()]),
        }),
        other => bail!("{other} is not a ticket system"),
    })
}

/// What a pull did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct TicketReport {
    pub file: FileReport,
    /// Tickets whose item was made or brought up to date.
    pub tickets: u64,
}

/// Pulls what changed since the checkpoint.
pub fn pull(
    store: &mut dyn Store,
    src: &FileSource,
    base: &str,
    tracker: &dyn Tracker,
    client: &mut HttpClient,
    now: DateTime<Utc>,
) -> Result<TicketReport> {
    let base = base.trim_end_matches('/').to_owned();
    let mut report = TicketReport {
        file: FileReport {
            path: super::http::redact_url(&base),
            ..FileReport::default()
        },
        tickets: 0,
    };
    let mut st = super::fhir_server::stream(store, src, &base)?;
    let mut state: State = serde_json::from_str(&st.parser_state).unwrap_or_default();
    let host = reqwest::Url::parse(&base)
        .ok()
        .and_then(|u| u.host_str().map(str::to_owned));
    let mut req = match state.next.clone() {
        Some(r) => r,
        None => tracker.first(tracker.since(state.watermark, now), now)?,
    };
    for _ in 0..MAX_PAGES {
        let resp = client.send(&req, tracker.accept())?;
        report.file.bytes += resp.body.len() as u64;
        let page = tracker.page(&req, &resp)?;
        let since = st.offset;
        let mut events = Vec::new();
        let mut quarantined = Vec::new();
        let mut fresh: Vec<Ticket> = Vec::new();
        for t in page.tickets {
            st.offset += 1;
            let t = match t {
                Ok(t) => t,
                Err((reason, raw)) => {
                    quarantined.push(super::file::quarantined(st.offset, reason, &raw));
                    continue;
                }
            };
            let key = format!("{}@{}", t.id, t.updated.timestamp_millis());
            if state.seen.contains_key(&key) {
                report.file.duplicates += 1;
                continue;
            }
            state.seen.insert(key, t.updated.timestamp());
            state.watermark = Some(state.watermark.map_or(t.updated, |w| w.max(t.updated)));
            events.push(event(&t, tracker.name(), host.as_deref(), st.offset));
            fresh.push(t);
        }
        if let Some(edge) = tracker.since(state.watermark, now) {
            state.seen.retain(|_, t| *t >= edge.timestamp());
        }
        state.next = page.next.clone();
        st.records += events.len() as u64;
        st.parser_state = serde_json::to_string(&state)?;
        let batch = Batch {
            source_id: src.id,
            stream: st.clone(),
            since,
            events,
            quarantined,
            gaps: Vec::new(),
        };
        let out = store.write_batch(&batch, true)?;
        report.file.events += out.events;
        report.file.quarantined += out.quarantined;
        // One item per ticket, showing the latest version of this page.
        let mut latest: HashMap<&str, (usize, i64)> = HashMap::new();
        for (i, (t, id)) in fresh.iter().zip(&out.ids).enumerate() {
            let e = latest.entry(t.id.as_str()).or_insert((i, *id));
            if t.updated >= fresh[e.0].updated {
                *e = (i, *id);
            }
        }
        let mut items: Vec<NewItem> = latest
            .values()
            .map(|(i, ev)| item(src.id, tracker.name(), &fresh[*i], *ev))
            .collect();
        items.sort_by(|a, b| a.group_key.cmp(&b.group_key));
        report.tickets += store.refresh_items(&items)?.len() as u64;
        match page.next {
            Some(n) => req = n,
            None => return Ok(report),
        }
    }
    bail!(
        "{} kept handing out more pages after {MAX_PAGES}; stopped (the checkpoint resumes where this ended)",
        tracker.name()
    )
}

/// A ticket version as an event: when it changed, who it is assigned to,
/// which ticket, and the tracker's own JSON kept as the raw record.
fn event(t: &Ticket, tracker: &str, host: Option<&str>, offset: u64) -> NewEvent {
    let detail = match &t.priority {
        Some(p) => format!("{} ({p}): {}", t.status, t.title),
        None => format!("{}: {}", t.status, t.title),
    };
    NewEvent {
        occurred_at: t.updated,
        time_basis: TimeBasis {
            zone: ZoneBasis::Explicit,
            year_inferred: false,
        },
        host: host.map(SafeText::new),
        program: Some(SafeText::new(&tracker.to_ascii_lowercase())),
        actor: t.assignee.as_deref().map(SafeText::new),
        subject: Some(SafeText::new(&t.key)),
        action: SafeText::from_static("ticket-update"),
        outcome: Outcome::Unknown,
        client: None,
        detail: Some(SafeText::new(&detail)),
        raw: t.raw.clone(),
        offset,
        seq: 0,
    }
}

/// The queue's item for a ticket.
fn item(source: i64, tracker: &str, t: &Ticket, event: i64) -> NewItem {
    let mut reason = format!("{tracker} ticket {} is {}", t.key, t.status);
    if let Some(p) = &t.priority {
        reason.push_str(&format!(", priority {p}"));
    }
    match &t.assignee {
        Some(a) => reason.push_str(&format!(", assigned to {a}")),
        None => reason.push_str(", unassigned"),
    }
    reason.push_str(&format!(
        "; last updated {}",
        t.updated.format("%Y-%m-%d %H:%M UTC")
    ));
    if let Some(u) = &t.url {
        reason.push_str(&format!(": {u}"));
    }
    NewItem {
        kind: ItemKind::Ticket,
        source_id: Some(source),
        occurred_at: t.created,
        actor: t.assignee.clone(),
        subject: Some(t.key.clone()),
        title: format!("{}: {}", t.key, t.title),
        severity: t.severity,
        group_key: Some(format!("ticket:{source}:{}", t.id)),
        rules: vec![("ticket".into(), reason)],
        event_ids: vec![event],
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_in_every_trackers_form() {
        let want: DateTime<Utc> = "2020-12-03T13:05:20.974Z".parse().unwrap();
        assert_eq!(
            time(&Value::from("2020-12-03T14:05:20.974+0100")),
            Some(want)
        );
        assert_eq!(time(&Value::from("2020-12-03T13:05:20.974Z")), Some(want));
        assert_eq!(
            time(&Value::from("2016-12-12 15:19:57")),
            Some("2016-12-12T15:19:57Z".parse().unwrap())
        );
        assert_eq!(
            time(&Value::from(1620333017135i64)),
            Some("2021-05-06T20:30:17.135Z".parse().unwrap())
        );
        assert_eq!(time(&Value::from("")), None);
        assert_eq!(time(&Value::Null), None);
    }

    #[test]
    fn priorities_to_severities() {
        for (p, s) in [
            ("Highest", Severity::Critical),
            ("P1", Severity::Critical),
            ("1 - Critical", Severity::Critical),
            ("High", Severity::High),
            ("P2", Severity::High),
            ("Medium", Severity::Medium),
            ("3", Severity::Medium),
            ("Low", Severity::Low),
            ("5 - Planning", Severity::Low),
            ("whatever", Severity::Medium),
        ] {
            assert_eq!(severity_of(p), s, "{p}");
        }
    }
}
