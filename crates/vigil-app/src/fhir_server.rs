//! The `fhir` source: a FHIR R4 server's AuditEvent search (and, with
//! `resources = [...]`, its Encounter, Appointment and CareTeam searches for
//! clinical context), paged by the
//! Bundle's `next` link (opaque, resolved against the server: HAPI's points
//! at the base URL), normalized exactly as the `fhir-auditevent` file kind
//! does. Each page commits with its checkpoint: the `next` link to resume
//! from, the `recorded` watermark, and the ids seen at the watermark's edge
//! (a re-read overlap dedupes by them), so an interrupted pull resumes where
//! it stopped and stores every record once.

use std::collections::BTreeMap;

use chrono::{DateTime, Duration, Utc};
use color_eyre::eyre::{Result, eyre};
use serde::{Deserialize, Serialize};

use crate::ingest::{FileReport, FileSource};
use vigil_rules::{Engine, view_new};
use vigil_sources::http::HttpClient;
use vigil_store::{Batch, Quarantined, Store, Stream};

/// Records re-read before the watermark on each new search, for servers
/// that commit late; their duplicates are dropped by id.
const OVERLAP: i64 = 5 * 60;
/// Entries per page asked for.
const PAGE: u32 = 100;
/// Records committed together (with the checkpoint after them).
const COMMIT_EVERY: usize = 5_000;

/// A search Bundle, its resources left as raw JSON for the normalizer.
#[derive(Deserialize)]
struct Page<'a> {
    #[serde(default, borrow)]
    entry: Vec<Entry<'a>>,
}

#[derive(Deserialize)]
struct Entry<'a> {
    #[serde(borrow)]
    resource: Option<&'a serde_json::value::RawValue>,
    search: Option<Search>,
}

impl Entry<'_> {
    /// `include` and `outcome` entries are not hits.
    fn is_match(&self) -> bool {
        self.search
            .as_ref()
            .and_then(|s| s.mode.as_deref())
            .is_none_or(|m| m == "match")
    }
}

#[derive(Deserialize)]
struct Search {
    mode: Option<String>,
}

/// What identifies a resource and orders it.
#[derive(Deserialize, Default)]
struct Head<'a> {
    #[serde(borrow)]
    id: Option<&'a str>,
    #[serde(borrow)]
    meta: Option<Meta<'a>>,
    #[serde(borrow)]
    recorded: Option<&'a str>,
}

#[derive(Deserialize, Default)]
struct Meta<'a> {
    #[serde(rename = "versionId", borrow)]
    version_id: Option<&'a str>,
    #[serde(rename = "lastUpdated", borrow)]
    last_updated: Option<&'a str>,
}

/// The resource types a `fhir` source may search.
pub const RESOURCES: &[&str] = &["AuditEvent", "Encounter", "Appointment", "CareTeam"];

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
struct State {
    /// The next page of a search under way.
    #[serde(default)]
    next: Option<String>,
    /// The latest `recorded` stored.
    #[serde(default)]
    watermark: Option<DateTime<Utc>>,
    /// `id/versionId` of what was stored within the overlap of the
    /// watermark, with its `recorded` (Unix seconds).
    #[serde(default)]
    seen: BTreeMap<String, i64>,
}

fn identity(url: &str) -> String {
    use sha2::{Digest, Sha256};
    hex::encode(Sha256::digest(url.as_bytes()))
}

/// The stream that carries an API source's checkpoint (keyed by its base
/// URL), made on first use.
pub(super) fn stream(store: &mut dyn Store, src: &FileSource, base: &str) -> Result<Stream> {
    if let Some(s) = store
        .streams(src.id)?
        .into_iter()
        .find(|s| s.path == base && s.status == "active")
    {
        return Ok(s);
    }
    store.add_stream(&Stream {
        id: 0,
        source_id: src.id,
        path: base.to_owned(),
        dev: None,
        inode: None,
        head_len: 0,
        head_hash: identity(base),
        offset: 0,
        records: 0,
        parser_state: String::new(),
        status: "active".into(),
    })
}

/// Where a `next` link leads: absolute as given, else against the base.
fn resolve(base: &str, next: &str) -> Result<String> {
    let b = reqwest::Url::parse(&format!("{}/", base.trim_end_matches('/')))
        .map_err(|e| eyre!("the source's url is not a URL: {e}"))?;
    Ok(b.join(next)
        .map_err(|e| eyre!("a next link is not a URL: {e}"))?
        .to_string())
}

