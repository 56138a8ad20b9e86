//! `vigil store migrate`: create or upgrade the store's schema.

use std::process::ExitCode;

use clap::Subcommand;
use color_eyre::eyre::Result;

use super::Context;

#[derive(Debug, Subcommand)]
pub enum StoreCommand {
    /// Create the schema, or upgrade it to this version of vigil
    Migrate,
}

pub fn run(ctx: &Context, c: &StoreCommand) -> Result<ExitCode> {
    match c {
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
