//! The attestation report an auditor asks for: for a period, what was
//! collected, what was flagged and by which rule, who reviewed what and how
//! it was disposed of, escalations and their outcomes, sanctions, coverage
//! against each source's cadence with the overdue and silent days, what
//! was quarantined, the suppressions in force, and the ledger's head with
//! the result of verifying it. Counts and workforce names only: no patient
//! names or record numbers.

use std::collections::BTreeMap;
use std::fmt::Write as _;

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
        },
        ledger: LedgerLine {
            entries: v.entries,
            head_seq: v.head_seq,
            head_hash: v.head_hash,
            verified: v.broken.is_none(),
            problem: v.broken.map(|b| b.to_string()),
        },
        days: per_day.into_values().collect(),
    })
}

fn opt(v: Option<f64>, unit: &str) -> String {
    v.map(|x| format!("{x}{unit}"))
        .unwrap_or_else(|| "-".into())
}

/// Markdown: one section per question an auditor asks.
pub fn markdown(r: &Report) -> String {
    let mut o = String::new();
    let cell = |s: &str| s.replace('|', "\\|").replace('\n', " ");
    let _ = writeln!(
        o,
        "# Information system activity review: {} to {}\n",
        r.from, r.to
    );
    let _ = writeln!(
        o,
        "Generated {} by vigil.\n",
        r.generated_at.format("%Y-%m-%d %H:%M UTC")
    );
    let _ = writeln!(o, "## Sources and coverage\n");
    let _ = writeln!(
        o,
        "| source | cadence | events | items | decided | days reviewed | days overdue | days silent | quarantined |"
    );
    let _ = writeln!(o, "|---|---|---:|---:|---:|---:|---:|---:|---:|");
    for s in &r.sources {
        let _ = writeln!(
            o,
            "| {} | {} | {} | {} | {} | {} | {} | {} | {} |",
            cell(&s.source),
            cell(&s.cadence),
            s.events,
            s.items,
            s.decided,
            s.reviewed_days,
            s.overdue_days,
            s.silent_days,
            s.quarantined
        );
    }
    let _ = writeln!(o, "\n## Exceptions (overdue, silent or down)\n");
    if r.exceptions.is_empty() {
        let _ = writeln!(o, "None.");
    } else {
        let _ = writeln!(o, "| day | source | status | items | decided |");
        let _ = writeln!(o, "|---|---|---|---:|---:|");
        for d in &r.exceptions {
            let _ = writeln!(
                o,
                "| {} | {} | {} | {} | {} |",
                d.day,
                cell(&d.source),
                d.status,
                d.items,
                d.decided
            );
        }
    }
    let _ = writeln!(o, "\n## Findings by rule\n");
    let _ = writeln!(
        o,
        "| rule | items | decided | false positives | false-positive rate |"
    );
    let _ = writeln!(o, "|---|---:|---:|---:|---:|");
    for x in &r.rules {
        let _ = writeln!(
            o,
            "| {} | {} | {} | {} | {} |",
            cell(&x.rule),
            x.items,
            x.decided,
            x.false_positives,
            opt(x.false_positive_pct, "%")
        );
    }
    let _ = writeln!(o, "\n## Reviews\n");
    let _ = writeln!(o, "| reviewer | review acts |");
    let _ = writeln!(o, "|---|---:|");
    for x in &r.reviewers {
        let _ = writeln!(o, "| {} | {} |", cell(&x.name), x.count);
    }
    let _ = writeln!(o, "\n| disposition | items |");
    let _ = writeln!(o, "|---|---:|");
    for x in &r.dispositions {
        let _ = writeln!(o, "| {} | {} |", cell(&x.name), x.count);
    }
    let _ = writeln!(o, "\n## Escalations\n");
    if r.incidents.is_empty() {
        let _ = writeln!(o, "No incident was opened.");
    } else {
        let _ = writeln!(
            o,
            "| incident | severity | status | opened | closed | items | outcome |"
        );
        let _ = writeln!(o, "|---:|---|---|---|---|---:|---|");
        for i in &r.incidents {
            let _ = writeln!(
                o,
                "| {} | {} | {} | {} | {} | {} | {} |",
                i.id,
                cell(&i.severity),
                i.status,
                i.opened_at.format("%Y-%m-%d %H:%M"),
                i.closed_at
                    .map(|t| t.format("%Y-%m-%d %H:%M").to_string())
                    .unwrap_or_else(|| "-".into()),
                i.items,
                cell(i.outcome.as_deref().unwrap_or("-"))
            );
        }
    }
    let _ = writeln!(
        o,
        "\nSanctions recorded in the period: {} (the register is kept apart, for its viewers).",
        r.sanctions
    );
    let _ = writeln!(o, "\n## Suppressions in force\n");
    if r.suppressions.is_empty() {
        let _ = writeln!(o, "None.");
    } else {
        let _ = writeln!(o, "| id | actor | rule | until | owner | reason |");
        let _ = writeln!(o, "|---:|---|---|---|---|---|");
        for s in &r.suppressions {
            let _ = writeln!(
                o,
                "| {} | {} | {} | {} | {} | {} |",
                s.id,
                cell(&s.actor),
                cell(s.rule.as_deref().unwrap_or("any")),
                s.until.format("%Y-%m-%d"),
                cell(&s.owner),
                cell(&s.reason)
            );
        }
    }
    let m = &r.measures;
    let _ = writeln!(o, "\n## Effectiveness\n");
    let _ = writeln!(
        o,
        "- Review coverage: {} of source-days with flagged activity fully reviewed",
        opt(m.coverage_pct, "%")
    );
    let _ = writeln!(
        o,
        "- Median time from activity to decision: {}",
        opt(m.median_hours_event_to_decision, " h")
    );
    let _ = writeln!(
        o,
        "- Median time from escalation to closing: {}",
        opt(m.median_hours_incident_to_close, " h")
    );
    let _ = writeln!(o, "\n## Review policy in force\n");
    match &r.policy {
        Some(p) => {
            let _ = writeln!(
                o,
                "Version `{}`, in force since {} (ledger entry {}); `vigil policy show` prints it.",
                p.hash, p.since, p.ledger_seq
            );
        }
        None => {
            let _ = writeln!(
                o,
                "No version of the review policy was recorded by the end of the period."
            );
        }
    }
    let _ = writeln!(o, "\n## Ledger\n");
    let l = &r.ledger;
    if l.verified {
        let _ = writeln!(
            o,
            "`vigil verify` passed: {} entries, head `{}` at entry {}.",
            l.entries, l.head_hash, l.head_seq
        );
    } else {
        let _ = writeln!(
            o,
            "`vigil verify` FAILED: {} (head `{}` at entry {}).",
            l.problem.as_deref().unwrap_or("?"),
            l.head_hash,
            l.head_seq
        );
    }
    o
}

