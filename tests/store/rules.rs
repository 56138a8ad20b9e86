//! Every rule against events that must fire it and near misses that must
//! not; grouping and incremental runs; suppressions; the real sshd corpus.

use crate::common;

use std::collections::{BTreeMap, HashSet};

use chrono::{DateTime, NaiveDate, Utc};
use common::*;
use vigil_domain::{Outcome, Patient, Person};
use vigil_rules::{Ctx, Engine, Finding, Knowledge, Rule, RuleEvent, RulesConfig, enabled};
use vigil_store::{Store, Suppression};

fn t(s: &str) -> DateTime<Utc> {
    s.parse().unwrap()
}

fn ev<'a>(
    id: i64,
    at: &str,
    actor: &'a str,
    subject: Option<&'a str>,
    action: &'a str,
    outcome: Outcome,
) -> RuleEvent<'a> {
    RuleEvent {
        id,
        source_id: 1,
        occurred_at: t(at),
        actor: Some(actor),
        subject,
        action,
        outcome,
        client: Some("10.0.0.9"),
        host: Some("ehr"),
        detail: None,
    }
}

fn view<'a>(id: i64, at: &str, actor: &'a str, mrn: &'a str) -> RuleEvent<'a> {
    ev(id, at, actor, Some(mrn), "view chart", Outcome::Success)
}

fn person(id: &str, name: &str, accounts: &[&str]) -> Person {
    Person {
        id: id.into(),
        name: name.into(),
        accounts: accounts.iter().map(|a| a.to_string()).collect(),
        status: "active".into(),
        ..Person::default()
    }
}

fn patient(mrn: &str, name: &str) -> Patient {
    Patient {
        mrn: mrn.into(),
        name: name.into(),
        ..Patient::default()
    }
}

fn knowledge() -> Knowledge {
    let mut nina = person("E200", "Nina López", &["nurse1"]);
    nina.address = Some("44 Oak Ave, Apt 2, Springfield".into());
    nina.relatives = vec!["100900".into()];
    nina.shift = Some("07:00-19:00".into());
    let mut raj = person("E201", "Raj Patel", &["nurse2"]);
    raj.shift = Some("19:00-07:00".into());
    raj.location = Some("42.2808,-83.7430".into());
    let mary = person("E202", "Mary Kim", &["nurse3"]);
    let mut frank = person("E204", "Frank Miller", &["frank"]);
    frank.status = "terminated".into();
    frank.terminated_on = Some(NaiveDate::from_ymd_opt(2026, 11, 20).unwrap());
    let mut sue = person("E205", "Sue Park", &["spark"]);
    sue.status = "suspended".into();
    let bob = person("E101", "Bob Okafor", &["bob"]);

    let mut self_rec = patient("100311", "Mary Kim");
    self_rec.employee_id = Some("E202".into());
    let mut coworker = patient("100512", "Bob Okafor");
    coworker.employee_id = Some("E101".into());
    let mut neighbour = patient("100455", "John Smith");
    neighbour.address = Some("44 oak ave apt 2 springfield".into());
    let mut other_unit = patient("100456", "Jane Smith");
    other_unit.address = Some("44 Oak Ave Apt 3 Springfield".into());
    let mut vip = patient("100777", "Jordan Blake");
    vip.vip = true;
    let mut dead = patient("100888", "Ed Harris");
    dead.date_of_death = Some(NaiveDate::from_ymd_opt(2026, 11, 10).unwrap());
    Knowledge::new(
        vec![nina, raj, mary, frank, sue, bob],
        vec![
            patient("100234", "LOPEZ, Ana"),
            patient("100235", "Ana Lopes"),
            patient("100900", "Carlos Garcia-Lopez"),
            Patient {
                // 200 m north of raj: past the 150 m a neighbour is within
                location: Some("42.282599,-83.7430".into()),
                ..patient("100901", "Carla Garcia")
            },
            self_rec,
            coworker,
            neighbour,
            other_unit,
            vip,
            dead,
            Patient {
                // 100 m north of raj, on another street
                location: Some("42.281699,-83.7430".into()),
                ..patient("101000", "James Walker")
            },
        ],
        HashSet::from(["100999".to_string()]),
    )
}

/// Runs one rule over events, as the engine would (in order).
fn run<'a>(id: &str, cfg: &RulesConfig, events: &[RuleEvent<'a>]) -> Vec<Finding<'a>> {
    let k = knowledge();
    let mut rule: Box<dyn Rule> = enabled(cfg)
        .into_iter()
        .find(|r| r.id() == id)
        .unwrap_or_else(|| panic!("no rule {id}"));
    let ctx = Ctx::new(&k, None);
    let mut out = Vec::new();
    for e in events {
        rule.check(e, &ctx, &mut out);
    }
    out
}

