//! Review coverage: how often each source must be reviewed (its cadence,
//! from the risk register unless overridden with a reason) and, day by day,
//! whether it was: reviewed, partly, overdue, or silent when activity was
//! expected. HIPAA leaves the frequency to the risk analysis; this is where
//! the two meet.

use chrono::{DateTime, Duration, NaiveDate, Utc};
use chrono_tz::Tz;
use color_eyre::eyre::Result;
use serde::Serialize;

use super::risk::Scales;
use crate::Settings;
use vigil_domain::time::Cadence;
use vigil_store::{Risk, Store};

/// A source's review cadence and why it is that.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Effective {
    #[serde(serialize_with = "cadence_text")]
    pub cadence: Cadence,
    pub why: String,
}

fn cadence_text<S: serde::Serializer>(c: &Cadence, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(&c.to_string())
}

/// The cadence a risk level asks for.
pub fn cadence_for(level: &str) -> Cadence {
    match level {
        "critical" | "high" => Cadence::Daily,
        "medium" => Cadence::Weekly,
        _ => Cadence::Monthly,
    }
}

/// The source's cadence: the configured one with its reason when it
/// overrides; else the strictest of the configured one and the one the
/// highest-rated risk naming the source asks for (a risk can only make
/// reviews more frequent without a recorded reason).
/// What coverage needs of a configured source: its name and the cadence
/// the configuration gives it, with the reason when that overrides risk.
#[derive(Debug, Clone, PartialEq)]
pub struct SourcePolicy {
    pub name: String,
    pub cadence: Cadence,
    pub cadence_reason: Option<String>,
    /// Clinical context (encounters): what explains accesses, not activity
    /// to review, so it has no coverage of its own.
    pub context: bool,
}

pub fn effective(src: &SourcePolicy, risks: &[Risk], scales: &Scales) -> Effective {
    if let Some(reason) = &src.cadence_reason {
        return Effective {
            cadence: src.cadence,
            why: format!("override: {reason}"),
        };
    }
    let top = risks
        .iter()
        .filter(|r| r.sources.contains(&src.name))
        .max_by_key(|r| (r.rating(), -r.id));
    match top {
        Some(r) => {
            let level = scales.level(r.rating());
            let derived = cadence_for(level);
            if src.cadence.every() < derived.every() {
                Effective {
                    cadence: src.cadence,
                    why: format!("configured, stricter than risk {}'s {level}", r.id),
                }
            } else {
                Effective {
                    cadence: derived,
                    why: format!("risk {}: {} {level}", r.id, r.rating()),
                }
            }
        }
        None => Effective {
            cadence: src.cadence,
            why: "configured; no risk names this source".into(),
        },
    }
}

/// One source on one day.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Day {
    pub source: String,
    pub day: NaiveDate,
    pub events: u64,
    pub items: u64,
    pub decided: u64,
    /// reviewed, partly reviewed, to review, overdue, nothing flagged,
    /// silent, no activity, or source down.
    pub status: &'static str,
    pub cadence: Effective,
    /// Accesses to patients' records given an explanation, and how many of
    /// them clinical context explained (both 0 without context sources).
    pub accesses: u64,
    pub explained: u64,
}

impl Day {
    /// The share of the day's accesses clinical context explained, in
    /// percent; `-` when none were given an explanation.
    pub fn explained_pct(&self) -> String {
        if self.accesses == 0 {
            "-".into()
        } else {
            format!(
                "{:.1}%",
                self.explained as f64 * 100.0 / self.accesses as f64
            )
        }
    }
}

