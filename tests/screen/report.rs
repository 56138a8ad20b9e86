//! The attestation report on a fixed demo dataset: Markdown, CSV and JSON
//! checked against golden files field by field, the HTML parsed for its
//! sections and charts, the PDF's text (read back by lopdf) holding the
//! same sections and numbers as the HTML, no patient name or record number
//! anywhere, and a certification that is a ledger entry `verify` holds.

use crate::common;

use chrono::{DateTime, Duration, NaiveDate, Utc};
use vigil::cli::report::{csv, document, html, markdown, pdf};
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

/// What differs from run to run (the ledger head, which covers random
/// decision ids; the decision ids; the ledger key's signature; the account
/// running the test, and so the policy's version) replaced by placeholders.
fn stabilizer(r: &report::Report) -> impl Fn(&str) -> String + use<> {
    let mut swaps: Vec<(String, String)> =
        vec![(r.ledger.head_hash.clone(), "<ledger head>".into())];
    if let Some(c) = &r.ledger.checkpoint {
        swaps.push((c.head.clone(), "<checkpoint head>".into()));
        swaps.push((c.key.clone(), "<key>".into()));
        swaps.push((c.sig.clone(), "<signature>".into()));
        swaps.push((c.at.clone(), "<checkpoint time>".into()));
    }
    for s in &r.sample.rows {
        swaps.push((s.decision.clone(), "<decision id>".into()));
    }
    if let Some(p) = &r.policy {
        swaps.push((p.since.clone(), "<policy since>".into()));
        // (the demo's policy names who ran it as its sanctions viewer)
        swaps.push((p.hash.clone(), "<policy version>".into()));
    }
    let me = r.prepared_by.account.clone();
    swaps.push((format!("account {me} "), "account <me> ".into()));
    swaps.push((
        format!("\"account\": \"{me}\""),
        "\"account\": \"<me>\"".into(),
    ));
    move |text: &str| {
        let mut t = text.to_owned();
        for (from, to) in &swaps {
            // the short forms the document prints, then the whole
            let short: String = from.chars().take(16).collect();
            t = t.replace(from, to);
            if short.len() == 16 {
                t = t.replace(&short, to);
            }
        }
        t
    }
}

/// The binary with the reviewed demo's config.
fn run(
    dir: &std::path::Path,
    config: &vigil_app::config::Config,
    args: &[&str],
) -> std::process::Output {
    let mut all = vec!["--config", config.file.as_ref().unwrap().to_str().unwrap()];
    all.extend_from_slice(args);
    common::vigil(dir, &all)
}

/// The text of a PDF, page by page, as an independent reader sees it.
fn pdf_text(bytes: &[u8]) -> Vec<String> {
    let doc = lopdf::Document::load_mem(bytes).expect("a PDF lopdf reads");
    let pages: Vec<u32> = doc.get_pages().keys().copied().collect();
    pages
        .iter()
        .map(|p| doc.extract_text(&[*p]).expect("its text"))
        .collect()
}

