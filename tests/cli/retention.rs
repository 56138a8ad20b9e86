//! Retention on both stores: pruning refuses without an event retention,
//! inside it, and under a legal hold; it removes only raw events no item
//! lists, leaves documentation alone, and the ledger still verifies.

use crate::common;

use chrono::{DateTime, Utc};
use common::*;
use vigil_domain::{ItemKind, Severity};
use vigil_review::{Reviewer, retention};
use vigil_store::NewItem;

fn at(s: &str) -> DateTime<Utc> {
    s.parse().unwrap()
}

fn pruning_keeps_what_it_must(b: Backend) {
    let dir = tempfile::tempdir().unwrap();
    let mut s = store_on(b, dir.path()).unwrap();
    let who = Reviewer {
        name: "po".into(),
        session: "s".into(),
    };
    let src = source(&mut *s, "auth");
    let mut text = String::new();
    for (i, t) in [
        "2019-03-01T10:00:00+00:00",
        "2019-03-02T10:00:00+00:00",
        "2019-03-03T10:00:00+00:00",
        "2026-11-20T10:00:00+00:00",
    ]
    .iter()
    .enumerate()
    {
        text.push_str(&format!(
            "{t} bastion sshd[{i}]: Accepted password for nurse1 from 10.0.0.{i} port {i} ssh2\n"
        ));
    }
    let log = dir.path().join("auth.log");
    std::fs::write(&log, text).unwrap();
    assert_eq!(ingest(&mut *s, &src, &log, true).events, 4);
    // the second old event is evidence for an item
    let linked = events(&*s, "")[1].id;
    s.add_items(&[NewItem {
        kind: ItemKind::Finding,
        source_id: Some(src.id),
        occurred_at: at("2019-03-02T10:00:00Z"),
        actor: Some("nurse1".into()),
        subject: None,
        title: "after hours".into(),
        severity: Severity::Medium,
        group_key: Some("ret:1".into()),
        rules: vec![("after-hours".into(), "late".into())],
        event_ids: vec![linked],
        score: 0,
        score_note: None,
    }])
    .unwrap();
    let now = at("2026-11-26T12:00:00Z");
    let year = Some(std::time::Duration::from_secs(365 * 86_400));
    let msg = |r: color_eyre::Result<u64>| r.unwrap_err().to_string();

    let day = |d: &str| d.parse().unwrap();
    assert!(
        msg(retention::prune(
            &mut *s,
            None,
            &who,
            now,
            day("2020-01-01")
        ))
        .contains("no [store] event_retention")
    );
    assert!(
        msg(retention::prune(
            &mut *s,
            year,
            &who,
            now,
            day("2026-01-01")
        ))
        .contains("--before must be 2025-11-26 or earlier")
    );
    retention::hold(&mut *s, &who, now, "matter 2026-17").unwrap();
    assert!(
        msg(retention::prune(
            &mut *s,
            year,
            &who,
            now,
            day("2020-01-01")
        ))
        .contains("legal hold is in force")
    );
    assert_eq!(count(&*s, ""), 4, "nothing went while refused");
    retention::release(&mut *s, &who, now).unwrap();

    let removed = retention::prune(&mut *s, year, &who, now, day("2020-01-01")).unwrap();
    assert_eq!(removed, 2, "the two old events no item lists");
    let left: Vec<i64> = events(&*s, "").iter().map(|e| e.id).collect();
    assert_eq!(left.len(), 2);
    assert!(left.contains(&linked));
    // the kept old event is still found by its actor, and counted
    let found = s
        .actor_activity(
            "nurse1",
            at("2019-01-01T00:00:00Z"),
            at("2019-12-31T00:00:00Z"),
        )
        .unwrap();
    assert_eq!(found.iter().map(|a| a.0).collect::<Vec<_>>(), [linked]);
    assert_eq!(count(&*s, "actor:nurse1"), 2);
    assert_eq!(s.source_status().unwrap()[0].events, 2);
    // the item and its evidence are whole, and the ledger verifies
    assert_eq!(s.item_by_key("ret:1").unwrap().unwrap().event_ids, [linked]);
    let v = s.verify_ledger().unwrap();
    assert_eq!(v.broken, None);
    let acts = common::ledger_actions(&*s, "store");
    assert_eq!(
        acts,
        ["store.create", "hold.place", "hold.release", "store.prune"]
    );
    assert!(
        s.ledger_for("store").unwrap()[3]
            .payload
            .contains("\"events_removed\":2")
    );
}

on_both_stores!(pruning_keeps_what_it_must);