/// Records read since the last commit, and the stream offset they start at.
struct Gathered {
    since: u64,
    events: Vec<vigil_domain::NewEvent>,
    context: Vec<vigil_domain::Encounter>,
    quarantined: Vec<Quarantined>,
}

impl Gathered {
    fn len(&self) -> usize {
        self.events.len() + self.context.len() + self.quarantined.len()
    }

    /// Commits them with the checkpoint as it stands, then runs the rules.
    fn commit(
        &mut self,
        store: &mut dyn Store,
        src: &FileSource,
        st: &mut Stream,
        state: &State,
        report: &mut FileReport,
        rules: Option<&mut Engine>,
    ) -> Result<()> {
        st.records += (self.events.len() + self.context.len()) as u64;
        st.parser_state = serde_json::to_string(state)?;
        let batch = Batch {
            source_id: src.id,
            stream: st.clone(),
            since: self.since,
            events: std::mem::take(&mut self.events),
            context: std::mem::take(&mut self.context),
            quarantined: std::mem::take(&mut self.quarantined),
            gaps: Vec::new(),
        };
        self.since = st.offset;
        let out = store.write_batch(&batch, true)?;
        report.events += out.events;
        report.context += batch.context.len() as u64;
        report.quarantined += out.quarantined;
        if let Some(engine) = rules {
            if !batch.context.is_empty() {
                // (explains what comes later, re-explains what came before)
                let learned = engine.learn(batch.context.clone());
                report.rules.add(&engine.apply(store, learned)?);
            }
            let views: Vec<_> = batch
                .events
                .iter()
                .zip(&out.ids)
                .map(|(e, id)| view_new(src.id, *id, e))
                .collect();
            report.rules.add(&engine.run(store, &views)?);
        }
        Ok(())
    }
}

/// The `next` link of a page, resolved against the base.
fn next_of(base: &str, body: &[u8]) -> Result<Option<String>> {
    vigil_sources::http::fhir_next(body)?
        .map(|n| resolve(base, &n))
        .transpose()
}

/// Pulls each resource type's search in turn (context first, so the
/// audit trail read after it is explained as it comes).
pub fn pull_all(
    store: &mut dyn Store,
    src: &FileSource,
    base: &str,
    resources: &[String],
    client: &mut HttpClient,
    mut rules: Option<&mut Engine>,
) -> Result<FileReport> {
    let mut order: Vec<&str> = resources.iter().map(String::as_str).collect();
    order.sort_by_key(|r| *r == "AuditEvent");
    let mut total = FileReport::default();
    for r in order {
        let one = pull(store, src, base, r, client, rules.as_deref_mut())?;
        total.add(&one);
        if total.path.is_empty() {
            total.path = one.path;
        }
    }
    Ok(total)
}

