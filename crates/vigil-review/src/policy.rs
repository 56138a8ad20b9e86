//! The review policy as data: the config's review settings (sources and
//! their cadence, rules, reviewer policy, incident and sanction scales, risk
//! scales) are recorded in the ledger whenever they change, so a report can
//! say which policy was in force on a given date.

use chrono::{DateTime, Utc};
use color_eyre::eyre::Result;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use super::Reviewer;
use crate::Settings;
use vigil_domain::ledger::Entity;
use vigil_store::{NewLedgerEntry, Store};

const META: &str = "policy.hash";

/// Settings of a source that are policy (not where or how it is read).
const SOURCE_KEYS: &[&str] = &["name", "kind", "cadence", "cadence_reason", "risk"];
/// Tables that are review policy.
const TABLES: &[&str] = &["reviewer", "incidents", "sanctions", "risk", "rules"];

/// The review settings as configured, in a canonical form (sorted keys),
/// with the vigil version that reads them. Store and source locations and
/// anything secret are left out.
pub fn current(config: &dyn Settings) -> Result<Value> {
    let mut out = serde_json::Map::new();
    let text = match config.policy_file() {
        Some(f) => std::fs::read_to_string(f)?,
        None => String::new(),
    };
    let raw: toml::Table = toml::from_str(&text)?;
    for t in TABLES {
        if let Some(v) = raw.get(*t) {
            out.insert((*t).to_owned(), serde_json::to_value(v)?);
        }
    }
    let sources: Vec<Value> = raw
        .get("source")
        .and_then(|v| v.as_array())
        .map(|list| {
            list.iter()
                .filter_map(|s| s.as_table())
                .map(|s| {
                    let kept: serde_json::Map<String, Value> = s
                        .iter()
                        .filter(|(k, _)| SOURCE_KEYS.contains(&k.as_str()))
                        .filter_map(|(k, v)| Some((k.clone(), serde_json::to_value(v).ok()?)))
                        .collect();
                    Value::Object(kept)
                })
                .collect()
        })
        .unwrap_or_default();
    out.insert("sources".into(), Value::Array(sources));
    out.insert("vigil".into(), json!(env!("CARGO_PKG_VERSION")));
    Ok(Value::Object(out))
}

fn digest(v: &Value) -> String {
    hex::encode(Sha256::digest(v.to_string().as_bytes()))
}

/// Records the policy in the ledger if it differs from the last one
/// recorded; returns its hash when it did.
pub fn record_if_changed(
    store: &mut dyn Store,
    config: &dyn Settings,
    who: &Reviewer,
    now: DateTime<Utc>,
) -> Result<Option<String>> {
    let policy = current(config)?;
    let hash = digest(&policy);
    if store.meta(META)?.as_deref() == Some(hash.as_str()) {
        return Ok(None);
    }
    store.append_ledger(&NewLedgerEntry {
        at: now,
        actor: who.name.clone(),
        action: "policy.version".into(),
        entity: Entity::Policy.to_string(),
        payload: json!({ "hash": hash, "policy": policy }),
    })?;
    store.set_meta(META, &hash)?;
    Ok(Some(hash))
}

/// The policy version in force at `at`: its hash, since when, and the
/// ledger entry that recorded it.
pub fn in_force(store: &dyn Store, at: DateTime<Utc>) -> Result<Option<(String, String, i64)>> {
    let mut found = None;
    for e in store.ledger_for("policy")? {
        let Ok(t) = DateTime::parse_from_rfc3339(&e.at) else {
            continue;
        };
        if t.with_timezone(&Utc) > at {
            break;
        }
        let hash = serde_json::from_str::<Value>(&e.payload)
            .ok()
            .and_then(|p| p.get("hash").and_then(|h| h.as_str()).map(String::from))
            .unwrap_or_default();
        found = Some((hash, e.at.clone(), e.seq));
    }
    Ok(found)
}
