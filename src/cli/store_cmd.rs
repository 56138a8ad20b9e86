//! `vigil store migrate`: create or upgrade the store's schema; `vigil store
//! grants`: the SQL for a shared PostgreSQL store's roles.

use std::process::ExitCode;

use clap::Subcommand;
use color_eyre::eyre::Result;

use super::Context;

#[derive(Debug, Subcommand)]
pub enum StoreCommand {
    /// Create the schema, or upgrade it to this version of vigil
    Migrate,
    /// Delete raw events older than a date, as the [store] event_retention
    /// allows (never documentation, never events an item or incident lists)
    Prune {
        /// Events before the start of this day go (2026-06-01, -180d)
        #[arg(long, allow_hyphen_values = true)]
        before: String,
    },
    /// Place a legal hold (nothing is pruned while it is in force), or lift it
    Hold {
        /// The matter the hold is for
        #[arg(long, required_unless_present = "release")]
        reason: Option<String>,
        #[arg(long)]
        release: bool,
    },
    /// Print the SQL that sets up a PostgreSQL store's roles: an application
    /// role, one role per reviewer, and who may see sanctions
    Grants {
        /// The application role (pulls, ingest, rules); reviewers join
        /// APP_reviewers
        #[arg(long, default_value = "vigil_app")]
        app: String,
        /// A reviewer's login role (repeat for each)
        #[arg(long = "reviewer")]
        reviewers: Vec<String>,
        /// The role whose members see and record sanctions
        #[arg(long, default_value = "vigil_sanctions")]
        sanctions_role: String,
        /// A reviewer who is also in the sanctions role (repeat)
        #[arg(long = "sanction-viewer")]
        sanction_viewers: Vec<String>,
        /// The schema the store's tables are in
        #[arg(long, default_value = "public")]
        schema: String,
    },
}

pub fn run(ctx: &Context, c: &StoreCommand) -> Result<ExitCode> {
    use vigil_review::{Reviewer, retention};
    match c {
        StoreCommand::Prune { before } => {
            let day = super::parse_day("--before", before)?;
            let mut store = ctx.open_store()?;
            let n = retention::prune(
                store.as_mut(),
                ctx.config.store.event_retention,
                &Reviewer::current(),
                chrono::Utc::now(),
                day,
            )?;
            println!("pruned {n} events from before {day} (recorded in the ledger)");
            Ok(ExitCode::SUCCESS)
        }
        StoreCommand::Hold { reason, release } => {
            let mut store = ctx.open_store()?;
            let who = Reviewer::current();
            if *release {
                retention::release(store.as_mut(), &who, chrono::Utc::now())?;
                println!("legal hold lifted (recorded in the ledger)");
            } else {
                let h = retention::hold(
                    store.as_mut(),
                    &who,
                    chrono::Utc::now(),
                    reason.as_deref().unwrap_or_default(),
                )?;
                println!(
                    "legal hold in force: {} (recorded in the ledger)",
                    vigil_domain::SafeText::new(&h.reason)
                );
            }
            Ok(ExitCode::SUCCESS)
        }
        StoreCommand::Grants {
            app,
            reviewers,
            sanctions_role,
            sanction_viewers,
            schema,
        } => {
            print!(
                "{}",
                vigil_store::pg_grants::grants_sql(&vigil_store::pg_grants::Roles {
                    schema: schema.clone(),
                    app: app.clone(),
                    reviewers: reviewers.clone(),
                    sanctions: sanctions_role.clone(),
                    sanction_viewers: sanction_viewers.clone(),
                })?
            );
            Ok(ExitCode::SUCCESS)
        }
        StoreCommand::Migrate => {
            let mut store = ctx.store_url.connect()?;
            let r = store.migrate()?;
            if r.from == r.to {
                println!(
                    "store {} is up to date at schema version {}",
                    ctx.store_url, r.to
                );
            } else {
                println!(
                    "store {} migrated from schema version {} to {}",
                    ctx.store_url, r.from, r.to
                );
            }
            Ok(ExitCode::SUCCESS)
        }
    }
}
