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
    /// Raise nothing for an access clinical context explains (the rules
    /// that look at relationships and times; others ignore it).
    pub unless_explained: bool,
}

impl Default for Toggle {
    fn default() -> Self {
        Toggle {
            enabled: true,
            severity: None,
            unless_explained: true,
        }
    }
}

/// `[rules.neighbour]`: the same street, or (when the roster and the
/// demographics give coordinates) living within `within_m` metres.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Neighbour {
    pub enabled: bool,
    pub severity: Option<Severity>,
    pub unless_explained: bool,
    /// 0 switches the distance check off (the street still counts).
    pub within_m: f64,
}

impl Default for Neighbour {
    fn default() -> Self {
        Neighbour {
            enabled: true,
            severity: None,
            unless_explained: true,
            within_m: 150.0,
        }
    }
}

fn day_duration(days: u64) -> Duration {
    Duration::from_secs(days * 86_400)
}

/// A role whose work follows an encounter: billing, coding, registration,
/// lab, radiology, pharmacy (`[[rules.explain.role]]`).
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Role {
    pub name: String,
    /// Roster departments that hold this role (compared ignoring case).
    pub departments: Vec<String>,
    /// How long before an encounter starts, and after it ends, their work on
    /// the patient's record is usual.
    #[serde(deserialize_with = "duration")]
    pub before: Duration,
    #[serde(deserialize_with = "duration")]
    pub after: Duration,
}

fn role(name: &str, departments: &[&str], before_days: u64, after_days: u64) -> Role {
    Role {
        name: name.into(),
        departments: departments.iter().map(|d| (*d).into()).collect(),
        before: day_duration(before_days),
        after: day_duration(after_days),
    }
}

/// `[rules.explain]`: how clinical context explains accesses.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Explain {
    /// Set when a context source is configured (not read from the file):
    /// only then is every patient access given an explanation.
    #[serde(skip)]
    pub active: bool,
    /// An access this long before an encounter starts counts as within it
    /// (pre-visit chart review)…
    #[serde(deserialize_with = "duration")]
    pub margin_before: Duration,
    /// …and this long after it ends (notes, results, discharge summary).
    #[serde(deserialize_with = "duration")]
    pub margin_after: Duration,
    /// An encounter with no end yet counts as open for this long.
    #[serde(deserialize_with = "duration")]
    pub open_for: Duration,
    /// An actor's access within this long of an explained one to the same
    /// patient is a repeat.
    #[serde(deserialize_with = "duration")]
    pub repeat: Duration,
    #[serde(rename = "role")]
    pub roles: Vec<Role>,
    /// A curiosity sweep: this many distinct patients' records opened with
    /// no explanation within `sweep_window` (0 switches it off).
    pub sweep_patients: usize,
    #[serde(deserialize_with = "duration")]
    pub sweep_window: Duration,
    /// No treatment relationship: a clinical worker's (anyone whose
    /// department holds no role above) first unexplained access to a
    /// patient. Off by default: with incomplete documentation it raises an
    /// item per undocumented contact.
    pub no_treatment: bool,
    /// In care: an access no documentation explains, to a patient who was
    /// in care at the time (an encounter open in any department, or
    /// `care_others` other people opened the record within `care_window`
    /// before), raises no after-hours flag, and no co-worker flag when the
    /// actor works outside the employee-patient's department (floats,
    /// consults and undocumented visits look like this). Relationship,
    /// VIP and sweep checks still see it as unexplained. A zero window
    /// switches it off.
    #[serde(deserialize_with = "duration")]
    pub care_window: Duration,
    pub care_others: usize,
    /// Whether a department explanation excuses a co-worker finding. Off,
    /// a colleague admitted to their own unit may be opened only by the
    /// care team, a role or a template; everyone else on the unit is
    /// flagged. Stricter, and more items where staff are often patients.
    pub department_excuses_coworker: bool,
}

impl Default for Explain {
    fn default() -> Self {
        Explain {
            active: false,
            margin_before: Duration::from_secs(2 * 3600),
            margin_after: Duration::from_secs(24 * 3600),
            open_for: day_duration(30),
            repeat: day_duration(14),
            roles: vec![
                role("billing", &["billing", "patient financial services"], 1, 60),
                role(
                    "coding",
                    &["coding", "health information management", "him"],
                    0,
                    30,
                ),
                role(
                    "registration",
                    &["registration", "patient access", "scheduling"],
                    7,
                    1,
                ),
                role("lab", &["lab", "laboratory", "pathology"], 1, 3),
                role("radiology", &["radiology", "imaging"], 1, 3),
                role("pharmacy", &["pharmacy"], 1, 3),
            ],
            sweep_patients: 10,
            sweep_window: Duration::from_secs(3600),
            no_treatment: false,
            care_window: Duration::from_secs(48 * 3600),
            care_others: 2,
            department_excuses_coworker: true,
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
    pub unless_explained: bool,
}

impl Default for AfterHours {
    fn default() -> Self {
        AfterHours {
            enabled: true,
            severity: None,
            start: "07:00".into(),
            end: "19:00".into(),
            weekends: true,
            unless_explained: true,
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
    pub unless_explained: bool,
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
            unless_explained: true,
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
    pub neighbour: Neighbour,
    pub shared_credentials: Burst,
    /// Refused sudo, failed su, accounts locked by failure counters.
    pub refused_privilege: Toggle,
    /// The audit daemon stopped or reconfigured, SELinux or AppArmor
    /// loosened, an interface in promiscuous mode, a program crashed.
    pub audit_tampering: Toggle,
    /// Someone put into a group that grants administrative power.
    pub privileged_group: Toggle,
    pub sampling: Sampling,
    pub explain: Explain,
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
            neighbour: Neighbour::default(),
            shared_credentials: Burst::new(2, 2),
            refused_privilege: Toggle::default(),
            audit_tampering: Toggle::default(),
            privileged_group: Toggle::default(),
            sampling: Sampling::default(),
            explain: Explain::default(),
        }
    }
}

impl RulesConfig {
    /// The rules that raise nothing for an explained access, as configured:
    /// same-surname, same-address, neighbour, co-worker, VIP, after-hours and
    /// volume-spike may; self-access, family, deceased, terminated and
    /// break-the-glass always raise.
    pub fn explainable(&self) -> Vec<&'static str> {
        let mut r = Vec::new();
        for (id, on) in [
            ("same-surname", self.same_surname.unless_explained),
            ("same-address", self.same_address.unless_explained),
            ("neighbour", self.neighbour.unless_explained),
            ("coworker", self.coworker.unless_explained),
            ("vip", self.vip.unless_explained),
            ("after-hours", self.after_hours.unless_explained),
            ("volume-spike", self.volume_spike.unless_explained),
        ] {
            if on {
                r.push(id);
            }
        }
        r
    }
}
