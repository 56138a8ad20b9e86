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
    match c {
        StoreCommand::Grants {
            app,
            reviewers,
            sanctions_role,
            sanction_viewers,
            schema,
        } => {
            print!(
                "{}",
                crate::store::pg_grants::grants_sql(&crate::store::pg_grants::Roles {
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
