//! The attestation report on a fixed demo dataset: Markdown, CSV and JSON
//! checked against golden files field by field, the HTML parsed for its
//! sections and charts, and no patient name or record number anywhere.

use crate::common;

use chrono::{DateTime, Duration, NaiveDate, Utc};
use vigil::cli::report::{csv, html, markdown};
use vigil_domain::Disposition;
use vigil_review::report;
use vigil_review::{Act, IncidentChange, NewIncident, Policy, Reviewer, ops};
use vigil_store::IncidentStatus;

fn end() -> DateTime<Utc> {
    "2025-03-14T15:00:00Z".parse().unwrap()
}

/// The demo as of a fixed time, with some review done: the failed-login
/// bursts judged false positives, the after-hours items benign, and one
/// item escalated to an incident that was then closed.
fn reviewed(dir: &std::path::Path) -> (vigil_app::config::Config, Box<dyn vigil_store::Store>) {
    let (config, mut store) = vigil_app::demo::load(dir, end()).unwrap();
    let who = Reviewer {
        name: "rev-one".into(),
        session: "s".into(),
    };
    let p = Policy::default();
    let t = end() + Duration::hours(1);
    for (rule, d) in [
        ("failed-burst", Disposition::FalsePositive),
        ("after-hours", Disposition::Benign),
    ] {
        let ids: Vec<i64> = store
            .items(
                &vigil_domain::query::Query::parse(&format!("rule:{rule}")).unwrap(),
                0,
            )
            .unwrap()
            .iter()
            .map(|i| i.id)
            .collect();
        let act = Act::Decide {
            disposition: d,
            note: Some("checked".into()),
            reopen: false,
        };
        let out = ops::apply(&mut *store, &p, &who, t, &ids, &act, None).unwrap();
        assert!(out.iter().all(|o| !o.is_refused()), "{out:?}");
    }
    let snoop = store
        .items(
            &vigil_domain::query::Query::parse("rule:same-surname").unwrap(),
            1,
        )
        .unwrap()[0]
        .id;
    let inc = ops::escalate(
        &mut *store,
        &p,
        &who,
        t,
        &[snoop],
        &NewIncident {
            title: None,
            severity: "high".into(),
            assignee: Some("bob".into()),
            note: None,
        },
    )
    .unwrap();
    ops::update_incident(
        &mut *store,
        &who,
        t + Duration::hours(5),
        inc.id,
        &IncidentChange {
            status: Some(IncidentStatus::Closed),
            outcome: Some("no breach: chart opened for a shift handover".into()),
            risk_update_needed: Some(false),
            assignee: None,
            note: None,
        },
    )
    .unwrap();
    (config, store)
}

/// The report with the ledger head (which covers random decision ids)
/// replaced by a placeholder.
fn stable(text: &str, head: &str) -> String {
    text.replace(head, "<ledger head>")
}

#[test]
fn the_report_says_what_an_auditor_asks_and_no_patient_names() {
    let dir = tempfile::tempdir().unwrap();
    let (config, store) = reviewed(dir.path());
    let from: NaiveDate = "2025-03-12".parse().unwrap();
    let to: NaiveDate = "2025-03-14".parse().unwrap();
    let now = end() + Duration::hours(8);
    let r = report::build(&*store, &config, from, to, now).unwrap();
    let head = r.ledger.head_hash.clone();
    assert!(r.ledger.verified);

    // field by field, where the numbers come from
    let burst = r.rules.iter().find(|x| x.rule == "failed-burst").unwrap();
    assert!(burst.items > 0);
    assert_eq!(burst.decided, burst.items);
    assert_eq!(burst.false_positive_pct, Some(100.0));
    let after = r.rules.iter().find(|x| x.rule == "after-hours").unwrap();
    assert_eq!(after.false_positive_pct, Some(0.0));
    assert_eq!(r.reviewers.len(), 1);
    assert_eq!(r.reviewers[0].name, "rev-one");
    assert_eq!(r.incidents.len(), 1);
    assert_eq!(r.incidents[0].status, "closed");
    assert_eq!(r.measures.median_hours_incident_to_close, Some(5.0));
    assert!(
        r.sources
            .iter()
            .any(|s| s.source == "ehr-access" && s.events > 0)
    );
    assert!(
        r.sources.iter().any(|s| s.quarantined > 0),
        "the demo's corrupted line"
    );

    let md = stable(&markdown::markdown(&r), &head);
    let csv = stable(&csv::csv(&r), &head);
    let json = stable(&serde_json::to_string_pretty(&r).unwrap(), &head);
    let html = stable(&html::html(&r), &head);

    // no patient name or MRN from the demographics, in any format
    let patients = store.patients().unwrap();
    assert!(!patients.is_empty());
    for p in &patients {
        for text in [&md, &csv, &json, &html] {
            assert!(
                !text.contains(&p.name),
                "patient name {} in a report",
                p.name
            );
            assert!(!text.contains(&p.mrn), "MRN {} in a report", p.mrn);
        }
    }

    // the HTML is one file with its sections, two charts and no scripts or
    // outside resources
    for id in [
        "sources",
        "charts",
        "exceptions",
        "rules",
        "reviewers",
        "incidents",
        "suppressions",
        "measures",
        "policy",
        "ledger",
    ] {
        assert!(
            html.contains(&format!("<section id=\"{id}\">")),
            "no {id} section"
        );
    }
    assert_eq!(html.matches("<svg").count(), 2);
    assert!(
        !html.contains("<script") && !html.contains("src=\"http") && !html.contains("href=\"http")
    );
    assert!(html.contains("@media print"));
    assert!(html.contains("<code>vigil verify</code> passed"));

    insta::assert_snapshot!("report_md", md);
    insta::assert_snapshot!("report_csv", csv);
    insta::assert_snapshot!("report_json", json);
}

#[test]
fn a_broken_ledger_is_reported_and_the_command_fails() {
    let dir = tempfile::tempdir().unwrap();
    let (config, store) = reviewed(dir.path());
    drop(store);
    let db = config.store.url.to_string();
    let db = db.strip_prefix("sqlite:").unwrap();
    let c = rusqlite::Connection::open(db).unwrap();
    c.execute_batch(
        "DROP TRIGGER ledger_no_update; UPDATE ledger SET actor = 'mallory' WHERE seq = 2;",
    )
    .unwrap();
    let out = common::vigil(
        dir.path(),
        &[
            "--config",
            config.file.as_ref().unwrap().to_str().unwrap(),
            "report",
            "--from",
            "2025-03-12",
            "--to",
            "2025-03-14",
        ],
    );
    assert_eq!(out.status.code(), Some(1));
    let md = common::stdout(&out);
    assert!(
        md.contains("`vigil verify` FAILED: ledger entry 2 was changed"),
        "{md}"
    );
}
