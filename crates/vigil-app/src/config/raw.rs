//! The file as written: `config.toml` deserialized with its spans, before
//! any value is checked or resolved.

use std::str::FromStr;
use std::time::Duration;

use chrono_tz::Tz;
use serde::{Deserialize, Deserializer};

use super::*;

/// Deserializes through `FromStr`, so toml reports the value's line with our
/// message.
pub(super) fn from_str_de<'de, D, T>(d: D) -> Result<T, D::Error>
where
    D: Deserializer<'de>,
    T: FromStr,
    T::Err: fmt::Display,
{
    let s = String::deserialize(d)?;
    s.parse().map_err(serde::de::Error::custom)
}

pub(super) fn opt_from_str_de<'de, D, T>(d: D) -> Result<Option<T>, D::Error>
where
    D: Deserializer<'de>,
    T: FromStr,
    T::Err: fmt::Display,
{
    from_str_de(d).map(Some)
}

pub(super) fn zone_de<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Tz>, D::Error> {
    let s = String::deserialize(d)?;
    if s == "UTC" || s == "utc" {
        return Ok(None);
    }
    s.parse::<Tz>().map(Some).map_err(|_| {
        serde::de::Error::custom(format!(
            "unknown time zone {:?}; use an IANA name such as \"UTC\", \"Europe/Berlin\" or \"America/New_York\"",
            SafeText::new(&s).as_str()
        ))
    })
}

pub(super) fn duration_de<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Duration>, D::Error> {
    let s = String::deserialize(d)?;
    parse_duration(&s)
        .map(Some)
        .map_err(serde::de::Error::custom)
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawConfig {
    #[serde(default)]
    pub(super) store: RawStore,
    #[serde(default)]
    pub(super) reviewer: RawReviewer,
    #[serde(default, rename = "source")]
    pub(super) sources: Vec<toml::Spanned<RawSource>>,
    #[serde(default, rename = "escalation")]
    pub(super) escalations: Vec<toml::Spanned<RawEscalation>>,
    #[serde(default)]
    pub(super) incidents: RawIncidents,
    #[serde(default)]
    pub(super) sanctions: RawSanctions,
    #[serde(default)]
    pub(super) risk: RawRisk,
    pub(super) rules: Option<toml::Spanned<vigil_rules::RulesConfig>>,
    pub(super) roster: Option<RawRoster>,
    pub(super) patients: Option<RawPatients>,
    #[serde(default)]
    pub(super) tui: RawTui,
    #[serde(default)]
    pub(super) ledger: RawLedger,
    pub(super) organization: Option<toml::Spanned<vigil_review::attest::Organization>>,
    /// Command name → key or keys for the review screen.
    pub(super) keys: Option<toml::Spanned<std::collections::HashMap<String, KeyList>>>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
pub(super) enum KeyList {
    One(String),
    Many(Vec<String>),
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawTui {
    /// Blank the screen after this long without a key ("0s" never is not
    /// allowed: a shared screen must lock).
    #[serde(default, deserialize_with = "duration_de")]
    pub(super) idle_timeout: Option<Duration>,
    /// A built-in theme (dark, light, high-contrast, mono) or a file in the
    /// config folder's `themes/`.
    pub(super) theme: Option<String>,
    /// Fields masked on screen until revealed: subject, actor, client.
    pub(super) mask: Option<Vec<String>>,
    /// Decisions over more items than this ask once first.
    pub(super) confirm_over: Option<usize>,
    /// Ring the bell when a new critical item arrives.
    pub(super) bell: Option<bool>,
    /// The zone the screen shows times in (default: the rules' zone);
    /// `Some(None)` is UTC.
    #[serde(default, deserialize_with = "set_zone_de")]
    pub(super) timezone: Option<Option<Tz>>,
}

/// A zone that is set (to UTC, `Some(None)`, or another).
fn set_zone_de<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Option<Tz>>, D::Error> {
    zone_de(d).map(Some)
}

/// `[ledger]`: the ledger key and the witness of its checkpoints.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawLedger {
    pub(super) key_file: Option<toml::Spanned<String>>,
    pub(super) witness_file: Option<String>,
    #[serde(default)]
    pub(super) witness_syslog: bool,
    pub(super) checkpoint_every: Option<u64>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawRoster {
    pub(super) path: String,
    #[serde(default)]
    pub(super) columns: vigil_rules::knowledge::RosterColumns,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawPatients {
    pub(super) path: String,
    #[serde(default)]
    pub(super) columns: vigil_rules::knowledge::PatientColumns,
    /// A file of watch-listed MRNs, one per line.
    pub(super) watchlist: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawIncidents {
    pub(super) severities: Option<Vec<String>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawRisk {
    /// Likelihood scale, lowest first.
    pub(super) likelihood: Option<Vec<String>>,
    /// Impact scale, lowest first.
    pub(super) impact: Option<Vec<String>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawSanctions {
    pub(super) categories: Option<Vec<String>>,
    pub(super) tiers: Option<Vec<String>>,
    pub(super) viewers: Option<Vec<String>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawStore {
    pub(super) url: Option<toml::Spanned<String>>,
    pub(super) password_file: Option<toml::Spanned<String>>,
    pub(super) password_env: Option<String>,
    /// How long raw events are kept ("400d"); unset, they are kept.
    #[serde(default, deserialize_with = "duration_de")]
    pub(super) event_retention: Option<Duration>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawReviewer {
    #[serde(default, deserialize_with = "duration_de")]
    pub(super) claim_lease: Option<Duration>,
    #[serde(default)]
    pub(super) notes_required: Option<Vec<Disposition>>,
    #[serde(default)]
    pub(super) second_approval: Option<Vec<Disposition>>,
    #[serde(default, deserialize_with = "duration_de")]
    pub(super) undo_window: Option<Duration>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawSource {
    pub(super) name: String,
    #[serde(deserialize_with = "from_str_de")]
    pub(super) kind: SourceKind,
    pub(super) path: Option<String>,
    #[serde(default, deserialize_with = "zone_de")]
    pub(super) timezone: Option<Tz>,
    #[serde(default, deserialize_with = "opt_from_str_de")]
    pub(super) cadence: Option<Cadence>,
    /// Why `cadence` overrides the one the risk register gives.
    pub(super) cadence_reason: Option<String>,
    pub(super) risk: Option<Severity>,
    #[serde(default, deserialize_with = "duration_de")]
    pub(super) interval: Option<Duration>,
    pub(super) url: Option<String>,
    pub(super) query: Option<String>,
    pub(super) resources: Option<Vec<String>>,
    pub(super) user_env: Option<String>,
    pub(super) token_env: Option<String>,
    pub(super) token_file: Option<String>,
    /// Read as the kind's own mapping (access-csv or adt-csv).
    pub(super) columns: Option<toml::Table>,
    pub(super) log_line_prefix: Option<String>,
    pub(super) zone_abbreviations: Option<std::collections::BTreeMap<String, String>>,
    pub(super) command: Option<Vec<String>>,
    pub(super) tracker: Option<TrackerOptions>,
    pub(super) smart: Option<vigil_sources::smart::SmartOptions>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawEscalation {
    pub(super) name: String,
    pub(super) kind: String,
    pub(super) url: Option<String>,
    pub(super) project: Option<String>,
    pub(super) issue_type: Option<String>,
    pub(super) api: Option<u8>,
    pub(super) repo: Option<String>,
    pub(super) table: Option<String>,
    pub(super) user_env: Option<String>,
    pub(super) token_env: Option<String>,
    pub(super) token_file: Option<String>,
    #[serde(default)]
    pub(super) phi_allowed: bool,
}
