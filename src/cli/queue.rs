//! `vigil queue [--status S] [--filter Q]`: review items, most severe first.

use std::process::ExitCode;

use clap::Args;
use color_eyre::eyre::Result;

use super::events::parse_filter;
use super::output::{Listing, cell, text};
use super::{Context, FormatArg, UsageError};
use vigil_domain::Status;

#[derive(Debug, Args)]
#[command(after_help = vigil_domain::query::SYNTAX)]
pub struct QueueArgs {
    /// Only items in this status (new, claimed, decided, escalated, reopened)
    #[arg(long, value_parser = parse_status)]
    pub status: Option<Status>,
    /// Filter, e.g. 'severity>=high rule:failed-burst'
    #[arg(long, short = 'f', default_value = "")]
    pub filter: String,
    /// Most items to list; 0 lists all
    #[arg(long, default_value_t = 1000)]
    pub limit: u64,
    /// Also list open items that a suppression in force hides
    #[arg(long)]
    pub all: bool,
    #[command(flatten)]
    pub format: FormatArg,
}

fn parse_status(s: &str) -> Result<Status, String> {
    s.parse()
        .map_err(|e: vigil_domain::UnknownValue| e.to_string())
}

pub fn run(ctx: &Context, a: &QueueArgs) -> Result<ExitCode> {
    let mut q = a.filter.clone();
    if let Some(s) = a.status {
        q = format!("status:{s} {q}");
    }
    let mut q = parse_filter(&q)?;
    q.show_suppressed = a.all;
    q.to_sql(
        vigil_domain::query::Target::Items,
        vigil_domain::query::Dialect::Sqlite,
        1,
    )
    .map_err(|e| UsageError(format!("--filter: {e}")))?;
    let store = ctx.open_store()?;
    super::events::check_names(&q, store.as_ref())?;
    let items = store.items(&q, a.limit)?;
    let mut listing = Listing::stdout(
        a.format.format,
        &[
            "id",
            "severity",
            "occurred_at",
            "kind",
            "source",
            "actor",
            "subject",
            "status",
            "disposition",
            "claimed_by",
            "title",
        ],
    );
    for i in &items {
        let cells = vec![
            text(i.id.to_string()),
            text(i.severity.as_str()),
            text(ctx.stamp(a.format.format, i.occurred_at)),
            text(i.kind.as_str()),
            cell(&i.source),
            cell(&i.actor),
            cell(&i.subject),
            text(i.status.as_str()),
            text(i.disposition.map(|d| d.as_str()).unwrap_or("")),
            cell(&i.claimed_by),
            i.title.clone(),
        ];
        listing.row(i, cells)?;
    }
    let n = listing.finish()?;
    if n == 0 && a.format.format == super::Format::Table {
        eprintln!("vigil: the queue is empty for this filter");
    }
    Ok(ExitCode::SUCCESS)
}
