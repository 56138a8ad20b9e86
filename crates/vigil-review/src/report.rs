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

use super::attest::{self, Certification, Organization, Preparer};
use super::coverage;
use crate::Settings;
use vigil_store::Store;

#[derive(Debug, Clone, Serialize)]
pub struct Report {
    pub from: NaiveDate,
    pub to: NaiveDate,
    pub generated_at: DateTime<Utc>,
    /// The rules' zone, which the period's days are cut in.
    pub zone: String,
    /// Who and what the report is about (`[organization]`).
    pub organization: Option<Organization>,
    pub prepared_by: Preparer,
    /// The page an auditor reads first.
    pub summary: Summary,
    /// Review acts by the day they were made (not the day of the activity).
    pub decisions_by_day: Vec<Count>,
    /// A reproducible random sample of the period's decisions, with the
    /// reasons the reviewer saw: what shows whether reviews are real.
    pub sample: Sample,
    /// Changes to the risk register in the period.
    pub risk_changes: Vec<RiskChange>,
    /// Certifications recorded for this period (`vigil report --certify`).
    pub certifications: Vec<Certification>,
    /// The statement a certifier signs.
    pub statement: String,
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

/// The one-page summary.
#[derive(Debug, Clone, Serialize)]
pub struct Summary {
    pub coverage_pct: Option<f64>,
    pub source_days: u64,
    pub reviewed_days: u64,
    pub overdue_days: u64,
    pub silent_days: u64,
    pub items_raised: u64,
    pub items_decided: u64,
    pub items_escalated: u64,
    /// Review acts (decide, undo, approve, reopen…) made in the period.
    pub decisions_made: u64,
    pub median_hours_to_decision: Option<f64>,
    pub explained_pct: Option<f64>,
    pub incidents_opened: u64,
    pub exceptions: u64,
}

/// The sample of decisions, with the seed that draws it again.
#[derive(Debug, Clone, Serialize)]
pub struct Sample {
    pub seed: u64,
    /// Decisions (`decide` acts) in the period it was drawn from.
    pub population: u64,
    pub rows: Vec<SampleLine>,
}

#[derive(Debug, Clone, Serialize)]
pub struct SampleLine {
    pub decision: String,
    pub item: i64,
    pub decided_at: DateTime<Utc>,
    pub reviewer: String,
    pub disposition: Option<String>,
    /// The item's title and each rule's reason, patient identifiers masked.
    pub title: String,
    pub reasons: Vec<String>,
    pub note: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct RiskChange {
    pub at: String,
    pub risk: i64,
    pub asset: String,
    pub action: String,
    pub actor: String,
}

/// One step of an incident's history.
#[derive(Debug, Clone, Serialize)]
pub struct Step {
    pub at: String,
    pub actor: String,
    pub action: String,
    pub detail: String,
}

/// How the report is drawn: the sample's size and seed (derived from the
/// period when not given, so the same period draws the same sample).
#[derive(Debug, Clone, Copy, Default)]
pub struct Options {
    pub sample: Option<usize>,
    pub seed: Option<u64>,
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
    /// Events by day, for the dashboard's sparklines (the report's tables
    /// give the totals).
    #[serde(skip)]
    pub daily: BTreeMap<NaiveDate, u64>,
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

#[derive(Debug, Clone, PartialEq, Serialize)]
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
    pub timeline: Vec<Step>,
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
    /// The last entry a witnessed, signed checkpoint covers.
    pub witnessed_seq: Option<i64>,
    /// The last signed checkpoint in the witness file.
    pub checkpoint: Option<CheckpointLine>,
}

#[derive(Debug, Clone, Serialize)]
pub struct CheckpointLine {
    pub seq: i64,
    pub head: String,
    pub at: String,
    pub key: String,
    pub sig: String,
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
    gather(store, config, from, to, now, true, Options::default())
}

/// The report with a chosen sample size and seed.
pub fn build_with(
    store: &dyn Store,
    config: &dyn Settings,
    from: NaiveDate,
    to: NaiveDate,
    now: DateTime<Utc>,
    options: Options,
) -> Result<Report> {
    gather(store, config, from, to, now, true, options)
}

/// The sample's size when not given.
pub const SAMPLE: usize = 10;

/// The digest a certification records: the period's measures as the
/// certifier saw them (not when it was run, nor the ledger that the
/// certification itself extends).
pub fn digest(r: &Report) -> String {
    use sha2::{Digest, Sha256};
    let v = serde_json::json!({
        "from": r.from,
        "to": r.to,
        "organization": r.organization,
        "summary": r.summary,
        "sources": r.sources,
        "rules": r.rules,
        "dispositions": r.dispositions,
        "reviewers": r.reviewers,
        "incidents": r.incidents.iter().map(|i| (i.id, &i.status, &i.outcome)).collect::<Vec<_>>(),
        "sanctions": r.sanctions,
        "decisions_by_day": r.decisions_by_day,
    });
    hex::encode(Sha256::digest(v.to_string().as_bytes()))
}

/// Masks patients' identifiers and names in text a report shows: each word
/// that is a known record number or part of a patient's name.
struct Redactor(std::collections::HashSet<String>);

impl Redactor {
    fn of(store: &dyn Store) -> Result<Redactor> {
        let mut set = std::collections::HashSet::new();
        for p in store.patients()? {
            set.insert(p.mrn.to_lowercase());
            for w in p.name.split(|c: char| !c.is_alphanumeric()) {
                if w.chars().count() >= 3 {
                    set.insert(w.to_lowercase());
                }
            }
        }
        Ok(Redactor(set))
    }

