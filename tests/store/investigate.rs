//! The investigations on both stores: an access report holds exactly one
//! patient's accesses (from the sources whose subject is a patient, and
//! none of another patient's or of a host log's that names the same
//! string), an activity timeline joins a person's accounts through the
//! roster, and every run is a ledger entry while a run without a reason is
//! refused and leaves none.

use crate::common;

use chrono::{DateTime, Utc};
use common::*;
use vigil_domain::{Patient, Person};
use vigil_review::Reviewer;
use vigil_review::investigate::{self, ACCESS_REPORT, ACTIVITY};
use vigil_store::Store;

fn t(s: &str) -> DateTime<Utc> {
    s.parse().unwrap()
}

fn ledger_actions(s: &dyn Store) -> Vec<(String, serde_json::Value)> {
    s.ledger_after(0, 10_000)
        .unwrap()
        .into_iter()
        .map(|e| (e.action, serde_json::from_str(&e.payload).unwrap()))
        .collect()
}

fn investigations_read_one_patient_and_one_person(b: Backend) {
    let dir = tempfile::tempdir().unwrap();
    let Some(mut s) = store_on(b, dir.path()) else {
        return;
    };
    s.replace_people(&[
        Person {
            id: "E7".into(),
            name: "Tom Brown".into(),
            accounts: vec!["nurse7".into(), "tbrown".into()],
            department: Some("Ward 3".into()),
            status: "active".into(),
            location: Some("42.2808,-83.743".into()),
            ..Person::default()
        },
        Person {
            id: "E8".into(),
            name: "Ann Lee".into(),
            accounts: vec!["nurse8".into()],
            department: Some("Radiology".into()),
            status: "active".into(),
            ..Person::default()
        },
    ])
    .unwrap();
    s.replace_patients(&[
        Patient {
            mrn: "100234".into(),
            name: "Ana Lopez".into(),
            location: Some("42.2817,-83.743".into()),
            ..Patient::default()
        },
        Patient {
            mrn: "100900".into(),
            name: "Carl Ito".into(),
            ..Patient::default()
        },
    ])
    .unwrap();
    // (locations are kept, for the neighbour rule's distance)
    assert_eq!(
        s.people().unwrap()[0].location.as_deref(),
        Some("42.2808,-83.743")
    );
    let ana = s.patients().unwrap();
    let ana = ana.iter().find(|p| p.mrn == "100234").unwrap();
    assert_eq!(ana.location.as_deref(), Some("42.2817,-83.743"));
    let ehr = ehr_source(&mut *s);
    let csv = "user,mrn,time,action,workstation\n\
        nurse7,100234,2026-11-20 10:00:00,view chart,WS-1\n\
        nurse8,100900,2026-11-20 10:05:00,view chart,WS-2\n\
        nurse8,100234,2026-11-21 09:00:00,print summary,WS-2\n\
        nurse7,100900,2026-11-21 09:30:00,view results,WS-1\n\
        nurse7,100234,2026-10-01 08:00:00,view chart,WS-1\n";
    let f = dir.path().join("access.csv");
    std::fs::write(&f, csv).unwrap();
    ingest(&mut *s, &ehr, &f, true);
    // tbrown's host login, and a sudo whose subject is the same string as
    // a record number: a host log is not an access to a patient's record
    let host = source(&mut *s, "bastion");
    let log = dir.path().join("auth.log");
    std::fs::write(
        &log,
        "Nov 21 08:00:00 bastion sshd[10]: Accepted publickey for tbrown from 10.0.0.9 port 4000 ssh2\n\
         Nov 21 08:01:00 bastion sudo:   tbrown : TTY=pts/0 ; PWD=/home/tbrown ; USER=100234 ; COMMAND=/bin/ls\n",
    )
    .unwrap();
    ingest(&mut *s, &host, &log, true);

    // a ticket tbrown raised, and a review act nurse7 made in vigil
    let tickets = s.ensure_source("jira", "jira").unwrap();
    let new_item = |kind, actor: &str, title: &str, key: &str| vigil_store::NewItem {
        kind,
        source_id: Some(tickets),
        occurred_at: t("2026-11-21T08:30:00Z"),
        actor: Some(actor.into()),
        subject: None,
        title: title.into(),
        severity: vigil_domain::Severity::Low,
        group_key: Some(key.into()),
        rules: vec![],
        event_ids: vec![],
        score: 0,
        score_note: None,
    };
    let ids = s
        .add_items(&[
            new_item(
                vigil_domain::ItemKind::Ticket,
                "tbrown",
                "SEC-9 lost badge",
                "jira|SEC-9",
            ),
            new_item(
                vigil_domain::ItemKind::Finding,
                "nurse8",
                "a colleague's item",
                "x|1",
            ),
        ])
        .unwrap();
    let (_ticket, other) = (ids[0], ids[1]);
    let nurse7 = Reviewer {
        name: "nurse7".into(),
        session: "s7".into(),
    };
    let out = vigil_review::ops::apply(
        &mut *s,
        &vigil_review::Policy::default(),
        &nurse7,
        t("2026-11-21T08:45:00Z"),
        &[other],
        &vigil_review::Act::Decide {
            disposition: vigil_domain::Disposition::Benign,
            note: None,
            reopen: false,
        },
        None,
    )
    .unwrap();
    assert!(out.iter().all(|o| !o.is_refused()), "{out:?}");
    let who = Reviewer::current();
    let before = ledger_actions(&*s).len();
    let refused = investigate::access_report(
        &mut *s,
        &who,
        "100234",
        t("2026-11-01T00:00:00Z"),
        t("2026-12-01T00:00:00Z"),
        "  ",
        t("2026-12-01T12:00:00Z"),
    );
    assert!(refused.unwrap_err().to_string().contains("needs a reason"));
    assert_eq!(
        ledger_actions(&*s).len(),
        before,
        "a refused run leaves no entry"
    );

    let r = investigate::access_report(
        &mut *s,
        &who,
        "100234",
        t("2026-11-01T00:00:00Z"),
        t("2026-12-01T00:00:00Z"),
        "patient request 31",
        t("2026-12-01T12:00:00Z"),
    )
    .unwrap();
    assert_eq!(r.patient_name.as_deref(), Some("Ana Lopez"));
    let got: Vec<(&str, &str, Option<&str>)> = r
        .accesses
        .iter()
        .map(|a| (a.account.as_str(), a.action.as_str(), a.person.as_deref()))
        .collect();
    assert_eq!(
        got,
        [
            ("nurse7", "view chart", Some("Tom Brown")),
            ("nurse8", "print summary", Some("Ann Lee")),
        ],
        "only 100234's accesses in November, none of 100900's, none from the host log"
    );
    assert_eq!(r.accesses[0].department.as_deref(), Some("Ward 3"));
    assert_eq!(r.accesses[0].from.as_deref(), Some("WS-1"));
    let json = serde_json::to_string(&r).unwrap();
    assert!(
        !json.contains("100900") && !json.contains("Carl Ito"),
        "{json}"
    );
    let (action, payload) = ledger_actions(&*s).pop().unwrap();
    assert_eq!(action, ACCESS_REPORT);
    assert_eq!(payload["patient"], "100234");
    assert_eq!(payload["reason"], "patient request 31");
    assert_eq!(payload["accesses"], 2);
    assert_eq!(r.ledger_seq, s.verify_ledger().unwrap().head_seq);

    // the person by roster id: both accounts, every system, in time order
    let tl = investigate::activity(
        &mut *s,
        &who,
        "E7",
        t("2026-11-01T00:00:00Z"),
        t("2026-12-01T00:00:00Z"),
        "privacy complaint 7",
        false,
        t("2026-12-01T12:00:00Z"),
    )
    .unwrap();
    assert_eq!(tl.name.as_deref(), Some("Tom Brown"));
    assert_eq!(tl.accounts, ["nurse7", "tbrown"]);
    let steps: Vec<(&str, &str, Option<&str>)> = tl
        .steps
        .iter()
        .map(|x| (x.system.as_str(), x.account.as_str(), x.subject.as_deref()))
        .collect();
    assert_eq!(
        steps,
        [
            ("ehr", "nurse7", Some("••••34")),
            ("bastion", "tbrown", None),
            ("bastion", "tbrown", Some("100234")),
            ("jira", "tbrown", None),
            ("vigil", "nurse7", None),
            ("ehr", "nurse7", Some("••••00")),
        ],
        "{:?}",
        tl.steps
    );
    assert_eq!(tl.systems.get("ehr"), Some(&2));
    assert!(tl.steps[3].action.contains("SEC-9"), "{:?}", tl.steps[3]);
    assert_eq!(tl.steps[4].action, format!("decide benign on item {other}"));
    let (action, payload) = ledger_actions(&*s).pop().unwrap();
    assert_eq!(action, ACTIVITY);
    assert_eq!(payload["person"], "E7");
    assert_eq!(payload["events"], 4);
    assert_eq!(payload["patients_shown"], false);
    // by an account, showing patients: the same person, and it says so
    let tl = investigate::activity(
        &mut *s,
        &who,
        "tbrown",
        t("2026-11-21T00:00:00Z"),
        t("2026-11-22T00:00:00Z"),
        "privacy complaint 7",
        true,
        t("2026-12-01T12:00:00Z"),
    )
    .unwrap();
    assert_eq!(tl.person_id.as_deref(), Some("E7"));
    assert_eq!(
        tl.steps.iter().rev().find_map(|x| x.subject.as_deref()),
        Some("100900")
    );
    assert!(s.verify_ledger().unwrap().broken.is_none());
}

on_both_stores!(investigations_read_one_patient_and_one_person);
