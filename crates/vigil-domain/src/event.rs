//! Normalized access events: what a parser produces and what a listing shows.

use chrono::{DateTime, Utc};
use serde::Serialize;

use super::{Outcome, SafeText};

/// How an event's instant was worked out (parser rule 4 in ARCHITECTURE.md): from an explicit
/// offset, from the source's configured zone, or by assuming UTC; and whether
/// the year was inferred because the header had none.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct TimeBasis {
    pub zone: ZoneBasis,
    pub year_inferred: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ZoneBasis {
    #[default]
    Explicit,
    AssumedHostLocal,
    AssumedUtc,
}

impl TimeBasis {
    pub fn to_bits(self) -> i64 {
        let zone = match self.zone {
            ZoneBasis::Explicit => 0,
            ZoneBasis::AssumedHostLocal => 1,
            ZoneBasis::AssumedUtc => 2,
        };
        zone | (i64::from(self.year_inferred) << 2)
    }

    pub fn from_bits(bits: i64) -> Self {
        let zone = match bits & 3 {
            1 => ZoneBasis::AssumedHostLocal,
            2 => ZoneBasis::AssumedUtc,
            _ => ZoneBasis::Explicit,
        };
        TimeBasis {
            zone,
            year_inferred: bits & 4 != 0,
        }
    }

    pub fn describe(self) -> String {
        let zone = match self.zone {
            ZoneBasis::Explicit => "explicit",
            ZoneBasis::AssumedHostLocal => "assumed-host-local",
            ZoneBasis::AssumedUtc => "assumed-utc",
        };
        if self.year_inferred {
            format!("{zone}+year-inferred")
        } else {
            zone.to_owned()
        }
    }
}

/// An event as a parser hands it to the store. Text fields are already
/// neutralized; `raw` keeps the source bytes exactly (parser rule 2 in ARCHITECTURE.md).
#[derive(Debug, Clone, PartialEq)]
pub struct NewEvent {
    pub occurred_at: DateTime<Utc>,
    pub time_basis: TimeBasis,
    pub host: Option<SafeText>,
    pub program: Option<SafeText>,
    pub actor: Option<SafeText>,
    pub subject: Option<SafeText>,
    pub action: SafeText,
    pub outcome: Outcome,
    pub client: Option<SafeText>,
    pub detail: Option<SafeText>,
    pub raw: Vec<u8>,
    /// Byte offset of the record in its stream: with the stream and `seq`, the
    /// dedupe key.
    pub offset: u64,
    /// Position within one record that stands for several events
    /// (`message repeated N times`).
    pub seq: u32,
}

/// A stored event, with the field names of the CLI contract.
#[derive(Debug, Clone, Serialize)]
pub struct Event {
    pub id: i64,
    pub source: SafeText,
    pub kind: SafeText,
    pub occurred_at: DateTime<Utc>,
    pub host: Option<SafeText>,
    pub actor: Option<SafeText>,
    pub subject: Option<SafeText>,
    pub action: SafeText,
    pub outcome: Outcome,
    pub client: Option<SafeText>,
    pub raw: SafeText,
    pub program: Option<SafeText>,
    pub detail: Option<SafeText>,
    pub time_basis: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn time_basis_round_trips() {
        for zone in [
            ZoneBasis::Explicit,
            ZoneBasis::AssumedHostLocal,
            ZoneBasis::AssumedUtc,
        ] {
            for year_inferred in [false, true] {
                let b = TimeBasis {
                    zone,
                    year_inferred,
                };
                assert_eq!(TimeBasis::from_bits(b.to_bits()), b);
            }
        }
        let b = TimeBasis {
            zone: ZoneBasis::AssumedUtc,
            year_inferred: true,
        };
        assert_eq!(b.describe(), "assumed-utc+year-inferred");
    }
}
