//! `vigil escalate` and `vigil incident list|show|update`: security
//! incidents opened from review items, and their timeline.

use std::process::ExitCode;

use chrono::Utc;
use clap::{Args, Subcommand};
use color_eyre::eyre::Result;
use serde_json::json;

use super::output::{Listing, text};
use super::review::{Selection, resolve};
use super::{Context, FormatArg, UsageError};
use vigil_domain::ledger::Entity;
use vigil_review::{IncidentChange, NewIncident, Reviewer, ops};
use vigil_store::{Incident, IncidentStatus};

#[derive(Debug, Args)]
pub struct EscalateArgs {
    #[command(flatten)]
    pub items: Selection,
    /// Severity on the configured scale [default: the items' highest]
    #[arg(long, short = 's')]
    pub severity: Option<String>,
    /// Incident title [default: the first item's title]
    #[arg(long)]
    pub title: Option<String>,
    /// Who works the incident
    #[arg(long)]
    pub assignee: Option<String>,
    /// First note on the timeline
    #[arg(long, short = 'n')]
    pub note: Option<String>,
    #[command(flatten)]
    pub format: FormatArg,
}

#[derive(Debug, Subcommand)]
pub enum IncidentCommand {
    /// List incidents
    List(FormatArg),
    /// One incident with its items, events and timeline
    Show {
        id: i64,
        #[command(flatten)]
        format: FormatArg,
    },
    /// Move an incident along, assign it, record its outcome, add a note
    Update(UpdateArgs),
}

#[derive(Debug, Args)]
pub struct UpdateArgs {
    pub id: i64,
    /// open, contained, resolved or closed
    #[arg(long, value_parser = parse_status)]
    pub status: Option<IncidentStatus>,
    #[arg(long)]
    pub assignee: Option<String>,
    /// What happened in the end (required to close)
    #[arg(long)]
    pub outcome: Option<String>,
    #[arg(long, short = 'n')]
    pub note: Option<String>,
    /// On closing: does the risk register need an update? (yes or no)
    #[arg(long, value_parser = parse_yes_no)]
    pub risk_update: Option<bool>,
    #[command(flatten)]
    pub format: FormatArg,
}

fn parse_status(s: &str) -> Result<IncidentStatus, String> {
    IncidentStatus::parse(s).ok_or_else(|| {
        format!(
            "unknown incident status {s:?}; use one of: {}",
            IncidentStatus::NAMES.join(", ")
        )
    })
}

fn parse_yes_no(s: &str) -> Result<bool, String> {
    match s {
        "yes" | "y" | "true" => Ok(true),
        "no" | "n" | "false" => Ok(false),
        _ => Err("answer yes or no".into()),
    }
}

const COLUMNS: &[&str] = &[
    "id",
    "severity",
    "status",
    "title",
    "assignee",
    "opened_by",
    "opened_at",
    "items",
    "outcome",
];

fn row(ctx: &Context, l: &mut Listing<impl std::io::Write>, i: &Incident) -> Result<()> {
    let format = l.format();
    l.row(
        i,
        vec![
            text(i.id.to_string()),
            text(&i.severity),
            text(i.status.as_str()),
            text(&i.title),
            text(i.assignee.as_deref().unwrap_or("")),
            text(&i.opened_by),
            text(ctx.stamp(format, i.opened_at)),
            text(
                i.item_ids
                    .iter()
                    .map(|x| x.to_string())
                    .collect::<Vec<_>>()
                    .join(" "),
            ),
            text(i.outcome.as_deref().unwrap_or("")),
        ],
    )?;
    Ok(())
}

pub fn escalate(ctx: &Context, a: &EscalateArgs) -> Result<ExitCode> {
    let mut store = ctx.open_store()?;
    let ids = resolve(store.as_ref(), &a.items)?;
    let policy = &ctx.config.policy;
    let severity = match &a.severity {
        Some(s) => s.clone(),
        None => ops::default_severity(store.as_ref(), policy, &ids)?,
    };
    let incident = ops::escalate(
        store.as_mut(),
        policy,
        &Reviewer::current(),
        Utc::now(),
        &ids,
        &NewIncident {
            title: a.title.clone(),
            severity,
            assignee: a.assignee.clone(),
            note: a.note.clone(),
        },
    )?;
    let mut l = Listing::stdout(a.format.format, COLUMNS);
    row(ctx, &mut l, &incident)?;
    l.finish()?;
    push_now(ctx, store.as_mut());
    Ok(ExitCode::SUCCESS)
}

/// Retries of a push made while someone waits at the prompt.
pub const PUSH_RETRY: vigil_sources::http::Retry = vigil_sources::http::Retry {
    max_attempts: 3,
    max_total: std::time::Duration::from_secs(20),
    base: std::time::Duration::from_millis(500),
    cap: std::time::Duration::from_secs(10),
};