fn fires(id: &str, events: &[RuleEvent<'_>]) -> Vec<String> {
    run(id, &RulesConfig::default(), events)
        .into_iter()
        .map(|f| f.written_reason(None))
        .collect()
}

#[test]
fn self_access() {
    let r = fires(
        "self-access",
        &[view(1, "2026-11-25T10:00:00Z", "nurse3", "100311")],
    );
    assert_eq!(
        r,
        ["nurse3 opened the record of MRN 100311, which is their own (employee E202), at 10:00"]
    );
    assert!(
        fires(
            "self-access",
            &[view(1, "2026-11-25T10:00:00Z", "nurse1", "100311")]
        )
        .is_empty()
    );
}

#[test]
fn same_surname_matches_case_accents_and_hyphens_only() {
    let r = fires(
        "same-surname",
        &[view(1, "2026-11-25T23:14:00Z", "nurse1", "100234")],
    );
    assert_eq!(
        r,
        ["nurse1 opened the chart of MRN 100234, who shares the surname Lopez, at 23:14"]
    );
    assert_eq!(
        fires(
            "same-surname",
            &[view(2, "2026-11-25T10:00:00Z", "nurse1", "100900")]
        )
        .len(),
        1
    );
    // "Lopes" is not "López"; "Garcia" alone is not either
    assert!(
        fires(
            "same-surname",
            &[view(3, "2026-11-25T10:00:00Z", "nurse1", "100235")]
        )
        .is_empty()
    );
    assert!(
        fires(
            "same-surname",
            &[view(4, "2026-11-25T10:00:00Z", "nurse1", "100901")]
        )
        .is_empty()
    );
    // a failed access is not an access
    let failed = ev(
        5,
        "2026-11-25T10:00:00Z",
        "nurse1",
        Some("100234"),
        "view chart",
        Outcome::Failure,
    );
    assert!(fires("same-surname", &[failed]).is_empty());
}

#[test]
fn same_address_normalizes_punctuation_but_not_the_unit() {
    assert_eq!(
        fires(
            "same-address",
            &[view(1, "2026-11-25T10:00:00Z", "nurse1", "100455")]
        )
        .len(),
        1
    );
    assert!(
        fires(
            "same-address",
            &[view(2, "2026-11-25T10:00:00Z", "nurse1", "100456")]
        )
        .is_empty()
    );
}

#[test]
fn family_from_the_roster() {
    let r = fires(
        "family",
        &[view(1, "2026-11-25T10:00:00Z", "nurse1", "100900")],
    );
    assert!(r[0].contains("family member"), "{r:?}");
    assert!(
        fires(
            "family",
            &[view(2, "2026-11-25T10:00:00Z", "nurse3", "100900")]
        )
        .is_empty()
    );
}

#[test]
fn coworker_but_not_self() {
    let r = fires(
        "coworker",
        &[view(1, "2026-11-25T10:00:00Z", "nurse2", "100512")],
    );
    assert_eq!(
        r,
        ["nurse2 opened the chart of MRN 100512, who is employee E101, at 10:00"]
    );
    assert!(
        fires(
            "coworker",
            &[view(2, "2026-11-25T10:00:00Z", "nurse3", "100311")]
        )
        .is_empty()
    );
    assert!(
        fires(
            "coworker",
            &[view(3, "2026-11-25T10:00:00Z", "nurse2", "101000")]
        )
        .is_empty()
    );
}

#[test]
fn vip_and_watch_list() {
    assert!(
        fires(
            "vip",
            &[view(1, "2026-11-25T10:00:00Z", "nurse2", "100777")]
        )[0]
        .contains("a VIP patient")
    );
    assert!(
        fires(
            "vip",
            &[view(2, "2026-11-25T10:00:00Z", "nurse2", "100999")]
        )[0]
        .contains("watch-listed")
    );
    assert!(
        fires(
            "vip",
            &[view(3, "2026-11-25T10:00:00Z", "nurse2", "101000")]
        )
        .is_empty()
    );
}

#[test]
fn deceased_after_the_date_of_death_only() {
    assert!(
        fires(
            "deceased",
            &[view(1, "2026-11-10T23:59:00Z", "nurse2", "100888")]
        )
        .is_empty()
    );
    let r = fires(
        "deceased",
        &[view(2, "2026-11-11T00:00:00Z", "nurse2", "100888")],
    );
    assert!(
        r[0].contains("1 days after the patient's death on 2026-11-10"),
        "{r:?}"
    );
}

#[test]
fn terminated_after_the_date_and_suspended_always() {
    assert!(
        fires(
            "terminated",
            &[view(1, "2026-11-20T17:00:00Z", "frank", "101000")]
        )
        .is_empty()
    );
    let r = fires(
        "terminated",
        &[view(2, "2026-11-21T08:00:00Z", "frank", "101000")],
    );
    assert!(r[0].contains("terminated on 2026-11-20"), "{r:?}");
    assert_eq!(
        fires(
            "terminated",
            &[view(3, "2026-11-01T08:00:00Z", "spark", "101000")]
        )
        .len(),
        1
    );
}

#[test]
fn after_hours_at_the_shift_boundary_minute() {
    // Wednesday 2026-11-25; nurse1 works 07:00-19:00
    let at = |id, hm: &str| {
        view(
            id,
            Box::leak(format!("2026-11-25T{hm}:00Z").into_boxed_str()),
            "nurse1",
            "101000",
        )
    };
    assert!(fires("after-hours", &[at(1, "07:00")]).is_empty());
    assert!(fires("after-hours", &[at(2, "18:59")]).is_empty());
    assert_eq!(
        fires("after-hours", &[at(3, "06:59")]),
        ["nurse1 did view chart on 101000 at 06:59, outside shift 07:00-19:00"]
    );
    assert_eq!(fires("after-hours", &[at(4, "19:00")]).len(), 1);
    // a night shift from the roster
    assert!(
        fires(
            "after-hours",
            &[view(5, "2026-11-25T02:00:00Z", "nurse2", "101000")]
        )
        .is_empty()
    );
    // weekends (Saturday 2026-11-28) count against the default office
    // hours, not against a shift from the roster (wards run all week)
    assert!(
        fires(
            "after-hours",
            &[view(6, "2026-11-28T10:00:00Z", "nurse3", "101000")]
        )[0]
        .contains("on a Saturday")
    );
    assert!(
        fires(
            "after-hours",
            &[view(8, "2026-11-28T10:00:00Z", "nurse1", "101000")]
        )
        .is_empty()
    );
    let mut cfg = RulesConfig::default();
    cfg.after_hours.weekends = false;
    assert!(
        run(
            "after-hours",
            &cfg,
            &[view(7, "2026-11-28T10:00:00Z", "nurse3", "101000")]
        )
        .is_empty()
    );
}

fn failure<'a>(id: i64, at: &'a str, actor: &'a str, client: &'a str) -> RuleEvent<'a> {
    RuleEvent {
        client: Some(client),
        ..ev(id, at, actor, None, "login", Outcome::Failure)
    }
}

