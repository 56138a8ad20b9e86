//! The report as one self-contained HTML page with inline SVG charts.

use std::fmt::Write as _;

use vigil_review::report::*;

use super::opt;

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
    if !r.explanations.is_empty() {
        table(
            &mut o,
            "explanations",
            "Explained accesses",
            &["source", "accesses", "explained", "share", "by explanation"],
            r.explanations
                .iter()
                .map(|x| {
                    vec![
                        x.source.clone(),
                        x.accesses.to_string(),
                        x.explained.to_string(),
                        opt(x.explained_pct, "%"),
                        x.by_kind
                            .iter()
                            .map(|(k, n)| format!("{k} {n}"))
                            .collect::<Vec<_>>()
                            .join(", "),
                    ]
                })
                .collect(),
        );
    }
    if !r.hosts.is_empty() {
        table(
            &mut o,
            "hosts",
            "Host activity by day (failed logins count attempts; unclassified is what no parser understood)",
            &["host", "day", "what", "detail"],
            vigil_review::hosts::rows(&r.hosts)
                .into_iter()
                .map(Vec::from)
                .collect(),
        );
    }
    let m = &r.measures;
    let _ = write!(
        o,
        "<section id=\"measures\"><h2>Effectiveness</h2><ul><li>Review coverage: {} of source-days with flagged activity fully reviewed</li><li>Accesses to patients' records explained by clinical context: {}</li><li>Median time from activity to decision: {}</li><li>Median time from escalation to closing: {}</li></ul></section>",
        opt(m.coverage_pct, "%"),
        opt(m.explained_pct, "%"),
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
