//! What makes a report an attestation: the organization and scope it is
//! about (`[organization]`), who prepared it, and its certification: a
//! named person in a named role stating that the period was reviewed,
//! recorded in the ledger with a digest of the numbers they certified, so
//! "reviewed and certified by X on D" is itself evidence that `vigil
//! verify` holds to the hash chain.

use chrono::{DateTime, NaiveDate, Utc};
use color_eyre::eyre::{Result, bail};
use serde::{Deserialize, Serialize};
use serde_json::json;

use super::Reviewer;
use vigil_domain::ledger::Entity;
use vigil_store::{NewLedgerEntry, Store};

/// The ledger action of a certification.
pub const CERTIFY: &str = "report.certify";

/// What a certifier states unless the organization words it itself.
pub const DEFAULT_STATEMENT: &str = "I certify that the records of information system activity of the systems in scope were regularly reviewed during the period above, in accordance with the review policy in force, and that the exceptions listed are complete and carry their reasons.";

/// `[organization]`: who the report is about and what it covers.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Organization {
    /// The organization's name, as on the report's every page.
    pub name: String,
    /// The covered entity (or business associate) the review is for, e.g.
    /// "Springfield General Hospital, a HIPAA covered entity".
    #[serde(default)]
    pub covered_entity: Option<String>,
    #[serde(default)]
    pub privacy_officer: Option<String>,
    #[serde(default)]
    pub security_officer: Option<String>,
    /// A sentence on what the review covers.
    #[serde(default)]
    pub scope: Option<String>,
    /// Systems that hold ePHI and are reviewed.
    #[serde(default)]
    pub in_scope: Vec<String>,
    /// Systems left out, each with why ("the public web site: no ePHI").
    #[serde(default)]
    pub out_of_scope: Vec<String>,
    /// The certification statement, when the organization words its own.
    #[serde(default)]
    pub statement: Option<String>,
}

/// Who ran the report: the operating system account and, when the roster
/// holds it, the workforce member's name.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Preparer {
    pub account: String,
    pub name: Option<String>,
}

pub fn preparer(store: &dyn Store, account: &str) -> Result<Preparer> {
    let name = super::investigate::Roster::load(store)?
        .find(account)
        .map(|p| p.name.clone());
    Ok(Preparer {
        account: account.to_owned(),
        name,
    })
}

/// One certification, as the ledger holds it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Certification {
    /// Its ledger entry.
    pub seq: i64,
    pub at: String,
    pub account: String,
    pub name: Option<String>,
    pub role: String,
    pub from: NaiveDate,
    pub to: NaiveDate,
    pub statement: String,
    /// SHA-256 of the report's measures as certified (`report::digest`).
    pub digest: String,
}

/// Records `who`'s certification of the period `from..=to`: a ledger entry
/// with the statement and the digest of what they saw.
#[allow(clippy::too_many_arguments)]
pub fn certify(
    store: &mut dyn Store,
    who: &Reviewer,
    role: &str,
    org: Option<&Organization>,
    from: NaiveDate,
    to: NaiveDate,
    digest: &str,
    now: DateTime<Utc>,
) -> Result<Certification> {
    let role = role.trim();
    if role.is_empty() {
        bail!("a certification names the certifier's role (--role \"privacy officer\")");
    }
    let who_is = preparer(store, &who.name)?;
    let statement = org
        .and_then(|o| o.statement.clone())
        .unwrap_or_else(|| DEFAULT_STATEMENT.to_owned());
    let e = store.append_ledger(&NewLedgerEntry {
        at: now,
        actor: who.name.clone(),
        action: CERTIFY.into(),
        entity: Entity::Report.to_string(),
        payload: json!({
            "name": who_is.name,
            "role": role,
            "from": from,
            "to": to,
            "statement": statement,
            "digest": digest,
        }),
    })?;
    Ok(Certification {
        seq: e.seq,
        at: e.at,
        account: who.name.clone(),
        name: who_is.name,
        role: role.to_owned(),
        from,
        to,
        statement,
        digest: digest.to_owned(),
    })
}

/// The certifications recorded for periods that overlap `from..=to`.
pub fn certifications(
    store: &dyn Store,
    from: NaiveDate,
    to: NaiveDate,
) -> Result<Vec<Certification>> {
    #[derive(Deserialize)]
    struct Payload {
        name: Option<String>,
        role: String,
        from: NaiveDate,
        to: NaiveDate,
        statement: String,
        digest: String,
    }
    let mut out = Vec::new();
    for e in store.ledger_for(&Entity::Report.to_string())? {
        if e.action != CERTIFY {
            continue;
        }
        let Ok(p) = serde_json::from_str::<Payload>(&e.payload) else {
            continue;
        };
        if p.to < from || p.from > to {
            continue;
        }
        out.push(Certification {
            seq: e.seq,
            at: e.at,
            account: e.actor,
            name: p.name,
            role: p.role,
            from: p.from,
            to: p.to,
            statement: p.statement,
            digest: p.digest,
        });
    }
    Ok(out)
}
