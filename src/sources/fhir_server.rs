//! The `fhir` source: a FHIR R4 server's AuditEvent search, paged by the
//! Bundle's `next` link (opaque, resolved against the server: HAPI's points
//! at the base URL), normalized exactly as the `fhir-auditevent` file kind
//! does. Each page commits with its checkpoint: the `next` link to resume
//! from, the `recorded` watermark, and the ids seen at the watermark's edge
//! (a re-read overlap dedupes by them), so an interrupted pull resumes where
//! it stopped and stores every record once.

use std::collections::BTreeSet;

use chrono::{DateTime, Duration, Utc};
use color_eyre::eyre::{Result, eyre};
use serde::{Deserialize, Serialize};

use super::file::{FileReport, FileSource};
use super::http::HttpClient;
use crate::rules::{Engine, view_new};
use crate::store::{Batch, Quarantined, Store, Stream};

/// Records re-read before the watermark on each new search, for servers
/// that commit late; their duplicates are dropped by id.
const OVERLAP: i64 = 5 * 60;
/// Entries per page asked for.
const PAGE: u32 = 100;

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
struct State {
    /// The next page of a search under way.
    #[serde(default)]
    next: Option<String>,
    /// The latest `recorded` stored.
    #[serde(default)]
    watermark: Option<DateTime<Utc>>,
    /// `id/versionId` of what was stored within the overlap of the watermark.
    #[serde(default)]
    seen: BTreeSet<(i64, String)>,
}

fn identity(url: &str) -> String {
    use sha2::{Digest, Sha256};
    hex::encode(Sha256::digest(url.as_bytes()))
}

/// The stream that carries the source's checkpoint, made on first use.
fn stream(store: &mut dyn Store, src: &FileSource, base: &str) -> Result<Stream> {
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

/// Pulls what is new since the checkpoint; rules, if given, run on each
/// committed page.
pub fn pull(
    store: &mut dyn Store,
    src: &FileSource,
    base: &str,
    client: &mut HttpClient,
    mut rules: Option<&mut Engine>,
) -> Result<FileReport> {
    let base = base.trim_end_matches('/').to_owned();
    let mut report = FileReport {
        path: super::http::redact_url(&base),
        ..FileReport::default()
    };
    let mut st = stream(store, src, &base)?;
    let mut state: State = if st.parser_state.is_empty() {
        State::default()
    } else {
        serde_json::from_str(&st.parser_state).unwrap_or_default()
    };
    let mut url = match &state.next {
        Some(n) => n.clone(),
        None => {
            let mut u = format!("{base}/AuditEvent?_sort=date&_count={PAGE}");
            if let Some(w) = state.watermark {
                let from = w - Duration::seconds(OVERLAP);
                u.push_str(&format!("&date=ge{}", from.format("%Y-%m-%dT%H:%M:%SZ")));
            }
            u
        }
    };
    loop {
        let resp = client.get(&url)?;
        let bundle = resp.json()?;
        let since = st.offset;
        let mut events = Vec::new();
        let mut quarantined = Vec::new();
        let entries = bundle
            .get("entry")
            .and_then(|e| e.as_array())
            .cloned()
            .unwrap_or_default();
        for entry in &entries {
            // `include` and `outcome` entries are not hits
            if entry
                .pointer("/search/mode")
                .and_then(|m| m.as_str())
                .is_some_and(|m| m != "match")
            {
                continue;
            }
            let Some(res) = entry.get("resource") else {
                continue;
            };
            let key = format!(
                "{}/{}",
                res.get("id").and_then(|v| v.as_str()).unwrap_or(""),
                res.pointer("/meta/versionId")
                    .and_then(|v| v.as_str())
                    .unwrap_or("")
            );
            let recorded = res
                .get("recorded")
                .and_then(|v| v.as_str())
                .and_then(|r| DateTime::parse_from_rfc3339(r).ok())
                .map(|t| t.with_timezone(&Utc));
            if state.seen.iter().any(|(_, k)| *k == key) {
                report.duplicates += 1;
                continue;
            }
            let raw = serde_json::to_vec(res)?;
            st.offset += 1;
            match super::fhir::normalize(&raw, st.offset, 0) {
                Ok(e) => {
                    events.push(e);
                    if let Some(t) = recorded {
                        state.watermark = Some(state.watermark.map_or(t, |w| w.max(t)));
                        state.seen.insert((t.timestamp(), key));
                    }
                }
                Err(reason) => quarantined.push(Quarantined {
                    offset: Some(st.offset),
                    reason,
                    raw: raw[..raw.len().min(4096)].to_vec(),
                }),
            }
        }
        // keep only the ids the next overlap can bring back
        if let Some(w) = state.watermark {
            let edge = (w - Duration::seconds(OVERLAP)).timestamp();
            state.seen.retain(|(t, _)| *t >= edge);
        }
        let next = super::http::fhir_next(&bundle)
            .map(|n| resolve(&base, &n))
            .transpose()?;
        state.next = next.clone();
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
        report.events += out.events;
        report.quarantined += out.quarantined;
        report.bytes += resp.body.len() as u64;
        if let Some(engine) = rules.as_deref_mut() {
            let views: Vec<_> = batch
                .events
                .iter()
                .zip(&out.ids)
                .map(|(e, id)| view_new(src.id, *id, e))
                .collect();
            let r = engine.run(store, &views)?;
            report.rules.add(&r);
        }
        match next {
            Some(n) => url = n,
            None => break,
        }
    }
    Ok(report)
}
