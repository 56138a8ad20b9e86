//! `vigil claim|release|decide|undo|approve|reject|reopen|note`: acts on
//! review items through the review service. Items are named by id or by
//! `--filter`; refusals are listed and make the exit status 1.

use std::io::Write;
use std::process::ExitCode;

use chrono::Utc;
use clap::Args;
use color_eyre::eyre::Result;

use super::events::parse_filter;
use super::output::{Listing, text};
use super::{Context, FormatArg, UsageError};
use vigil_domain::{Disposition, UnknownValue};
use vigil_review::{Act, ActOutcome, Reviewer, ops};
use vigil_store::Store;

/// Which items: ids, or everything a filter matches.
#[derive(Debug, Clone, Args)]
pub struct Selection {
    /// Item ids
    pub ids: Vec<i64>,
    /// Also every item matching this filter, e.g. 'status:new rule:after-hours'
    #[arg(long, short = 'f')]
    pub filter: Option<String>,
}

#[derive(Debug, Args)]
#[command(after_help = vigil_domain::query::SYNTAX)]
pub struct DecideArgs {
    #[command(flatten)]
    pub items: Selection,
    /// benign, violation, false-positive, follow-up or duplicate
    #[arg(long, short = 'd', value_parser = parse_disposition)]
    pub disposition: Disposition,
    /// Why: required by policy for some dispositions
    #[arg(long, short = 'n')]
    pub note: Option<String>,
    /// Decide again items that are already decided or escalated
    #[arg(long)]
    pub reopen: bool,
    /// Commit each item separately, printing each as it is saved (default:
    /// all in one transaction)
    #[arg(long)]
    pub each: bool,
    /// Client-made decision id (UUID) for a single item, so a retried
    /// command never records the decision twice
    #[arg(long, value_name = "UUID")]
    pub decision_id: Option<uuid::Uuid>,
    #[command(flatten)]
    pub format: FormatArg,
}

#[derive(Debug, Args)]
pub struct ItemsArgs {
    #[command(flatten)]
    pub items: Selection,
    #[command(flatten)]
    pub format: FormatArg,
}

#[derive(Debug, Args)]
pub struct NoteArgs {
    #[command(flatten)]
    pub items: Selection,
    /// The note
    #[arg(long, short = 'n')]
    pub note: Option<String>,
    #[command(flatten)]
    pub format: FormatArg,
}

fn parse_disposition(s: &str) -> Result<Disposition, String> {
    s.parse().map_err(|e: UnknownValue| e.to_string())
}

/// The ids a selection names, in order, without repeats.
pub fn resolve(store: &dyn Store, sel: &Selection) -> Result<Vec<i64>> {
    let mut ids = sel.ids.clone();
    if let Some(f) = &sel.filter {
        let q = parse_filter(f)?;
        q.to_sql(
            vigil_domain::query::Target::Items,
            vigil_domain::query::Dialect::Sqlite,
            1,
        )
        .map_err(|e| UsageError(format!("--filter: {e}")))?;
        super::events::check_names(&q, store)?;
        ids.extend(store.items(&q, 0)?.iter().map(|i| i.id));
    }
    let mut seen = std::collections::HashSet::new();
    ids.retain(|id| seen.insert(*id));
    if ids.is_empty() {
        return Err(UsageError("name items by id or --filter (none matched)".into()).into());
    }
    Ok(ids)
}

const COLUMNS: &[&str] = &["item", "result", "status", "decision", "reason"];

fn print_outcomes(format: super::Format, outcomes: &[ActOutcome]) -> Result<ExitCode> {
    let mut listing = Listing::stdout(format, COLUMNS);
    for o in outcomes {
        listing.row(o, cells(o))?;
    }
    listing.finish()?;
    Ok(exit_for(outcomes))
}

fn cells(o: &ActOutcome) -> Vec<vigil_domain::SafeText> {
    match o {
        ActOutcome::Done {
            item,
            status,
            decision,
            awaiting_approval,
            ..
        } => vec![
            text(item.to_string()),
            text("saved"),
            text(if *awaiting_approval {
                format!("{status} (awaiting approval)")
            } else {
                status.to_string()
            }),
            text(decision.as_deref().unwrap_or("")),
            text(""),
        ],
        ActOutcome::AlreadyRecorded { item, decision } => vec![
            text(item.to_string()),
            text("already recorded"),
            text(""),
            text(decision),
            text(""),
        ],
        ActOutcome::Refused { item, reason, .. } => vec![
            text(item.to_string()),
            text("refused"),
            text(""),
            text(""),
            text(reason),
        ],
    }
}

fn exit_for(outcomes: &[ActOutcome]) -> ExitCode {
    if outcomes.iter().any(ActOutcome::is_refused) {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    }
}

