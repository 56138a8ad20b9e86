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
        #[command(flatten)]
        format: FormatArg,
    },
    /// Every recorded version of the policy
    History(FormatArg),
}

pub fn run(ctx: &Context, c: &PolicyCommand) -> Result<ExitCode> {
    match c {
        PolicyCommand::Show {
            as_of: None,
            format,
        } => {
            let v = vigil_review::policy::current(&ctx.config)?;
            show(&v, format.format)?;
        }
        PolicyCommand::Show {
            as_of: Some(d),
            format,
        } => {
            let day = super::parse_day("--as-of", d)?;
            let end = vigil_domain::time::day_start(None, day + chrono::Duration::days(1));
            let store = ctx.open_store()?;
            match vigil_review::policy::in_force(store.as_ref(), end)? {
                Some((_, _, seq)) => {
                    let e = store.ledger_entry(seq)?.expect("the entry just found");
                    let v: serde_json::Value = serde_json::from_str(&e.payload)?;
                    show(&v, format.format)?;
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
                    &super::output::entry_json(&e),
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

/// The policy document: as it is in JSON; in a table or CSV, one row per
/// value with its path (`sources.bastion-auth.cadence  daily`).
fn show(v: &serde_json::Value, format: super::Format) -> Result<()> {
    if format == super::Format::Json {
        println!("{}", serde_json::to_string_pretty(v)?);
        return Ok(());
    }
    let mut rows = Vec::new();
    flatten(v, String::new(), &mut rows);
    let mut l = Listing::stdout(format, &["setting", "value"]);
    for (path, value) in rows {
        l.row(
            &serde_json::json!({ "setting": path, "value": value }),
            vec![text(&path), text(&value)],
        )?;
    }
    l.finish()?;
    Ok(())
}

fn flatten(v: &serde_json::Value, path: String, out: &mut Vec<(String, String)>) {
    let join = |k: &str| {
        if path.is_empty() {
            k.to_owned()
        } else {
            format!("{path}.{k}")
        }
    };
    match v {
        serde_json::Value::Object(m) => {
            for (k, x) in m {
                flatten(x, join(k), out);
            }
        }
        serde_json::Value::Array(a) if a.iter().all(|x| !x.is_object() && !x.is_array()) => {
            let items: Vec<String> = a.iter().map(scalar).collect();
            out.push((path, items.join(", ")));
        }
        serde_json::Value::Array(a) => {
            for (i, x) in a.iter().enumerate() {
                flatten(x, join(&i.to_string()), out);
            }
        }
        other => out.push((path, scalar(other))),
    }
}

fn scalar(v: &serde_json::Value) -> String {
    match v {
        serde_json::Value::String(s) => s.clone(),
        serde_json::Value::Null => "-".into(),
        other => other.to_string(),
    }
}