#[test]
fn the_report_says_what_an_auditor_asks_and_no_patient_names() {
    let dir = tempfile::tempdir().unwrap();
    let (config, store) = reviewed(dir.path());
    let from: NaiveDate = "2025-03-12".parse().unwrap();
    let to: NaiveDate = "2025-03-14".parse().unwrap();
    let now = end() + Duration::hours(8);
    let r = report::build(&*store, &config, from, to, now).unwrap();
    let stable = stabilizer(&r);
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

    // the attestation: who, what, the summary, decisions by the day they
    // were made, and a sample drawn again by its seed
    assert_eq!(
        r.organization.as_ref().map(|o| o.name.as_str()),
        Some("Springfield General Hospital (demo)")
    );
    assert_eq!(r.prepared_by.account, vigil_domain::identity::reviewer());
    let decided = r.summary.decisions_made;
    assert!(decided > 0);
    assert_eq!(
        r.decisions_by_day,
        [report::Count {
            name: "2025-03-14".into(),
            count: decided
        }],
        "all decided on the 14th, though the activity spans three days"
    );
    assert!(r.days.len() == 3);
    assert_eq!(
        r.sample.rows.len(),
        report::SAMPLE.min(r.sample.population as usize)
    );
    let again = report::build(&*store, &config, from, to, now).unwrap();
    let ids = |r: &report::Report| {
        r.sample
            .rows
            .iter()
            .map(|x| x.decision.clone())
            .collect::<Vec<_>>()
    };
    assert_eq!(
        ids(&r),
        ids(&again),
        "the same period draws the same sample"
    );
    let other = report::build_with(
        &*store,
        &config,
        from,
        to,
        now,
        report::Options {
            sample: Some(3),
            seed: Some(7),
        },
    )
    .unwrap();
    assert_eq!(other.sample.seed, 7);
    assert_eq!(other.sample.rows.len(), 3);
    assert!(
        r.sample
            .rows
            .iter()
            .all(|x| !x.reasons.is_empty() && x.reviewer == "rev-one")
    );
    assert_eq!(
        r.incidents[0].timeline.len(),
        2,
        "{:?}",
        r.incidents[0].timeline
    );
    assert!(r.incidents[0].timeline[1].detail.contains("status closed"));

    let doc = document::build(&r);
    let md = stable(&markdown::markdown(&doc));
    let csv = stable(&csv::csv(&r));
    let json = stable(&serde_json::to_string_pretty(&r).unwrap());
    let html = stable(&html::html(&doc));
    let pdf_bytes = pdf::pdf(&doc);
    let pages = pdf_text(&pdf_bytes);
    let pdf = stable(&pages.join("\n"));

    // no patient name or MRN from the demographics, in any format
    let patients = store.patients().unwrap();
    assert!(!patients.is_empty());
    for p in &patients {
        for text in [&md, &csv, &json, &html, &pdf] {
            assert!(
                !text.contains(&p.name),
                "patient name {} in a report",
                p.name
            );
            assert!(!text.contains(&p.mrn), "MRN {} in a report", p.mrn);
        }
    }

    // the HTML is one file with its sections, three charts and no scripts
    // or outside resources; the PDF has the same sections, on the pages its
    // contents page says, and the same numbers
    for s in &doc.sections {
        assert!(
            html.contains(&format!("<section id=\"{}\"", s.id)),
            "no {} section",
            s.id
        );
    }
    for id in [
        "summary",
        "scope",
        "sample",
        "exceptions",
        "certification",
        "risks",
    ] {
        assert!(doc.sections.iter().any(|s| s.id == id), "no {id}");
    }
    assert_eq!(html.matches("<svg").count(), 3);
    assert!(
        !html.contains("<script") && !html.contains("src=\"http") && !html.contains("href=\"http")
    );
    assert!(html.contains("@media print") && html.contains("counter(pages)"));
    assert!(html.contains("vigil verify passed"));
    let flat = |s: &str| s.split_whitespace().collect::<Vec<_>>().join(" ");
    let pdf_flat = flat(&pdf);
    let contents = flat(&pages[0]);
    for (i, s) in doc.sections.iter().enumerate() {
        let title = format!("{}. {}", i + 1, s.title);
        assert!(
            contents.contains(&title),
            "{title} not in the contents: {contents}"
        );
        let page: usize = contents
            .split(&title)
            .nth(1)
            .and_then(|rest| rest.split("page ").nth(1))
            .and_then(|n| n.split_whitespace().next())
            .and_then(|n| n.parse().ok())
            .expect("a page number");
        assert!(
            flat(&pages[page - 1]).contains(&title),
            "{title} is not on page {page}"
        );
    }
    for (i, p) in pages.iter().enumerate() {
        let p = flat(p);
        assert!(
            p.contains(&format!("page {} of {}", i + 1, pages.len())),
            "{p}"
        );
        assert!(
            p.contains(
                "Springfield General Hospital (demo) · activity review 2025-03-12 to 2025-03-14"
            ),
            "{p}"
        );
    }
    // every number and label of the summary and of the rules' table, in both
    for b in doc.sections.iter().flat_map(|s| &s.blocks) {
        if let document::Block::Table { rows, .. } = b {
            for row in rows.iter().take(8) {
                for cell in row {
                    let cell = flat(&stable(cell));
                    if cell.chars().count() > 14 || cell.is_empty() {
                        continue;
                    }
                    assert!(pdf_flat.contains(&cell), "{cell:?} not in the PDF");
                    assert!(
                        html.contains(
                            &cell
                                .replace('&', "&amp;")
                                .replace('<', "&lt;")
                                .replace('>', "&gt;")
                        ),
                        "{cell:?} not in the HTML"
                    );
                }
            }
        }
    }
    assert!(pdf_flat.contains("Dana Whitfield, Privacy officer"));

    insta::assert_snapshot!("report_md", md);
    insta::assert_snapshot!("report_pdf_text", pdf);
    insta::assert_snapshot!("report_html", html.replace("<section", "\n<section"));
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
    let out = run(
        dir.path(),
        &config,
        &["report", "--from", "2025-03-12", "--to", "2025-03-14"],
    );
    assert_eq!(out.status.code(), Some(1));
    let md = common::stdout(&out);
    assert!(
        md.contains("vigil verify FAILED: ledger entry 2 was changed"),
        "{md}"
    );
}