#[test]
fn failed_burst_one_short_and_exact() {
    let times = [
        "10:00:00", "10:01:00", "10:02:00", "10:03:00", "10:09:59", "10:20:00",
    ];
    let ts: Vec<String> = times.iter().map(|h| format!("2026-11-25T{h}Z")).collect();
    let evs: Vec<_> = ts
        .iter()
        .enumerate()
        .map(|(i, t)| failure(i as i64, t, "root", "203.0.113.9"))
        .collect();
    // four failures: one short
    assert!(fires("failed-burst", &evs[..4]).is_empty());
    // the fifth, within ten minutes, makes a burst by account and by address
    let f = run("failed-burst", &RulesConfig::default(), &evs[..5]);
    assert_eq!(f.len(), 2);
    assert_eq!(f[0].event_ids, vec![0, 1, 2, 3, 4]);
    assert!(
        f[0].reason
            .starts_with("5 failed login attempts for account root within 10 minutes"),
        "{}",
        f[0].reason
    );
    assert!(
        f[1].reason
            .starts_with("5 failed login attempts from 203.0.113.9")
    );
    // the sixth, ten minutes later, stands alone
    let late = run(
        "failed-burst",
        &RulesConfig::default(),
        &[evs[0], evs[1], evs[2], evs[3], evs[5]],
    );
    assert!(late.is_empty());
}

#[test]
fn success_after_failures() {
    let evs = [
        failure(1, "2026-11-25T03:40:00Z", "backup", "198.51.100.23"),
        failure(2, "2026-11-25T03:40:20Z", "backup", "198.51.100.23"),
        failure(3, "2026-11-25T03:40:40Z", "backup", "198.51.100.23"),
        RuleEvent {
            client: Some("198.51.100.23"),
            ..ev(
                4,
                "2026-11-25T03:42:30Z",
                "backup",
                None,
                "login",
                Outcome::Success,
            )
        },
    ];
    let f = run("success-after-failures", &RulesConfig::default(), &evs);
    assert_eq!(f.len(), 1);
    assert_eq!(f[0].event_ids, vec![4, 1, 2, 3]);
    assert_eq!(
        f[0].reason,
        "backup logged in from 198.51.100.23 at 03:42 after 3 failed attempts for this account in the previous 30 minutes"
    );
    assert!(
        run(
            "success-after-failures",
            &RulesConfig::default(),
            &[evs[1], evs[2], evs[3]]
        )
        .is_empty()
    );
}

#[test]
fn unknown_accounts_and_privilege() {
    let probe = RuleEvent {
        client: Some("45.1.2.3"),
        ..ev(
            1,
            "2026-11-25T03:00:00Z",
            "oracle",
            None,
            "invalid-user",
            Outcome::Failure,
        )
    };
    assert!(fires("unknown-account", &[probe])[0].contains("does not exist"));
    // with a roster, a login by an account nobody holds
    let stranger = ev(
        2,
        "2026-11-25T10:00:00Z",
        "tempvendor",
        None,
        "login",
        Outcome::Success,
    );
    assert!(fires("unknown-account", &[stranger])[0].contains("no one on the workforce roster"));
    let known = ev(
        3,
        "2026-11-25T10:00:00Z",
        "nurse1",
        None,
        "login",
        Outcome::Success,
    );
    assert!(fires("unknown-account", &[known]).is_empty());

    let sudo = |id, target| RuleEvent {
        detail: Some("/bin/cat /etc/shadow"),
        ..ev(
            id,
            "2026-11-25T10:00:00Z",
            "alice",
            Some(target),
            "sudo",
            Outcome::Success,
        )
    };
    assert!(fires("privileged", &[sudo(4, "root")])[0].contains("as root with sudo"));
    assert!(fires("privileged", &[sudo(5, "postgres")]).is_empty());
    let ddl = ev(
        6,
        "2026-11-25T10:00:00Z",
        "dba",
        Some("public.patients"),
        "ddl",
        Outcome::Success,
    );
    assert!(fires("privileged", &[ddl])[0].contains("DDL statement on public.patients"));
    let iam = ev(
        7,
        "2026-11-25T10:00:00Z",
        "arn:aws:iam::1:user/x",
        None,
        "AttachUserPolicy",
        Outcome::Success,
    );
    assert_eq!(fires("privileged", &[iam]).len(), 1);
    let read = ev(
        8,
        "2026-11-25T10:00:00Z",
        "arn:aws:iam::1:user/x",
        None,
        "GetUser",
        Outcome::Success,
    );
    assert!(fires("privileged", &[read]).is_empty());
}

