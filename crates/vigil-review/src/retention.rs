//! Retention: documentation (decisions, incidents, sanctions, risks, the
//! ledger) is never deleted by vigil, which keeps it well past the six years
//! HIPAA asks for; raw events go only when older than the configured event
//! retention, only if no item or incident lists them, never under a legal
//! hold, and each prune is a ledger entry.

use chrono::{DateTime, Duration, NaiveDate, Utc};
use color_eyre::eyre::Result;
use serde::{Deserialize, Serialize};
use serde_json::json;

use super::{Refused, Reviewer};
use vigil_domain::ledger::Entity;
use vigil_store::{NewLedgerEntry, Store};

const HOLD: &str = "legal_hold";

/// A legal hold: while one is in force, nothing is pruned.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Hold {
    pub reason: String,
    pub by: String,
    pub since: DateTime<Utc>,
}

pub fn hold_in_force(store: &dyn Store) -> Result<Option<Hold>> {
    Ok(match store.meta(HOLD)? {
        Some(v) if !v.is_empty() => Some(serde_json::from_str(&v)?),
        _ => None,
    })
}

fn ledger(
    store: &mut dyn Store,
    who: &Reviewer,
    now: DateTime<Utc>,
    action: &str,
    payload: serde_json::Value,
) -> Result<()> {
    store.append_ledger(&NewLedgerEntry {
        at: now,
        actor: who.name.clone(),
        action: action.to_owned(),
        entity: Entity::Store.to_string(),
        payload,
    })?;
    Ok(())
}

/// Places a legal hold (recorded in the ledger).
pub fn hold(
    store: &mut dyn Store,
    who: &Reviewer,
    now: DateTime<Utc>,
    reason: &str,
) -> Result<Hold> {
    if reason.trim().is_empty() {
        return Err(Refused("a legal hold needs a reason (the matter it is for)".into()).into());
    }
    let h = Hold {
        reason: reason.trim().to_owned(),
        by: who.name.clone(),
        since: now,
    };
    ledger(store, who, now, "hold.place", serde_json::to_value(&h)?)?;
    store.set_meta(HOLD, &serde_json::to_string(&h)?)?;
    Ok(h)
}

/// Lifts the legal hold (recorded in the ledger).
pub fn release(store: &mut dyn Store, who: &Reviewer, now: DateTime<Utc>) -> Result<()> {
    let Some(h) = hold_in_force(store)? else {
        return Err(Refused("no legal hold is in force".into()).into());
    };
    ledger(store, who, now, "hold.release", json!({ "hold": h }))?;
    store.set_meta(HOLD, "")?;
    Ok(())
}

/// Deletes raw events from before `before` (start of that day, UTC) that the
/// event retention lets go and that no item or incident lists.
pub fn prune(
    store: &mut dyn Store,
    retention: Option<std::time::Duration>,
    who: &Reviewer,
    now: DateTime<Utc>,
    before: NaiveDate,
) -> Result<u64> {
    if let Some(h) = hold_in_force(store)? {
        return Err(Refused(format!(
            "a legal hold is in force since {} ({}): nothing is pruned until `vigil store hold --release`",
            h.since.format("%Y-%m-%d"),
            h.reason
        ))
        .into());
    }
    let Some(keep) = retention else {
        return Err(Refused(
            "no [store] event_retention is configured, so raw events are kept: set one (e.g. event_retention = \"400d\") to prune".into(),
        )
        .into());
    };
    let cut = vigil_domain::time::day_start(None, before);
    let oldest_allowed = now - Duration::from_std(keep).unwrap_or(Duration::MAX);
    if cut > oldest_allowed {
        return Err(Refused(format!(
            "events are kept for {} days ([store] event_retention): --before must be {} or earlier",
            keep.as_secs() / 86_400,
            oldest_allowed.date_naive()
        ))
        .into());
    }
    let removed = store.prune_events(cut)?;
    ledger(
        store,
        who,
        now,
        "store.prune",
        json!({
            "before": before.to_string(),
            "events_removed": removed,
            "event_retention_days": keep.as_secs() / 86_400,
            "kept": "events listed by items or incidents, and all documentation",
        }),
    )?;
    Ok(removed)
}
