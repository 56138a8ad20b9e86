//! `vigil report --from --to --format md|html|pdf|csv|json [--output F]
//! [--sample N --seed S] [--certify --role R]`: the attestation report for
//! a period, and its certification in the ledger.

use std::io::Write;
use std::process::ExitCode;

use chrono::Utc;
use clap::{Args, ValueEnum};
use color_eyre::eyre::{Result, WrapErr};

pub mod csv;
pub mod document;
pub mod html;
pub mod markdown;
pub mod pdf;

use super::{Context, UsageError};
use vigil_review::{Reviewer, Settings, attest, report};

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ReportFormat {
    Md,
    Html,
    /// A paginated PDF with a contents page, page numbers and bookmarks
    Pdf,
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
    /// Decisions in the random sample an auditor reads
    #[arg(long, default_value_t = report::SAMPLE)]
    pub sample: usize,
    /// The sample's seed [default: derived from the period, so the same period draws the same sample]
    #[arg(long)]
    pub seed: Option<u64>,
    /// Record in the ledger that you certify this period's review (the
    /// report then carries the certification)
    #[arg(long)]
    pub certify: bool,
    /// Your role in the certification, e.g. "privacy officer"
    #[arg(long, requires = "certify")]
    pub role: Option<String>,
}

pub fn run(ctx: &Context, a: &ReportArgs) -> Result<ExitCode> {
    let (from, to) = (
        super::parse_day("--from", &a.from)?,
        super::parse_day("--to", &a.to)?,
    );
    if from > to {
        return Err(UsageError("--from is after --to".into()).into());
    }
    if a.format == ReportFormat::Pdf && a.output.is_none() && std::io::stdout().is_terminal() {
        return Err(UsageError(
            "a PDF is not for the terminal: add --output report.pdf (or redirect it)".into(),
        )
        .into());
    }
    let mut store = ctx.open_store()?;
    let now = Utc::now();
    let options = report::Options {
        sample: Some(a.sample),
        seed: a.seed,
    };
    let mut r = report::build_with(store.as_ref(), &ctx.config, from, to, now, options)?;
    if a.certify {
        if !r.ledger.verified {
            return Err(UsageError(format!(
                "the ledger does not verify ({}): a period whose evidence is broken cannot be certified",
                r.ledger.problem.as_deref().unwrap_or("?")
            ))
            .into());
        }
        let role = a.role.clone().unwrap_or_else(|| default_role(ctx, &r));
        let c = attest::certify(
            store.as_mut(),
            &Reviewer::current(),
            &role,
            ctx.config.organization(),
            from,
            to,
            &report::digest(&r),
            now,
        )?;
        eprintln!(
            "vigil: certified {from} to {to} as {} (ledger entry {})",
            c.role, c.seq
        );
        r.certifications.push(c);
    }
    let body: Vec<u8> = match a.format {
        ReportFormat::Md => markdown::markdown(&document::build(&r)).into_bytes(),
        ReportFormat::Html => html::html(&document::build(&r)).into_bytes(),
        ReportFormat::Pdf => pdf::pdf(&document::build(&r)),
        ReportFormat::Csv => csv::csv(&r).into_bytes(),
        ReportFormat::Json => (serde_json::to_string_pretty(&r)? + "\n").into_bytes(),
    };
    match &a.output {
        Some(path) => {
            let mut f = vigil_domain::perms::create_private(path)
                .wrap_err_with(|| format!("cannot write the report to {}", path.display()))?;
            f.write_all(&body)?;
            eprintln!("vigil: report written to {}", path.display());
        }
        None => std::io::stdout().write_all(&body)?,
    }
    Ok(if r.ledger.verified {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

/// The certifier's role when not given: the office `[organization]` names
/// them to, else "reviewer".
fn default_role(ctx: &Context, r: &report::Report) -> String {
    let name = r.prepared_by.name.as_deref();
    let org = ctx.config.organization();
    let is = |office: Option<&String>| {
        office.is_some_and(|o| Some(o.as_str()) == name || *o == r.prepared_by.account)
    };
    match org {
        Some(o) if is(o.privacy_officer.as_ref()) => "privacy officer".into(),
        Some(o) if is(o.security_officer.as_ref()) => "security officer".into(),
        _ => "reviewer".into(),
    }
}

/// A measure with its unit, or `-` when there is none.
pub(crate) fn opt(v: Option<f64>, unit: &str) -> String {
    v.map(|x| format!("{x}{unit}"))
        .unwrap_or_else(|| "-".into())
}

use std::io::IsTerminal as _;
