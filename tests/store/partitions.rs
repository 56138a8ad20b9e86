//! PostgreSQL's day partitions: made ahead and for the days an ingest
//! brings, by several collectors at once; retention drops whole days,
//! refuses under a legal hold, and keeps what items list (with its
//! explanation and index rows); a store of schema 6 is moved into them.

use crate::common;

use chrono::{DateTime, Duration, Utc};
use common::*;
use vigil_domain::{Explained, Explanation, ItemKind, Severity};
use vigil_review::{Reviewer, retention};
use vigil_store::{NewItem, Store};

fn at(s: &str) -> DateTime<Utc> {
    s.parse().unwrap()
}

fn client(url: &str) -> postgres::Client {
    postgres::Client::connect(url, postgres::NoTls).unwrap()
}

/// The day partitions of `table`, by name, in order.
fn parts(url: &str, table: &str) -> Vec<String> {
    let mut v: Vec<String> = client(url)
        .query(
            "SELECT k.relname::text FROM pg_inherits i JOIN pg_class k ON k.oid = i.inhrelid WHERE i.inhparent = to_regclass($1)",
            &[&table],
        )
        .unwrap()
        .iter()
        .map(|r| r.get(0))
        .collect();
    v.sort();
    v
}

/// Where each event lives: (partition, count).
fn homes(url: &str) -> Vec<(String, i64)> {
    client(url)
        .query(
            "SELECT tableoid::regclass::text, count(*) FROM events GROUP BY 1 ORDER BY 1",
            &[],
        )
        .unwrap()
        .iter()
        .map(|r| (r.get(0), r.get(1)))
        .collect()
}

/// What the by-actor index finds of nurse1 in 2019.
fn nurse1_in_2019(s: &dyn Store) -> Vec<i64> {
    s.actor_activity(
        "nurse1",
        at("2019-01-01T00:00:00Z"),
        at("2020-01-01T00:00:00Z"),
    )
    .unwrap()
    .iter()
    .map(|a| a.0)
    .collect()
}

fn item(key: &str, t: &str, event: i64) -> NewItem {
    NewItem {
        kind: ItemKind::Finding,
        source_id: None,
        occurred_at: at(t),
        actor: Some("nurse1".into()),
        subject: None,
        title: format!("finding {key}"),
        severity: Severity::Medium,
        group_key: Some(key.into()),
        rules: vec![("after-hours".into(), "late".into())],
        event_ids: vec![event],
        score: 0,
        score_note: None,
    }
}

#[test]
fn an_ingest_writes_into_day_partitions_made_ahead_and_for_the_days_it_brings() {
    let Some(url) = pg_url() else { return };
    let dir = tempfile::tempdir().unwrap();
    let mut s = pg_store(&url, "bastion");
    let src = source(&mut s, "auth");
    let now = Utc::now();
    let log = dir.path().join("auth.log");
    let mut text = String::new();
    for t in [
        "2019-03-01T10:00:00+00:00".to_string(),
        "2019-03-01T23:59:59+00:00".to_string(),
        "2019-03-02T00:00:00+00:00".to_string(),
        now.format("%Y-%m-%dT%H:%M:%S+00:00").to_string(),
    ] {
        text.push_str(&format!(
            "{t} bastion sshd[1]: Accepted password for nurse1 from 10.0.0.1 port 1 ssh2\n"
        ));
    }
    std::fs::write(&log, text).unwrap();
    assert_eq!(ingest(&mut s, &src, &log, true).events, 4);

    let day = |d: DateTime<Utc>| d.format("%Y%m%d").to_string();
    for table in ["events", "explanations", "patient_events", "actor_runs"] {
        let names = parts(&url, table);
        for want in [
            "p20190301".to_string(),
            "p20190302".into(),
            format!("p{}", day(now)),
            format!("p{}", day(now + Duration::days(7))),
        ] {
            assert!(
                names.contains(&format!("{table}_{want}")),
                "{table}_{want} in {names:?}"
            );
        }
        assert!(names.contains(&format!("{table}_kept")));
        assert!(
            !names.contains(&format!("{table}_p20190303")),
            "no empty old day"
        );
    }
    // each event in its own day's partition
    assert_eq!(
        homes(&url),
        [
            ("events_p20190301".into(), 2),
            ("events_p20190302".into(), 1),
            (format!("events_p{}", day(now)), 1)
        ]
    );
    // filters and the by-actor index read across them
    assert_eq!(count(&s, "actor:nurse1"), 4);
    assert_eq!(count(&s, "after:2019-03-02 before:2019-03-03"), 1);
    let found = s
        .actor_activity(
            "nurse1",
            at("2019-03-01T00:00:00Z"),
            at("2019-03-03T00:00:00Z"),
        )
        .unwrap();
    assert_eq!(found.len(), 3);
}