fn csv_field(s: &str) -> String {
    if s.contains([',', '"', '\n']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_owned()
    }
}

/// CSV: one row per fact, `section,key,field,value`, for a spreadsheet.
pub fn csv(r: &Report) -> String {
    let mut o = String::from("section,key,field,value\n");
    let mut row = |section: &str, key: &str, field: &str, value: String| {
        let _ = writeln!(
            o,
            "{},{},{},{}",
            section,
            csv_field(key),
            field,
            csv_field(&value)
        );
    };
    row("period", "", "from", r.from.to_string());
    row("period", "", "to", r.to.to_string());
    for s in &r.sources {
        row("source", &s.source, "cadence", s.cadence.clone());
        row("source", &s.source, "events", s.events.to_string());
        row("source", &s.source, "items", s.items.to_string());
        row("source", &s.source, "decided", s.decided.to_string());
        row(
            "source",
            &s.source,
            "reviewed_days",
            s.reviewed_days.to_string(),
        );
        row(
            "source",
            &s.source,
            "overdue_days",
            s.overdue_days.to_string(),
        );
        row(
            "source",
            &s.source,
            "silent_days",
            s.silent_days.to_string(),
        );
        row(
            "source",
            &s.source,
            "quarantined",
            s.quarantined.to_string(),
        );
    }
    for d in &r.exceptions {
        row(
            "exception",
            &format!("{} {}", d.day, d.source),
            "status",
            d.status.to_owned(),
        );
    }
    for x in &r.rules {
        row("rule", &x.rule, "items", x.items.to_string());
        row("rule", &x.rule, "decided", x.decided.to_string());
        row(
            "rule",
            &x.rule,
            "false_positives",
            x.false_positives.to_string(),
        );
    }
    for x in &r.reviewers {
        row("reviewer", &x.name, "acts", x.count.to_string());
    }
    for x in &r.dispositions {
        row("disposition", &x.name, "items", x.count.to_string());
    }
    for i in &r.incidents {
        row("incident", &i.id.to_string(), "status", i.status.clone());
        row(
            "incident",
            &i.id.to_string(),
            "outcome",
            i.outcome.clone().unwrap_or_default(),
        );
    }
    row("sanctions", "", "recorded", r.sanctions.to_string());
    for s in &r.suppressions {
        row("suppression", &s.id.to_string(), "actor", s.actor.clone());
        row(
            "suppression",
            &s.id.to_string(),
            "until",
            s.until.format("%Y-%m-%d").to_string(),
        );
    }
    let m = &r.measures;
    row("measure", "", "coverage_pct", opt(m.coverage_pct, ""));
    row(
        "measure",
        "",
        "median_hours_event_to_decision",
        opt(m.median_hours_event_to_decision, ""),
    );
    row(
        "measure",
        "",
        "median_hours_incident_to_close",
        opt(m.median_hours_incident_to_close, ""),
    );
    if let Some(p) = &r.policy {
        row("policy", "", "hash", p.hash.clone());
        row("policy", "", "since", p.since.clone());
    }
    row("ledger", "", "entries", r.ledger.entries.to_string());
    row("ledger", "", "head_hash", r.ledger.head_hash.clone());
    row("ledger", "", "verified", r.ledger.verified.to_string());
    o
}

