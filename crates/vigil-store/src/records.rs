//! Rows of review state as the review service reads and writes them inside
//! one store transaction.

use chrono::{DateTime, Utc};
use serde::Serialize;

use vigil_domain::ledger::Entity;
use vigil_domain::{Disposition, Status};

/// An item's review state.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ItemState {
    pub id: i64,
    pub title: String,
    pub actor: Option<String>,
    /// Workflow status without the claim (new, decided, escalated, reopened).
    pub status: Status,
    pub disposition: Option<Disposition>,
    pub decision_id: Option<String>,
    /// `pending` while a second reviewer must approve, then `approved`.
    pub approval: Option<String>,
    pub claimed_by: Option<String>,
    pub claim_expires: Option<DateTime<Utc>>,
    pub version: i64,
}

impl ItemState {
    /// Who holds a claim that is still running at `now`.
    pub fn claim_holder(&self, now: DateTime<Utc>) -> Option<(&str, DateTime<Utc>)> {
        match (&self.claimed_by, self.claim_expires) {
            (Some(who), Some(until)) if until > now => Some((who.as_str(), until)),
            _ => None,
        }
    }
}

/// One review act on an item.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DecisionRow {
    /// Client-made UUID: a retried write finds it and does nothing.
    pub id: String,
    pub item_id: i64,
    /// decide, revert, approve, reject or reopen
    pub kind: String,
    pub reviewer: String,
    pub decided_at: DateTime<Utc>,
    pub disposition: Option<Disposition>,
    pub note: Option<String>,
    pub reverts: Option<String>,
    /// The item's status before this act.
    pub prior_status: Option<Status>,
    pub session: Option<String>,
    pub ledger_seq: i64,
}

/// Incident workflow.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum IncidentStatus {
    Open,
    Contained,
    Resolved,
    Closed,
}

impl IncidentStatus {
    pub const NAMES: &'static [&'static str] = &["open", "contained", "resolved", "closed"];

    pub fn as_str(self) -> &'static str {
        Self::NAMES[self as usize]
    }

    pub fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "open" => Self::Open,
            "contained" => Self::Contained,
            "resolved" => Self::Resolved,
            "closed" => Self::Closed,
            _ => return None,
        })
    }
}

/// A security incident opened by escalation.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Incident {
    pub id: i64,
    pub title: String,
    pub severity: String,
    pub status: IncidentStatus,
    pub assignee: Option<String>,
    pub outcome: Option<String>,
    pub opened_by: String,
    pub opened_at: DateTime<Utc>,
    pub closed_at: Option<DateTime<Utc>>,
    pub risk_update_needed: Option<bool>,
    pub remote_key: Option<String>,
    pub item_ids: Vec<i64>,
    pub event_ids: Vec<i64>,
}

/// A note on an incident's timeline.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct IncidentNote {
    pub author: String,
    pub at: DateTime<Utc>,
    pub note: String,
}

/// A sanction applied to a workforce member.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Sanction {
    pub id: i64,
    pub member: String,
    pub category: String,
    pub tier: String,
    pub sanction: String,
    pub decided_by: String,
    pub decided_on: String,
    pub incident_id: Option<i64>,
    pub decision_ids: Vec<String>,
    pub notice_sent: bool,
    pub note: Option<String>,
}

/// A new review item (from a rule, a ticket or a sample).
#[derive(Debug, Clone, PartialEq)]
pub struct NewItem {
    pub kind: vigil_domain::ItemKind,
    pub source_id: Option<i64>,
    pub occurred_at: DateTime<Utc>,
    pub actor: Option<String>,
    pub subject: Option<String>,
    pub title: String,
    pub severity: vigil_domain::Severity,
    /// Identifies the item across reruns: the same key is the same item.
    pub group_key: Option<String>,
    pub rules: Vec<(String, String)>,
    pub event_ids: Vec<i64>,
    /// The risk score the queue sorts by (at least the severity's rank
    /// times 100), and the sentence that explains it.
    pub score: i64,
    pub score_note: Option<String>,
}