    fn add(&mut self, id: &str) {
        self.0.insert(id.to_lowercase());
    }

    fn text(&self, s: &str) -> String {
        let mut out = String::with_capacity(s.len());
        let mut word = String::new();
        let flush = |word: &mut String, out: &mut String| {
            if !word.is_empty() {
                if self.0.contains(&word.to_lowercase()) {
                    out.push_str(&vigil_domain::people::mask(word));
                } else {
                    out.push_str(word);
                }
                word.clear();
            }
        };
        for c in s.chars() {
            if c.is_alphanumeric() {
                word.push(c);
            } else {
                flush(&mut word, &mut out);
                out.push(c);
            }
        }
        flush(&mut word, &mut out);
        out
    }
}

/// `n` of the period's decisions, drawn with `seed`.
fn sample(
    store: &dyn Store,
    decisions: &[vigil_store::DecisionRow],
    n: usize,
    seed: u64,
) -> Result<Sample> {
    let mut pool: Vec<&vigil_store::DecisionRow> =
        decisions.iter().filter(|d| d.kind == "decide").collect();
    let population = pool.len() as u64;
    let mut rng = vigil_domain::rng::Rng::new(seed);
    // a partial Fisher-Yates: the first n are the sample
    let n = n.min(pool.len());
    for i in 0..n {
        let j = i + rng.below((pool.len() - i) as u64) as usize;
        pool.swap(i, j);
    }
    let mut chosen: Vec<&vigil_store::DecisionRow> = pool[..n].to_vec();
    chosen.sort_by_key(|d| (d.decided_at, d.ledger_seq));
    let patient_sources: std::collections::HashSet<String> = store
        .source_status()?
        .into_iter()
        .filter(|s| vigil_domain::is_patient_record_kind(s.kind.as_str()))
        .map(|s| s.name.into_string())
        .collect();
    let mut redact = Redactor::of(store)?;
    let mut rows = Vec::with_capacity(n);
    for d in chosen {
        let item = store.item(d.item_id)?;
        if let Some(it) = &item
            && let Some(s) = &it.subject
            && it
                .source
                .as_ref()
                .is_some_and(|src| patient_sources.contains(src.as_str()))
        {
            redact.add(s.as_str());
        }
        rows.push(SampleLine {
            decision: d.id.clone(),
            item: d.item_id,
            decided_at: d.decided_at,
            reviewer: d.reviewer.clone(),
            disposition: d.disposition.map(|x| x.as_str().to_owned()),
            title: item
                .as_ref()
                .map(|i| redact.text(i.title.as_str()))
                .unwrap_or_default(),
            reasons: item
                .as_ref()
                .map(|i| {
                    i.rules
                        .iter()
                        .map(|r| format!("{}: {}", r.rule, redact.text(r.reason.as_str())))
                        .collect()
                })
                .unwrap_or_default(),
            note: d.note.as_deref().map(|n| redact.text(n)),
        });
    }
    Ok(Sample {
        seed,
        population,
        rows,
    })
}

/// A step of a ledger history, in words.
fn step(e: &vigil_store::LedgerEntry) -> Step {
    let p: serde_json::Value = serde_json::from_str(&e.payload).unwrap_or_default();
    let mut detail = Vec::new();
    for k in [
        "status",
        "outcome",
        "assignee",
        "severity",
        "note",
        "destination",
    ] {
        if let Some(v) = p.get(k).and_then(|v| v.as_str()) {
            detail.push(format!("{k} {v}"));
        }
    }
    Step {
        at: e.at.clone(),
        actor: e.actor.clone(),
        action: e.action.clone(),
        detail: detail.join(", "),
    }
}

/// The report's measures alone, without what only the full report shows
/// (the per-host section, which reads every host event of the period, the
/// decisions and their sample, incident timelines, risk changes): for the
/// dashboard.
pub fn measures(
    store: &dyn Store,
    config: &dyn Settings,
    from: NaiveDate,
    to: NaiveDate,
    now: DateTime<Utc>,
) -> Result<Report> {
    gather(store, config, from, to, now, false, Options::default())
}

fn gather(
    store: &dyn Store,
    config: &dyn Settings,
    from: NaiveDate,
    to: NaiveDate,
    now: DateTime<Utc>,
    full: bool,
    options: Options,
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
                daily: BTreeMap::new(),
            });
        s.events += d.events;
        *s.daily.entry(d.day).or_default() += d.events;
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
            timeline: Vec::new(),
        })
        .collect();
    let mut incidents = incidents;
    if full {
        for i in &mut incidents {
            i.timeline = store
                .ledger_for(&vigil_domain::ledger::Entity::Incident(i.id).to_string())?
                .iter()
                .map(step)
                .collect();
        }
    }
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
    let mut witnessed_seq = None;
    if v.broken.is_none() {
        // as `vigil verify` holds it: the witness's checkpoints and the seals
        match super::witness::check_configured(store, config.ledger())? {
            Ok(w) => witnessed_seq = w.witnessed,
            Err(b) => v.broken = Some(b),
        }
    }
    let checkpoint = match &config.ledger().file {
        Some(f) if f.exists() => super::witness::read_file(f)?
            .into_iter()
            .filter_map(|(_, c)| c.ok())
            .next_back()
            .map(|c| CheckpointLine {
                seq: c.seq,
                head: c.head,
                at: c.at,
                key: c.key,
                sig: c.sig,
            }),
        _ => None,
    };
    let decisions = if full {
        store.decisions_between(start, end)?
    } else {
        Vec::new()
    };
    let mut decisions_by_day: BTreeMap<NaiveDate, u64> = BTreeMap::new();
    for d in &decisions {
        let day = match zone {
            Some(z) => d.decided_at.with_timezone(&z).date_naive(),
            None => d.decided_at.date_naive(),
        };
        *decisions_by_day.entry(day).or_default() += 1;
    }
    let seed = options.seed.unwrap_or_else(|| {
        (from.to_string() + &to.to_string())
            .bytes()
            .fold(0xcbf2_9ce4_8422_2325u64, |h, b| {
                (h ^ u64::from(b)).wrapping_mul(0x100_0000_01b3)
            })
    });
    let sample = sample(store, &decisions, options.sample.unwrap_or(SAMPLE), seed)?;
    let mut risk_changes = Vec::new();
    if full {
        for r in store.risks()? {
            for e in store.ledger_for(&vigil_domain::ledger::Entity::Risk(r.id).to_string())? {
                let at = DateTime::parse_from_rfc3339(&e.at).map(|t| t.with_timezone(&Utc));
                if at.is_ok_and(|t| t >= start && t < end) {
                    risk_changes.push(RiskChange {
                        at: e.at.clone(),
                        risk: r.id,
                        asset: r.asset.clone(),
                        action: e.action.clone(),
                        actor: e.actor.clone(),
                    });
                }
            }
        }
        risk_changes.sort_by(|a, b| a.at.cmp(&b.at));
    }
    let organization = config.organization().cloned();
    let statement = organization
        .as_ref()
        .and_then(|o| o.statement.clone())
        .unwrap_or_else(|| attest::DEFAULT_STATEMENT.to_owned());
    let prepared_by = attest::preparer(store, &vigil_domain::identity::reviewer())?;
    let certifications = attest::certifications(store, from, to)?;
    let exceptions: Vec<coverage::Day> = days
        .iter()
        .filter(|d| matches!(d.status, "overdue" | "silent" | "source down"))
        .cloned()
        .collect();
    let sum = |f: fn(&SourceLine) -> u64| sources.values().map(f).sum::<u64>();
    let median_to_decision = median(to_decision);
    let summary = Summary {
        coverage_pct: pct(reviewed_days, flagged_days),
        source_days: days.len() as u64,
        reviewed_days: sum(|s| s.reviewed_days),
        overdue_days: sum(|s| s.overdue_days),
        silent_days: sum(|s| s.silent_days),
        items_raised: sum(|s| s.items),
        items_decided: sum(|s| s.decided),
        items_escalated: incidents.iter().map(|i| i.items as u64).sum(),
        decisions_made: decisions.len() as u64,
        median_hours_to_decision: median_to_decision,
        explained_pct: pct(all_explained, all_accesses),
        incidents_opened: incidents.len() as u64,
        exceptions: exceptions.len() as u64,
    };
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
        zone: vigil_domain::time::zone_name(zone).to_owned(),
        organization,
        prepared_by,
        summary,
        decisions_by_day: decisions_by_day
            .into_iter()
            .map(|(d, count)| Count {
                name: d.to_string(),
                count,
            })
            .collect(),
        sample,
        risk_changes,
        certifications,
        statement,
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
        exceptions,
        measures: Measures {
            median_hours_event_to_decision: median_to_decision,
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
            witnessed_seq,
            checkpoint,
        },
        days: per_day.into_values().collect(),
        explanations,
        hosts: if full {
            crate::hosts::summarize(store, zone, start, end)?
        } else {
            Vec::new()
        },
    })
}
