//! Review items: what the queue holds and a reviewer decides.

use chrono::{DateTime, Utc};
use serde::Serialize;

use super::{Disposition, ItemKind, SafeText, Severity, Status};

/// One rule's reason for raising an item.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct ItemRule {
    pub rule: String,
    pub reason: SafeText,
}

/// A review item, with the field names of the CLI contract.
#[derive(Debug, Clone, Serialize)]
pub struct Item {
    pub id: i64,
    pub kind: ItemKind,
    pub source: Option<SafeText>,
    pub occurred_at: DateTime<Utc>,
    pub actor: Option<SafeText>,
    pub subject: Option<SafeText>,
    pub title: SafeText,
    pub severity: Severity,
    pub rules: Vec<ItemRule>,
    pub status: Status,
    pub disposition: Option<Disposition>,
    pub claimed_by: Option<SafeText>,
    pub event_ids: Vec<i64>,
    /// The risk score the queue sorts by, and what it is made of.
    pub score: i64,
    pub score_note: Option<SafeText>,
}