/// Accesses and explained accesses per source between two times.
pub fn explained(
    store: &dyn Store,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> Result<std::collections::BTreeMap<String, (u64, u64)>> {
    let mut out: std::collections::BTreeMap<String, (u64, u64)> = Default::default();
    for (source, kind, n) in store.explanation_counts(from, to)? {
        let e = out.entry(source).or_default();
        e.0 += n;
        if kind != vigil_domain::Explanation::Unexplained {
            e.1 += n;
        }
    }
    Ok(out)
}

/// The start of a local day, as an instant.
fn start_of(zone: Option<Tz>, d: NaiveDate) -> DateTime<Utc> {
    vigil_domain::time::day_start(zone, d)
}

fn day_of(zone: Option<Tz>, t: DateTime<Utc>) -> NaiveDate {
    match zone {
        Some(z) => t.with_timezone(&z).date_naive(),
        None => t.date_naive(),
    }
}

/// Days a source counts as active in the week before a day for silence to
/// be unexpected.
const ACTIVE_DAYS: usize = 3;

/// Coverage of every configured source (and any other the store holds) for
/// the days `from..=to`, cut in `zone` (the rules' time zone), as of `now`.
pub fn days(
    store: &dyn Store,
    config: &dyn Settings,
    from: NaiveDate,
    to: NaiveDate,
    now: DateTime<Utc>,
) -> Result<Vec<Day>> {
    let zone = config.zone();
    let policies = config.source_policies();
    let risks = store.risks()?;
    // a week more, to know what activity to expect on the first days
    let lookback = from - Duration::days(7);
    let act = store.activity(
        start_of(zone, lookback),
        start_of(zone, to + Duration::days(1)),
    )?;
    let mut per: std::collections::BTreeMap<(String, NaiveDate), (u64, u64, u64)> =
        Default::default();
    for a in &act {
        let e = per
            .entry((a.source.clone(), day_of(zone, a.at)))
            .or_default();
        e.0 += a.events;
        e.1 += a.items;
        e.2 += a.decided;
    }
    let status = store.source_status()?;
    let mut names: Vec<String> = policies
        .iter()
        .filter(|s| !s.context)
        .map(|s| s.name.clone())
        .collect();
    for s in &status {
        let context = policies
            .iter()
            .any(|p| p.context && p.name == s.name.as_str());
        if !context && !names.iter().any(|n| n == s.name.as_str()) {
            names.push(s.name.as_str().to_owned());
        }
    }
    let today = day_of(zone, now);
    let mut why: std::collections::BTreeMap<(String, NaiveDate), (u64, u64)> = Default::default();
    let mut d = from;
    while d <= to {
        for (source, n) in explained(
            store,
            start_of(zone, d),
            start_of(zone, d + Duration::days(1)),
        )? {
            why.insert((source, d), n);
        }
        d += Duration::days(1);
    }
    let mut out = Vec::new();
    for name in &names {
        let cadence = match policies.iter().find(|p| &p.name == name) {
            Some(src) => effective(src, &risks, config.risk_scales()),
            None => Effective {
                cadence: Cadence::Daily,
                why: "not configured: daily".into(),
            },
        };
        let down = status.iter().any(|s| {
            s.name.as_str() == name
                && s.last_pull_at.is_some()
                && s.last_pull_at > s.last_success_at
        });
        let mut d = from;
        while d <= to {
            let (events, items, decided) = per.get(&(name.clone(), d)).copied().unwrap_or_default();
            let due = start_of(zone, d + Duration::days(1))
                + Duration::from_std(cadence.cadence.every()).unwrap_or_default();
            let active_before = (1..=7)
                .filter(|k| {
                    per.get(&(name.clone(), d - Duration::days(*k)))
                        .is_some_and(|c| c.0 > 0)
                })
                .count();
            let status = if d == today && down {
                "source down"
            } else if events == 0 && items == 0 {
                if active_before >= ACTIVE_DAYS && d < today {
                    "silent"
                } else {
                    "no activity"
                }
            } else if items == 0 {
                "nothing flagged"
            } else if decided >= items {
                "reviewed"
            } else if now >= due {
                "overdue"
            } else if decided > 0 {
                "partly reviewed"
            } else {
                "to review"
            };
            out.push(Day {
                source: name.clone(),
                day: d,
                events,
                items,
                decided,
                status,
                cadence: cadence.clone(),
                accesses: why.get(&(name.clone(), d)).map_or(0, |w| w.0),
                explained: why.get(&(name.clone(), d)).map_or(0, |w| w.1),
            });
            d += Duration::days(1);
        }
    }
    Ok(out)
}