#[test]
fn collectors_making_the_same_days_at_once_all_land() {
    let Some(url) = pg_url() else { return };
    drop(pg_store(&url, "setup"));
    let dir = tempfile::tempdir().unwrap();
    let hosts = ["a", "b", "c", "d"];
    std::thread::scope(|scope| {
        for host in hosts {
            let (url, dir) = (url.clone(), dir.path().to_owned());
            scope.spawn(move || {
                let mut s = pg_store(&url, host);
                let src = source(&mut s, "auth");
                // every host brings the same ten old days, in two files
                for part in 0..2 {
                    let mut text = String::new();
                    for d in 1..=10 {
                        for i in 0..50 {
                            text.push_str(&format!(
                                "2018-05-{d:02}T{:02}:{:02}:00+00:00 {host} sshd[{i}]: Failed password for root from 10.{part}.{d}.{i} port 22 ssh2\n",
                                i % 24,
                                part * 30 + i % 30
                            ));
                        }
                    }
                    let log = dir.join(format!("{host}-{part}.log"));
                    std::fs::write(&log, text).unwrap();
                    assert_eq!(ingest(&mut s, &src, &log, true).events, 500);
                }
            });
        }
    });
    let s = open_url(&url);
    assert_eq!(count(&*s, ""), 4 * 1000);
    let days: Vec<String> = parts(&url, "events")
        .into_iter()
        .filter(|n| n.starts_with("events_p2018"))
        .collect();
    assert_eq!(days.len(), 10, "{days:?}");
    assert!(
        s.source_status()
            .unwrap()
            .iter()
            .all(|st| st.events == 1000)
    );
}

#[test]
fn pruning_drops_whole_days_refuses_under_a_hold_and_keeps_what_items_list() {
    let Some(url) = pg_url() else { return };
    let dir = tempfile::tempdir().unwrap();
    let mut s = pg_store(&url, "ehr-host");
    let src = ehr_source(&mut s);
    let csv = dir.path().join("access.csv");
    std::fs::write(
        &csv,
        "user,mrn,time,action,workstation\n\
         nurse1,P1,2019-03-01T10:00:00Z,view chart,WS1\n\
         nurse1,P2,2019-03-01T11:00:00Z,view chart,WS1\n\
         nurse1,P3,2019-03-02T10:00:00Z,view chart,WS1\n\
         nurse1,P4,2019-03-03T10:00:00Z,view chart,WS1\n\
         nurse1,P5,2026-11-20T10:00:00Z,view chart,WS1\n",
    )
    .unwrap();
    assert_eq!(ingest(&mut s, &src, &csv, true).events, 5);
    let ids: Vec<i64> = events(&s, "").iter().map(|e| e.id).collect();
    let explained: Vec<Explained> = events(&s, "")
        .iter()
        .map(|e| Explained {
            event_id: e.id,
            source_id: src.id,
            occurred_at: e.occurred_at,
            actor: "nurse1".into(),
            patient: e.subject.as_ref().unwrap().as_str().into(),
            kind: Explanation::Unexplained,
            encounter: None,
            note: String::new(),
        })
        .collect();
    s.put_explanations(&explained).unwrap();
    // the second access of 03-01 and those of 03-02 and 03-03 are evidence
    s.add_items(&[
        item("p:1", "2019-03-01T11:00:00Z", ids[1]),
        item("p:2", "2019-03-02T10:00:00Z", ids[2]),
        item("p:3", "2019-03-03T10:00:00Z", ids[3]),
    ])
    .unwrap();

    let who = Reviewer {
        name: "po".into(),
        session: "s".into(),
    };
    let now = at("2026-11-26T12:00:00Z");
    let year = Some(std::time::Duration::from_secs(365 * 86_400));
    let before = |d: &str| d.parse().unwrap();
    retention::hold(&mut s, &who, now, "matter 2026-17").unwrap();
    let refused = retention::prune(&mut s, year, &who, now, before("2019-03-03")).unwrap_err();
    assert!(refused.to_string().contains("legal hold"), "{refused}");
    assert!(parts(&url, "events").contains(&"events_p20190301".to_string()));
    retention::release(&mut s, &who, now).unwrap();

    let removed = retention::prune(&mut s, year, &who, now, before("2019-03-03")).unwrap();
    assert_eq!(removed, 1, "the one old access no item lists");
    for table in ["events", "explanations", "patient_events", "actor_runs"] {
        let names = parts(&url, table);
        assert!(
            !names
                .iter()
                .any(|n| n.ends_with("p20190301") || n.ends_with("p20190302")),
            "{table}: {names:?}"
        );
        assert!(
            names.contains(&format!("{table}_p20190303")),
            "{table}: {names:?}"
        );
    }
    assert_eq!(
        homes(&url),
        [
            ("events_kept".into(), 2),
            ("events_p20190303".into(), 1),
            ("events_p20261120".into(), 1)
        ]
    );
    // what was kept is whole: its explanation, its patient's index, its
    // actor's index; and so is the later day whose run began before the cut
    let kept = [ids[1], ids[2]];
    let x: Vec<i64> = s
        .explanations(&ids)
        .unwrap()
        .iter()
        .map(|e| e.event_id)
        .collect();
    assert_eq!(x, [ids[1], ids[2], ids[3], ids[4]]);
    assert_eq!(
        s.patient_event_ids("P2", at("2019-01-01T00:00:00Z"), at("2020-01-01T00:00:00Z"))
            .unwrap(),
        [kept[0]]
    );
    assert!(
        s.patient_event_ids("P1", at("2019-01-01T00:00:00Z"), at("2020-01-01T00:00:00Z"))
            .unwrap()
            .is_empty()
    );
    assert_eq!(nurse1_in_2019(&s), [ids[1], ids[2], ids[3]]);
    assert_eq!(s.source_status().unwrap()[0].events, 4);
    assert_eq!(s.item_by_key("p:1").unwrap().unwrap().event_ids, [ids[1]]);

    // A late access for a pruned day goes to `_kept`, no day is made for
    // it, and the next prune takes it (it is no item's).
    let late = dir.path().join("late.csv");
    std::fs::write(
        &late,
        "user,mrn,time,action,workstation\nnurse2,P9,2019-03-01T12:00:00Z,view chart,WS2\n",
    )
    .unwrap();
    assert_eq!(ingest(&mut s, &src, &late, true).events, 1);
    assert_eq!(homes(&url)[0], ("events_kept".into(), 3));
    assert!(!parts(&url, "events").contains(&"events_p20190301".to_string()));
    // (the second prune also moves 03-03's held access into `_kept`, past
    // the bound the first one gave it)
    let removed = retention::prune(&mut s, year, &who, now, before("2019-03-04")).unwrap();
    assert_eq!(removed, 1, "the late access");
    assert_eq!(
        homes(&url),
        [("events_kept".into(), 3), ("events_p20261120".into(), 1)]
    );
    assert_eq!(s.source_status().unwrap()[0].events, 4);
    assert_eq!(nurse1_in_2019(&s), [ids[1], ids[2], ids[3]]);
    let acts = common::ledger_actions(&s, "store");
    assert_eq!(
        acts,
        [
            "store.create",
            "hold.place",
            "hold.release",
            "store.prune",
            "store.prune"
        ]
    );
    assert_eq!(s.verify_ledger().unwrap().broken, None);
}