fn esc(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// One bar series of a chart: its name, colour and value per day.
type Series<'a> = (&'a str, &'a str, fn(&DayLine) -> u64);

/// A bar chart as inline SVG: one group per day, `series` bars each.
fn chart(title: &str, days: &[DayLine], series: &[Series<'_>]) -> String {
    let max = days
        .iter()
        .flat_map(|d| series.iter().map(move |s| (s.2)(d)))
        .max()
        .unwrap_or(0)
        .max(1);
    let (h, bw) = (120.0, 8.0);
    let gw = bw * series.len() as f64 + 6.0;
    let w = gw * days.len().max(1) as f64 + 40.0;
    let mut o = format!(
        "<figure><svg xmlns=\"http://www.w3.org/2000/svg\" role=\"img\" aria-label=\"{}\" width=\"{w}\" height=\"{}\" viewBox=\"0 0 {w} {}\">",
        esc(title),
        h + 30.0,
        h + 30.0
    );
    for (i, d) in days.iter().enumerate() {
        for (k, (_, color, f)) in series.iter().enumerate() {
            let v = f(d) as f64 / max as f64 * h;
            let x = 30.0 + i as f64 * gw + k as f64 * bw;
            let _ = write!(
                o,
                "<rect x=\"{x:.1}\" y=\"{:.1}\" width=\"{:.1}\" height=\"{v:.1}\" fill=\"{color}\"><title>{} {}: {}</title></rect>",
                h - v,
                bw - 1.0,
                d.day,
                series[k].0,
                f(d)
            );
        }
        if days.len() <= 31 {
            let _ = write!(
                o,
                "<text x=\"{:.1}\" y=\"{}\" font-size=\"8\">{}</text>",
                30.0 + i as f64 * gw,
                h + 12.0,
                d.day.format("%d")
            );
        }
    }
    let _ = write!(
        o,
        "<text x=\"0\" y=\"10\" font-size=\"9\">{max}</text></svg><figcaption>{}: ",
        esc(title)
    );
    for (name, color, _) in series {
        let _ = write!(o, "<span style=\"color:{color}\">■</span> {} ", esc(name));
    }
    o.push_str("</figcaption></figure>");
    o
}

/// One self-contained HTML file (no scripts, no outside resources) that
/// prints well: the Markdown's sections as tables, and two charts.
pub fn html(r: &Report) -> String {
    let mut o = String::new();
    let _ = write!(
        o,
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>Activity review {} to {}</title><style>\
body{{font-family:system-ui,sans-serif;margin:2em;color:#111}}table{{border-collapse:collapse;margin:.5em 0 1.5em}}\
th,td{{border:1px solid #999;padding:.2em .5em;font-size:.9em}}td.n{{text-align:right}}h2{{border-bottom:1px solid #ccc;page-break-after:avoid}}\
section{{page-break-inside:avoid}}.fail{{color:#a00;font-weight:bold}}@media print{{body{{margin:0}}}}</style></head><body>",
        r.from, r.to
    );
    let _ = write!(
        o,
        "<h1>Information system activity review: {} to {}</h1><p>Generated {} by vigil.</p>",
        r.from,
        r.to,
        r.generated_at.format("%Y-%m-%d %H:%M UTC")
    );
    let table = |o: &mut String, id: &str, title: &str, head: &[&str], rows: Vec<Vec<String>>| {
        let _ = write!(
            o,
            "<section id=\"{id}\"><h2>{}</h2><table><thead><tr>",
            esc(title)
        );
        for h in head {
            let _ = write!(o, "<th>{}</th>", esc(h));
        }
        o.push_str("</tr></thead><tbody>");
        if rows.is_empty() {
            let _ = write!(o, "<tr><td colspan=\"{}\">None.</td></tr>", head.len());
        }
        for row in rows {
            o.push_str("<tr>");
            for c in row {
                let class = if c.parse::<f64>().is_ok() {
                    " class=\"n\""
                } else {
                    ""
                };
                let _ = write!(o, "<td{class}>{}</td>", esc(&c));
            }
            o.push_str("</tr>");
        }
        o.push_str("</tbody></table></section>");
    };
    table(
        &mut o,
        "sources",
        "Sources and coverage",
        &[
            "source",
            "cadence",
            "events",
            "items",
            "decided",
            "days reviewed",
            "days overdue",
            "days silent",
            "quarantined",
        ],
        r.sources
            .iter()
            .map(|s| {
                vec![
                    s.source.clone(),
                    s.cadence.clone(),
                    s.events.to_string(),
                    s.items.to_string(),
                    s.decided.to_string(),
                    s.reviewed_days.to_string(),
                    s.overdue_days.to_string(),
                    s.silent_days.to_string(),
                    s.quarantined.to_string(),
                ]
            })
            .collect(),
    );
    o.push_str("<section id=\"charts\"><h2>Over time</h2>");
    o.push_str(&chart(
        "Items raised and decided per day",
        &r.days,
        &[
            ("raised", "#c60", |d| d.items),
            ("decided", "#06c", |d| d.decided),
        ],
    ));
    o.push_str(&chart(
        "Events collected per day",
        &r.days,
        &[("events", "#555", |d| d.events)],
    ));
    o.push_str("</section>");
    table(
        &mut o,
        "exceptions",
        "Exceptions (overdue, silent or down)",
        &["day", "source", "status", "items", "decided"],
        r.exceptions
            .iter()
            .map(|d| {
                vec![
                    d.day.to_string(),
                    d.source.clone(),
                    d.status.to_owned(),
                    d.items.to_string(),
                    d.decided.to_string(),
                ]
            })
            .collect(),
    );
    table(
        &mut o,
        "rules",
        "Findings by rule",
        &[
            "rule",
            "items",
            "decided",
            "false positives",
            "false-positive rate",
        ],
        r.rules
            .iter()
            .map(|x| {
                vec![
                    x.rule.clone(),
                    x.items.to_string(),
                    x.decided.to_string(),
                    x.false_positives.to_string(),
                    opt(x.false_positive_pct, "%"),
                ]
            })
            .collect(),
    );
    table(
        &mut o,
        "reviewers",
        "Reviews",
        &["reviewer", "review acts"],
        r.reviewers
            .iter()
            .map(|x| vec![x.name.clone(), x.count.to_string()])
            .collect(),
    );
    table(
        &mut o,
        "dispositions",
        "Dispositions",
        &["disposition", "items"],
        r.dispositions
            .iter()
            .map(|x| vec![x.name.clone(), x.count.to_string()])
            .collect(),
    );
    table(
        &mut o,
        "incidents",
        "Escalations",
        &[
            "incident", "severity", "status", "opened", "closed", "items", "outcome",
        ],
        r.incidents
            .iter()
            .map(|i| {
                vec![
                    i.id.to_string(),
                    i.severity.clone(),
                    i.status.clone(),
                    i.opened_at.format("%Y-%m-%d %H:%M").to_string(),
                    i.closed_at
                        .map(|t| t.format("%Y-%m-%d %H:%M").to_string())
                        .unwrap_or_else(|| "-".into()),
                    i.items.to_string(),
                    i.outcome.clone().unwrap_or_else(|| "-".into()),
                ]
            })
            .collect(),
    );
    let _ = write!(
        o,
        "<p>Sanctions recorded in the period: {} (the register is kept apart, for its viewers).</p>",
        r.sanctions
    );
    table(
        &mut o,
        "suppressions",
        "Suppressions in force",
        &["id", "actor", "rule", "until", "owner", "reason"],
        r.suppressions
            .iter()
            .map(|s| {
                vec![
                    s.id.to_string(),
                    s.actor.clone(),
                    s.rule.clone().unwrap_or_else(|| "any".into()),
                    s.until.format("%Y-%m-%d").to_string(),
                    s.owner.clone(),
                    s.reason.clone(),
                ]
            })
            .collect(),
    );
    let m = &r.measures;
    let _ = write!(
        o,
        "<section id=\"measures\"><h2>Effectiveness</h2><ul><li>Review coverage: {} of source-days with flagged activity fully reviewed</li><li>Median time from activity to decision: {}</li><li>Median time from escalation to closing: {}</li></ul></section>",
        opt(m.coverage_pct, "%"),
        opt(m.median_hours_event_to_decision, " h"),
        opt(m.median_hours_incident_to_close, " h")
    );
    let _ = write!(
        o,
        "<section id=\"policy\"><h2>Review policy in force</h2><p>{}</p></section>",
        match &r.policy {
            Some(p) => format!(
                "Version <code>{}</code>, in force since {} (ledger entry {}).",
                esc(&p.hash),
                esc(&p.since),
                p.ledger_seq
            ),
            None => "No version of the review policy was recorded by the end of the period.".into(),
        }
    );
    let l = &r.ledger;
    let verdict = if l.verified {
        format!(
            "<code>vigil verify</code> passed: {} entries, head <code>{}</code> at entry {}.",
            l.entries,
            esc(&l.head_hash),
            l.head_seq
        )
    } else {
        format!(
            "<span class=\"fail\"><code>vigil verify</code> FAILED: {}</span> (head <code>{}</code> at entry {}).",
            esc(l.problem.as_deref().unwrap_or("?")),
            esc(&l.head_hash),
            l.head_seq
        )
    };
    let _ = writeln!(
        o,
        "<section id=\"ledger\"><h2>Ledger</h2><p>{verdict}</p></section></body></html>"
    );
    o
}
