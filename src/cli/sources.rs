//! `vigil sources` and `vigil quarantine`: how each source is doing, and the
//! records it could not read.

use std::process::ExitCode;

use chrono::{DateTime, Utc};
use clap::Args;
use color_eyre::eyre::Result;
use serde::Serialize;

use super::output::{Listing, cell, text};
use super::{Context, FormatArg};
use vigil_domain::SafeText;
use vigil_store::{SourceStatus, Stream};

#[derive(Debug, Args)]
pub struct SourcesArgs {
    #[command(flatten)]
    pub format: FormatArg,
}

#[derive(Debug, Args)]
pub struct QuarantineArgs {
    /// Only this source
    #[arg(long)]
    pub source: Option<String>,
    /// Most records to list; 0 lists all
    #[arg(long, default_value_t = 100)]
    pub limit: u64,
    #[command(flatten)]
    pub format: FormatArg,
}

/// One row of `vigil sources`: the configured source and what the store knows.
#[derive(Debug, Clone, Serialize)]
pub struct SourceRow {
    pub name: SafeText,
    pub kind: SafeText,
    pub configured: bool,
    pub health: &'static str,
    pub path: Option<SafeText>,
    pub cadence: Option<String>,
    pub last_pull_at: Option<DateTime<Utc>>,
    pub last_success_at: Option<DateTime<Utc>>,
    pub events: u64,
    pub quarantined: u64,
    pub gaps: u64,
    pub checkpoint: Vec<Stream>,
    pub last_error: Option<SafeText>,
    /// When a failing source is tried again.
    pub next_retry: Option<DateTime<Utc>>,
    /// The last success is older than the source's review cadence.
    pub stale: bool,
}

fn health(s: Option<&SourceStatus>) -> &'static str {
    vigil_app::pull::health(s, None, None, Utc::now())
        .state
        .as_str()
}

fn checkpoint_summary(streams: &[Stream]) -> String {
    streams
        .iter()
        .filter(|s| s.status == "active")
        .map(|s| {
            if s.path.starts_with("http://") || s.path.starts_with("https://") {
                // An API resumes from its watermark, or mid-search.
                let v: serde_json::Value =
                    serde_json::from_str(&s.parser_state).unwrap_or_default();
                let since = v["watermark"]
                    .as_str()
                    .map(|w| format!("since {w}"))
                    .unwrap_or_else(|| "from the start".into());
                return if v["next"].is_null() {
                    format!("{since}, {} records", s.records)
                } else {
                    format!("{since}, a search under way, {} records", s.records)
                };
            }
            if s.path.starts_with("command: ") {
                // A command source resumes from the journal cursor.
                return match vigil_sources::journald::cursor_in(&s.parser_state) {
                    Some(c) => format!("cursor {c}"),
                    None => "cursor (none yet)".to_owned(),
                };
            }
            let name = std::path::Path::new(&s.path)
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_else(|| s.path.clone());
            format!("{name}@{}", s.offset)
        })
        .collect::<Vec<_>>()
        .join(" ")
}

fn fmt_time(ctx: &Context, format: super::Format, t: Option<DateTime<Utc>>) -> SafeText {
    text(
        t.map(|t| ctx.stamp(format, t))
            .unwrap_or_else(|| "-".into()),
    )
}