#[test]
fn a_schema_6_store_moves_into_partitions_whole() {
    let Some(url) = pg_url() else { return };
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("crates/vigil-store/src/migrations/postgres");
    let mut c = client(&url);
    c.batch_execute(
        "CREATE TABLE vigil_schema (version INTEGER PRIMARY KEY, applied_at TIMESTAMPTZ NOT NULL DEFAULT now())",
    )
    .unwrap();
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.file_name().unwrap().to_str().unwrap() < "0007")
        .collect();
    files.sort();
    assert_eq!(files.len(), 6);
    for (i, f) in files.iter().enumerate() {
        c.batch_execute(&std::fs::read_to_string(f).unwrap())
            .unwrap();
        c.execute(
            "INSERT INTO vigil_schema (version) VALUES ($1)",
            &[&(i as i32 + 1)],
        )
        .unwrap();
    }
    c.batch_execute(
        "INSERT INTO meta VALUES ('store_id', 'old');
         INSERT INTO sources (id, name, kind, created_at, events) VALUES (1, 'ehr', 'access-csv', 0, 3);
         INSERT INTO actors (id, name) VALUES (1, 'nurse1');
         INSERT INTO events (id, source_id, stream_id, \"offset\", seq, occurred_at, time_basis, actor_id, subject, action, outcome, raw) VALUES
           (1, 1, 1, 0, 0, 1551434400000000, 0, 1, 'P1', 'view', 'success', 'a'),
           (2, 1, 1, 1, 0, 1551520800000000, 0, 1, 'P2', 'view', 'success', 'b'),
           (3, 1, 1, 2, 0, 1551520900000000, 0, 1, 'P2', 'view', 'success', 'c');
         INSERT INTO patient_events VALUES ('P1', 1551434400000000, 1), ('P2', 1551520800000000, 2), ('P2', 1551520900000000, 3);
         INSERT INTO explanations VALUES (2, 1, 1551520800000000, 'nurse1', 'P2', 'unexplained', NULL, '');
         INSERT INTO actor_runs VALUES (1, 1551434400000000, 1551520900000000, '{1551434400000000,1551520800000000,1551520900000000}', '{1,2,3}');",
    )
    .unwrap();
    let s = open_url(&url);
    assert_eq!(s.schema_version().unwrap(), 7);
    assert_eq!(
        homes(&url),
        [
            ("events_p20190301".into(), 1),
            ("events_p20190302".into(), 2)
        ]
    );
    assert_eq!(count(&*s, "subject:P2"), 2);
    assert_eq!(
        s.patient_event_ids("P2", at("2019-01-01T00:00:00Z"), at("2020-01-01T00:00:00Z"))
            .unwrap(),
        [2, 3]
    );
    assert_eq!(s.explanations(&[1, 2, 3]).unwrap().len(), 1);
    assert_eq!(
        s.actor_activity(
            "nurse1",
            at("2019-01-01T00:00:00Z"),
            at("2020-01-01T00:00:00Z")
        )
        .unwrap()
        .len(),
        3
    );
    // the id sequence survived the move and still hands out new ids
    let next: i64 = client(&url)
        .query_one("SELECT nextval('events_id_seq')", &[])
        .unwrap()
        .get(0);
    assert!(next > 0);
}
