//! What a ledger entry is about, as one type: every writer names its entity
//! through `Entity`, so `item:12` is spelled in one place and a reader can
//! parse it back instead of matching prefixes.

use std::fmt;
use std::str::FromStr;

/// The thing a ledger entry records a change to.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Entity {
    /// The store itself: its creation, retention runs.
    Store,
    /// The review policy in force.
    Policy,
    Item(i64),
    Incident(i64),
    Sanction(i64),
    Suppression(i64),
    Risk(i64),
    /// A review session, by its id.
    Session(String),
    /// The ledger's signing key.
    LedgerKey,
    /// The explanation templates the privacy officer approved.
    ExplainTemplate,
    /// One run of an investigation (an access report, an activity
    /// timeline), by its id: who asked about whom and why.
    Investigation(String),
    /// The attestation report of a period, certified.
    Report,
}

impl fmt::Display for Entity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Entity::Store => f.write_str("store"),
            Entity::Policy => f.write_str("policy"),
            Entity::Item(id) => write!(f, "item:{id}"),
            Entity::Incident(id) => write!(f, "incident:{id}"),
            Entity::Sanction(id) => write!(f, "sanction:{id}"),
            Entity::Suppression(id) => write!(f, "suppression:{id}"),
            Entity::Risk(id) => write!(f, "risk:{id}"),
            Entity::Session(id) => write!(f, "session:{id}"),
            Entity::LedgerKey => f.write_str("ledger-key"),
            Entity::ExplainTemplate => f.write_str("explain-template"),
            Entity::Investigation(id) => write!(f, "investigation:{id}"),
            Entity::Report => f.write_str("report"),
        }
    }
}

impl FromStr for Entity {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        let bad = || format!("{s:?} is not a ledger entity");
        Ok(match s {
            "store" => Entity::Store,
            "policy" => Entity::Policy,
            "ledger-key" => Entity::LedgerKey,
            "explain-template" => Entity::ExplainTemplate,
            "report" => Entity::Report,
            _ => {
                let (kind, id) = s.split_once(':').ok_or_else(bad)?;
                match kind {
                    "session" => return Ok(Entity::Session(id.to_owned())),
                    "investigation" => return Ok(Entity::Investigation(id.to_owned())),
                    _ => {}
                }
                let n: i64 = id.parse().map_err(|_| bad())?;
                match kind {
                    "item" => Entity::Item(n),
                    "incident" => Entity::Incident(n),
                    "sanction" => Entity::Sanction(n),
                    "suppression" => Entity::Suppression(n),
                    "risk" => Entity::Risk(n),
                    _ => return Err(bad()),
                }
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::Entity;

    #[test]
    fn entities_read_back_as_written() {
        for e in [
            Entity::Store,
            Entity::Policy,
            Entity::LedgerKey,
            Entity::ExplainTemplate,
            Entity::Item(12),
            Entity::Incident(3),
            Entity::Sanction(4),
            Entity::Suppression(5),
            Entity::Risk(6),
            Entity::Session("a-b".into()),
            Entity::Investigation("c-d".into()),
            Entity::Report,
        ] {
            assert_eq!(e.to_string().parse::<Entity>(), Ok(e));
        }
        assert!("item:x".parse::<Entity>().is_err());
        assert!("case:1".parse::<Entity>().is_err());
    }
}
