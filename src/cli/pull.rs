//! `vigil pull [--source NAME]…`: every configured source once, incrementally.

use std::process::ExitCode;

use chrono::Utc;
use clap::Args;
use color_eyre::eyre::Result;
use serde::Serialize;

use super::output::{Listing, text};
use super::{Context, FormatArg, UsageError};
use crate::config::SourceConfig;
use crate::domain::SafeText;
use crate::sources::file::{FileReport, FileSource, pull};
use crate::store::Store;

#[derive(Debug, Args)]
pub struct PullArgs {
    /// Only these sources (repeatable) [default: all configured]
    #[arg(long = "source", value_name = "NAME")]
    pub sources: Vec<String>,
    #[command(flatten)]
    pub format: FormatArg,
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

pub fn run(ctx: &Context, a: &PullArgs) -> Result<ExitCode> {
    for name in &a.sources {
        if ctx.config.source(name).is_none() {
            return Err(UsageError(format!(
                "no configured source is named {:?}; `vigil sources` lists them",
                SafeText::new(name).as_str()
            ))
            .into());
        }
    }
    let chosen: Vec<&SourceConfig> = ctx
        .config
        .sources
        .iter()
        .filter(|s| a.sources.is_empty() || a.sources.contains(&s.name))
        .collect();
    if chosen.is_empty() {
        ctx.print_notices();
        eprintln!("vigil: no sources are configured; nothing to pull");
        return Ok(ExitCode::SUCCESS);
    }
    let mut store = ctx.open_store()?;
    let mut engine = crate::rules::prepare(&ctx.config, store.as_mut(), Utc::now())?;
    let mut listing = Listing::stdout(
        a.format.format,
        &[
            "source",
            "files",
            "events",
            "duplicates",
            "quarantined",
            "gaps",
            "findings",
            "error",
        ],
    );
    let mut failed = false;
    for s in chosen {
        let r = pull_source(store.as_mut(), s, engine.as_mut().map(|(e, _)| e));
        failed |= r.error.is_some();
        listing.row(
            &r,
            vec![
                text(&r.source),
                text(r.files.to_string()),
                text(r.events.to_string()),
                text(r.duplicates.to_string()),
                text(r.quarantined.to_string()),
                text(r.gaps.to_string()),
                text(r.findings.to_string()),
                text(r.error.as_deref().unwrap_or("")),
            ],
        )?;
    }
    listing.finish()?;
    Ok(if failed {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}