#[test]
fn break_glass() {
    let btg = RuleEvent {
        detail: Some("Break the glass: trauma"),
        ..view(1, "2026-11-25T03:20:00Z", "drreyes", "100777")
    };
    assert!(fires("break-glass", &[btg])[0].contains("break-the-glass"));
    assert!(
        fires(
            "break-glass",
            &[view(2, "2026-11-25T03:20:00Z", "drreyes", "100777")]
        )
        .is_empty()
    );
}

#[test]
fn first_seen_after_the_learning_period() {
    let login = |id, at, client| RuleEvent {
        client: Some(client),
        ..ev(id, at, "dave", None, "login", Outcome::Success)
    };
    let evs = [
        login(1, "2026-11-01T10:00:00Z", "10.20.1.40"),
        login(2, "2026-11-03T10:00:00Z", "10.20.1.41"), // still learning (7 days)
        login(3, "2026-11-20T10:00:00Z", "10.20.1.40"), // known
        login(4, "2026-11-20T11:00:00Z", "185.220.101.7"),
    ];
    let r = fires("first-seen", &evs);
    assert_eq!(
        r,
        [
            "dave logged in from address 185.220.101.7 for the first time, at 11:00 (known since 2026-11-01)"
        ]
    );
}

/// A day of auth traffic with bursts, written as one file or in two halves.
fn day_of_auth() -> Vec<String> {
    let mut lines = Vec::new();
    for i in 0..200u32 {
        let (h, m, s) = (i / 60 % 24, i % 60, (i * 7) % 60);
        let line = match i % 10 {
            0..=5 => format!(
                "Nov 25 {h:02}:{m:02}:{s:02} bastion sshd[{i}]: Failed password for root from 203.0.113.{} port {i} ssh2",
                i % 3
            ),
            6 => format!(
                "Nov 25 {h:02}:{m:02}:{s:02} bastion sshd[{i}]: Accepted password for root from 203.0.113.{} port {i} ssh2",
                i % 3
            ),
            7 => format!(
                "Nov 25 {h:02}:{m:02}:{s:02} bastion sudo: alice : TTY=pts/0 ; PWD=/ ; USER=root ; COMMAND=/bin/id"
            ),
            _ => format!(
                "Nov 25 {h:02}:{m:02}:{s:02} bastion sshd[{i}]: Invalid user u{i} from 198.51.100.{} port {i}",
                i % 5
            ),
        };
        lines.push(line);
    }
    lines
}

fn items_of(s: &dyn Store) -> BTreeMap<String, Vec<i64>> {
    s.items(&vigil_domain::query::Query::default(), 0)
        .unwrap()
        .into_iter()
        .map(|i| {
            let key = format!(
                "{}|{}",
                i.title,
                i.rules
                    .iter()
                    .map(|r| r.rule.clone())
                    .collect::<Vec<_>>()
                    .join(",")
            );
            (key, i.event_ids)
        })
        .collect()
}

fn engine_for(s: &dyn Store) -> Engine {
    let mut cfg = RulesConfig::default();
    cfg.sampling.enabled = false;
    Engine::new(&cfg, HashSet::new(), s, t("2026-11-27T00:00:00Z")).unwrap()
}

fn a_day_in_two_halves_gives_the_same_items_as_whole_and_rerun_adds_nothing(b: Backend) {
    let lines = day_of_auth();
    let whole_dir = tempfile::tempdir().unwrap();
    let halves_dir = tempfile::tempdir().unwrap();
    let mtime = "2026-11-26T00:00:00Z";
    let write = |path: &std::path::Path, ls: &[String]| {
        std::fs::write(path, ls.join("\n") + "\n").unwrap();
        let t: DateTime<Utc> = mtime.parse().unwrap();
        std::fs::File::options()
            .write(true)
            .open(path)
            .unwrap()
            .set_modified(t.into())
            .unwrap();
    };

    let mut whole = store_on(b, whole_dir.path()).unwrap();
    let src = source(&mut *whole, "bastion");
    let log = whole_dir.path().join("auth.log");
    write(&log, &lines);
    let mut e = engine_for(&*whole);
    vigil_app::ingest::read_file(&mut *whole, &src, &log, true, Some(&mut e)).unwrap();

    let mut halves = store_on(b, halves_dir.path()).unwrap();
    let src2 = source(&mut *halves, "bastion");
    let log2 = halves_dir.path().join("auth.log");
    write(&log2, &lines[..97]);
    let mut e2 = engine_for(&*halves);
    vigil_app::ingest::read_file(&mut *halves, &src2, &log2, true, Some(&mut e2)).unwrap();
    write(&log2, &lines);
    // a new process for the second half: history comes from the store
    let mut e3 = engine_for(&*halves);
    vigil_app::ingest::read_file(&mut *halves, &src2, &log2, true, Some(&mut e3)).unwrap();

    let a = items_of(&*whole);
    assert!(a.keys().any(|k| k.contains("failed-burst")), "{a:?}");
    assert_eq!(a, items_of(&*halves));

    // a rerun over everything finds the same items, and doubles nothing
    let links = |s: &dyn Store| -> usize { items_of(s).values().map(Vec::len).sum() };
    let n_links = links(&*halves);
    let mut again = engine_for(&*halves);
    again
        .catch_up(&mut *halves, Some(t("2026-01-01T00:00:00Z")))
        .unwrap();
    assert_eq!(a, items_of(&*halves));
    assert_eq!(n_links, links(&*halves));
}

