//! The attestation report an auditor asks for: for a period, what was
//! collected, what was flagged and by which rule, who reviewed what and how
//! it was disposed of, escalations and their outcomes, sanctions, coverage
//! against each source's cadence with the overdue and silent days, what
//! was quarantined, the suppressions in force, and the ledger's head with
//! the result of verifying it. Counts and workforce names only: no patient
//! names or record numbers.

use std::collections::BTreeMap;

use chrono::{DateTime, Duration, NaiveDate, Utc};
use color_eyre::eyre::Result;
use serde::Serialize;

use super::coverage;
use crate::Settings;
use vigil_store::Store;

#[derive(Debug, Clone, Serialize)]
pub struct Report {
    pub from: NaiveDate,
    pub to: NaiveDate,
    pub generated_at: DateTime<Utc>,
    pub sources: Vec<SourceLine>,
    pub rules: Vec<RuleLine>,
    pub reviewers: Vec<Count>,
    pub dispositions: Vec<Count>,
    pub incidents: Vec<IncidentLine>,
    pub sanctions: u64,
    pub suppressions: Vec<SuppressionLine>,
    /// Source-days not reviewed within their cadence, or silent.
    pub exceptions: Vec<coverage::Day>,
    pub measures: Measures,
    pub ledger: LedgerLine,
    /// The review policy version in force at the end of the period.
    pub policy: Option<PolicyLine>,
    /// Each day's coverage, for the chart.
    pub days: Vec<DayLine>,
    /// Per source: the accesses clinical context explained, by kind.
    pub explanations: Vec<ExplanationLine>,
    /// Per host and day: logins, failures, refusals, account changes and
    /// what was not understood (logwatch's daily summary).
    pub hosts: Vec<crate::hosts::HostDay>,
}

#[derive(Debug, Clone, Serialize)]
pub struct ExplanationLine {
    pub source: String,
    pub accesses: u64,
    pub explained: u64,
    pub explained_pct: Option<f64>,
    /// Accesses by explanation (`direct`, `department`, … `unexplained`).
    pub by_kind: BTreeMap<String, u64>,
}

#[derive(Debug, Clone, Serialize)]
pub struct SourceLine {
    pub source: String,
    pub cadence: String,
    pub events: u64,
    pub items: u64,
    pub decided: u64,
    pub quarantined: u64,
    pub reviewed_days: u64,
    pub overdue_days: u64,
    pub silent_days: u64,
}

