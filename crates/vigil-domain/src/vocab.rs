//! The closed vocabularies of the CLI contract (outcome, severity, status,
//! disposition, item kind) with their stable spellings.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// Whether a source kind's events are accesses to patients' records, their
/// subject a patient's record number: what the access report and the
/// relationship rules read, and what the screen masks.
pub fn is_patient_record_kind(kind: &str) -> bool {
    matches!(kind, "access-csv" | "fhir" | "fhir-auditevent")
}

/// A value that is not one of a vocabulary's spellings; names what was allowed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnknownValue {
    pub what: &'static str,
    pub got: String,
    pub allowed: &'static [&'static str],
}

impl fmt::Display for UnknownValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "unknown {} {:?}; use one of: {}",
            self.what,
            crate::SafeText::new(&self.got),
            self.allowed.join(", ")
        )
    }
}

impl std::error::Error for UnknownValue {}

/// Defines a vocabulary enum whose spellings are used in the CLI, JSON, SQL
/// and config alike, so there is one place that lists them.
macro_rules! vocabulary {
    ($(#[$m:meta])* $name:ident, $what:literal, { $($variant:ident = $text:literal),+ $(,)? }) => {
        $(#[$m])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        pub enum $name {
            $(#[serde(rename = $text)] $variant),+
        }

        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant),+];
            pub const NAMES: &'static [&'static str] = &[$($text),+];

            pub fn as_str(self) -> &'static str {
                match self { $($name::$variant => $text),+ }
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl FromStr for $name {
            type Err = UnknownValue;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                match s {
                    $($text => Ok($name::$variant),)+
                    _ => Err(UnknownValue { what: $what, got: s.to_owned(), allowed: Self::NAMES }),
                }
            }
        }
    };
}
pub(crate) use vocabulary;

vocabulary!(
    /// Whether the recorded activity succeeded.
    Outcome, "outcome", { Success = "success", Failure = "failure", Unknown = "unknown" }
);

vocabulary!(
    /// How urgent an item is; ordered so `severity>=high` is a comparison.
    Severity, "severity", { Low = "low", Medium = "medium", High = "high", Critical = "critical" }
);

vocabulary!(
    /// Where an item is in the review workflow (kept apart from its disposition).
    Status, "status", {
        New = "new",
        Claimed = "claimed",
        Decided = "decided",
        Escalated = "escalated",
        Reopened = "reopened",
    }
);

vocabulary!(
    /// What a reviewer concluded about an item.
    Disposition, "disposition", {
        Benign = "benign",
        Violation = "violation",
        FalsePositive = "false-positive",
        FollowUp = "follow-up",
        Duplicate = "duplicate",
    }
);

vocabulary!(
    /// Why an item is in the queue.
    ItemKind, "item kind", { Finding = "finding", Group = "group", Ticket = "ticket", Sample = "sample" }
);

impl Severity {
    /// Rank used in SQL so `severity>=high` compares numbers, not strings.
    pub fn rank(self) -> i64 {
        self as i64
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spellings_round_trip() {
        for d in Disposition::ALL {
            assert_eq!(d.as_str().parse::<Disposition>().unwrap(), *d);
        }
        assert_eq!("false-positive".parse(), Ok(Disposition::FalsePositive));
        let err = "bad".parse::<Severity>().unwrap_err().to_string();
        assert!(err.contains("low, medium, high, critical"), "{err}");
        assert!(Severity::Critical > Severity::High);
        assert_eq!(
            serde_json::to_string(&Status::Reopened).unwrap(),
            "\"reopened\""
        );
    }
}
