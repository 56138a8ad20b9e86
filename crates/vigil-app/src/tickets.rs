//! Ticket systems into the store: pages through a `Tracker`, stores every
//! ticket version as an event with the checkpoint in the same transaction
//! (an `updated` watermark re-read with an overlap, and the id+updated of
//! what was stored inside it, so the overlap never doubles a record), and
//! keeps one `ticket` item per ticket showing its latest status, priority,
//! assignee and link.

use std::collections::{BTreeMap, HashMap};

use chrono::{DateTime, Utc};
use color_eyre::eyre::{Result, bail};
use serde::{Deserialize, Serialize};

use crate::ingest::{FileReport, FileSource};
use vigil_domain::{ItemKind, NewEvent, Outcome, SafeText, TimeBasis, ZoneBasis};
use vigil_sources::http::{HttpClient, Req};
use vigil_sources::tickets::*;
use vigil_store::{Batch, NewItem, Store};

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

/// The tracker a configured source of a ticket kind reads.
pub fn tracker(s: &crate::config::SourceConfig) -> Result<Box<dyn Tracker>> {
    use vigil_sources::SourceKind as K;
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
            path: vigil_sources::http::redact_url(&base),
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
                    quarantined.push(crate::ingest::quarantined(st.offset, reason, &raw));
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
            context: Vec::new(),
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
        score: 0,
        score_note: None,
    }
}