#[derive(Debug, Clone, Serialize)]
pub struct RuleLine {
    pub rule: String,
    pub items: u64,
    pub decided: u64,
    pub false_positives: u64,
    /// false positives / decided, in percent (None before any decision).
    pub false_positive_pct: Option<f64>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Count {
    pub name: String,
    pub count: u64,
}

#[derive(Debug, Clone, Serialize)]
pub struct IncidentLine {
    pub id: i64,
    pub severity: String,
    pub status: String,
    pub opened_at: DateTime<Utc>,
    pub closed_at: Option<DateTime<Utc>>,
    pub outcome: Option<String>,
    pub items: usize,
}

#[derive(Debug, Clone, Serialize)]
pub struct SuppressionLine {
    pub id: i64,
    pub actor: String,
    pub rule: Option<String>,
    pub until: DateTime<Utc>,
    pub owner: String,
    pub reason: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct Measures {
    /// Median hours from the activity to the decision on its item.
    pub median_hours_event_to_decision: Option<f64>,
    /// Median hours from an incident's opening to its closing.
    pub median_hours_incident_to_close: Option<f64>,
    /// Source-days with flagged activity that were fully reviewed, percent.
    pub coverage_pct: Option<f64>,
    /// Accesses to patients' records that clinical context explained, percent.
    pub explained_pct: Option<f64>,
}

#[derive(Debug, Clone, Serialize)]
pub struct LedgerLine {
    pub entries: u64,
    pub head_seq: i64,
    pub head_hash: String,
    pub verified: bool,
    pub problem: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct PolicyLine {
    pub hash: String,
    pub since: String,
    pub ledger_seq: i64,
}

#[derive(Debug, Clone, Serialize)]
pub struct DayLine {
    pub day: NaiveDate,
    pub items: u64,
    pub decided: u64,
    pub events: u64,
}

fn median(mut v: Vec<f64>) -> Option<f64> {
    if v.is_empty() {
        return None;
    }
    v.sort_by(f64::total_cmp);
    let m = v.len() / 2;
    let x = if v.len() % 2 == 1 {
        v[m]
    } else {
        (v[m - 1] + v[m]) / 2.0
    };
    Some((x * 10.0).round() / 10.0)
}

fn pct(part: u64, whole: u64) -> Option<f64> {
    (whole > 0).then(|| (part as f64 * 1000.0 / whole as f64).round() / 10.0)
}

/// Gathers the report for the days `from..=to` (in the rules' time zone).
pub fn build(
    store: &dyn Store,
    config: &dyn Settings,
    from: NaiveDate,
    to: NaiveDate,
    now: DateTime<Utc>,
) -> Result<Report> {
    gather(store, config, from, to, now, true)
}

/// The report without its per-host section, which reads every host event
/// of the period: for the dashboard, which shows only the measures.
pub fn measures(
    store: &dyn Store,
    config: &dyn Settings,
    from: NaiveDate,
    to: NaiveDate,
    now: DateTime<Utc>,
) -> Result<Report> {
    gather(store, config, from, to, now, false)
}

fn gather(
    store: &dyn Store,
    config: &dyn Settings,
    from: NaiveDate,
    to: NaiveDate,
    now: DateTime<Utc>,
    hosts: bool,
) -> Result<Report> {
    let zone = config.zone();
    let start = vigil_domain::time::day_start(zone, from);
    let end = vigil_domain::time::day_start(zone, to + Duration::days(1));
    let days = coverage::days(store, config, from, to, now)?;

    let quarantined: BTreeMap<String, u64> = store
        .source_status()?
        .into_iter()
        .map(|s| (s.name.into_string(), s.quarantined))
        .collect();
    let mut sources: BTreeMap<String, SourceLine> = BTreeMap::new();
    let mut per_day: BTreeMap<NaiveDate, DayLine> = BTreeMap::new();
    for d in &days {
        let s = sources
            .entry(d.source.clone())
            .or_insert_with(|| SourceLine {
                source: d.source.clone(),
                cadence: format!("{} ({})", d.cadence.cadence, d.cadence.why),
                events: 0,
                items: 0,
                decided: 0,
                quarantined: quarantined.get(&d.source).copied().unwrap_or(0),
                reviewed_days: 0,
                overdue_days: 0,
                silent_days: 0,
            });
        s.events += d.events;
        s.items += d.items;
        s.decided += d.decided;
        match d.status {
            "reviewed" => s.reviewed_days += 1,
            "overdue" => s.overdue_days += 1,
            "silent" => s.silent_days += 1,
            _ => {}
        }
        let p = per_day.entry(d.day).or_insert(DayLine {
            day: d.day,
            items: 0,
            decided: 0,
            events: 0,
        });
        p.items += d.items;
        p.decided += d.decided;
        p.events += d.events;
    }
    let flagged_days = days.iter().filter(|d| d.items > 0).count() as u64;
    let reviewed_days = days.iter().filter(|d| d.status == "reviewed").count() as u64;

    let mut explanations: BTreeMap<String, ExplanationLine> = BTreeMap::new();
    for (source, kind, n) in store.explanation_counts(start, end)? {
        let line = explanations
            .entry(source.clone())
            .or_insert_with(|| ExplanationLine {
                source,
                accesses: 0,
                explained: 0,
                explained_pct: None,
                by_kind: BTreeMap::new(),
            });
        line.accesses += n;
        if kind != vigil_domain::Explanation::Unexplained {
            line.explained += n;
        }
        *line.by_kind.entry(kind.to_string()).or_default() += n;
    }
    let (all_accesses, all_explained) = explanations
        .values()
        .fold((0, 0), |(a, e), l| (a + l.accesses, e + l.explained));
    let explanations: Vec<ExplanationLine> = explanations
        .into_values()
        .map(|mut l| {
            l.explained_pct = pct(l.explained, l.accesses);
            l
        })
        .collect();

    // the items about the period, counted in the store
    let stats = store.review_stats(start, end)?;
    let rules: Vec<RuleLine> = stats
        .rules
        .into_iter()
        .map(|(rule, items, decided, false_positives)| RuleLine {
            rule,
            items,
            decided,
            false_positives,
            false_positive_pct: pct(false_positives, decided),
        })
        .collect();
    let to_decision = stats
        .to_decision_us
        .iter()
        .map(|us| *us as f64 / 3_600_000_000.0)
        .collect();

    let incidents: Vec<IncidentLine> = store
        .incidents()?
        .into_iter()
        .filter(|i| i.opened_at >= start && i.opened_at < end)
        .map(|i| IncidentLine {
            id: i.id,
            severity: i.severity,
            status: i.status.as_str().to_owned(),
            opened_at: i.opened_at,
            closed_at: i.closed_at,
            outcome: i.outcome,
            items: i.item_ids.len(),
        })
        .collect();
    let to_close = incidents
        .iter()
        .filter_map(|i| Some((i.closed_at? - i.opened_at).num_seconds() as f64 / 3600.0))
        .collect();
    // Sanctions are personnel records: the report counts them; the register
    // is for its viewers (`vigil sanction list`).
    let sanctions = store
        .sanctions()?
        .iter()
        .filter(|s| {
            NaiveDate::parse_from_str(&s.decided_on, "%Y-%m-%d").is_ok_and(|d| d >= from && d <= to)
        })
        .count() as u64;
    let suppressions = store
        .suppressions()?
        .into_iter()
        .filter(|s| s.until > start)
        .map(|s| SuppressionLine {
            id: s.id,
            actor: s.actor,
            rule: s.rule,
            until: s.until,
            owner: s.owner,
            reason: s.reason,
        })
        .collect();
    let mut v = store.verify_ledger()?;
    if v.broken.is_none() {
        // as `vigil verify` holds it: the witness's checkpoints and the seals
        v.broken = super::witness::check_configured(store, config.ledger())?.err();
    }
    let policy = super::policy::in_force(store, end)?.map(|(hash, since, ledger_seq)| PolicyLine {
        hash,
        since,
        ledger_seq,
    });
    Ok(Report {
        policy,
        from,
        to,
        generated_at: now,
        sources: sources.into_values().collect(),
        rules,
        reviewers: stats
            .reviewers
            .into_iter()
            .map(|(name, count)| Count { name, count })
            .collect(),
        dispositions: stats
            .dispositions
            .into_iter()
            .map(|(name, count)| Count { name, count })
            .collect(),
        incidents,
        sanctions,
        suppressions,
        exceptions: days
            .iter()
            .filter(|d| matches!(d.status, "overdue" | "silent" | "source down"))
            .cloned()
            .collect(),
        measures: Measures {
            median_hours_event_to_decision: median(to_decision),
            median_hours_incident_to_close: median(to_close),
            coverage_pct: pct(reviewed_days, flagged_days),
            explained_pct: pct(all_explained, all_accesses),
        },
        ledger: LedgerLine {
            entries: v.entries,
            head_seq: v.head_seq,
            head_hash: v.head_hash,
            verified: v.broken.is_none(),
            problem: v.broken.map(|b| b.to_string()),
        },
        days: per_day.into_values().collect(),
        explanations,
        hosts: if hosts {
            crate::hosts::summarize(store, zone, start, end)?
        } else {
            Vec::new()
        },
    })
}