fn suppressions_apply_until_they_expire(b: Backend) {
    let dir = tempfile::tempdir().unwrap();
    let mut s = store_on(b, dir.path()).unwrap();
    let src = source(&mut *s, "bastion");
    let who = vigil_review::Reviewer {
        name: "alice".into(),
        session: "s".into(),
    };
    let now = t("2026-11-26T12:00:00Z");
    // expected: alice's sudo, until next week; an expired one for bob
    vigil_review::suppression::add(
        &mut *s,
        &who,
        now,
        &Suppression {
            id: 0,
            actor: "alice".into(),
            subject: None,
            rule: Some("privileged".into()),
            until: t("2026-12-01T00:00:00Z"),
            reason: "patch window".into(),
            owner: String::new(),
        },
    )
    .unwrap();
    let past = vigil_review::suppression::add(
        &mut *s,
        &who,
        now,
        &Suppression {
            id: 0,
            actor: "bob".into(),
            subject: None,
            rule: Some("privileged".into()),
            until: t("2026-11-26T13:00:00Z"),
            reason: "was expected yesterday".into(),
            owner: String::new(),
        },
    );
    assert!(past.is_ok());
    let log = dir.path().join("auth.log");
    std::fs::write(
        &log,
        "Nov 27 10:00:00 bastion sudo: alice : TTY=pts/0 ; PWD=/ ; USER=root ; COMMAND=/bin/id\nNov 27 10:00:01 bastion sudo: bob : TTY=pts/0 ; PWD=/ ; USER=root ; COMMAND=/bin/id\n",
    )
    .unwrap();
    let mut cfg = RulesConfig::default();
    cfg.sampling.enabled = false;
    // a day later: bob's suppression expired, alice's still runs
    let mut e = Engine::new(&cfg, HashSet::new(), &*s, t("2026-11-27T12:00:00Z")).unwrap();
    let r = vigil_app::ingest::read_file(&mut *s, &src, &log, true, Some(&mut e)).unwrap();
    assert_eq!(r.rules.suppressed, 1);
    // (the queue's own hiding uses the real clock: show everything here)
    let mut q = vigil_domain::query::Query::parse("rule:privileged").unwrap();
    q.show_suppressed = true;
    let items = s.items(&q, 0).unwrap();
    assert_eq!(items.len(), 1);
    assert_eq!(items[0].actor.as_ref().unwrap().as_str(), "bob");
    let ledger = s.ledger_for("suppression:1").unwrap();
    assert_eq!(ledger[0].action, "suppression.add");
    // an expiry in the past is refused
    let refused = vigil_review::suppression::add(
        &mut *s,
        &who,
        now,
        &Suppression {
            id: 0,
            actor: "x".into(),
            subject: None,
            rule: None,
            until: t("2026-11-01T00:00:00Z"),
            reason: "r".into(),
            owner: String::new(),
        },
    );
    assert!(refused.is_err());
}

fn the_openssh_guessing_bursts_are_flagged_with_their_accounts_and_addresses(b: Backend) {
    let Some(corpus) = corpus() else { return };
    let dir = tempfile::tempdir().unwrap();
    let mut s = store_on(b, dir.path()).unwrap();
    let src = source(&mut *s, "labsz");
    let mut e = engine_for(&*s);
    vigil_app::ingest::read_file(
        &mut *s,
        &src,
        &corpus.join("openssh/OpenSSH_2k.log"),
        true,
        Some(&mut e),
    )
    .unwrap();
    let bursts = s
        .items(
            &vigil_domain::query::Query::parse("rule:failed-burst").unwrap(),
            0,
        )
        .unwrap();
    let titles: Vec<String> = bursts.iter().map(|i| i.title.to_string()).collect();
    // One item per attacking address, titled by what it is.
    for who in [
        "183.62.140.253",
        "187.141.143.180",
        "103.99.0.122",
        "112.95.230.3",
    ] {
        assert!(
            titles
                .iter()
                .any(|t| t.starts_with(&format!("Password guessing from {who} on "))),
            "no burst item for {who}: {titles:?}"
        );
    }
    // The burst against root is a reason in the item of an address it
    // came from, not an item of its own.
    assert!(
        bursts.iter().any(|i| i
            .rules
            .iter()
            .any(|r| r.reason.as_str().contains("for account root"))),
        "{titles:?}"
    );
    // the biggest one lists its failures: all of them, as one decision
    let big = bursts
        .iter()
        .find(|i| i.title.as_str().contains("183.62.140.253"))
        .unwrap();
    assert!(big.event_ids.len() >= 280, "{}", big.event_ids.len());
    assert!(
        big.rules.iter().any(|r| r
            .reason
            .as_str()
            .contains("failed login attempts from 183.62.140.253")),
        "{:?}",
        big.rules
    );
}

