//! `vigil demo [--dir D] [--no-tui]`: write the demo workspace and read it.

use std::path::PathBuf;
use std::process::ExitCode;

use chrono::Utc;
use clap::Args;
use color_eyre::eyre::Result;

use super::Context;
use vigil_app::config::{Config, paths};
use vigil_app::demo::write_workspace;
use vigil_app::pull::pull_sources;

#[derive(Debug, Args)]
pub struct DemoArgs {
    /// Folder for the workspace [default: $XDG_DATA_HOME/vigil/demo]
    #[arg(long)]
    pub dir: Option<PathBuf>,
    /// Only write and ingest; do not open the review screen
    #[arg(long)]
    pub no_tui: bool,
}

pub fn run(a: &DemoArgs) -> Result<ExitCode> {
    let dir = a
        .dir
        .clone()
        .unwrap_or_else(|| paths::data_dir().join("demo"));
    let dir = if dir.is_relative() {
        std::env::current_dir()?.join(dir)
    } else {
        dir
    };
    let ws = write_workspace(&dir, Utc::now())?;
    let config = Config::load(&ws.config, true)?;
    let ctx = Context::new(config.clone(), config.store.url.clone())?;
    let mut store = ctx.open_store_for_review()?;
    println!("vigil demo: workspace in {}", ws.dir.display());
    let all: Vec<_> = ctx.config.sources.iter().collect();
    pull_sources(store.as_mut(), &ctx.config, &all, Utc::now(), |_, r| {
        println!(
            "  {:<16} {:>5} events from {} files, {} quarantined, {} findings{}",
            r.source,
            r.events,
            r.files,
            r.quarantined,
            r.findings,
            r.error.map(|e| format!(", error: {e}")).unwrap_or_default()
        );
        Ok(())
    })?;
    vigil_app::demo::seed_risks(store.as_mut(), &ctx.config, Utc::now())?;
    drop(store);
    ctx.checkpoint_if_due();
    let cfg = ws.config.display();
    println!(
        "\nTry:\n  vigil --config {cfg} sources\n  vigil --config {cfg} events --filter 'outcome:failure client:203.0.113.45'\n  vigil --config {cfg} events --filter 'action:sudo'\n  vigil --config {cfg} quarantine\n  vigil --config {cfg} risk list\n  vigil --config {cfg} verify"
    );
    if !a.no_tui {
        if vigil_tui::interactive() {
            vigil_tui::run(&ctx.store_url, &ctx.config)?;
        } else {
            println!("\n(not a terminal: the review screen opens with `vigil --config {cfg}`)");
        }
    }
    Ok(ExitCode::SUCCESS)
}
