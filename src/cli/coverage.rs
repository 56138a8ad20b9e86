//! `vigil coverage`: each source, day by day: events, items raised and
//! decided, and whether it was reviewed within its (risk-based) cadence.

use std::process::ExitCode;

use chrono::{Duration, Utc};
use clap::Args;
use color_eyre::eyre::Result;

use super::output::{Listing, text};
use super::{Context, FormatArg, UsageError};
use vigil_review::coverage;

#[derive(Debug, Args)]
pub struct CoverageArgs {
    /// First day (2026-11-01, today, yesterday, -7d) [default: a week before --to]
    #[arg(long, allow_hyphen_values = true)]
    pub from: Option<String>,
    /// Last day (2026-11-30, today, yesterday, -1d) [default: today]
    #[arg(long, allow_hyphen_values = true)]
    pub to: Option<String>,
    #[command(flatten)]
    pub format: FormatArg,
}

pub fn run(ctx: &Context, a: &CoverageArgs) -> Result<ExitCode> {
    let now = Utc::now();
    let to = match &a.to {
        Some(d) => super::parse_day("--to", d)?,
        None => now.date_naive(),
    };
    let from = match &a.from {
        Some(d) => super::parse_day("--from", d)?,
        None => to - Duration::days(6),
    };
    if from > to {
        return Err(UsageError("--from is after --to".into()).into());
    }
    let store = ctx.open_store()?;
    let days = coverage::days(store.as_ref(), &ctx.config, from, to, now)?;
    let mut l = Listing::stdout(
        a.format.format,
        &[
            "source",
            "day",
            "events",
            "items",
            "decided",
            "explained",
            "status",
            "cadence",
            "why",
        ],
    );
    for d in &days {
        l.row(
            d,
            vec![
                text(&d.source),
                text(d.day.to_string()),
                text(d.events.to_string()),
                text(d.items.to_string()),
                text(d.decided.to_string()),
                text(d.explained_pct()),
                text(d.status),
                text(d.cadence.cadence.to_string()),
                text(&d.cadence.why),
            ],
        )?;
    }
    l.finish()?;
    Ok(ExitCode::SUCCESS)
}
