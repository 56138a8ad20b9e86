//! `vigil pull [--source NAME]…`: every configured source once, incrementally.

use std::process::ExitCode;

use clap::Args;
use color_eyre::eyre::Result;

use super::output::{Listing, text};
use super::{Context, FormatArg, UsageError};
use vigil_app::config::SourceConfig;
use vigil_app::pull::pull_sources;
use vigil_domain::SafeText;

#[derive(Debug, Args)]
pub struct PullArgs {
    /// Only these sources (repeatable) [default: all configured]
    #[arg(long = "source", value_name = "NAME")]
    pub sources: Vec<String>,
    #[command(flatten)]
    pub format: FormatArg,
}

pub fn run(ctx: &Context, a: &PullArgs) -> Result<ExitCode> {
    for name in &a.sources {
        if ctx.config.source(name).is_none() {
            return Err(UsageError(format!(
                "no configured source is named {:?}; `vigil sources` lists them",
                SafeText::new(name).as_str()
            ))
            .into());
        }
    }
    let chosen: Vec<&SourceConfig> = ctx
        .config
        .sources
        .iter()
        .filter(|s| a.sources.is_empty() || a.sources.contains(&s.name))
        .collect();
    if chosen.is_empty() {
        ctx.print_notices();
        eprintln!("vigil: no sources are configured; nothing to pull");
        return Ok(ExitCode::SUCCESS);
    }
    let mut store = ctx.open_store_for_review()?;
    let mut listing = Listing::stdout(
        a.format.format,
        &[
            "source",
            "files",
            "events",
            "duplicates",
            "quarantined",
            "gaps",
            "findings",
            "error",
        ],
    );
    let mut failed = false;
    // (each source restarts the count with its own name)
    let bar = super::progress::Bar::start("pull", vigil_domain::progress::Unit::Bytes);
    pull_sources(
        store.as_mut(),
        &ctx.config,
        &chosen,
        chrono::Utc::now(),
        |_, r| {
            failed |= r.error.is_some();
            listing.row(
                &r,
                vec![
                    text(&r.source),
                    text(r.files.to_string()),
                    text(r.events.to_string()),
                    text(r.duplicates.to_string()),
                    text(r.quarantined.to_string()),
                    text(r.gaps.to_string()),
                    text(r.findings.to_string()),
                    text(r.error.as_deref().unwrap_or("")),
                ],
            )?;
            Ok(())
        },
    )?;
    drop(bar);
    listing.finish()?;
    super::incident::push_now(ctx, store.as_mut());
    Ok(if failed {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}
