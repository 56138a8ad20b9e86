//! The filter language on both stores: the same events, items and review
//! acts in a SQLite file and a PostgreSQL schema, and every filter must pick
//! the same rows, in the same order, from each.

use crate::common;

use chrono::{Duration, Utc};
use common::*;
use vigil_domain::Disposition;
use vigil_domain::query::Query;
use vigil_review::{Act, Policy, Reviewer, ops};
use vigil_rules::{Engine, RulesConfig};
use vigil_store::Store;

/// The corpus auth log with the rules, a hostile fixture, and a few acts.
fn filled(b: Backend, dir: &std::path::Path, corpus: &std::path::Path) -> Box<dyn Store> {
    let mut s = store_on(b, dir).unwrap();
    let src = source(&mut *s, "labsz");
    let mut cfg = RulesConfig::default();
    cfg.sampling.enabled = false;
    let mut e = Engine::new(
        &cfg,
        Default::default(),
        &*s,
        "2026-01-01T00:00:00Z".parse().unwrap(),
    )
    .unwrap();
    vigil_app::ingest::read_file(
        &mut *s,
        &src,
        &corpus.join("openssh/OpenSSH_2k.log"),
        true,
        Some(&mut e),
    )
    .unwrap();
    let hostile = source(&mut *s, "bastion");
    let fixture =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/hostile.log");
    ingest(&mut *s, &hostile, &fixture, true);

    let p = Policy::default();
    let alice = Reviewer {
        name: "alice".into(),
        session: "s1".into(),
    };
    // acts at the real time, so the stores' own clocks see the claim running
    let now = Utc::now();
    let decide = |d| Act::Decide {
        disposition: d,
        note: Some("looked".into()),
        reopen: false,
    };
    ops::apply(
        &mut *s,
        &p,
        &alice,
        now,
        &[1, 2],
        &decide(Disposition::Benign),
        None,
    )
    .unwrap();
    ops::apply(
        &mut *s,
        &p,
        &alice,
        now,
        &[3],
        &decide(Disposition::FollowUp),
        None,
    )
    .unwrap();
    ops::apply(
        &mut *s,
        &p,
        &alice,
        now - Duration::minutes(1),
        &[4],
        &Act::Claim,
        None,
    )
    .unwrap();
    s
}

const EVENT_FILTERS: &[&str] = &[
    "",
    "actor:root",
    "actor:ro*",
    "actor:ROOT",
    "-actor:root",
    "outcome:failure",
    "-outcome:failure",
    "outcome:success",
    "action:invalid-user",
    "client:183.62.140.253",
    "client:183.62.*",
    "failed",
    "\"Failed password for invalid user\"",
    "after:2025-12-10T08:00:00Z before:2025-12-10T09:00:00Z",
    "host:LabSZ",
    "rule:failed-burst",
    "-rule:failed-burst",
    "rule:*",
    "source:labsz",
    "source:bastion",
    "kind:syslog",
    "program:sshd",
    "actor:root outcome:failure client:5.36.59.76",
    "50%",
    "under_score",
];

const ITEM_FILTERS: &[&str] = &[
    "",
    "status:new",
    "status:decided",
    "status:claimed",
    "-status:new",
    "severity>=high",
    "severity<high",
    "severity:medium",
    "disposition:benign",
    "disposition:follow-up",
    "-disposition:benign",
    "rule:failed-burst",
    "rule:fail*",
    "actor:root",
    "claimed:alice",
    "kind:group",
    "burst",
    "source:labsz",
    "after:2025-12-10T08:00:00Z",
];

fn event_rows(s: &dyn Store, f: &str, limit: u64) -> Vec<String> {
    let mut out = Vec::new();
    s.for_each_event(&Query::parse(f).unwrap(), limit, &mut |e| {
        out.push(format!(
            "{} {} {} {}",
            e.id,
            e.occurred_at,
            e.actor.map(|a| a.into_string()).unwrap_or_default(),
            e.raw
        ));
        Ok(())
    })
    .unwrap();
    out
}

fn item_rows(s: &dyn Store, f: &str) -> Vec<String> {
    s.items(&Query::parse(f).unwrap(), 0)
        .unwrap()
        .iter()
        .map(|i| {
            format!(
                "{} {:?} {} {:?} {:?} {:?} {:?}",
                i.id, i.status, i.title, i.disposition, i.claimed_by, i.rules, i.event_ids
            )
        })
        .collect()
}