impl NewItem {
    /// The score as stored: never below the severity's band, so an item
    /// with no score of its own sorts where its severity puts it.
    pub fn stored_score(&self) -> i64 {
        self.score.max(self.severity.rank() * 100)
    }
}

/// Something the first-seen rule has seen.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Seen {
    pub actor: String,
    /// `actor`, `client`, `host` or `object`.
    pub what: String,
    pub value: String,
    pub first_at: DateTime<Utc>,
}

/// An "expected activity" suppression with an owner and an expiry.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Suppression {
    pub id: i64,
    pub actor: String,
    pub subject: Option<String>,
    pub rule: Option<String>,
    pub until: DateTime<Utc>,
    pub reason: String,
    pub owner: String,
}

impl Suppression {
    /// Whether it covers activity by `actor` on `subject` for `rule` at `t`.
    pub fn covers(
        &self,
        actor: Option<&str>,
        subject: Option<&str>,
        rule: &str,
        t: DateTime<Utc>,
    ) -> bool {
        t < self.until
            && actor == Some(self.actor.as_str())
            && self.subject.as_deref().is_none_or(|s| subject == Some(s))
            && self.rule.as_deref().is_none_or(|r| r == rule)
    }
}

/// A safeguard of a risk: in place, or planned with an owner and a date.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize)]
pub struct Safeguard {
    pub text: String,
    /// Planned rather than in place.
    #[serde(default)]
    pub planned: bool,
    #[serde(default)]
    pub owner: Option<String>,
    #[serde(default)]
    pub due: Option<chrono::NaiveDate>,
}

/// One entry of the risk register (risk analysis and risk management).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize)]
pub struct Risk {
    pub id: i64,
    /// The asset or system at risk.
    pub asset: String,
    /// The configured sources that are its access records.
    #[serde(default)]
    pub sources: Vec<String>,
    pub threat: String,
    pub vulnerability: String,
    /// Positions on the configured scales, from 1.
    pub likelihood: i64,
    pub impact: i64,
    /// After the safeguards, when assessed.
    #[serde(default)]
    pub residual_likelihood: Option<i64>,
    #[serde(default)]
    pub residual_impact: Option<i64>,
    #[serde(default)]
    pub safeguards: Vec<Safeguard>,
    /// mitigate, accept, transfer or avoid.
    #[serde(default)]
    pub treatment: Option<String>,
    /// Who accepted the residual risk, and when.
    #[serde(default)]
    pub accepted_by: Option<String>,
    #[serde(default)]
    pub accepted_on: Option<chrono::NaiveDate>,
    #[serde(default)]
    pub owner: Option<String>,
    #[serde(default)]
    pub next_review: Option<chrono::NaiveDate>,
}

impl Risk {
    pub fn inherent(&self) -> i64 {
        self.likelihood * self.impact
    }

    pub fn residual(&self) -> Option<i64> {
        Some(self.residual_likelihood? * self.residual_impact?)
    }

    /// The rating risk-based cadence follows: residual once assessed.
    pub fn rating(&self) -> i64 {
        self.residual().unwrap_or_else(|| self.inherent())
    }
}

/// An item's review columns as stored, for `verify` (which reads every
/// item): raw, so a value vigil never writes shows as a difference.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ItemReview {
    pub id: i64,
    pub status: String,
    pub disposition: Option<String>,
    pub decision_id: Option<String>,
    pub approval: Option<String>,
}

impl ItemReview {
    /// The review fields only: a claim is a lease that lapses by itself, and
    /// title and actor belong to the finding, not to the review. Hashed
    /// directly (no JSON): verify does this for every item.
    pub fn digest(&self) -> [u8; 32] {
        use sha2::Digest;
        let mut h = sha2::Sha256::new();
        for f in [
            Some(self.status.as_str()),
            self.disposition.as_deref(),
            self.decision_id.as_deref(),
            self.approval.as_deref(),
        ] {
            match f {
                Some(v) => {
                    h.update(b"\x01");
                    h.update(v.as_bytes());
                }
                None => h.update(b"\x00"),
            }
            h.update(b"\x1f");
        }
        h.finalize().into()
    }

