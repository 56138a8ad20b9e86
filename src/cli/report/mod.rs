//! `vigil report --from --to --format md|html|csv|json [--output F]`: the
//! attestation report for a period.

use std::io::Write;
use std::process::ExitCode;

use chrono::Utc;
use clap::{Args, ValueEnum};
use color_eyre::eyre::{Result, WrapErr};

pub mod csv;
pub mod html;
pub mod markdown;

use super::{Context, UsageError};
use vigil_review::report;

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum ReportFormat {
    Md,
    Html,
    Csv,
    Json,
}

#[derive(Debug, Args)]
pub struct ReportArgs {
    /// First day of the period (2026-11-01, today, yesterday, -30d)
    #[arg(long, allow_hyphen_values = true)]
    pub from: String,
    /// Last day of the period (2026-11-30, today, yesterday)
    #[arg(long, allow_hyphen_values = true)]
    pub to: String,
    #[arg(long, value_enum, default_value_t = ReportFormat::Md)]
    pub format: ReportFormat,
    /// Write to this file (created 0600) rather than standard output
    #[arg(long)]
    pub output: Option<std::path::PathBuf>,
}

pub fn run(ctx: &Context, a: &ReportArgs) -> Result<ExitCode> {
    let (from, to) = (
        super::parse_day("--from", &a.from)?,
        super::parse_day("--to", &a.to)?,
    );
    if from > to {
        return Err(UsageError("--from is after --to".into()).into());
    }
    let store = ctx.open_store()?;
    let r = report::build(store.as_ref(), &ctx.config, from, to, Utc::now())?;
    let body = match a.format {
        ReportFormat::Md => markdown::markdown(&r),
        ReportFormat::Html => html::html(&r),
        ReportFormat::Csv => csv::csv(&r),
        ReportFormat::Json => serde_json::to_string_pretty(&r)? + "\n",
    };
    match &a.output {
        Some(path) => {
            let mut f = vigil_domain::perms::create_private(path)
                .wrap_err_with(|| format!("cannot write the report to {}", path.display()))?;
            f.write_all(body.as_bytes())?;
            eprintln!("vigil: report written to {}", path.display());
        }
        None => std::io::stdout().write_all(body.as_bytes())?,
    }
    Ok(if r.ledger.verified {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

/// A measure with its unit, or `-` when there is none.
pub(crate) fn opt(v: Option<f64>, unit: &str) -> String {
    v.map(|x| format!("{x}{unit}"))
        .unwrap_or_else(|| "-".into())
}
