//! `[rules.*]` in the config: every rule can be switched off, most can be
//! tuned, and each has a default severity that can be raised or lowered.

use std::time::Duration;

use serde::{Deserialize, Deserializer};

use vigil_domain::Severity;

fn duration<'de, D: Deserializer<'de>>(d: D) -> Result<Duration, D::Error> {
    let s = String::deserialize(d)?;
    vigil_domain::time::parse_duration(&s).map_err(serde::de::Error::custom)
}

fn shift_time<'de, D: Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    let s = String::deserialize(d)?;
    chrono::NaiveTime::parse_from_str(&s, "%H:%M")
        .map(|_| s.clone())
        .map_err(|_| serde::de::Error::custom(format!("{s:?} is not a time like \"07:00\"")))
}

/// A rule with nothing to tune.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Toggle {
    pub enabled: bool,
    pub severity: Option<Severity>,
}

impl Default for Toggle {
    fn default() -> Self {
        Toggle {
            enabled: true,
            severity: None,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct AfterHours {
    pub enabled: bool,
    pub severity: Option<Severity>,
    /// The shift of anyone the roster gives none.
    #[serde(deserialize_with = "shift_time")]
    pub start: String,
    #[serde(deserialize_with = "shift_time")]
    pub end: String,
    /// Saturdays and Sundays count as outside the shift.
    pub weekends: bool,
}

impl Default for AfterHours {
    fn default() -> Self {
        AfterHours {
            enabled: true,
            severity: None,
            start: "07:00".into(),
            end: "19:00".into(),
            weekends: true,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Burst {
    pub enabled: bool,
    pub severity: Option<Severity>,
    /// Failures within `window` that make a burst.
    pub threshold: usize,
    #[serde(deserialize_with = "duration")]
    pub window: Duration,
}

impl Burst {
    fn new(threshold: usize, minutes: u64) -> Self {
        Burst {
            enabled: true,
            severity: None,
            threshold,
            window: Duration::from_secs(minutes * 60),
        }
    }
}

impl Default for Burst {
    fn default() -> Self {
        Burst::new(5, 10)
    }
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct VolumeSpike {
    pub enabled: bool,
    pub severity: Option<Severity>,
    /// Records touched in a day above this many times the actor's daily
    /// average over the baseline...
    pub factor: f64,
    /// ...and at least this many...
    pub minimum: usize,
    /// ...or above this many regardless of the baseline.
    pub ceiling: usize,
    pub baseline_days: u32,
}

impl Default for VolumeSpike {
    fn default() -> Self {
        VolumeSpike {
            enabled: true,
            severity: None,
            factor: 3.0,
            minimum: 20,
            ceiling: 200,
            baseline_days: 14,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct FirstSeen {
    pub enabled: bool,
    pub severity: Option<Severity>,
    /// An actor newer than this is still learning: nothing is "first" yet.
    pub learning_days: u32,
}

impl Default for FirstSeen {
    fn default() -> Self {
        FirstSeen {
            enabled: true,
            severity: None,
            learning_days: 7,
        }
    }
}

/// Sampling of unflagged events, so quiet activity gets a look too.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Sampling {
    pub enabled: bool,
    /// Fraction of unflagged events per source per day, e.g. 0.005.
    pub rate: f64,
    /// At least this many per source per finished day.
    pub minimum: usize,
    /// Recorded with every sample, so an auditor can recompute it.
    pub seed: u64,
}

impl Default for Sampling {
    fn default() -> Self {
        Sampling {
            enabled: true,
            rate: 0.005,
            minimum: 3,
            seed: 0x5EED,
        }
    }
}

/// The whole `[rules]` table.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct RulesConfig {
    /// Run rules at all (on ingest and pull).
    pub enabled: bool,
    /// Zone for shifts and days (IANA name); UTC when absent.
    pub timezone: Option<String>,
    pub self_access: Toggle,
    pub same_surname: Toggle,
    pub same_address: Toggle,
    pub family: Toggle,
    pub coworker: Toggle,
    pub vip: Toggle,
    pub deceased: Toggle,
    pub terminated: Toggle,
    pub after_hours: AfterHours,
    pub volume_spike: VolumeSpike,
    pub first_seen: FirstSeen,
    pub break_glass: Toggle,
    pub privileged: Toggle,
    pub failed_burst: Burst,
    pub unknown_account: Toggle,
    pub success_after_failures: Burst,
    pub sampling: Sampling,
}

impl Default for RulesConfig {
    fn default() -> Self {
        RulesConfig {
            enabled: true,
            timezone: None,
            self_access: Toggle::default(),
            same_surname: Toggle::default(),
            same_address: Toggle::default(),
            family: Toggle::default(),
            coworker: Toggle::default(),
            vip: Toggle::default(),
            deceased: Toggle::default(),
            terminated: Toggle::default(),
            after_hours: AfterHours::default(),
            volume_spike: VolumeSpike::default(),
            first_seen: FirstSeen::default(),
            break_glass: Toggle::default(),
            privileged: Toggle::default(),
            failed_burst: Burst::default(),
            unknown_account: Toggle::default(),
            success_after_failures: Burst::new(3, 30),
            sampling: Sampling::default(),
        }
    }
}
