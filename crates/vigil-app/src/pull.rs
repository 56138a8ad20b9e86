//! Pulling configured sources into the store: files by glob, or a command's
//! output, with the rules run on what is new. Shared by `vigil pull`, `vigil
//! demo` and the review screen's background pulls.

use chrono::Utc;
use color_eyre::eyre::Result;
use serde::Serialize;

use crate::config::{Config, SourceConfig};
use crate::ingest::{FileReport, FileSource, pull};
use vigil_sources::SourceKind;
use vigil_sources::http::{Auth, HttpClient, Retry, Secret, auth_from, secret_from};
use vigil_store::Store;

/// The HTTP client for a source over HTTP: its credentials as the API
/// wants them (a static token, or one from SMART backend services, renewed
/// when it expires; HTTP Basic with `user_env`; PagerDuty's `Token
/// token=`), and the headers the API asks for.
pub fn client(s: &SourceConfig, retry: Retry) -> Result<HttpClient> {
    let mut token = secret_from("token", s.token_env.as_deref(), s.token_file.as_deref())?;
    let mut renew = None;
    if let Some(o) = &s.smart {
        let base = s.url.clone().unwrap_or_default();
        let o = o.clone();
        let fetch = move || -> Result<Secret> {
            let mut plain = HttpClient::new(Auth::None, retry)?;
            Ok(vigil_sources::smart::token(&o, &base, &mut plain, Utc::now())?.0)
        };
        token = Some(fetch()?);
        renew = Some(Box::new(fetch) as Box<dyn FnMut() -> Result<Secret> + Send>);
    }
    let auth = match (s.kind, auth_from(token, s.user_env.as_deref())?) {
        (SourceKind::PagerDuty, Auth::Bearer(t)) => Auth::Header {
            name: "authorization".into(),
            value: Secret::new(format!("Token token={}", t.expose())),
        },
        (_, a) => a,
    };
    let mut c = HttpClient::new(auth, retry)?;
    if let Some(f) = renew {
        c = c.with_refresh(f);
    }
    match s.kind {
        SourceKind::Github => c.for_github(),
        SourceKind::PagerDuty => {
            c.with_header("accept", "application/vnd.pagerduty+json;version=2")
        }
        SourceKind::TheHive => match &s.tracker.organisation {
            Some(o) => c.with_header("x-organisation", o),
            None => Ok(c),
        },
        _ => Ok(c),
    }
}

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
    rules: Option<&mut vigil_rules::Engine>,
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
            let retry = Retry {
                max_attempts: 4,
                max_total: std::time::Duration::from_secs(30),
                ..Default::default()
            };
            let fetched = (|| {
                let url = s.url.as_deref().ok_or_else(|| {
                    color_eyre::eyre::eyre!("source {} needs a url (the API's base)", s.name)
                })?;
                let mut client = client(s, retry)?;
                if s.kind.is_tracker() {
                    let tracker = crate::tickets::tracker(s)?;
                    let r = crate::tickets::pull(
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
                    crate::fhir_server::pull_all(store, &src, url, &s.resources, &mut client, rules)
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
                crate::ingest::read_command(store, &src, argv, rules).unwrap_or_else(|e| {
                    FileReport::failed(format!("command: {}", argv.join(" ")), format!("{e:#}"))
                }),
            ],
            None => pull(store, &src, pattern, rules)?,
        };
        let mut sum = FileReport::default();
        let mut errors = Vec::new();
        for f in &files {
            sum.add(f);
            if let Some(why) = &f.error {
                errors.push(format!("{}: error: {why}", f.path));
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
    // Context first: the accesses read after it are explained as they come,
    // rather than raised and then withdrawn.
    let mut sources: Vec<&'a SourceConfig> = sources.to_vec();
    sources.sort_by_key(|s| !s.kind.is_context());
    let n = sources.len();
    for (i, s) in sources.into_iter().enumerate() {
        vigil_domain::progress::start(
            &format!(
                "{} ({} of {n})",
                vigil_domain::SafeText::new(&s.name),
                i + 1
            ),
            vigil_domain::progress::Unit::Bytes,
        );
        let r = pull_source(store, s, engine.as_mut().map(|(e, _)| e));
        each(s, r)?;
    }
    // The finished days' samples, once everything there is has been read.
    if let Some((e, _)) = engine.as_mut() {
        e.finish(store)?;
        crate::rules::close_explained(config, store, e, now)?;
    }
    Ok(())
}

/// How a source is doing, as `vigil sources` and the screen show it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Health {
    pub state: HealthState,
    /// When a failing source is tried again: its last pull plus its
    /// interval (the screen and a cron `vigil pull` both keep to it).
    pub next_retry: Option<chrono::DateTime<Utc>>,
    /// Its last success is older than its review cadence (or it never had
    /// one): what a review of it now would miss.
    pub stale: bool,
}

/// Whether a source's last pull worked.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum HealthState {
    Ok,
    Error,
    #[serde(rename = "never pulled")]
    NeverPulled,
}

impl HealthState {
    /// As the table, the screen and the JSON output write it.
    pub fn as_str(self) -> &'static str {
        match self {
            HealthState::Ok => "ok",
            HealthState::Error => "error",
            HealthState::NeverPulled => "never pulled",
        }
    }
}

