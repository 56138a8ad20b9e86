//! `vigil events [--filter Q]`: normalized events, oldest first.

use std::process::ExitCode;

use chrono::SecondsFormat;
use clap::Args;
use color_eyre::eyre::Result;

use super::output::{Listing, cell, text};
use super::{Context, FormatArg, UsageError};
use vigil_domain::SafeText;
use vigil_domain::query::Query;

#[derive(Debug, Args)]
#[command(after_help = vigil_domain::query::SYNTAX)]
pub struct EventsArgs {
    /// Filter, e.g. 'actor:jsmith outcome:failure after:2026-11-01'
    #[arg(long, short = 'f', default_value = "")]
    pub filter: String,
    /// Most events to list; 0 lists all
    #[arg(long, default_value_t = 1000)]
    pub limit: u64,
    /// Only print how many events match
    #[arg(long)]
    pub count: bool,
    #[command(flatten)]
    pub format: FormatArg,
}

pub const COLUMNS: &[&str] = &[
    "id",
    "occurred_at",
    "source",
    "kind",
    "host",
    "actor",
    "action",
    "outcome",
    "client",
    "subject",
    "raw",
];

pub fn parse_filter(q: &str) -> Result<Query> {
    Query::parse(q).map_err(|e| UsageError(format!("--filter: {e}")).into())
}

/// Refuses a `rule:` or `source:` that names no rule or source there is,
/// listing those there are. Patterns with `*` are left alone.
pub fn check_names(q: &Query, store: &dyn vigil_store::Store) -> Result<()> {
    vigil_app::screens::FilterNames::of(store)?
        .check(q)
        .map_err(|e| UsageError(format!("--filter: {e}")).into())
}

/// Events whose explanations are looked up together.
const PAGE: usize = 500;

/// An event as `--format json` writes it: its fields, and the explanation
/// of an access to a patient's record when clinical context gave one.
#[derive(serde::Serialize)]
struct Row<'a> {
    #[serde(flatten)]
    event: &'a vigil_domain::Event,
    #[serde(skip_serializing_if = "Option::is_none")]
    explanation: Option<Why>,
}

#[derive(serde::Serialize)]
struct Why {
    kind: vigil_domain::Explanation,
    encounter: Option<SafeText>,
    note: SafeText,
}

pub fn run(ctx: &Context, a: &EventsArgs) -> Result<ExitCode> {
    let q = parse_filter(&a.filter)?;
    // Compile once up front so a bad field is a usage error, not a store one.
    q.to_sql(
        vigil_domain::query::Target::Events,
        vigil_domain::query::Dialect::Sqlite,
        1,
    )
    .map_err(|e| UsageError(format!("--filter: {e}")))?;
    let store = ctx.open_store()?;
    check_names(&q, store.as_ref())?;
    if a.count {
        let n = store.count_events(&q)?;
        // a script asking for JSON gets JSON, as every listing gives it
        match a.format.format {
            super::output::Format::Json => println!("{}", serde_json::json!({ "count": n })),
            _ => println!("{n}"),
        }
        return Ok(ExitCode::SUCCESS);
    }
    let mut listing = Listing::stdout(a.format.format, COLUMNS);
    let json = matches!(a.format.format, super::output::Format::Json);
    let zone = vigil_review::Settings::zone(&ctx.config);
    let mut write = |e: &vigil_domain::Event, why: Option<&(vigil_domain::Explained, String)>| {
        let cells = vec![
            text(e.id.to_string()),
            text(ctx.stamp_with(a.format.format, e.occurred_at, SecondsFormat::AutoSi)),
            e.source.clone(),
            e.kind.clone(),
            cell(&e.host),
            cell(&e.actor),
            e.action.clone(),
            text(e.outcome.as_str()),
            cell(&e.client),
            cell(&e.subject),
            e.raw.clone(),
        ];
        let explanation = why.map(|(x, note)| Why {
            kind: x.kind,
            encounter: x.encounter.as_deref().map(SafeText::new),
            note: SafeText::new(note),
        });
        listing.row(
            &Row {
                event: e,
                explanation,
            },
            cells,
        )
    };
    if json {
        // JSON carries each access's explanation: the events are read first
        // (a store may not take a second query while one streams; --limit
        // bounds them), then explained a page at a time.
        let mut all = Vec::new();
        store.for_each_event(&q, a.limit, &mut |e| {
            all.push(e);
            Ok(())
        })?;
        for page in all.chunks(PAGE) {
            let ids: Vec<i64> = page.iter().map(|e| e.id).collect();
            let rows = store.explanations(&ids)?;
            let notes = vigil_app::screens::explanation_notes(store.as_ref(), zone, &rows)?;
            let why: std::collections::HashMap<i64, (vigil_domain::Explained, String)> = rows
                .into_iter()
                .zip(notes)
                .map(|(x, (_, n))| (x.event_id, (x, n)))
                .collect();
            for e in page {
                write(e, why.get(&e.id))?;
            }
        }
    } else {
        store.for_each_event(&q, a.limit, &mut |e| {
            write(&e, None)?;
            Ok(())
        })?;
    }
    listing.finish()?;
    Ok(ExitCode::SUCCESS)
}
