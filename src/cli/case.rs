//! `vigil show ID`, `vigil export-case ID --output F` and `vigil check-case
//! F`: one item in full, and the evidence bundle an auditor can verify.

use std::path::PathBuf;
use std::process::ExitCode;

use chrono::Utc;
use clap::Args;
use color_eyre::eyre::Result;
use serde_json::json;

use super::output::text;
use super::{Context, FormatArg, UsageError};
use vigil_domain::ledger::Entity;
use vigil_review::{Reviewer, check_bundle, export_case};

#[derive(Debug, Args)]
pub struct ShowArgs {
    pub id: i64,
    #[command(flatten)]
    pub format: FormatArg,
}

#[derive(Debug, Args)]
pub struct ExportArgs {
    /// The item
    pub id: i64,
    /// The bundle to write (a tar file)
    #[arg(long, short = 'o')]
    pub output: PathBuf,
}

#[derive(Debug, Args)]
pub struct CheckArgs {
    /// The bundle
    pub file: PathBuf,
    /// The digest printed at export [default: look it up in the ledger]
    #[arg(long)]
    pub digest: Option<String>,
}

pub fn show(ctx: &Context, a: &ShowArgs) -> Result<ExitCode> {
    let store = ctx.open_store()?;
    let Some(item) = store.item(a.id)? else {
        return Err(UsageError(format!("no item {}", a.id)).into());
    };
    let events = store.events_by_id(&item.event_ids)?;
    let decisions = store.decisions(a.id)?;
    let history = store.ledger_for(&Entity::Item(a.id).to_string())?;
    if a.format.format == super::Format::Json {
        let evs: Vec<_> = events.iter().map(|(e, _)| e).collect();
        println!(
            "{}",
            json!({ "item": item, "events": evs, "decisions": decisions, "history": history })
        );
        return Ok(ExitCode::SUCCESS);
    }
    println!("item {}  {}  {}", item.id, item.severity, item.title);
    println!(
        "status {}{}  kind {}  source {}  actor {}  subject {}",
        item.status,
        item.disposition
            .map(|d| format!(" ({d})"))
            .unwrap_or_default(),
        item.kind,
        item.source.as_ref().map(|s| s.as_str()).unwrap_or("-"),
        item.actor.as_ref().map(|s| s.as_str()).unwrap_or("-"),
        item.subject.as_ref().map(|s| s.as_str()).unwrap_or("-"),
    );
    for r in &item.rules {
        println!("  {}: {}", text(&r.rule), r.reason);
    }
    println!("events:");
    for (e, _) in &events {
        println!(
            "  {} {}",
            ctx.stamp(super::Format::Table, e.occurred_at),
            e.raw
        );
    }
    println!("history:");
    for h in &history {
        println!(
            "  #{} {} {} {} {}",
            h.seq,
            text(&h.at),
            text(&h.actor),
            text(&h.action),
            text(&h.payload)
        );
    }
    Ok(ExitCode::SUCCESS)
}

pub fn export(ctx: &Context, a: &ExportArgs) -> Result<ExitCode> {
    let mut store = ctx.open_store()?;
    let digest = export_case(
        store.as_mut(),
        &Reviewer::current(),
        Utc::now(),
        a.id,
        &a.output,
    )?;
    println!("{digest}  {}", a.output.display());
    eprintln!(
        "vigil: bundle written; its manifest digest is recorded in the ledger. Check it with `vigil check-case {}`",
        a.output.display()
    );
    Ok(ExitCode::SUCCESS)
}

pub fn check(ctx: &Context, a: &CheckArgs) -> Result<ExitCode> {
    let first = check_bundle(&a.file, a.digest.as_deref())?;
    let mut problems = first.problems.clone();
    if a.digest.is_none() {
        // Without a digest to hold it to, the manifest must be one the
        // ledger recorded at export.
        let store = ctx.open_store()?;
        let recorded = match first.case {
            Some(case) => store
                .ledger_for(&Entity::Item(case).to_string())?
                .iter()
                .any(|e| e.action == "export" && e.payload.contains(&first.digest)),
            None => false,
        };
        if !recorded {
            problems.push(format!(
                "no export with manifest digest {} is recorded in this store's ledger",
                first.digest
            ));
        }
    }
    if problems.is_empty() {
        println!("bundle intact: manifest {}", first.digest);
        Ok(ExitCode::SUCCESS)
    } else {
        println!("bundle NOT intact:");
        for p in problems {
            println!("  {}", text(p));
        }
        Ok(ExitCode::from(1))
    }
}