fn act(ctx: &Context, sel: &Selection, act: &Act, format: super::Format) -> Result<ExitCode> {
    let mut store = ctx.open_store()?;
    let ids = resolve(store.as_ref(), sel)?;
    let who = Reviewer::current();
    let outcomes = ops::apply(
        store.as_mut(),
        &ctx.config.policy,
        &who,
        Utc::now(),
        &ids,
        act,
        None,
    )?;
    print_outcomes(format, &outcomes)
}

pub fn decide(ctx: &Context, a: &DecideArgs) -> Result<ExitCode> {
    let mut store = ctx.open_store()?;
    let ids = resolve(store.as_ref(), &a.items)?;
    if a.decision_id.is_some() && ids.len() != 1 {
        return Err(UsageError("--decision-id goes with exactly one item".into()).into());
    }
    let who = Reviewer::current();
    let act = Act::Decide {
        disposition: a.disposition,
        note: a.note.clone(),
        reopen: a.reopen,
    };
    let policy = &ctx.config.policy;
    if !a.each {
        let client_ids = a.decision_id.map(|u| vec![u.to_string()]);
        let outcomes = ops::apply(
            store.as_mut(),
            policy,
            &who,
            Utc::now(),
            &ids,
            &act,
            client_ids.as_deref(),
        )?;
        return print_outcomes(a.format.format, &outcomes);
    }
    // One transaction per item; each line is printed (and flushed) only
    // after its commit, so what was reported saved is saved.
    let mut all = Vec::with_capacity(ids.len());
    let stdout = std::io::stdout();
    for id in ids {
        let o = ops::apply(store.as_mut(), policy, &who, Utc::now(), &[id], &act, None)?;
        let mut out = stdout.lock();
        for o in &o {
            match o {
                ActOutcome::Done { item, decision, .. } => writeln!(
                    out,
                    "saved {item} {}",
                    decision.as_deref().unwrap_or_default()
                )?,
                ActOutcome::AlreadyRecorded { item, decision } => {
                    writeln!(out, "already {item} {decision}")?
                }
                ActOutcome::Refused { item, reason, .. } => {
                    writeln!(out, "refused {item} {}", text(reason))?
                }
            }
        }
        out.flush()?;
        all.extend(o);
    }
    Ok(exit_for(&all))
}

pub fn claim(ctx: &Context, a: &ItemsArgs) -> Result<ExitCode> {
    act(ctx, &a.items, &Act::Claim, a.format.format)
}

pub fn release(ctx: &Context, a: &ItemsArgs) -> Result<ExitCode> {
    act(ctx, &a.items, &Act::Release, a.format.format)
}

pub fn approve(ctx: &Context, a: &NoteArgs) -> Result<ExitCode> {
    let note = a.note.clone();
    act(ctx, &a.items, &Act::Approve { note }, a.format.format)
}

pub fn reject(ctx: &Context, a: &NoteArgs) -> Result<ExitCode> {
    let note = a.note.clone();
    act(ctx, &a.items, &Act::Reject { note }, a.format.format)
}

pub fn reopen(ctx: &Context, a: &NoteArgs) -> Result<ExitCode> {
    let note = a.note.clone();
    act(ctx, &a.items, &Act::Reopen { note }, a.format.format)
}

pub fn note(ctx: &Context, a: &NoteArgs) -> Result<ExitCode> {
    let Some(note) = a.note.clone().filter(|n| !n.trim().is_empty()) else {
        return Err(UsageError("give the note with --note \"…\"".into()).into());
    };
    act(ctx, &a.items, &Act::Note { note }, a.format.format)
}

#[derive(Debug, Args)]
pub struct UndoArgs {
    /// Items whose decision to revert [default: your latest decision]
    pub ids: Vec<i64>,
    #[command(flatten)]
    pub format: FormatArg,
}

pub fn undo(ctx: &Context, a: &UndoArgs) -> Result<ExitCode> {
    let mut store = ctx.open_store()?;
    let who = Reviewer::current();
    let now = Utc::now();
    let ids = if a.ids.is_empty() {
        let window = chrono::Duration::from_std(ctx.config.policy.undo_window)?;
        let latest = store
            .decisions_by(&who.name, now - window)?
            .into_iter()
            .find(|d| d.kind == "decide");
        match latest {
            Some(d) => vec![d.item_id],
            None => {
                eprintln!("vigil: nothing of yours to undo within the undo window");
                return Ok(ExitCode::from(1));
            }
        }
    } else {
        a.ids.clone()
    };
    let outcomes = ops::apply(
        store.as_mut(),
        &ctx.config.policy,
        &who,
        now,
        &ids,
        &Act::Undo,
        None,
    )?;
    print_outcomes(a.format.format, &outcomes)
}
