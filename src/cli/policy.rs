//! `vigil policy show|history`: the review policy as recorded in the
//! ledger, and its versions.

use std::process::ExitCode;

use clap::Subcommand;
use color_eyre::eyre::Result;

use super::output::{Listing, text};
use super::{Context, FormatArg};

#[derive(Debug, Subcommand)]
pub enum PolicyCommand {
    /// The policy in force (as the config says now, or on a past date)
    Show {
        /// As it was in force at the end of this day (UTC)
        #[arg(long)]
        as_of: Option<String>,
    },
    /// Every recorded version of the policy
    History(FormatArg),
}

pub fn run(ctx: &Context, c: &PolicyCommand) -> Result<ExitCode> {
    match c {
        PolicyCommand::Show { as_of: None } => {
            let v = vigil_review::policy::current(&ctx.config)?;
            println!("{}", serde_json::to_string_pretty(&v)?);
        }
        PolicyCommand::Show { as_of: Some(d) } => {
            let day = super::parse_day("--as-of", d)?;
            let end = vigil_domain::time::day_start(None, day + chrono::Duration::days(1));
            let store = ctx.open_store()?;
            match vigil_review::policy::in_force(store.as_ref(), end)? {
                Some((_, _, seq)) => {
                    let e = store.ledger_entry(seq)?.expect("the entry just found");
                    let v: serde_json::Value = serde_json::from_str(&e.payload)?;
                    println!("{}", serde_json::to_string_pretty(&v)?);
                }
                None => {
                    eprintln!("vigil: no version of the review policy was recorded by then");
                    return Ok(ExitCode::from(1));
                }
            }
        }
        PolicyCommand::History(f) => {
            let store = ctx.open_store()?;
            let mut l = Listing::stdout(f.format, &["seq", "at", "actor", "hash"]);
            for e in store.ledger_for("policy")? {
                let hash = serde_json::from_str::<serde_json::Value>(&e.payload)
                    .ok()
                    .and_then(|p| p.get("hash").and_then(|h| h.as_str()).map(String::from))
                    .unwrap_or_default();
                l.row(
                    &e,
                    vec![
                        text(e.seq.to_string()),
                        text(&e.at),
                        text(&e.actor),
                        text(hash),
                    ],
                )?;
            }
            l.finish()?;
        }
    }
    Ok(ExitCode::SUCCESS)
}
