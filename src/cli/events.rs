//! `vigil events [--filter Q]`: normalized events, oldest first.

use std::process::ExitCode;

use chrono::SecondsFormat;
use clap::Args;
use color_eyre::eyre::Result;

use super::output::{Listing, cell, text};
use super::{Context, FormatArg, UsageError};
use vigil_domain::query::Query;

#[derive(Debug, Args)]
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
    if a.count {
        println!("{}", store.count_events(&q)?);
        return Ok(ExitCode::SUCCESS);
    }
    let mut listing = Listing::stdout(a.format.format, COLUMNS);
    store.for_each_event(&q, a.limit, &mut |e| {
        let cells = vec![
            text(e.id.to_string()),
            text(e.occurred_at.to_rfc3339_opts(SecondsFormat::AutoSi, true)),
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
        listing.row(&e, cells)?;
        Ok(())
    })?;
    listing.finish()?;
    Ok(ExitCode::SUCCESS)
}
