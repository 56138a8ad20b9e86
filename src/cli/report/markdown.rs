//! The report as Markdown: one section per question an auditor asks.

use std::fmt::Write as _;

use vigil_review::report::*;

use super::opt;

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
        "- Accesses to patients' records explained by clinical context: {}",
        opt(m.explained_pct, "%")
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
    if !r.explanations.is_empty() {
        let _ = writeln!(o, "\n## Explained accesses\n");
        let _ = writeln!(
            o,
            "| source | accesses | explained | share | by explanation |"
        );
        let _ = writeln!(o, "|---|---:|---:|---:|---|");
        for x in &r.explanations {
            let kinds: Vec<String> = x.by_kind.iter().map(|(k, n)| format!("{k} {n}")).collect();
            let _ = writeln!(
                o,
                "| {} | {} | {} | {} | {} |",
                cell(&x.source),
                x.accesses,
                x.explained,
                opt(x.explained_pct, "%"),
                kinds.join(", ")
            );
        }
    }
    if !r.hosts.is_empty() {
        let _ = writeln!(o, "\n## Host activity by day\n");
        let _ = writeln!(
            o,
            "Failed logins count attempts, not lines; \"unclassified\" is what no parser understood.\n"
        );
        let _ = writeln!(o, "| host | day | what | detail |");
        let _ = writeln!(o, "|---|---|---|---|");
        for [h, d, w, x] in vigil_review::hosts::rows(&r.hosts) {
            let _ = writeln!(o, "| {} | {d} | {} | {} |", cell(&h), cell(&w), cell(&x));
        }
    }
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
