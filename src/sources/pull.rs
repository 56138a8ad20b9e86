//! Pulling configured sources into the store: files by glob, or a command's
//! output, with the rules run on what is new. Shared by `vigil pull`, `vigil
//! demo` and the review screen's background pulls.

use chrono::Utc;
use color_eyre::eyre::Result;
use serde::Serialize;

use super::file::{FileReport, FileSource, pull};
use crate::config::{Config, SourceConfig};
use crate::store::Store;

/// One source's pull, summed over its files.
#[derive(Debug, Clone, Serialize)]
pub struct PullReport {
    pub source: String,
    pub files: usize,
    pub events: u64,
    pub duplicates: u64,
    pub quarantined: u64,
    pub gaps: u64,
    /// What the rules found in the new events.
    pub findings: u64,
    pub items: u64,
    pub error: Option<String>,
}

/// Pulls one configured source; failures are returned in the report, never
/// raised, so one source that is down does not stop the others.
pub fn pull_source(
    store: &mut dyn Store,
    s: &SourceConfig,
    rules: Option<&mut crate::rules::Engine>,
) -> PullReport {
    let mut report = PullReport {
        source: s.name.clone(),
        files: 0,
        events: 0,
        duplicates: 0,
        quarantined: 0,
        gaps: 0,
        error: None,
        findings: 0,
        items: 0,
    };
    let result = (|| -> Result<Option<String>> {
        let id = store.ensure_source(&s.name, s.kind.as_str())?;
        let src = FileSource {
            id,
            name: s.name.clone(),
            kind: s.kind,
            zone: s.timezone,
            options: s.parser_options(),
        };
        let pattern = s.path.as_deref().unwrap_or_default();
        if !s.kind.is_file() {
            // A server that is down costs the other sources at most half a
            // minute; it is tried again on the next pull.
            let retry = crate::sources::http::Retry {
                max_attempts: 4,
                max_total: std::time::Duration::from_secs(30),
                ..Default::default()
            };
            let fetched = (|| {
                let url = s.url.as_deref().ok_or_else(|| {
                    color_eyre::eyre::eyre!("source {} needs a url (the API's base)", s.name)
                })?;
                let mut client = crate::sources::tickets::client(s, retry)?;
                if s.kind.is_tracker() {
                    let tracker = crate::sources::tickets::tracker(s)?;
                    let r = crate::sources::tickets::pull(
                        store,
                        &src,
                        url,
                        tracker.as_ref(),
                        &mut client,
                        Utc::now(),
                    )?;
                    report.items = r.tickets;
                    Ok(r.file)
                } else {
                    crate::sources::fhir_server::pull(store, &src, url, &mut client, rules)
                }
            })();
            // What a page committed stays committed: a failure later in
            // the pull is the source's last error, retried next time.
            return match fetched {
                Ok(f) => {
                    report.files = 1;
                    report.events = f.events;
                    report.duplicates = f.duplicates;
                    report.quarantined = f.quarantined;
                    report.findings += f.rules.findings;
                    report.items += f.rules.items;
                    store.record_pull(id, Utc::now(), None)?;
                    Ok(None)
                }
                Err(e) => {
                    let msg = format!("{e:#}");
                    store.record_pull(id, Utc::now(), Some(&msg))?;
                    Ok(Some(msg))
                }
            };
        }
        let files = match &s.command {
            Some(argv) => vec![
                crate::sources::file::read_command(store, &src, argv, rules).unwrap_or_else(|e| {
                    crate::sources::file::FileReport {
                        path: format!("command: {}", argv.join(" ")),
                        note: Some(format!("error: {e:#}")),
                        ..Default::default()
                    }
                }),
            ],
            None => pull(store, &src, pattern, rules)?,
        };
        let mut sum = FileReport::default();
        let mut errors = Vec::new();
        for f in &files {
            sum.add(f);
            if let Some(n) = f.note.as_deref().filter(|n| n.starts_with("error")) {
                errors.push(format!("{}: {n}", f.path));
            }
        }
        report.files = files.len();
        report.events = sum.events;
        report.duplicates = sum.duplicates;
        report.quarantined = sum.quarantined;
        report.gaps = sum.gaps;
        report.findings = files.iter().map(|f| f.rules.findings).sum();
        report.items = files.iter().map(|f| f.rules.items).sum();
        let error = if files.is_empty() {
            Some(format!("no readable file matches {pattern}"))
        } else if !errors.is_empty() {
            Some(errors.join("; "))
        } else {
            None
        };
        store.record_pull(id, Utc::now(), error.as_deref())?;
        Ok(error)
    })();
    report.error = match result {
        Ok(e) => e,
        Err(e) => Some(format!("{e:#}")),
    };
    report
}

/// Pulls `sources` in order with one rules engine (its knowledge loaded and
/// its history caught up once, as of `now`), handing each report to `each`
/// as it is done.
pub fn pull_sources<'a>(
    store: &mut dyn Store,
    config: &Config,
    sources: &[&'a SourceConfig],
    now: chrono::DateTime<Utc>,
    mut each: impl FnMut(&'a SourceConfig, PullReport) -> Result<()>,
) -> Result<()> {
    let mut engine = crate::rules::prepare(config, store, now)?;
    for s in sources {
        let r = pull_source(store, s, engine.as_mut().map(|(e, _)| e));
        each(s, r)?;
    }
    Ok(())
}