#[test]
fn every_filter_picks_the_same_rows_from_both_stores() {
    let Some(corpus) = corpus() else { return };
    if pg_server().is_none() {
        return;
    }
    let (d1, d2) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let lite = filled(Backend::Sqlite, d1.path(), &corpus);
    let pg = filled(Backend::Postgres, d2.path(), &corpus);

    let total = lite.count_events(&Query::default()).unwrap();
    assert_eq!(total, 2008 + 8);
    for f in EVENT_FILTERS {
        let a = event_rows(&*lite, f, 0);
        assert_eq!(a, event_rows(&*pg, f, 0), "events for {f:?}");
        let q = Query::parse(f).unwrap();
        assert_eq!(lite.count_events(&q).unwrap(), a.len() as u64, "{f:?}");
        assert_eq!(pg.count_events(&q).unwrap(), a.len() as u64, "{f:?}");
        assert_eq!(event_rows(&*lite, f, 7), event_rows(&*pg, f, 7), "{f:?}");
    }
    // the filters are not all trivially everything or nothing
    let n = |f: &str| lite.count_events(&Query::parse(f).unwrap()).unwrap();
    assert!(n("actor:root") > 0 && n("actor:root") < total);
    assert_eq!(
        n("actor:root"),
        n("actor:ROOT") + n("actor:root") - n("actor:ROOT")
    );
    assert_eq!(n("actor:root") + n("-actor:root"), total);
    assert_eq!(n("outcome:failure") + n("-outcome:failure"), total);
    assert!(n("rule:failed-burst") > 0);
    assert_eq!(n("50%"), 0, "a % in a value is literal, not a wildcard");

    let items = lite.count_items(&Query::default()).unwrap();
    // (findings are filed as cases: an actor's day, an attack)
    assert!(items > 2);
    for f in ITEM_FILTERS {
        let a = item_rows(&*lite, f);
        assert_eq!(a, item_rows(&*pg, f), "items for {f:?}");
        let q = Query::parse(f).unwrap();
        assert_eq!(pg.count_items(&q).unwrap(), a.len() as u64, "{f:?}");
        assert_eq!(
            lite.items_page(&q, 2, 3)
                .unwrap()
                .iter()
                .map(|i| i.id)
                .collect::<Vec<_>>(),
            pg.items_page(&q, 2, 3)
                .unwrap()
                .iter()
                .map(|i| i.id)
                .collect::<Vec<_>>(),
            "{f:?}"
        );
    }
    let m = |f: &str| pg.count_items(&Query::parse(f).unwrap()).unwrap();
    assert_eq!(m("status:decided"), 3);
    assert_eq!(m("status:claimed"), 1);
    assert_eq!(m("claimed:alice"), 1);
    assert_eq!(m("disposition:benign"), 2);
    assert_eq!(m("status:new") + m("-status:new"), items);

    // and the rest of the read side agrees
    assert_eq!(
        lite.verify_ledger().unwrap().entries,
        pg.verify_ledger().unwrap().entries
    );
    assert_eq!(
        lite.quarantine(None, 0).unwrap().len(),
        pg.quarantine(None, 0).unwrap().len()
    );
    let first = |s: &dyn Store| {
        s.events_after(0, None, 5)
            .unwrap()
            .into_iter()
            .map(|(src, e)| (src, e.id, e.raw.into_string()))
            .collect::<Vec<_>>()
    };
    assert_eq!(first(&*lite), first(&*pg));
    let when = "2025-12-10T00:00:00Z".parse().unwrap();
    let until = "2025-12-11T00:00:00Z".parse().unwrap();
    assert_eq!(
        lite.actor_activity("root", when, until).unwrap(),
        pg.actor_activity("root", when, until).unwrap()
    );
    let flagged = |s: &dyn Store| {
        let mut ids = Vec::new();
        let day = chrono::Duration::days(1);
        s.flagged_events(when - day, until + day, &mut |id| ids.push(id))
            .unwrap();
        ids.sort_unstable();
        ids.dedup();
        ids
    };
    let held = flagged(&*lite);
    assert!(!held.is_empty());
    assert_eq!(held, flagged(&*pg));
    let unflagged = |s: &dyn Store| {
        let mut ids = Vec::new();
        let skip = |id| held.binary_search(&id).is_ok();
        s.unflagged_events(1, when, until, &skip, &mut |id| ids.push(id))
            .unwrap();
        ids.sort_unstable();
        ids
    };
    let free = unflagged(&*lite);
    assert!(!free.is_empty());
    assert!(free.iter().all(|id| held.binary_search(id).is_err()));
    assert_eq!(free, unflagged(&*pg));
    let ids = [5, 3, 999_999, 1];
    let raw = |s: &dyn Store| {
        s.events_by_id(&ids)
            .unwrap()
            .into_iter()
            .map(|(e, raw)| (e.id, raw))
            .collect::<Vec<_>>()
    };
    assert_eq!(raw(&*lite), raw(&*pg));
    assert_eq!(raw(&*pg).iter().map(|r| r.0).collect::<Vec<_>>(), [5, 3, 1]);
}