impl std::fmt::Display for HealthState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Health {
    /// `ok`, `error, stale`, …: as the table and the screen show it.
    pub fn label(&self) -> String {
        if self.stale {
            format!("{}, stale", self.state)
        } else {
            self.state.to_string()
        }
    }
}

/// The health of a configured source, with the review cadence its risks
/// give it (stale is measured against that cadence).
pub fn health_of(
    c: &SourceConfig,
    status: Option<&vigil_store::SourceStatus>,
    risks: &[vigil_store::Risk],
    scales: &vigil_review::risk::Scales,
    now: chrono::DateTime<Utc>,
) -> (Health, vigil_domain::time::Cadence) {
    let cadence = vigil_review::coverage::effective(&c.policy(), risks, scales).cadence;
    (
        health(status, Some(c.interval), Some(cadence.every()), now),
        cadence,
    )
}

/// The health of a source from what the store recorded, its pull interval
/// and its review cadence.
pub fn health(
    status: Option<&vigil_store::SourceStatus>,
    interval: Option<std::time::Duration>,
    cadence: Option<std::time::Duration>,
    now: chrono::DateTime<Utc>,
) -> Health {
    let (ok, pulled) = status.map_or((None, None), |s| (s.last_success_at, s.last_pull_at));
    let state = match (ok, pulled) {
        (_, None) => HealthState::NeverPulled,
        (Some(ok), Some(p)) if ok >= p => HealthState::Ok,
        _ => HealthState::Error,
    };
    let next_retry = match (state, pulled, interval) {
        (HealthState::Error, Some(p), Some(i)) => {
            Some(p + chrono::Duration::from_std(i).unwrap_or_default())
        }
        _ => None,
    };
    let stale = match (pulled, cadence) {
        (None, _) | (_, None) => false,
        (Some(_), Some(c)) => {
            ok.is_none_or(|ok| now - ok > chrono::Duration::from_std(c).unwrap_or_default())
        }
    };
    Health {
        state,
        next_retry,
        stale,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use vigil_domain::SafeText;
    use vigil_store::SourceStatus;

    fn status(ok: Option<&str>, pulled: Option<&str>) -> SourceStatus {
        SourceStatus {
            name: SafeText::new("s"),
            collector: SafeText::new(""),
            kind: SafeText::new("jira"),
            last_pull_at: pulled.map(|t| t.parse().unwrap()),
            last_success_at: ok.map(|t| t.parse().unwrap()),
            last_error: None,
            events: 0,
            quarantined: 0,
            gaps: 0,
            streams: vec![],
        }
    }

    #[test]
    fn health_next_retry_and_staleness() {
        let now: chrono::DateTime<Utc> = "2026-11-26T12:00:00Z".parse().unwrap();
        let five = Some(std::time::Duration::from_secs(300));
        let day = Some(std::time::Duration::from_secs(86_400));
        let h = health(None, five, day, now);
        assert_eq!(
            (h.state, h.next_retry, h.stale),
            (HealthState::NeverPulled, None, false)
        );
        let s = status(Some("2026-11-26T11:00:00Z"), Some("2026-11-26T11:00:00Z"));
        let h = health(Some(&s), five, day, now);
        assert_eq!(
            (h.state, h.next_retry, h.stale),
            (HealthState::Ok, None, false)
        );
        // failing since yesterday morning: retried five minutes after the
        // last try, and stale as a daily source
        let s = status(Some("2026-11-25T09:00:00Z"), Some("2026-11-26T11:58:00Z"));
        let h = health(Some(&s), five, day, now);
        assert_eq!(h.state, HealthState::Error);
        assert_eq!(h.next_retry, Some("2026-11-26T12:03:00Z".parse().unwrap()));
        assert!(h.stale);
        // the same on a weekly cadence is not stale yet
        let week = Some(std::time::Duration::from_secs(7 * 86_400));
        assert!(!health(Some(&s), five, week, now).stale);
        // never a success at all
        let s = status(None, Some("2026-11-26T11:58:00Z"));
        assert!(health(Some(&s), five, day, now).stale);
    }
}