fn volume_spike_against_the_actors_own_baseline(b: Backend) {
    let dir = tempfile::tempdir().unwrap();
    let mut s = store_on(b, dir.path()).unwrap();
    let patients: Vec<Patient> = (0..100)
        .map(|i| patient(&format!("{}", 200_000 + i), "P Q"))
        .collect();
    s.replace_patients(&patients).unwrap();
    s.replace_people(&[person("E1", "Tom Brown", &["nurse7"])])
        .unwrap();
    let cols = vigil_sources::access_csv::CsvColumns {
        actor: "user".into(),
        subject: "mrn".into(),
        occurred_at: "time".into(),
        action: None,
        outcome: None,
        client: None,
        host: None,
        detail: None,
        time_format: None,
    };
    let id = s.ensure_source("ehr", "access-csv").unwrap();
    let src = vigil_app::ingest::FileSource {
        id,
        name: "ehr".into(),
        kind: vigil_sources::SourceKind::AccessCsv,
        zone: None,
        options: vigil_sources::ParserOptions {
            columns: Some(cols),
            ..Default::default()
        },
    };
    let mut csv = String::from("user,mrn,time\n");
    // a baseline of 5 records a day, then 19 (one short of the minimum), then 40
    for d in 10..20 {
        for p in 0..5 {
            csv.push_str(&format!(
                "nurse7,{},2026-11-{d} 10:{p:02}:00\n",
                200_000 + p
            ));
        }
    }
    for p in 0..19 {
        csv.push_str(&format!("nurse7,{},2026-11-20 11:{p:02}:00\n", 200_000 + p));
    }
    for p in 0..40 {
        csv.push_str(&format!("nurse7,{},2026-11-21 11:{p:02}:00\n", 200_000 + p));
    }
    let f = dir.path().join("access.csv");
    std::fs::write(&f, csv).unwrap();
    let mut e = engine_for(&*s);
    vigil_app::ingest::read_file(&mut *s, &src, &f, true, Some(&mut e)).unwrap();
    let spikes = s
        .items(
            &vigil_domain::query::Query::parse("rule:volume-spike").unwrap(),
            0,
        )
        .unwrap();
    assert_eq!(spikes.len(), 1, "{spikes:?}");
    assert!(
        spikes[0].rules.iter().any(|r| r.rule == "volume-spike"
            && r.reason
                .as_str()
                .contains("nurse7 opened 40 patient records on 2026-11-21")),
        "{:?}",
        spikes[0].rules
    );
}

/// A host's day as sshd, sudo, the kernel and the account tools write it,
/// through the real parser and the rules.
fn attempts_refusals_and_tampering_from_a_real_log(b: Backend) {
    let dir = tempfile::tempdir().unwrap();
    let Some(mut s) = store_on(b, dir.path()) else {
        return;
    };
    let mut log = String::new();
    let mut line = |t: &str, tag: &str, msg: &str| {
        log.push_str(&format!("Nov 25 {t} bastion {tag}: {msg}\n"));
    };
    // alice mistypes twice, then gets in: four lines an attempt, two attempts
    for (i, t) in ["09:00:01", "09:00:05"].iter().enumerate() {
        let pid = format!("sshd[{}]", 500 + i);
        line(
            t,
            &pid,
            "pam_unix(sshd:auth): authentication failure; logname= uid=0 euid=0 tty=ssh ruser= rhost=10.0.0.7  user=alice",
        );
        line(
            t,
            &pid,
            "Failed password for alice from 10.0.0.7 port 40000 ssh2",
        );
    }
    line(
        "09:00:09",
        "sshd[502]",
        "Accepted password for alice from 10.0.0.7 port 40001 ssh2",
    );
    // a scanner: twelve attempts on invalid names, four lines each, then root
    for i in 0..12 {
        let pid = format!("sshd[{}]", 600 + i);
        let t = format!("10:00:{:02}", i * 2);
        let user = ["admin", "oracle", "test"][i % 3];
        line(
            &t,
            &pid,
            &format!("Invalid user {user} from 203.0.113.50 port {}", 50000 + i),
        );
        line(&t, &pid, "pam_unix(sshd:auth): check pass; user unknown");
        line(
            &t,
            &pid,
            "pam_unix(sshd:auth): authentication failure; logname= uid=0 euid=0 tty=ssh ruser= rhost=203.0.113.50",
        );
        line(
            &t,
            &pid,
            &format!(
                "Failed password for invalid user {user} from 203.0.113.50 port {} ssh2",
                50000 + i
            ),
        );
    }
    line(
        "10:00:40",
        "sshd[700]",
        "Accepted password for root from 203.0.113.50 port 51000 ssh2",
    );
    line(
        "11:00:00",
        "sudo",
        "mallory : user NOT in sudoers ; TTY=pts/3 ; PWD=/home/mallory ; USER=root ; COMMAND=/bin/cat /etc/shadow",
    );
    line(
        "11:05:00",
        "gpasswd[800]",
        "user svc added by alice to group sudo",
    );
    line("11:10:00", "auditd[801]", "The audit daemon is exiting.");
    line(
        "11:11:00",
        "kernel",
        "[ 512.1] device eth0 entered promiscuous mode",
    );
    let path = dir.path().join("auth.log");
    std::fs::write(&path, log).unwrap();
    let src = source(&mut *s, "bastion");
    let mut e = engine_for(&*s);
    vigil_app::ingest::read_file(&mut *s, &src, &path, true, Some(&mut e)).unwrap();
    e.finish(&mut *s).unwrap();
    let reasons: Vec<String> = s
        .items(&vigil_domain::query::Query::default(), 0)
        .unwrap()
        .iter()
        .flat_map(|i| {
            i.rules
                .iter()
                .map(|r| format!("{}: {}", r.rule, r.reason.as_str()))
        })
        .collect();
    let has = |needle: &str| reasons.iter().any(|r| r.contains(needle));
    // the names the scanner tried once its burst began are part of its
    // attack, with their own sentence (written once, for the first)
    let attack = s
        .items(&vigil_domain::query::Query::default(), 0)
        .unwrap()
        .into_iter()
        .find(|i| i.title.as_str().contains("from 203.0.113.50"))
        .expect("the scanner's attack");
    let unknown = attack.rules.iter().find(|r| r.rule == "unknown-account");
    assert!(
        unknown.is_some_and(|r| r
            .reason
            .as_str()
            .starts_with("login attempt for account \"")
            && r.reason.as_str().contains("from 203.0.113.50")),
        "{:#?}",
        attack.rules
    );
    // two typos and a login raise nothing about alice
    assert!(
        !reasons.iter().any(|r| r.contains("alice logged in")),
        "{reasons:#?}"
    );
    assert!(
        has("success-after-failures: root logged in from 203.0.113.50"),
        "{reasons:#?}"
    );
    assert!(
        has("after 12 failed attempts from this address (accounts tried: admin, oracle and test)"),
        "{reasons:#?}"
    );
    assert!(
        has("failed login attempts from 203.0.113.50 within 10 minutes"),
        "{reasons:#?}"
    );
    assert!(
        has("refused-privilege: sudo refused: mallory tried to act as root on bastion"),
        "{reasons:#?}"
    );
    assert!(
        has("privileged-group: svc was added to group sudo on bastion"),
        "{reasons:#?}"
    );
    assert!(has("by alice"), "{reasons:#?}");
    assert!(
        has("audit-tampering: the audit daemon stopped on bastion"),
        "{reasons:#?}"
    );
    assert!(
        has("a network interface entered promiscuous mode on bastion"),
        "{reasons:#?}"
    );
}

