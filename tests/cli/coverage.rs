//! Review coverage on both stores: the cadence each source gets from the
//! risk register (or an override with a reason), and each day's status:
//! reviewed, partly, to review, overdue, nothing flagged, silent, in the
//! rules' time zone.

use crate::common;

use chrono::{DateTime, NaiveDate, Utc};
use common::*;
use vigil_app::config::Config;
use vigil_domain::time::Cadence;
use vigil_domain::{Disposition, ItemKind, Severity};
use vigil_review::coverage::{self, Day};
use vigil_review::risk::{self, RiskChange};
use vigil_review::{Act, Policy, Reviewer, ops};
use vigil_store::NewItem;

fn at(s: &str) -> DateTime<Utc> {
    s.parse().unwrap()
}

fn d(s: &str) -> NaiveDate {
    s.parse().unwrap()
}

fn config(dir: &std::path::Path) -> Config {
    let path = dir.join("config.toml");
    write_private(
        &path,
        r#"
[rules]
timezone = "America/New_York"

[[source]]
name = "auth"
kind = "syslog"
path = "/nonexistent/auth.log"

[[source]]
name = "ehr"
kind = "syslog"
path = "/nonexistent/ehr.log"
cadence = "weekly"
cadence_reason = "the EHR vendor's report arrives weekly"

[[source]]
name = "db"
kind = "syslog"
path = "/nonexistent/db.log"
cadence = "monthly"
"#,
    );
    Config::load(&path, true).unwrap()
}

fn status<'a>(days: &'a [Day], source: &str, day: &str) -> &'a Day {
    days.iter()
        .find(|x| x.source == source && x.day == d(day))
        .unwrap_or_else(|| panic!("no {source} {day} in {days:?}"))
}

fn item(src: i64, when: &str, n: usize) -> NewItem {
    NewItem {
        kind: ItemKind::Finding,
        source_id: Some(src),
        occurred_at: at(when),
        actor: Some(format!("u{n}")),
        subject: None,
        title: format!("finding {n}"),
        severity: Severity::Medium,
        group_key: Some(format!("cov:{n}")),
        rules: vec![("after-hours".into(), "late".into())],
        event_ids: vec![],
        score: 0,
        score_note: None,
    }
}

