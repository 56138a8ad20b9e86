//! Suppressions: "this is expected" with an owner, a reason and an expiry.
//! Shown before saving with the number of items they would hide; every one
//! is a ledger entry; an expired one stops applying by itself.

use chrono::{DateTime, Utc};
use color_eyre::eyre::Result;
use serde_json::json;

use vigil_store::ledger::with_state;

use crate::{Refused, Reviewer};
use vigil_domain::ledger::Entity;
use vigil_store::{NewLedgerEntry, Store, Suppression};

/// Records a suppression (after the caller has shown its impact).
pub fn add(
    store: &mut dyn Store,
    who: &Reviewer,
    now: DateTime<Utc>,
    s: &Suppression,
) -> Result<Suppression> {
    if s.until <= now {
        return Err(Refused(
            "the expiry date is already past: give a date in the future with --until".into(),
        )
        .into());
    }
    if s.reason.trim().is_empty() {
        return Err(Refused("a suppression needs a reason: add --reason \"…\"".into()).into());
    }
    let mut saved = s.clone();
    saved.owner = who.name.clone();
    store.review(&mut |tx| {
        saved.id = tx.add_suppression(&saved, now)?;
        tx.ledger(&NewLedgerEntry {
            at: now,
            actor: who.name.clone(),
            action: "suppression.add".into(),
            entity: Entity::Suppression(saved.id).to_string(),
            payload: with_state(
                json!({
                    "suppression": saved.id,
                    "actor": saved.actor,
                    "subject": saved.subject,
                    "rule": saved.rule,
                    "until": saved.until.to_rfc3339(),
                    "reason": saved.reason,
                }),
                &saved,
            ),
        })?;
        Ok(())
    })?;
    Ok(saved)
}