pub fn rows(ctx: &Context) -> Result<Vec<SourceRow>> {
    let store = ctx.open_store()?;
    let stored = store.source_status()?;
    // A shared store holds every host's sources: the configured ones are
    // this host's; the others are shown with their host.
    let here = vigil_store::host_name();
    let mine = |s: &&vigil_store::SourceStatus| {
        s.collector.as_str().is_empty() || s.collector.as_str() == here
    };
    let risks = store.risks()?;
    let now = Utc::now();
    let mut rows = Vec::new();
    for c in &ctx.config.sources {
        let s = stored
            .iter()
            .filter(mine)
            .find(|s| s.name.as_str() == c.name);
        let (h, cadence) = vigil_app::pull::health_of(c, s, &risks, &ctx.config.risk_scales, now);
        rows.push(SourceRow {
            name: SafeText::new(&c.name),
            kind: text(c.kind.as_str()),
            configured: true,
            health: h.state.as_str(),
            next_retry: h.next_retry,
            stale: h.stale,
            // (an API source's address, without anything secret in it)
            path: match (&c.path, &c.url) {
                (Some(p), _) => Some(SafeText::new(p)),
                (None, Some(u)) => Some(text(vigil_sources::http::redact_url(u))),
                (None, None) => None,
            },
            cadence: Some(cadence.to_string()),
            last_pull_at: s.and_then(|s| s.last_pull_at),
            last_success_at: s.and_then(|s| s.last_success_at),
            events: s.map_or(0, |s| s.events),
            quarantined: s.map_or(0, |s| s.quarantined),
            gaps: s.map_or(0, |s| s.gaps),
            checkpoint: s.map(|s| s.streams.clone()).unwrap_or_default(),
            last_error: s.and_then(|s| s.last_error.clone()),
        });
    }
    // Sources only the store knows: one-off imports, or removed from config.
    for s in &stored {
        let elsewhere = !mine(&s);
        if elsewhere || ctx.config.source(s.name.as_str()).is_none() {
            rows.push(SourceRow {
                name: if elsewhere {
                    text(format!("{} on {}", s.name, s.collector))
                } else {
                    s.name.clone()
                },
                kind: s.kind.clone(),
                // configured on its own host
                configured: elsewhere,
                health: health(Some(s)),
                next_retry: None,
                stale: false,
                path: None,
                cadence: None,
                last_pull_at: s.last_pull_at,
                last_success_at: s.last_success_at,
                events: s.events,
                quarantined: s.quarantined,
                gaps: s.gaps,
                checkpoint: s.streams.clone(),
                last_error: s.last_error.clone(),
            });
        }
    }
    Ok(rows)
}

pub fn run(ctx: &Context, a: &SourcesArgs) -> Result<ExitCode> {
    let rows = rows(ctx)?;
    let mut listing = Listing::stdout(
        a.format.format,
        &[
            "name",
            "kind",
            "health",
            "last_pull_at",
            "last_success_at",
            "next_retry",
            "events",
            "quarantined",
            "gaps",
            "checkpoint",
            "last_error",
        ],
    );
    for r in &rows {
        let name = if r.configured {
            r.name.clone()
        } else {
            text(format!("{} (not configured)", r.name))
        };
        listing.row(
            r,
            vec![
                name,
                r.kind.clone(),
                text(if r.stale {
                    format!("{}, stale", r.health)
                } else {
                    r.health.to_owned()
                }),
                fmt_time(ctx, a.format.format, r.last_pull_at),
                fmt_time(ctx, a.format.format, r.last_success_at),
                fmt_time(ctx, a.format.format, r.next_retry),
                text(r.events.to_string()),
                text(r.quarantined.to_string()),
                text(r.gaps.to_string()),
                text(checkpoint_summary(&r.checkpoint)),
                cell(&r.last_error),
            ],
        )?;
    }
    if listing.finish()? == 0 && a.format.format == super::Format::Table {
        eprintln!(
            "vigil: no sources yet; add [[source]] tables to the config, or try `vigil demo`"
        );
    }
    Ok(ExitCode::SUCCESS)
}

pub fn quarantine(ctx: &Context, a: &QuarantineArgs) -> Result<ExitCode> {
    let store = ctx.open_store()?;
    let rows = store.quarantine(a.source.as_deref(), a.limit)?;
    let mut listing = Listing::stdout(
        a.format.format,
        &["source", "path", "offset", "reason", "raw"],
    );
    for r in &rows {
        listing.row(
            r,
            vec![
                r.source.clone(),
                cell(&r.path),
                text(r.offset.map(|o| o.to_string()).unwrap_or_default()),
                r.reason.clone(),
                r.raw.clone(),
            ],
        )?;
    }
    listing.finish()?;
    Ok(ExitCode::SUCCESS)
}

/// `vigil` with no command: until the review screen exists, a short status
/// and where to go next.
pub fn overview(ctx: &Context) -> Result<ExitCode> {
    let rows = rows(ctx)?;
    println!("vigil: store {}", ctx.store_url);
    for r in &rows {
        println!(
            "  {:<24} {:<8} {:<12} {:>10} events  {:>6} quarantined  last pull {}",
            r.name.as_str(),
            r.kind.as_str(),
            r.health,
            r.events,
            r.quarantined,
            fmt_time(ctx, super::Format::Table, r.last_pull_at)
        );
    }
    println!(
        "\nNext: `vigil pull` to read the sources, `vigil events` to list what was read, `vigil queue` for review items, `vigil --help` for everything."
    );
    Ok(ExitCode::SUCCESS)
}