fn coverage_by_day_and_cadence(b: Backend) {
    let dir = tempfile::tempdir().unwrap();
    let cfg = config(dir.path());
    let mut s = store_on(b, dir.path()).unwrap();
    let who = Reviewer {
        name: "po".into(),
        session: "s".into(),
    };

    // auth: activity every day from the 10th to the 16th (New York time),
    // nothing on the 17th, some on the 18th and 19th. The 03:00 UTC line
    // on the 20th is still the 19th in New York.
    let src = source(&mut *s, "auth");
    let mut lines = String::new();
    for day in 10..=16 {
        lines.push_str(&format!(
            "2026-11-{day}T15:00:00+00:00 bastion sshd[1]: Accepted password for u{day} from 10.0.0.1 port 1 ssh2\n"
        ));
    }
    for t in [
        "2026-11-18T15:00:00+00:00",
        "2026-11-19T15:00:00+00:00",
        "2026-11-20T03:00:00+00:00",
    ] {
        lines.push_str(&format!(
            "{t} bastion sshd[1]: Accepted password for x from 10.0.0.1 port 1 ssh2\n"
        ));
    }
    let log = dir.path().join("auth.log");
    std::fs::write(&log, lines).unwrap();
    assert_eq!(ingest(&mut *s, &src, &log, true).events, 10);
    // two items on the 18th (one decided), one on the 19th (decided)
    let ids = s
        .add_items(&[
            item(src.id, "2026-11-18T15:00:00Z", 1),
            item(src.id, "2026-11-18T16:00:00Z", 2),
            item(src.id, "2026-11-20T03:00:00Z", 3),
        ])
        .unwrap();
    let decide = Act::Decide {
        disposition: Disposition::Benign,
        note: None,
        reopen: false,
    };
    ops::apply(
        &mut *s,
        &Policy::default(),
        &who,
        at("2026-11-20T12:00:00Z"),
        &[ids[0], ids[2]],
        &decide,
        None,
    )
    .unwrap();

    // the report's totals, counted in the store
    let st = s
        .review_stats(at("2026-11-18T00:00:00Z"), at("2026-11-21T00:00:00Z"))
        .unwrap();
    assert_eq!(st.rules, [("after-hours".to_owned(), 3, 2, 0)]);
    assert_eq!(st.dispositions, [("benign".to_owned(), 2)]);
    assert_eq!(st.reviewers, [("po".to_owned(), 2)]);
    let mut hours: Vec<i64> = st
        .to_decision_us
        .iter()
        .map(|us| us / 3_600_000_000)
        .collect();
    hours.sort_unstable();
    assert_eq!(hours, [9, 45]);

    // no risk names auth yet: its configured cadence, daily
    let now = at("2026-11-19T20:00:00Z"); // the 19th, 15:00 in New York
    let days = coverage::days(&*s, &cfg, d("2026-11-15"), d("2026-11-19"), now).unwrap();
    let auth = |day: &str| status(&days, "auth", day).status;
    assert_eq!(auth("2026-11-15"), "nothing flagged");
    assert_eq!(
        auth("2026-11-17"),
        "silent",
        "a quiet day after a busy week"
    );
    assert_eq!(
        auth("2026-11-18"),
        "partly reviewed",
        "due at the end of the 19th"
    );
    assert_eq!(
        status(&days, "auth", "2026-11-19").items,
        1,
        "the 03:00 UTC item is the 19th's"
    );
    assert_eq!(auth("2026-11-19"), "reviewed");
    assert_eq!(
        status(&days, "auth", "2026-11-15").cadence.cadence,
        Cadence::Daily
    );
    // ehr's override stands, with its reason; db had no activity at all
    let ehr = status(&days, "ehr", "2026-11-19");
    assert_eq!(ehr.cadence.cadence, Cadence::Weekly);
    assert!(
        ehr.cadence.why.contains("vendor's report"),
        "{:?}",
        ehr.cadence
    );
    assert_eq!(status(&days, "db", "2026-11-17").status, "no activity");
    assert_eq!(
        status(&days, "db", "2026-11-17").cadence.cadence,
        Cadence::Monthly
    );

    // a day later the 18th is overdue
    let later = coverage::days(
        &*s,
        &cfg,
        d("2026-11-18"),
        d("2026-11-18"),
        at("2026-11-21T06:00:00Z"),
    )
    .unwrap();
    assert_eq!(status(&later, "auth", "2026-11-18").status, "overdue");

    // a risk rated low names auth and db: auth stays daily (configured is
    // stricter), db goes from monthly to monthly; rated critical, db is
    // reviewed daily (no reason needed to be stricter), ehr keeps its
    // override
    let r = risk::add(
        &mut *s,
        &cfg.risk_scales,
        &who,
        at("2026-11-01T00:00:00Z"),
        &RiskChange {
            asset: Some("EHR".into()),
            sources: Some(vec!["auth".into(), "db".into(), "ehr".into()]),
            threat: Some("t".into()),
            vulnerability: Some("v".into()),
            likelihood: Some("rare".into()),
            impact: Some("minor".into()),
            ..RiskChange::default()
        },
    )
    .unwrap();
    let cad = |days: &[Day], src: &str| status(days, src, "2026-11-18").cadence.clone();
    let low = coverage::days(&*s, &cfg, d("2026-11-18"), d("2026-11-18"), now).unwrap();
    assert_eq!(cad(&low, "auth").cadence, Cadence::Daily);
    assert!(
        cad(&low, "auth").why.contains("stricter"),
        "{:?}",
        cad(&low, "auth")
    );
    assert_eq!(cad(&low, "db").cadence, Cadence::Monthly);
    assert!(
        cad(&low, "db").why.contains("risk"),
        "{:?}",
        cad(&low, "db")
    );
    let up = RiskChange {
        likelihood: Some("almost-certain".into()),
        impact: Some("severe".into()),
        ..RiskChange::default()
    };
    risk::update(
        &mut *s,
        &cfg.risk_scales,
        &who,
        at("2026-11-02T00:00:00Z"),
        r.id,
        &up,
    )
    .unwrap();
    let high = coverage::days(&*s, &cfg, d("2026-11-18"), d("2026-11-18"), now).unwrap();
    assert_eq!(cad(&high, "db").cadence, Cadence::Daily);
    assert!(
        cad(&high, "db").why.contains("25 critical"),
        "{:?}",
        cad(&high, "db")
    );
    assert_eq!(cad(&high, "ehr").cadence, Cadence::Weekly);

    // a weekly cadence moves the due date: the 18th is not overdue on the 21st
    let weekly = Config {
        sources: cfg
            .sources
            .iter()
            .cloned()
            .map(|mut c| {
                if c.name == "auth" {
                    c.cadence = Cadence::Weekly;
                    c.cadence_reason = Some("reviewed with the weekly report".into());
                }
                c
            })
            .collect(),
        ..cfg.clone()
    };
    let w = coverage::days(
        &*s,
        &weekly,
        d("2026-11-18"),
        d("2026-11-18"),
        at("2026-11-21T06:00:00Z"),
    )
    .unwrap();
    assert_eq!(status(&w, "auth", "2026-11-18").status, "partly reviewed");
}

on_both_stores!(coverage_by_day_and_cadence);