/// Pushes incidents that are due to the configured destinations and says
/// on stderr how each went; the incident stays whatever happens.
pub fn push_now(ctx: &Context, store: &mut dyn vigil_store::Store) {
    if ctx.config.escalations.is_empty() {
        return;
    }
    let pushed =
        vigil_app::escalation::push_pending(store, &ctx.config.escalations, Utc::now(), |d| {
            vigil_app::escalation::client(d, PUSH_RETRY)
        });
    match pushed {
        Ok(reports) => {
            for r in reports {
                match (&r.error, &r.remote_key) {
                    (None, key) => eprintln!(
                        "vigil: incident {} pushed to {} as {}{}",
                        r.incident,
                        r.destination,
                        text(key.as_deref().unwrap_or("")),
                        r.url
                            .as_deref()
                            .map(|u| format!(" ({})", text(u)))
                            .unwrap_or_default()
                    ),
                    (Some(e), _) => eprintln!(
                        "vigil: incident {} could not be pushed to {}: {}; it is kept here and tried again{} by `vigil pull` or the review screen",
                        r.incident,
                        r.destination,
                        text(e),
                        r.next_try
                            .map(|t| format!(" after {}", t.format("%H:%M UTC")))
                            .unwrap_or_default()
                    ),
                }
            }
        }
        Err(e) => eprintln!("vigil: pushing incidents failed: {e:#}"),
    }
}

pub fn run(ctx: &Context, c: &IncidentCommand) -> Result<ExitCode> {
    match c {
        IncidentCommand::List(f) => {
            let store = ctx.open_store()?;
            let mut l = Listing::stdout(f.format, COLUMNS);
            for i in store.incidents()? {
                row(ctx, &mut l, &i)?;
            }
            l.finish()?;
            Ok(ExitCode::SUCCESS)
        }
        IncidentCommand::Show { id, format } => {
            let store = ctx.open_store()?;
            let Some(i) = store.incidents()?.into_iter().find(|i| i.id == *id) else {
                return Err(UsageError(format!("no incident {id}")).into());
            };
            let notes = store.incident_notes(*id)?;
            if format.format == super::Format::Json {
                println!(
                    "{}",
                    json!({ "incident": i, "timeline": notes, "ledger": store.ledger_for(&Entity::Incident(*id).to_string())? })
                );
                return Ok(ExitCode::SUCCESS);
            }
            let mut l = Listing::stdout(format.format, COLUMNS);
            row(ctx, &mut l, &i)?;
            l.finish()?;
            println!(
                "risk register update needed: {}",
                match i.risk_update_needed {
                    Some(true) => "yes",
                    Some(false) => "no",
                    None => "not asked yet (asked on closing)",
                }
            );
            println!("events: {}", i.event_ids.len());
            for d in &ctx.config.escalations {
                let st = vigil_app::escalation::state(store.as_ref(), &d.name, i.id)?;
                let line = match (&st.done_at, &st.last_error) {
                    (Some(at), _) => format!(
                        "pushed {} as {}",
                        ctx.stamp(super::Format::Table, *at),
                        text(st.remote_key.as_deref().unwrap_or(""))
                    ),
                    (None, Some(e)) => format!(
                        "not pushed after {} attempts: {}; next try {}",
                        st.attempts,
                        text(e),
                        st.next_try
                            .map(|t| ctx.stamp(super::Format::Table, t))
                            .unwrap_or_default()
                    ),
                    (None, None) => "not pushed yet".into(),
                };
                println!("escalation {}: {line}", d.name);
            }
            println!("timeline:");
            for n in notes {
                println!(
                    "  {}  {}  {}",
                    ctx.stamp(super::Format::Table, n.at),
                    text(&n.author),
                    text(&n.note)
                );
            }
            Ok(ExitCode::SUCCESS)
        }
        IncidentCommand::Update(a) => {
            let mut store = ctx.open_store()?;
            let i = ops::update_incident(
                store.as_mut(),
                &Reviewer::current(),
                Utc::now(),
                a.id,
                &IncidentChange {
                    status: a.status,
                    assignee: a.assignee.clone(),
                    outcome: a.outcome.clone(),
                    note: a.note.clone(),
                    risk_update_needed: a.risk_update,
                },
            )?;
            let mut l = Listing::stdout(a.format.format, COLUMNS);
            row(ctx, &mut l, &i)?;
            l.finish()?;
            if i.status == IncidentStatus::Closed && i.risk_update_needed == Some(true) {
                eprintln!(
                    "vigil: incident {} is closed and flagged for a risk register update",
                    i.id
                );
            }
            Ok(ExitCode::SUCCESS)
        }
    }
}
