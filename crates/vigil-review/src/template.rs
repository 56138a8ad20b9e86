//! Approving the explanation templates mined from the data: a template
//! explains nothing until the privacy officer approves it, and the approval
//! (or a revocation) is a ledger entry, which is where the rules read the
//! templates in force from.

use chrono::{DateTime, Utc};
use color_eyre::eyre::Result;
use serde_json::json;

use super::Reviewer;
use vigil_domain::ledger::Entity;
use vigil_domain::{TEMPLATE_APPROVE, TEMPLATE_REVOKE, Template};
use vigil_store::{NewLedgerEntry, Store};

/// The templates in force now, from the ledger.
pub fn in_force(store: &dyn Store) -> Result<Vec<Template>> {
    let entries = store.ledger_for(&Entity::ExplainTemplate.to_string())?;
    Ok(vigil_domain::templates_in_force(
        entries
            .iter()
            .map(|e| (e.action.as_str(), e.payload.as_str())),
    ))
}

/// Approves (or, with `revoke`, withdraws) a template, with the reason and
/// what the mining saw; returns the ledger entry's sequence number.
pub fn record(
    store: &mut dyn Store,
    who: &Reviewer,
    now: DateTime<Utc>,
    template: &Template,
    revoke: bool,
    note: &str,
    evidence: Option<serde_json::Value>,
) -> Result<i64> {
    let e = store.append_ledger(&NewLedgerEntry {
        at: now,
        actor: who.name.clone(),
        action: if revoke {
            TEMPLATE_REVOKE
        } else {
            TEMPLATE_APPROVE
        }
        .into(),
        entity: Entity::ExplainTemplate.to_string(),
        payload: json!({
            "template": template,
            "note": note,
            "session": who.session,
            "evidence": evidence,
        }),
    })?;
    Ok(e.seq)
}