/// A roster or demographics file that lists someone twice: the later line
/// wins, whole, and an account two people list belongs to the later one.
fn a_later_roster_line_replaces_an_earlier_one(b: Backend) {
    let dir = tempfile::tempdir().unwrap();
    let mut s = store_on(b, dir.path()).unwrap();
    let mut moved = person("E1", "Tom Brown", &["tbrown"]);
    moved.department = Some("ICU".into());
    s.replace_people(&[
        person("E1", "Tom Brown", &["tom"]),
        person("E2", "Ann Lee", &["alee", "shared"]),
        moved,
        person("E3", "Bo Diaz", &["shared"]),
    ])
    .unwrap();
    let people = s.people().unwrap();
    let by_id: BTreeMap<&str, &Person> = people.iter().map(|p| (p.id.as_str(), p)).collect();
    assert_eq!(by_id.len(), 3, "{people:#?}");
    assert_eq!(by_id["E1"].department.as_deref(), Some("ICU"));
    // both of E1's lines gave it an account; the shared one went to E3
    let accounts = |id: &str| {
        let mut a = by_id[id].accounts.clone();
        a.sort();
        a
    };
    assert_eq!(accounts("E1"), ["tbrown", "tom"]);
    assert_eq!(accounts("E2"), ["alee"]);
    assert_eq!(accounts("E3"), ["shared"]);
    let mut vip = patient("100", "Old Name");
    vip.vip = true;
    s.replace_patients(&[patient("100", "Old Name"), patient("101", "P Q"), vip])
        .unwrap();
    let patients = s.patients().unwrap();
    assert_eq!(patients.len(), 2);
    assert!(patients.iter().any(|p| p.mrn == "100" && p.vip));
    // and loading again replaces all of it
    s.replace_people(&[person("E9", "New Hire", &["nh"])])
        .unwrap();
    assert_eq!(s.people().unwrap().len(), 1);
}

on_both_stores!(
    a_later_roster_line_replaces_an_earlier_one,
    a_day_in_two_halves_gives_the_same_items_as_whole_and_rerun_adds_nothing,
    attempts_refusals_and_tampering_from_a_real_log,
    suppressions_apply_until_they_expire,
    the_openssh_guessing_bursts_are_flagged_with_their_accounts_and_addresses,
    volume_spike_against_the_actors_own_baseline,
);

#[test]
fn neighbour_on_the_same_street_but_not_the_same_address() {
    // nurse1 lives at 44 Oak Ave, Apt 2: Apt 3 is a neighbour, Apt 2 the
    // same address (same-address says so), Walker has no address.
    let r = fires(
        "neighbour",
        &[view(1, "2026-11-25T10:00:00Z", "nurse1", "100456")],
    );
    assert_eq!(r.len(), 1, "{r:?}");
    assert!(r[0].contains("same street (oak ave springfield)"), "{r:?}");
    assert!(
        fires(
            "neighbour",
            &[view(2, "2026-11-25T10:00:00Z", "nurse1", "100455")]
        )
        .is_empty()
    );
    assert!(
        fires(
            "neighbour",
            &[view(3, "2026-11-25T10:00:00Z", "nurse1", "101000")]
        )
        .is_empty()
    );
    assert!(
        fires(
            "neighbour",
            &[view(4, "2026-11-25T10:00:00Z", "nurse2", "100456")]
        )
        .is_empty()
    );
}