#[test]
fn a_certification_is_a_ledger_entry_the_report_carries_and_verify_holds() {
    let dir = tempfile::tempdir().unwrap();
    let (config, store) = reviewed(dir.path());
    drop(store);
    let run = |args: &[&str]| run(dir.path(), &config, args);
    let out = run(&[
        "report",
        "--from",
        "2025-03-12",
        "--to",
        "2025-03-14",
        "--format",
        "json",
        "--certify",
        "--role",
        "privacy officer",
    ]);
    assert!(out.status.success(), "{}", common::stderr(&out));
    let r: serde_json::Value = serde_json::from_str(&common::stdout(&out)).unwrap();
    let c = &r["certifications"][0];
    assert_eq!(c["role"], "privacy officer");
    assert_eq!(c["from"], "2025-03-12");
    let seq = c["seq"].as_i64().unwrap();
    // a later report of the period carries it, with the same digest
    let out = run(&[
        "report",
        "--from",
        "2025-03-13",
        "--to",
        "2025-03-13",
        "--format",
        "md",
    ]);
    let md = common::stdout(&out);
    assert!(
        md.contains("privacy officer") && md.contains(&c["digest"].as_str().unwrap()[..16]),
        "{md}"
    );
    assert!(run(&["verify"]).status.success());
    // a certification altered in the store breaks the chain
    let db = config.store.url.to_string();
    let conn = rusqlite::Connection::open(db.strip_prefix("sqlite:").unwrap()).unwrap();
    conn.execute_batch(&format!(
        "DROP TRIGGER ledger_no_update; UPDATE ledger SET payload = replace(payload, 'privacy officer', 'security officer') WHERE seq = {seq};"
    ))
    .unwrap();
    let out = run(&["verify"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        common::stdout(&out).contains(&format!("entry {seq}"))
            || common::stderr(&out).contains(&format!("entry {seq}")),
        "{} {}",
        common::stdout(&out),
        common::stderr(&out)
    );
    // and a certification of a broken ledger is refused
    let out = run(&[
        "report",
        "--from",
        "2025-03-12",
        "--to",
        "2025-03-14",
        "--certify",
        "--role",
        "privacy officer",
    ]);
    assert!(!out.status.success());
    assert!(
        common::stderr(&out).contains("cannot be certified"),
        "{}",
        common::stderr(&out)
    );
}

#[test]
fn a_pdf_is_written_by_the_command() {
    let dir = tempfile::tempdir().unwrap();
    let (config, store) = reviewed(dir.path());
    drop(store);
    let out_file = dir.path().join("r.pdf");
    let out = run(
        dir.path(),
        &config,
        &[
            "report",
            "--from",
            "2025-03-12",
            "--to",
            "2025-03-14",
            "--format",
            "pdf",
            "--output",
            out_file.to_str().unwrap(),
        ],
    );
    assert!(out.status.success(), "{}", common::stderr(&out));
    let bytes = std::fs::read(&out_file).unwrap();
    assert!(bytes.starts_with(b"%PDF-"));
    let pages = pdf_text(&bytes);
    assert!(pages.len() >= 5);
    assert!(pages[0].contains("Contents"));
}