/// Pulls what is new since the checkpoint of one resource type's search;
/// rules, if given, run on each committed batch.
pub fn pull(
    store: &mut dyn Store,
    src: &FileSource,
    base: &str,
    resource: &str,
    client: &mut HttpClient,
    mut rules: Option<&mut Engine>,
) -> Result<FileReport> {
    let base = base.trim_end_matches('/').to_owned();
    let mut report = FileReport {
        path: vigil_sources::http::redact_url(&base),
        ..FileReport::default()
    };
    let audit = resource == "AuditEvent";
    // (the AuditEvent search keeps the stream it always had: its base URL)
    let key = if audit {
        base.clone()
    } else {
        format!("{base}/{resource}")
    };
    let mut st = stream(store, src, &key)?;
    let mut state: State = serde_json::from_str(&st.parser_state).unwrap_or_default();
    let first = match &state.next {
        Some(n) => n.clone(),
        None => {
            // AuditEvents by when they were recorded; context by when it
            // was last updated (late documentation changes old encounters).
            let (sort, param) = if audit {
                ("date", "date")
            } else {
                ("_lastUpdated", "_lastUpdated")
            };
            let mut u = format!("{base}/{resource}?_sort={sort}&_count={PAGE}");
            if let Some(w) = state.watermark {
                let from = w - Duration::seconds(OVERLAP);
                u.push_str(&format!("&{param}=ge{}", from.format("%Y-%m-%dT%H:%M:%SZ")));
            }
            u
        }
    };
    // Committed a few thousand records at a time (and whenever a request
    // fails, with what came before it), each time with the link to the page
    // after them: a resumed pull starts right there.
    let mut got = Gathered {
        since: st.offset,
        events: Vec::new(),
        context: Vec::new(),
        quarantined: Vec::new(),
    };
    // The next page is fetched while this one is normalized and stored: the
    // fetcher reads each page's link and hands both over.
    type Fetched = Result<(String, vigil_sources::http::Response, Option<String>)>;
    let (tx, rx) = std::sync::mpsc::sync_channel::<Fetched>(2);
    let fetch_base = base.clone();
    std::thread::scope(|scope| -> Result<()> {
        scope.spawn(move || {
            let mut url = first;
            loop {
                let page = client.get(&url).and_then(|r| {
                    let next = next_of(&fetch_base, &r.body).map_err(|e| {
                        eyre!(
                            "{}: not a FHIR Bundle: {e}",
                            vigil_sources::http::redact_url(&url)
                        )
                    })?;
                    Ok((url.clone(), r, next))
                });
                let next = page.as_ref().ok().and_then(|p| p.2.clone());
                if tx.send(page).is_err() {
                    return;
                }
                match next {
                    Some(n) => url = n,
                    None => return,
                }
            }
        });
        for fetched in rx {
            let (url, resp, next) = match fetched {
                Ok(p) => p,
                Err(e) => {
                    got.commit(
                        store,
                        src,
                        &mut st,
                        &state,
                        &mut report,
                        rules.as_deref_mut(),
                    )?;
                    return Err(e);
                }
            };
            report.bytes += resp.body.len() as u64;
            let page: Page<'_> = serde_json::from_slice(&resp.body).map_err(|e| {
                eyre!(
                    "{}: not a FHIR Bundle: {e}",
                    vigil_sources::http::redact_url(&url)
                )
            })?;
            for res in page
                .entry
                .iter()
                .filter(|e| e.is_match())
                .filter_map(|e| e.resource)
            {
                let head: Head<'_> = serde_json::from_str(res.get()).unwrap_or_default();
                let key = format!(
                    "{}/{}",
                    head.id.unwrap_or(""),
                    head.meta.as_ref().and_then(|m| m.version_id).unwrap_or("")
                );
                if state.seen.contains_key(&key) {
                    report.duplicates += 1;
                    continue;
                }
                let raw = res.get().as_bytes();
                st.offset += 1;
                let parsed = if audit {
                    vigil_sources::fhir::normalize(raw, st.offset, 0).map(|e| got.events.push(e))
                } else {
                    serde_json::from_slice::<serde_json::Value>(raw)
                        .map_err(|e| format!("not JSON: {e}"))
                        .and_then(|v| vigil_sources::context::fhir_resource(&v, raw, st.offset))
                        .map(|c| got.context.extend(c))
                };
                match parsed {
                    Ok(()) => {
                        let when = if audit {
                            head.recorded
                        } else {
                            head.meta.as_ref().and_then(|m| m.last_updated)
                        };
                        let recorded = when
                            .and_then(|r| DateTime::parse_from_rfc3339(r).ok())
                            .map(|t| t.with_timezone(&Utc));
                        if let Some(t) = recorded {
                            state.watermark = Some(state.watermark.map_or(t, |w| w.max(t)));
                            state.seen.insert(key, t.timestamp());
                        }
                    }
                    Err(reason) => got
                        .quarantined
                        .push(crate::ingest::quarantined(st.offset, reason, raw)),
                }
            }
            // keep only the ids the next overlap can bring back
            if let Some(w) = state.watermark {
                let edge = (w - Duration::seconds(OVERLAP)).timestamp();
                state.seen.retain(|_, t| *t >= edge);
            }
            state.next = next.clone();
            if next.is_none() || got.len() >= COMMIT_EVERY {
                got.commit(
                    store,
                    src,
                    &mut st,
                    &state,
                    &mut report,
                    rules.as_deref_mut(),
                )?;
            }
        }
        Ok(())
    })?;
    Ok(report)
}
