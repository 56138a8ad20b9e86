//! The review service: the only code that changes review state. Claims,
//! decisions, undo, second-reviewer approval, escalation to incidents and
//! sanctions all go through here, each change in one store transaction
//! together with its ledger entry. The CLI and the TUI are two front ends
//! over it.
//!
//! Time comes in as an argument (`now`), so the rules about leases and undo
//! windows are testable without a clock.

pub mod attest;
mod bundle;
pub mod coverage;
mod decide;
pub mod hosts;
pub mod incident;
pub mod investigate;
pub mod policy;
pub mod report;
pub mod retention;
pub mod risk;
mod sanction;
pub mod session;
pub mod suppression;
pub mod template;
pub mod witness;

use std::fmt;
use std::time::Duration;

use chrono::{DateTime, Utc};
use serde_json::json;

pub use bundle::{BundleCheck, check_bundle, export_case};
pub use decide::{Act, ActOutcome};
pub use incident::{IncidentChange, NewIncident};
pub use sanction::{NewSanction, SanctionOutcome};
use vigil_domain::Disposition;
use vigil_domain::ledger::Entity;
use vigil_store::{NewLedgerEntry, ReviewTx};

/// Acting on items, opening and updating incidents, recording sanctions.
/// What the review service reads of the configuration (the whole `Config`
/// lives in `vigil_app`, which implements this).
pub trait Settings {
    /// The rules' time zone, which days are cut in (UTC without one).
    fn zone(&self) -> Option<chrono_tz::Tz>;
    /// Each configured source's name and review cadence.
    fn source_policies(&self) -> Vec<coverage::SourcePolicy>;
    fn risk_scales(&self) -> &risk::Scales;
    fn ledger(&self) -> &witness::WitnessConfig;
    /// The configuration file, whose review settings are the policy.
    fn policy_file(&self) -> Option<&std::path::Path>;
    /// Who the reports are about (`[organization]`).
    fn organization(&self) -> Option<&attest::Organization> {
        None
    }
}

pub mod ops {
    pub use super::decide::apply;
    pub use super::incident::{default_severity, escalate, update as update_incident};
    pub use super::sanction::{add as add_sanction, check_viewer, list as list_sanctions};
}

/// Who is reviewing: the operating system's account (never `$USER`, never
/// config), and the session their undo applies to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reviewer {
    pub name: String,
    pub session: String,
}

impl Reviewer {
    /// The account running this process, with a fresh session.
    pub fn current() -> Reviewer {
        Reviewer {
            name: vigil_domain::identity::reviewer(),
            session: uuid::Uuid::new_v4().to_string(),
        }
    }
}

/// Review policy, from the config's `[reviewer]`, `[incidents]` and
/// `[sanctions]` tables.
#[derive(Debug, Clone, PartialEq)]
pub struct Policy {
    pub claim_lease: Duration,
    pub notes_required: Vec<Disposition>,
    pub second_approval: Vec<Disposition>,
    /// How far back `undo` reaches for a reviewer outside a TUI session.
    pub undo_window: Duration,
    /// Incident severity scale, lowest first.
    pub severities: Vec<String>,
    pub sanction_categories: Vec<String>,
    pub sanction_tiers: Vec<String>,
    /// Accounts that may see and record sanctions; empty means nobody.
    pub sanction_viewers: Vec<String>,
}

impl Default for Policy {
    fn default() -> Self {
        Policy {
            claim_lease: Duration::from_secs(30 * 60),
            notes_required: vec![Disposition::Violation, Disposition::FollowUp],
            second_approval: vec![Disposition::Violation],
            undo_window: Duration::from_secs(30 * 60),
            severities: ["low", "medium", "high", "critical"]
                .map(String::from)
                .to_vec(),
            sanction_categories: [
                "snooping",
                "unauthorized-disclosure",
                "credential-sharing",
                "policy-violation",
            ]
            .map(String::from)
            .to_vec(),
            sanction_tiers: ["1", "2", "3", "4"].map(String::from).to_vec(),
            sanction_viewers: Vec::new(),
        }
    }
}

/// Why the service refused to do something; the reviewer can act on it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    NotFound,
    AlreadyDecided {
        by: String,
        at: DateTime<Utc>,
        disposition: String,
    },
    ClaimedBy {
        who: String,
        until: DateTime<Utc>,
    },
    NoteRequired(Disposition),
    SelfReview {
        actor: String,
    },
    AwaitingApproval {
        by: String,
    },
    NotAwaitingApproval,
    OwnDecision,
    NothingToUndo,
    Escalated,
    NotClaimedByYou,
}

impl fmt::Display for Refusal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Refusal::NotFound => write!(f, "no such item"),
            Refusal::AlreadyDecided {
                by,
                at,
                disposition,
            } => write!(
                f,
                "already decided ({disposition}) by {by} at {}; give --reopen to decide it again",
                at.format("%Y-%m-%d %H:%M UTC")
            ),
            Refusal::ClaimedBy { who, until } => write!(
                f,
                "claimed by {who} until {}; wait, or ask them to release it",
                until.format("%Y-%m-%d %H:%M UTC")
            ),
            Refusal::NoteRequired(d) => {
                write!(f, "policy requires a note for {d}: add --note \"…\"")
            }
            Refusal::SelfReview { actor } => write!(
                f,
                "separation of duties: the activity is by {actor}, which is you; another reviewer must decide it"
            ),
            Refusal::AwaitingApproval { by } => write!(
                f,
                "the decision by {by} awaits a second reviewer's approval"
            ),
            Refusal::NotAwaitingApproval => write!(f, "nothing awaits approval on this item"),
            Refusal::OwnDecision => write!(
                f,
                "a second reviewer must approve: you made this decision yourself"
            ),
            Refusal::NothingToUndo => write!(
                f,
                "nothing of yours to undo here (only your own latest decision, within the undo window)"
            ),
            Refusal::Escalated => write!(
                f,
                "the item is escalated to an incident; reopen it to decide it"
            ),
            Refusal::NotClaimedByYou => write!(f, "you do not hold a claim on this item"),
        }
    }
}

/// A refusal that stops a whole command (exit status 1), as opposed to one
/// item among many.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refused(pub String);

impl fmt::Display for Refused {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for Refused {}

/// Appends one ledger entry about `entity` by `who`.
fn record(
    tx: &mut dyn ReviewTx,
    who: &Reviewer,
    now: DateTime<Utc>,
    action: &str,
    entity: String,
    payload: serde_json::Value,
) -> color_eyre::eyre::Result<i64> {
    Ok(tx
        .ledger(&NewLedgerEntry {
            at: now,
            actor: who.name.clone(),
            action: action.to_owned(),
            entity,
            payload,
        })?
        .seq)
}

/// Logs and records a refusal worth keeping (separation of duties).
fn record_refusal(
    tx: &mut dyn ReviewTx,
    who: &Reviewer,
    now: DateTime<Utc>,
    item: i64,
    refusal: &Refusal,
) -> color_eyre::eyre::Result<()> {
    tracing::warn!(reviewer = %who.name, item, reason = %refusal, "review refused");
    record(
        tx,
        who,
        now,
        "refused",
        Entity::Item(item).to_string(),
        json!({ "item": item, "reason": refusal.to_string() }),
    )?;
    Ok(())
}
