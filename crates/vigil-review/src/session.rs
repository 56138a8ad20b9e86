//! What a reviewer looked at: the record of a review session, and the
//! ledger entry that must come before a detail shows a patient's
//! identifiers unmasked.

use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, Utc};
use color_eyre::eyre::Result;

use super::Reviewer;
use vigil_domain::ledger::Entity;
use vigil_store::{NewLedgerEntry, Store};

/// What a review session covered.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Session {
    /// Items shown, with their source and when their activity happened.
    pub seen: BTreeMap<i64, (Option<String>, DateTime<Utc>)>,
    pub filters: BTreeSet<String>,
    pub decided: u64,
}

impl Session {
    /// Nothing looked at and nothing decided: no record to keep.
    pub fn is_empty(&self) -> bool {
        self.seen.is_empty() && self.decided == 0
    }
}

/// The ledger entry for a review session: who looked at which sources'
/// items over which time window, with which filters, and how many they
/// decided. Nothing is recorded for a session that looked at nothing.
pub fn record(
    store: &mut dyn Store,
    who: &Reviewer,
    session: &Session,
    began: DateTime<Utc>,
    ended: DateTime<Utc>,
) -> Result<()> {
    if session.is_empty() {
        return Ok(());
    }
    let mut sources: Vec<&str> = session
        .seen
        .values()
        .filter_map(|(s, _)| s.as_deref())
        .collect();
    sources.sort_unstable();
    sources.dedup();
    let from = session.seen.values().map(|(_, t)| *t).min();
    let to = session.seen.values().map(|(_, t)| *t).max();
    store.append_ledger(&NewLedgerEntry {
        at: ended,
        actor: who.name.clone(),
        action: "review.session".into(),
        entity: Entity::Session(who.session.clone()).to_string(),
        payload: serde_json::json!({
            "began": began.to_rfc3339(),
            "ended": ended.to_rfc3339(),
            "sources": sources,
            "activity_from": from.map(|t| t.to_rfc3339()),
            "activity_to": to.map(|t| t.to_rfc3339()),
            "filters": session.filters,
            "items_seen": session.seen.len(),
            "items_decided": session.decided,
        }),
    })?;
    Ok(())
}

/// Records why the reviewer needs to see an item's patient identifiers;
/// the screen unmasks them only once this has committed.
pub fn reveal(
    store: &mut dyn Store,
    who: &Reviewer,
    item: i64,
    reason: &str,
    now: DateTime<Utc>,
) -> Result<()> {
    store.review(&mut |tx| {
        tx.ledger(&NewLedgerEntry {
            at: now,
            actor: who.name.clone(),
            action: "phi.reveal".into(),
            entity: Entity::Item(item).to_string(),
            payload: serde_json::json!({ "item": item, "reason": reason }),
        })?;
        Ok(())
    })
}
