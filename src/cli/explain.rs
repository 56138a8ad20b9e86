//! `vigil explain mine|approve|revoke|templates`: the group explanations
//! mined from the store's own data (departments whose staff routinely open
//! the records of another department's patients), proposed to the privacy
//! officer and applied only once approved.

use std::process::ExitCode;

use chrono::{Duration, Utc};
use clap::{Args, Subcommand};
use color_eyre::eyre::Result;

use super::output::{Listing, text};
use super::{Context, FormatArg, UsageError};
use vigil_domain::Template;
use vigil_review::Reviewer;

#[derive(Debug, Subcommand)]
pub enum ExplainCommand {
    /// Propose templates from the unexplained accesses of the last days
    Mine(MineArgs),
    /// Approve a template: accesses it covers count as explained from now
    /// on (`vigil rules rerun --since` re-explains earlier ones)
    Approve(TemplateArgs),
    /// Withdraw an approved template
    Revoke(TemplateArgs),
    /// The templates in force
    Templates(FormatArg),
}

#[derive(Debug, Args)]
pub struct MineArgs {
    /// How many days back to look
    #[arg(long, default_value_t = 30)]
    pub days: i64,
    /// Fewest unexplained accesses a template must cover
    #[arg(long, default_value_t = 20)]
    pub min_accesses: u64,
    /// Fewest distinct people among them
    #[arg(long, default_value_t = 3)]
    pub min_actors: usize,
    /// How many times more often than chance
    #[arg(long, default_value_t = 2.0)]
    pub min_lift: f64,
    #[command(flatten)]
    pub format: FormatArg,
}

#[derive(Debug, Args)]
pub struct TemplateArgs {
    /// The department of the staff who open the records (as the roster says)
    #[arg(long)]
    pub actor_department: String,
    /// The department of the patient's encounter
    #[arg(long)]
    pub encounter_department: String,
    /// Why (recorded in the ledger)
    #[arg(long)]
    pub note: String,
}

pub fn run(ctx: &Context, c: &ExplainCommand) -> Result<ExitCode> {
    match c {
        ExplainCommand::Mine(a) => mine(ctx, a),
        ExplainCommand::Approve(a) | ExplainCommand::Revoke(a) => {
            if a.note.trim().is_empty() {
                return Err(UsageError("--note: say why".into()).into());
            }
            let revoke = matches!(c, ExplainCommand::Revoke(_));
            let t = Template {
                actor_department: a.actor_department.clone(),
                encounter_department: a.encounter_department.clone(),
            };
            let mut store = ctx.open_store()?;
            let on = vigil_review::template::in_force(store.as_ref())?;
            if revoke != on.contains(&t) {
                let state = if revoke {
                    "not in force"
                } else {
                    "already in force"
                };
                return Err(UsageError(format!("template {t} is {state}")).into());
            }
            let seq = vigil_review::template::record(
                store.as_mut(),
                &Reviewer::current(),
                Utc::now(),
                &t,
                revoke,
                &a.note,
                None,
            )?;
            let what = if revoke { "revoked" } else { "approved" };
            println!("template {t} {what} (ledger entry {seq})");
            Ok(ExitCode::SUCCESS)
        }
        ExplainCommand::Templates(f) => {
            let store = ctx.open_store()?;
            let mut l = Listing::stdout(f.format, &["actor_department", "encounter_department"]);
            for t in vigil_review::template::in_force(store.as_ref())? {
                l.row(
                    &t,
                    vec![text(&t.actor_department), text(&t.encounter_department)],
                )?;
            }
            l.finish()?;
            Ok(ExitCode::SUCCESS)
        }
    }
}

fn mine(ctx: &Context, a: &MineArgs) -> Result<ExitCode> {
    let mut store = ctx.open_store()?;
    let now = Utc::now();
    let Some((engine, _)) = vigil_app::rules::prepare(&ctx.config, store.as_mut(), now)? else {
        eprintln!("vigil: rules are switched off ([rules] enabled = false)");
        return Ok(ExitCode::SUCCESS);
    };
    let found = engine.mine(
        store.as_ref(),
        now - Duration::days(a.days),
        now,
        a.min_accesses,
        a.min_actors,
        a.min_lift,
    )?;
    let mut l = Listing::stdout(
        a.format.format,
        &[
            "actor_department",
            "encounter_department",
            "accesses",
            "actors",
            "lift",
        ],
    );
    for p in &found {
        l.row(
            p,
            vec![
                text(&p.template.actor_department),
                text(&p.template.encounter_department),
                text(p.accesses.to_string()),
                text(p.actors.to_string()),
                text(format!("{}x", p.lift)),
            ],
        )?;
    }
    l.finish()?;
    if found.is_empty() {
        eprintln!("vigil: no template covers enough unexplained accesses");
    } else {
        eprintln!(
            "approve one with: vigil explain approve --actor-department … --encounter-department … --note …"
        );
    }
    Ok(ExitCode::SUCCESS)
}
