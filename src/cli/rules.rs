//! `vigil rules list|rerun` and `vigil suppress add|list`: what the rules
//! are, re-evaluating after a config change, and "this is expected".

use std::process::ExitCode;

use chrono::{DateTime, Utc};
use clap::{Args, Subcommand};
use color_eyre::eyre::Result;

use super::output::{Listing, text};
use super::{Context, FormatArg, UsageError};
use vigil_review::Reviewer;
use vigil_review::suppression;
use vigil_rules::{enabled, rule_ids};
use vigil_store::Suppression;

#[derive(Debug, Subcommand)]
pub enum RulesCommand {
    /// The rules and whether the config switches them on
    List(FormatArg),
    /// Evaluate stored events again (after a config change); items are
    /// matched by rule, actor and day, so nothing is doubled
    Rerun {
        /// Only events from this date on (YYYY-MM-DD, today, yesterday, -7d) [default: all]
        #[arg(long, allow_hyphen_values = true)]
        since: Option<String>,
        #[command(flatten)]
        format: FormatArg,
    },
}

#[derive(Debug, Subcommand)]
pub enum SuppressCommand {
    /// Declare activity expected: no findings for it until the expiry
    Add(SuppressArgs),
    /// Suppressions, in force and expired
    List(FormatArg),
}

#[derive(Debug, Args)]
pub struct SuppressArgs {
    /// Whose activity is expected
    #[arg(long)]
    pub actor: String,
    /// Only on this subject (an MRN, an account, a table) [default: any]
    #[arg(long)]
    pub subject: Option<String>,
    /// Only this rule [default: every rule]
    #[arg(long)]
    pub rule: Option<String>,
    /// Last day it applies (YYYY-MM-DD, inclusive)
    #[arg(long)]
    pub until: String,
    /// Why it is expected
    #[arg(long)]
    pub reason: String,
    /// Save it (without: show what it would hide, and stop)
    #[arg(long)]
    pub yes: bool,
}

pub fn run(ctx: &Context, c: &RulesCommand) -> Result<ExitCode> {
    match c {
        RulesCommand::List(f) => {
            let on: Vec<&str> = enabled(&ctx.config.rules).iter().map(|r| r.id()).collect();
            let mut l = Listing::stdout(f.format, &["rule", "enabled"]);
            for id in rule_ids() {
                let enabled = ctx.config.rules.enabled && on.contains(&id);
                l.row(
                    &serde_json::json!({ "rule": id, "enabled": enabled }),
                    vec![text(id), text(if enabled { "yes" } else { "no" })],
                )?;
            }
            l.finish()?;
            Ok(ExitCode::SUCCESS)
        }
        RulesCommand::Rerun { since, format } => {
            let since: Option<DateTime<Utc>> = match since {
                Some(s) => Some(
                    super::parse_day("--since", s)?
                        .and_hms_opt(0, 0, 0)
                        .expect("midnight")
                        .and_utc(),
                ),
                None => Some(DateTime::<Utc>::MIN_UTC),
            };
            let mut store = ctx.open_store()?;
            let Some((mut engine, _)) =
                vigil_app::rules::prepare(&ctx.config, store.as_mut(), Utc::now())?
            else {
                eprintln!("vigil: rules are switched off ([rules] enabled = false)");
                return Ok(ExitCode::SUCCESS);
            };
            let bar = super::progress::Bar::start(
                "evaluating stored events",
                vigil_domain::progress::Unit::Events,
            );
            let mut r = engine.catch_up(store.as_mut(), since)?;
            r.sampled += engine.finish(store.as_mut())?;
            drop(bar);
            vigil_app::rules::close_explained(
                &ctx.config,
                store.as_mut(),
                &mut engine,
                Utc::now(),
            )?;
            let mut l = Listing::stdout(
                format.format,
                &["events", "findings", "suppressed", "sampled", "items"],
            );
            l.row(
                &r,
                vec![
                    text(r.events.to_string()),
                    text(r.findings.to_string()),
                    text(r.suppressed.to_string()),
                    text(r.sampled.to_string()),
                    text(r.items.to_string()),
                ],
            )?;
            l.finish()?;
            Ok(ExitCode::SUCCESS)
        }
    }
}

pub fn suppress(ctx: &Context, c: &SuppressCommand) -> Result<ExitCode> {
    let mut store = ctx.open_store()?;
    match c {
        SuppressCommand::List(f) => {
            let now = Utc::now();
            let mut l = Listing::stdout(
                f.format,
                &[
                    "id", "actor", "subject", "rule", "until", "in_force", "owner", "reason",
                ],
            );
            for s in store.suppressions()? {
                l.row(
                    &s,
                    vec![
                        text(s.id.to_string()),
                        text(&s.actor),
                        text(s.subject.as_deref().unwrap_or("*")),
                        text(s.rule.as_deref().unwrap_or("*")),
                        text(ctx.stamp(f.format, s.until)),
                        text(if s.until > now { "yes" } else { "expired" }),
                        text(&s.owner),
                        text(&s.reason),
                    ],
                )?;
            }
            l.finish()?;
            Ok(ExitCode::SUCCESS)
        }
        SuppressCommand::Add(a) => {
            if let Some(r) = &a.rule
                && !rule_ids().contains(&r.as_str())
            {
                return Err(UsageError(format!(
                    "unknown rule {:?}; `vigil rules list` names them",
                    text(r).as_str()
                ))
                .into());
            }
            let last = super::parse_day("--until", &a.until)?;
            let until = (last + chrono::Duration::days(1))
                .and_hms_opt(0, 0, 0)
                .expect("midnight")
                .and_utc();
            let s = Suppression {
                id: 0,
                actor: a.actor.clone(),
                subject: a.subject.clone(),
                rule: a.rule.clone(),
                until,
                reason: a.reason.clone(),
                owner: String::new(),
            };
            let (open, past) = store.items_covered(&s)?;
            println!(
                "this suppression would hide {open} open item(s) now in the queue and cover {past} already decided; it stops applying after {last}"
            );
            if !a.yes {
                println!("not saved: run again with --yes to save it");
                return Ok(ExitCode::from(1));
            }
            let saved = suppression::add(store.as_mut(), &Reviewer::current(), Utc::now(), &s)?;
            println!("saved as suppression {} (recorded in the ledger)", saved.id);
            Ok(ExitCode::SUCCESS)
        }
    }
}
