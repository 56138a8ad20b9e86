//! `vigil access-report` and `vigil activity`: the two investigations,
//! each a ledger entry (who asked about whom and why) before it shows
//! anything.

use std::io::Write;
use std::process::ExitCode;

use chrono::{DateTime, Duration, Utc};
use clap::Args;
use color_eyre::eyre::Result;

use super::output::{Format, Listing, text};
use super::{Context, FormatArg, UsageError};
use vigil_review::Reviewer;
use vigil_review::investigate::{self, ACCESS_REPORT_DAYS, ACTIVITY_DAYS};

/// What both investigations ask: why, and over which days.
#[derive(Debug, Args)]
pub struct InquiryArgs {
    /// Why you are looking (recorded in the ledger), e.g. "patient request 2026-031"
    #[arg(long)]
    pub reason: String,
    /// First day (2026-01-01, today, -30d, -52w) [default: a year before
    /// --to for an access report, 30 days for an activity timeline]
    #[arg(long, allow_hyphen_values = true)]
    pub from: Option<String>,
    /// Last day [default: today]
    #[arg(long, allow_hyphen_values = true)]
    pub to: Option<String>,
    #[command(flatten)]
    pub format: FormatArg,
}

#[derive(Debug, Args)]
pub struct AccessReportArgs {
    /// The patient's record number (MRN) as the EHR and FHIR sources give it
    #[arg(long, value_name = "MRN")]
    pub patient: String,
    #[command(flatten)]
    pub inquiry: InquiryArgs,
}

#[derive(Debug, Args)]
pub struct ActivityArgs {
    /// A roster id, or any of the person's accounts
    #[arg(long, value_name = "ID|ACCOUNT")]
    pub person: String,
    /// Show the record numbers of the patients whose records they opened
    /// (masked otherwise; the ledger notes which)
    #[arg(long)]
    pub show_patients: bool,
    #[command(flatten)]
    pub inquiry: InquiryArgs,
}

/// [from, to) in instants, from day arguments read in the rules' zone.
fn period(
    ctx: &Context,
    InquiryArgs { from, to, .. }: &InquiryArgs,
    default_days: i64,
) -> Result<(DateTime<Utc>, DateTime<Utc>)> {
    let today = Utc::now().date_naive();
    let to = match to {
        Some(d) => super::parse_day("--to", d)?,
        None => today,
    };
    let from = match from {
        Some(d) => super::parse_day("--from", d)?,
        None => to - Duration::days(default_days - 1),
    };
    if from > to {
        return Err(UsageError("--from is after --to".into()).into());
    }
    let zone = vigil_review::Settings::zone(&ctx.config);
    Ok((
        vigil_domain::time::day_start(zone, from),
        vigil_domain::time::day_start(zone, to + Duration::days(1)),
    ))
}

pub fn access_report(ctx: &Context, a: &AccessReportArgs) -> Result<ExitCode> {
    let (from, to) = period(ctx, &a.inquiry, ACCESS_REPORT_DAYS)?;
    let zone = vigil_review::Settings::zone(&ctx.config);
    let mut store = ctx.open_store()?;
    let r = investigate::access_report(
        store.as_mut(),
        &Reviewer::current(),
        &a.patient,
        from,
        to,
        &a.inquiry.reason,
        Utc::now(),
    )?;
    if a.inquiry.format.format == Format::Json {
        let mut out = std::io::stdout().lock();
        serde_json::to_writer_pretty(&mut out, &r)?;
        writeln!(out)?;
        return Ok(ExitCode::SUCCESS);
    }
    if a.inquiry.format.format == Format::Table {
        let name = r
            .patient_name
            .as_deref()
            .unwrap_or("(not in the patient index)");
        println!(
            "Accesses to the record of {} (MRN {})",
            text(name),
            text(&r.patient)
        );
        asked(zone, r.from, r.to, &r.requested_by, &r.reason, r.ledger_seq);
        println!(
            "{} by {}",
            plural(r.accesses.len(), "access", "accesses"),
            plural(r.accessors.len(), "workforce member", "workforce members")
        );
        println!();
    }
    let mut l = Listing::stdout(
        a.inquiry.format.format,
        &[
            "time",
            "system",
            "action",
            "outcome",
            "account",
            "person",
            "department",
            "from",
            "explanation",
            "findings",
        ],
    );
    for x in &r.accesses {
        l.row(
            x,
            vec![
                text(stamp(zone, x.at)),
                text(&x.system),
                text(&x.action),
                text(&x.outcome),
                text(&x.account),
                text(x.person.as_deref().unwrap_or("")),
                text(x.department.as_deref().unwrap_or("")),
                text(x.from.as_deref().unwrap_or("")),
                text(x.explanation.as_deref().unwrap_or("")),
                text(investigate::marks_text(&x.findings)),
            ],
        )?;
    }
    l.finish()?;
    Ok(ExitCode::SUCCESS)
}