#[test]
fn neighbour_within_a_distance_when_coordinates_are_given() {
    let r = fires(
        "neighbour",
        &[view(1, "2026-11-25T10:00:00Z", "nurse2", "101000")],
    );
    assert_eq!(r.len(), 1, "{r:?}");
    assert!(r[0].contains("who lives 100 m away"), "{r:?}");
    // 200 m is past the default 150 m; nurse1 has no coordinates.
    for (who, mrn) in [("nurse2", "100901"), ("nurse1", "101000")] {
        let r = fires("neighbour", &[view(2, "2026-11-25T10:00:00Z", who, mrn)]);
        assert!(r.is_empty(), "{who} {mrn}: {r:?}");
    }
    let mut cfg = RulesConfig::default();
    cfg.neighbour.within_m = 250.0;
    let far = run(
        "neighbour",
        &cfg,
        &[view(3, "2026-11-25T10:00:00Z", "nurse2", "100901")],
    );
    assert!(far[0].reason.contains("200 m away"), "{:?}", far[0].reason);
    cfg.neighbour.within_m = 0.0;
    assert!(
        run(
            "neighbour",
            &cfg,
            &[view(4, "2026-11-25T10:00:00Z", "nurse2", "101000")]
        )
        .is_empty()
    );
}

#[test]
fn coordinates_in_the_roster_and_demographics_are_checked_by_line() {
    let d = tempfile::tempdir().unwrap();
    let p = d.path().join("roster.csv");
    std::fs::write(
        &p,
        "id,name,latitude,longitude\nE1,Ann Lee,42.28,-83.74\nE2,Bo Chan,,\nE3,Cy Diaz,142.1,-83.7\n",
    )
    .unwrap();
    let err = vigil_rules::knowledge::load_roster(&p, &Default::default()).unwrap_err();
    assert!(
        err.to_string().contains("line 4") && err.to_string().contains("decimal degrees"),
        "{err}"
    );
    std::fs::write(
        &p,
        "id,name,latitude,longitude\nE1,Ann Lee,42.28,-83.74\nE2,Bo Chan,,\n",
    )
    .unwrap();
    let people = vigil_rules::knowledge::load_roster(&p, &Default::default()).unwrap();
    assert_eq!(people[0].location.as_deref(), Some("42.28,-83.74"));
    assert_eq!(people[1].location, None);
    let p = d.path().join("patients.csv");
    std::fs::write(&p, "mrn,name,latitude\n1,Al Ray,42.1\n").unwrap();
    let err = vigil_rules::knowledge::load_patients(&p, &Default::default()).unwrap_err();
    assert!(err.to_string().contains("both or neither"), "{err}");
}

#[test]
fn shared_credentials_two_places_within_the_window() {
    let login = |id: i64, at: &'static str, client: &'static str| RuleEvent {
        client: Some(client),
        ..ev(id, at, "bob", None, "login", Outcome::Success)
    };
    // 90 seconds apart from two addresses: one person cannot.
    let r = fires(
        "shared-credentials",
        &[
            login(1, "2026-11-25T10:00:00Z", "10.1.1.1"),
            login(2, "2026-11-25T10:01:30Z", "10.2.2.2"),
        ],
    );
    assert_eq!(r.len(), 1, "{r:?}");
    assert!(
        r[0].contains("from 10.2.2.2") && r[0].contains("from 10.1.1.1 90 seconds before"),
        "{r:?}"
    );
    // Near misses: the same address, and two addresses three minutes apart.
    assert!(
        fires(
            "shared-credentials",
            &[
                login(1, "2026-11-25T10:00:00Z", "10.1.1.1"),
                login(2, "2026-11-25T10:00:30Z", "10.1.1.1")
            ]
        )
        .is_empty()
    );
    assert!(
        fires(
            "shared-credentials",
            &[
                login(1, "2026-11-25T10:00:00Z", "10.1.1.1"),
                login(2, "2026-11-25T10:03:00Z", "10.2.2.2")
            ]
        )
        .is_empty()
    );
}

/// The context remembers an event's lookups for the rules after the first,
/// and never hands one event's patient or person to another, even one
/// with the same id.
#[test]
fn the_contexts_lookups_are_per_event() {
    let k = knowledge();
    let ctx = Ctx::new(&k, None);
    let a = view(1, "2026-11-21T10:00:00Z", "nurse3", "100311");
    let b = view(1, "2026-11-21T10:00:00Z", "nobody", "999999");
    for _ in 0..2 {
        assert_eq!(ctx.patient(&a).map(|p| p.mrn.as_str()), Some("100311"));
        assert_eq!(ctx.person(&a).map(|(_, p)| p.id.as_str()), Some("E202"));
        assert!(ctx.patient(&b).is_none());
        assert!(ctx.person(&b).is_none());
    }
}
