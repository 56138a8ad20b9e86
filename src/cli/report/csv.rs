//! The report as CSV: one row per fact, for a spreadsheet.

use std::fmt::Write as _;

use vigil_review::report::*;

use super::opt;

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
    row("measure", "", "explained_pct", opt(m.explained_pct, ""));
    for x in &r.explanations {
        for (k, n) in &x.by_kind {
            row("explained", &x.source, k, n.to_string());
        }
    }
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