pub fn activity(ctx: &Context, a: &ActivityArgs) -> Result<ExitCode> {
    let (from, to) = period(ctx, &a.inquiry, ACTIVITY_DAYS)?;
    let zone = vigil_review::Settings::zone(&ctx.config);
    let mut store = ctx.open_store()?;
    let t = investigate::activity(
        store.as_mut(),
        &Reviewer::current(),
        &a.person,
        from,
        to,
        &a.inquiry.reason,
        a.show_patients,
        Utc::now(),
    )?;
    if a.inquiry.format.format == Format::Json {
        let mut out = std::io::stdout().lock();
        serde_json::to_writer_pretty(&mut out, &t)?;
        writeln!(out)?;
        return Ok(ExitCode::SUCCESS);
    }
    if a.inquiry.format.format == Format::Table {
        println!(
            "Activity of {} ({}; accounts {})",
            text(t.name.as_deref().unwrap_or("(not on the roster)")),
            text(
                [
                    t.person_id.as_deref(),
                    t.department.as_deref(),
                    t.status.as_deref()
                ]
                .into_iter()
                .flatten()
                .collect::<Vec<_>>()
                .join(", ")
            ),
            text(t.accounts.join(", "))
        );
        asked(zone, t.from, t.to, &t.requested_by, &t.reason, t.ledger_seq);
        let systems: Vec<String> = t.systems.iter().map(|(s, n)| format!("{s} {n}")).collect();
        println!(
            "{} ({}), {} held by review items",
            plural(t.steps.len(), "event", "events"),
            text(systems.join(", ")),
            t.flagged
        );
        println!();
    }
    let mut l = Listing::stdout(
        a.inquiry.format.format,
        &[
            "time", "system", "account", "host", "action", "outcome", "subject", "from", "findings",
        ],
    );
    for s in &t.steps {
        l.row(
            s,
            vec![
                text(stamp(zone, s.at)),
                text(&s.system),
                text(&s.account),
                text(s.host.as_deref().unwrap_or("")),
                text(&s.action),
                text(&s.outcome),
                text(s.subject.as_deref().unwrap_or("")),
                text(s.from.as_deref().unwrap_or("")),
                text(investigate::marks_text(&s.findings)),
            ],
        )?;
    }
    l.finish()?;
    Ok(ExitCode::SUCCESS)
}

fn stamp(zone: Option<chrono_tz::Tz>, t: DateTime<Utc>) -> String {
    vigil_domain::time::local_stamp(zone, t)
}

fn day(zone: Option<chrono_tz::Tz>, t: DateTime<Utc>) -> String {
    let mut s = stamp(zone, t);
    s.truncate(10);
    s
}

fn plural(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

/// The line that says what the run covered and that the ledger has it.
fn asked(
    zone: Option<chrono_tz::Tz>,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
    by: &str,
    reason: &str,
    seq: i64,
) {
    println!(
        "Period {} to {} ({}); asked by {} for {:?}; ledger entry {seq}",
        day(zone, from),
        day(zone, to - Duration::seconds(1)),
        vigil_domain::time::zone_name(zone),
        text(by),
        text(reason).as_str(),
    );
}
