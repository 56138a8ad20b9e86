//! `vigil sanction add|list`: the sanctions register, visible only to the
//! accounts named in `[sanctions] viewers`.

use std::process::ExitCode;

use chrono::Utc;
use clap::{Args, Subcommand};
use color_eyre::eyre::Result;

use super::output::{Listing, text};
use super::{Context, FormatArg};
use vigil_review::{NewSanction, Reviewer, SanctionOutcome, ops};
use vigil_store::Sanction;

#[derive(Debug, Subcommand)]
pub enum SanctionCommand {
    /// Record a sanction
    Add(AddArgs),
    /// List the register
    List(FormatArg),
}

#[derive(Debug, Args)]
pub struct AddArgs {
    /// The workforce member (account or roster id)
    #[arg(long)]
    pub member: String,
    /// Violation category (configured in [sanctions] categories)
    #[arg(long)]
    pub category: String,
    /// Severity tier (configured in [sanctions] tiers)
    #[arg(long)]
    pub tier: String,
    /// The sanction applied, e.g. "written warning and retraining"
    #[arg(long)]
    pub sanction: String,
    /// Date decided [default: today]
    #[arg(long)]
    pub date: Option<String>,
    /// Linked incident
    #[arg(long)]
    pub incident: Option<i64>,
    /// Linked decision ids (repeatable)
    #[arg(long = "decision")]
    pub decisions: Vec<String>,
    /// The member was notified
    #[arg(long)]
    pub notice_sent: bool,
    #[arg(long, short = 'n')]
    pub note: Option<String>,
    /// Record it even though earlier cases of this category and tier were
    /// sanctioned differently
    #[arg(long)]
    pub yes: bool,
    #[command(flatten)]
    pub format: FormatArg,
}

const COLUMNS: &[&str] = &[
    "id",
    "member",
    "category",
    "tier",
    "sanction",
    "decided_by",
    "decided_on",
    "incident",
    "notice_sent",
];

fn row(l: &mut Listing<impl std::io::Write>, s: &Sanction) -> Result<()> {
    l.row(
        s,
        vec![
            text(s.id.to_string()),
            text(&s.member),
            text(&s.category),
            text(&s.tier),
            text(&s.sanction),
            text(&s.decided_by),
            text(&s.decided_on),
            text(s.incident_id.map(|i| i.to_string()).unwrap_or_default()),
            text(if s.notice_sent { "yes" } else { "no" }),
        ],
    )?;
    Ok(())
}

pub fn run(ctx: &Context, c: &SanctionCommand) -> Result<ExitCode> {
    let who = Reviewer::current();
    let policy = &ctx.config.policy;
    match c {
        SanctionCommand::List(f) => {
            let store = ctx.open_store()?;
            let mut l = Listing::stdout(f.format, COLUMNS);
            for s in ops::list_sanctions(store.as_ref(), policy, &who)? {
                row(&mut l, &s)?;
            }
            l.finish()?;
            Ok(ExitCode::SUCCESS)
        }
        SanctionCommand::Add(a) => {
            let mut store = ctx.open_store()?;
            let now = Utc::now();
            let outcome = ops::add_sanction(
                store.as_mut(),
                policy,
                &who,
                now,
                &NewSanction {
                    member: a.member.clone(),
                    category: a.category.clone(),
                    tier: a.tier.clone(),
                    sanction: a.sanction.clone(),
                    decided_on: a
                        .date
                        .clone()
                        .unwrap_or_else(|| now.format("%Y-%m-%d").to_string()),
                    incident_id: a.incident,
                    decision_ids: a.decisions.clone(),
                    notice_sent: a.notice_sent,
                    note: a.note.clone(),
                    confirm_inconsistent: a.yes,
                },
            )?;
            match outcome {
                SanctionOutcome::Recorded { sanction } => {
                    let mut l = Listing::stdout(a.format.format, COLUMNS);
                    row(&mut l, &sanction)?;
                    l.finish()?;
                    Ok(ExitCode::SUCCESS)
                }
                SanctionOutcome::Inconsistent { earlier } => {
                    eprintln!(
                        "vigil: earlier {} / tier {} cases were sanctioned differently; compare:",
                        text(&a.category),
                        text(&a.tier)
                    );
                    eprintln!("  {:<40} | new: {}", "earlier", text(&a.sanction));
                    for s in &earlier {
                        eprintln!(
                            "  #{:<4} {:<12} {:<22} | {}",
                            s.id,
                            text(&s.decided_on),
                            text(&s.member),
                            text(&s.sanction)
                        );
                    }
                    eprintln!(
                        "Not recorded. If the difference is deliberate, run again with --yes (it will be noted in the ledger)."
                    );
                    Ok(ExitCode::from(1))
                }
            }
        }
    }
}