    /// As the rules raised it: never reviewed, so no entry need record it.
    pub fn untouched(&self) -> bool {
        self.status == "new"
            && self.disposition.is_none()
            && self.decision_id.is_none()
            && self.approval.is_none()
    }
}

impl crate::ledger::Recorded for ItemState {
    fn entity(&self) -> String {
        Entity::Item(self.id).to_string()
    }
    fn fields(&self) -> serde_json::Value {
        serde_json::json!([
            self.status.as_str(),
            self.disposition.map(|d| d.as_str()),
            self.decision_id,
            self.approval,
        ])
    }
    fn digest(&self) -> [u8; 32] {
        ItemReview {
            id: self.id,
            status: self.status.as_str().to_owned(),
            disposition: self.disposition.map(|d| d.as_str().to_owned()),
            decision_id: self.decision_id.clone(),
            approval: self.approval.clone(),
        }
        .digest()
    }
}

/// An item row as a store reads it for review: the review columns raw,
/// and the rest.
pub struct ItemColumns {
    pub review: ItemReview,
    pub title: String,
    pub actor: Option<String>,
    pub claimed_by: Option<String>,
    pub claim_expires: Option<DateTime<Utc>>,
    pub version: i64,
}

impl ItemState {
    /// Decodes a row, refusing values vigil never writes: a corrupt row must
    /// not read as an undecided item.
    pub fn decode(c: ItemColumns) -> color_eyre::Result<ItemState> {
        let r = c.review;
        let corrupt = |what: &str, v: &str| {
            color_eyre::Report::new(crate::error::Corrupt(format!(
                "item {} has {what} {v:?}, which vigil never writes: the store was changed outside vigil (run `vigil verify`)",
                r.id
            )))
        };
        let status = r.status.parse().map_err(|_| corrupt("status", &r.status))?;
        let disposition = match &r.disposition {
            Some(d) => Some(d.parse().map_err(|_| corrupt("disposition", d))?),
            None => None,
        };
        if let Some(a) = r
            .approval
            .as_deref()
            .filter(|a| !matches!(*a, "pending" | "approved"))
        {
            return Err(corrupt("approval", a));
        }
        Ok(ItemState {
            id: r.id,
            title: c.title,
            actor: c.actor,
            status,
            disposition,
            decision_id: r.decision_id,
            approval: r.approval,
            claimed_by: c.claimed_by,
            claim_expires: c.claim_expires,
            version: c.version,
        })
    }
}

impl crate::ledger::Recorded for Incident {
    fn entity(&self) -> String {
        Entity::Incident(self.id).to_string()
    }
    fn fields(&self) -> serde_json::Value {
        use crate::ledger::ts;
        let mut items = self.item_ids.clone();
        items.sort_unstable();
        let mut events = self.event_ids.clone();
        events.sort_unstable();
        serde_json::json!([
            self.id,
            self.title,
            self.severity,
            self.status.as_str(),
            self.assignee,
            self.outcome,
            self.opened_by,
            ts(self.opened_at),
            self.closed_at.map(ts),
            self.risk_update_needed,
            self.remote_key,
            items,
            events,
        ])
    }
}

impl crate::ledger::Recorded for Sanction {
    fn entity(&self) -> String {
        Entity::Sanction(self.id).to_string()
    }
    fn fields(&self) -> serde_json::Value {
        serde_json::to_value(self).unwrap_or_default()
    }
}

impl crate::ledger::Recorded for Suppression {
    fn entity(&self) -> String {
        Entity::Suppression(self.id).to_string()
    }
    fn fields(&self) -> serde_json::Value {
        serde_json::json!([
            self.id,
            self.actor,
            self.subject,
            self.rule,
            crate::ledger::ts(self.until),
            self.reason,
            self.owner,
        ])
    }
}

impl crate::ledger::Recorded for Risk {
    fn entity(&self) -> String {
        Entity::Risk(self.id).to_string()
    }
    fn fields(&self) -> serde_json::Value {
        let mut r = self.clone();
        r.sources.sort_unstable();
        serde_json::to_value(&r).unwrap_or_default()
    }
}
