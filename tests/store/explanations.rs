//! Explanations on both stores: what a run writes is read back by event,
//! counted per source and kind over a period, remembered newest first for
//! the next run, rewritten when late context explains an access, and
//! pruned with the events they explain (never those an item holds).

use crate::common;

use chrono::{DateTime, Utc};
use common::*;
use vigil_domain::{Explained, Explanation};

fn t(s: &str) -> DateTime<Utc> {
    s.parse().unwrap()
}

fn explanations_are_read_counted_remembered_and_pruned(b: Backend) {
    let dir = tempfile::tempdir().unwrap();
    let Some(mut s) = store_on(b, dir.path()) else {
        return;
    };
    // host-log events around the accesses: they have no explanation, and
    // must not be counted by the joins through the events' time index
    let host = source(&mut *s, "bastion");
    let log = dir.path().join("auth.log");
    let mut text = String::new();
    for d in 1..=4 {
        for h in [8, 9, 10] {
            text.push_str(&format!(
                "Nov {d:2} {h:02}:30:00 bastion sshd[1{d}{h}]: Accepted publickey for nurse{h} from 10.0.0.{d} port 4000 ssh2\n"
            ));
        }
    }
    std::fs::write(&log, text).unwrap();
    ingest(&mut *s, &host, &log, true);
    // the accesses: 8:00, 9:00 and 10:00 on Nov 1 to 4, then 150 on Nov 10
    let src = ehr_source(&mut *s);
    let csv = dir.path().join("access.csv");
    let mut text = String::from("user,mrn,time,action,workstation\n");
    let mut n = 0;
    for d in 1..=4 {
        for h in [8, 9, 10] {
            text.push_str(&format!(
                "nurse{h},P{n},2026-11-0{d}T{h:02}:00:00Z,view chart,WS1\n"
            ));
            n += 1;
        }
    }
    for i in 0..150 {
        text.push_str(&format!(
            "clerk,Q{i},2026-11-10T{:02}:{:02}:00Z,view chart,WS2\n",
            8 + i / 60,
            i % 60
        ));
    }
    std::fs::write(&csv, text).unwrap();
    ingest(&mut *s, &src, &csv, true);
    let all = events(&*s, "source:ehr");
    assert_eq!(all.len(), 162);
    let (evs, later) = all.split_at(12);
    // explain the 8:00 and 9:00 events of each day; the 10:00 ones stay bare
    let kinds = [Explanation::Direct, Explanation::Unexplained];
    let explained = |i: usize, e: &vigil_domain::Event, kind| Explained {
        event_id: e.id,
        source_id: src.id,
        occurred_at: e.occurred_at,
        actor: e.actor.as_ref().unwrap().as_str().to_owned(),
        patient: e.subject.as_ref().unwrap().as_str().to_owned(),
        kind,
        encounter: i.is_multiple_of(2).then(|| format!("V{i}")),
        note: String::new(),
    };
    let rows: Vec<Explained> = evs
        .iter()
        .filter(|e| e.occurred_at.format("%H").to_string() != "10")
        .enumerate()
        .map(|(i, e)| explained(i, e, kinds[i % 2]))
        .collect();
    assert_eq!(rows.len(), 8);
    s.put_explanations(&rows).unwrap();

    let ids: Vec<i64> = evs.iter().map(|e| e.id).collect();
    let got = s.explanations(&ids).unwrap();
    assert_eq!(got, rows, "read back by event, in event order");
    // a write of many rows (SQLite writes them many to a statement), with
    // a partial last statement
    let many: Vec<Explained> = later
        .iter()
        .enumerate()
        .map(|(i, e)| Explained {
            note: format!("role {i}"),
            ..explained(i, e, Explanation::Role)
        })
        .collect();
    s.put_explanations(&many).unwrap();
    let many_ids: Vec<i64> = many.iter().map(|x| x.event_id).collect();
    assert_eq!(s.explanations(&many_ids).unwrap(), many);

    // Nov 2 and 3: two direct, two unexplained, in the one source
    let counts = s
        .explanation_counts(t("2026-11-02T00:00:00Z"), t("2026-11-04T00:00:00Z"))
        .unwrap();
    assert_eq!(
        counts,
        vec![
            ("ehr".to_string(), Explanation::Direct, 2),
            ("ehr".to_string(), Explanation::Unexplained, 2),
        ]
    );

    // newest first, within the period, at most the limit
    let recent = s
        .recent_explanations(t("2026-11-02T00:00:00Z"), t("2026-11-04T00:00:00Z"), 3)
        .unwrap();
    let at: Vec<_> = recent.iter().map(|x| x.occurred_at).collect();
    assert_eq!(
        at,
        vec![
            t("2026-11-03T09:00:00Z"),
            t("2026-11-03T08:00:00Z"),
            t("2026-11-02T09:00:00Z"),
        ]
    );
    assert_eq!(recent[0].patient, rows[5].patient);

    // late context: an unexplained access becomes explained, counted once
    let mut late = rows[3].clone();
    late.kind = Explanation::Department;
    late.encounter = Some("V-late".into());
    s.put_explanations(std::slice::from_ref(&late)).unwrap();
    assert_eq!(
        s.explanations(&[late.event_id]).unwrap(),
        vec![late.clone()]
    );
    let unexplained = s
        .unexplained(None, t("2026-11-01T00:00:00Z"), t("2026-11-05T00:00:00Z"))
        .unwrap();
    assert_eq!(unexplained.len(), 3, "{unexplained:?}");
    let counts = s
        .explanation_counts(t("2026-11-02T00:00:00Z"), t("2026-11-04T00:00:00Z"))
        .unwrap();
    assert_eq!(
        counts,
        vec![
            ("ehr".to_string(), Explanation::Department, 1),
            ("ehr".to_string(), Explanation::Direct, 2),
            ("ehr".to_string(), Explanation::Unexplained, 1),
        ]
    );

    // an item holds Nov 1's 8:00 event: pruning before Nov 3 keeps it and
    // its explanation, and takes the rest of Nov 1 and 2 with theirs
    let held = rows[0].event_id;
    s.add_items(&[vigil_store::NewItem {
        kind: vigil_domain::ItemKind::Finding,
        source_id: Some(src.id),
        occurred_at: rows[0].occurred_at,
        actor: Some(rows[0].actor.clone()),
        subject: None,
        title: "held".into(),
        severity: vigil_domain::Severity::Low,
        group_key: Some("held".into()),
        rules: vec![],
        event_ids: vec![held],
        score: 0,
        score_note: None,
    }])
    .unwrap();
    let pruned = s.prune_events(t("2026-11-03T00:00:00Z")).unwrap();
    assert_eq!(
        pruned, 11,
        "Nov 1 and 2: six host events and six accesses, less the held one"
    );
    let left: Vec<i64> = s
        .explanations(&ids)
        .unwrap()
        .iter()
        .map(|x| x.event_id)
        .collect();
    let want: Vec<i64> = std::iter::once(held)
        .chain(rows[4..].iter().map(|x| x.event_id))
        .collect();
    assert_eq!(left, want);
}

on_both_stores!(explanations_are_read_counted_remembered_and_pruned);
