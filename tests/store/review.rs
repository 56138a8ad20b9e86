//! The review service on a real SQLite file: the status machine, policy
//! (notes, second approval, separation of duties), claims across processes,
//! crash safety under SIGKILL, tampering found by `verify`, incidents,
//! sanctions and evidence bundles.

use crate::common;

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Command, Stdio};

use chrono::{DateTime, Duration, Utc};
use common::*;
use vigil_domain::{Disposition, ItemKind, Severity, Status};
use vigil_review::{
    Act, ActOutcome, IncidentChange, NewIncident, NewSanction, Policy, Refusal, Reviewer,
    SanctionOutcome, check_bundle, export_case, ops,
};
use vigil_store::{Break, IncidentStatus, NewItem, SqliteStore, Store};

fn t0() -> DateTime<Utc> {
    "2026-11-20T10:00:00Z".parse().unwrap()
}

fn who(name: &str) -> Reviewer {
    Reviewer {
        name: name.into(),
        session: format!("session-{name}"),
    }
}

fn policy() -> Policy {
    Policy {
        sanction_viewers: vec!["hr".into()],
        ..Policy::default()
    }
}

/// A store with `n` items whose actors are user0..user{n-1}.
fn seeded(b: Backend, dir: &Path, n: usize) -> Box<dyn Store> {
    let mut s = store_on(b, dir).expect("store");
    seed(&mut *s, n);
    s
}

/// A SQLite store seeded as `seeded` does, for tests that attack the file.
fn seeded_sqlite(dir: &Path, n: usize) -> SqliteStore {
    let mut s = store(dir);
    seed(&mut s, n);
    s
}

fn seed(s: &mut dyn Store, n: usize) {
    let items: Vec<NewItem> = (0..n)
        .map(|i| NewItem {
            kind: ItemKind::Finding,
            source_id: None,
            occurred_at: t0(),
            actor: Some(format!("user{i}")),
            subject: Some("MRN 100234".into()),
            title: format!("finding {i}"),
            severity: Severity::Medium,
            group_key: Some(format!("test:{i}")),
            rules: vec![("after-hours".into(), format!("user{i} at 23:14"))],
            event_ids: vec![],
            score: 0,
            score_note: None,
        })
        .collect();
    s.add_items(&items).unwrap();
}

fn decide(d: Disposition, note: Option<&str>, reopen: bool) -> Act {
    Act::Decide {
        disposition: d,
        note: note.map(String::from),
        reopen,
    }
}

fn one(
    s: &mut dyn Store,
    p: &Policy,
    r: &Reviewer,
    at: DateTime<Utc>,
    item: i64,
    act: Act,
) -> ActOutcome {
    ops::apply(s, p, r, at, &[item], &act, None)
        .unwrap()
        .remove(0)
}

fn refusal(o: &ActOutcome) -> Refusal {
    match o {
        ActOutcome::Refused { refusal, .. } => refusal.clone(),
        other => panic!("expected a refusal, got {other:?}"),
    }
}

fn status(o: &ActOutcome) -> Status {
    match o {
        ActOutcome::Done { status, .. } => *status,
        other => panic!("expected done, got {other:?}"),
    }
}

fn verified(s: &dyn Store) {
    let v = s.verify_ledger().unwrap();
    assert_eq!(v.broken, None, "ledger should verify");
}

fn every_transition_of_the_status_machine(b: Backend) {
    let dir = tempfile::tempdir().unwrap();
    let mut s = seeded(b, dir.path(), 3);
    let p = policy();
    let (alice, bob) = (who("alice"), who("bob"));
    let t = t0();

    // new -> claimed; another reviewer is refused, naming the holder
    assert_eq!(
        status(&one(&mut *s, &p, &alice, t, 1, Act::Claim)),
        Status::Claimed
    );
    let r = refusal(&one(
        &mut *s,
        &p,
        &bob,
        t,
        1,
        decide(Disposition::Benign, None, false),
    ));
    assert!(
        matches!(r, Refusal::ClaimedBy { ref who, .. } if who == "alice"),
        "{r:?}"
    );
    assert!(r.to_string().contains("claimed by alice"));
    assert!(
        refusal(&one(&mut *s, &p, &bob, t, 1, Act::Claim))
            .to_string()
            .contains("alice")
    );
    // claimed -> new by release; release by a non-holder is refused
    assert_eq!(
        refusal(&one(&mut *s, &p, &bob, t, 1, Act::Release)),
        Refusal::NotClaimedByYou
    );
    assert_eq!(
        status(&one(&mut *s, &p, &alice, t, 1, Act::Release)),
        Status::New
    );
    // claimed -> decided by the holder; the claim ends
    one(&mut *s, &p, &alice, t, 1, Act::Claim);
    assert_eq!(
        status(&one(
            &mut *s,
            &p,
            &alice,
            t,
            1,
            decide(Disposition::Benign, None, false)
        )),
        Status::Decided
    );
    // decided -> decided again is refused, saying by whom, unless --reopen
    let r = refusal(&one(
        &mut *s,
        &p,
        &bob,
        t,
        1,
        decide(Disposition::FalsePositive, None, false),
    ));
    assert!(
        r.to_string().contains("already decided (benign) by alice"),
        "{r}"
    );
    assert_eq!(
        status(&one(
            &mut *s,
            &p,
            &bob,
            t,
            1,
            decide(Disposition::FalsePositive, None, true)
        )),
        Status::Decided
    );
    // claiming a decided item is refused
    assert!(matches!(
        refusal(&one(&mut *s, &p, &alice, t, 1, Act::Claim)),
        Refusal::AlreadyDecided { .. }
    ));
    // decided -> reopened -> decided; undo goes back to reopened
    assert_eq!(
        status(&one(
            &mut *s,
            &p,
            &alice,
            t,
            2,
            decide(Disposition::Benign, None, false)
        )),
        Status::Decided
    );
    assert_eq!(
        status(&one(
            &mut *s,
            &p,
            &bob,
            t,
            2,
            Act::Reopen {
                note: Some("new facts".into())
            }
        )),
        Status::Reopened
    );
    assert_eq!(
        status(&one(
            &mut *s,
            &p,
            &bob,
            t,
            2,
            decide(Disposition::Duplicate, None, false)
        )),
        Status::Decided
    );
    assert_eq!(
        status(&one(&mut *s, &p, &bob, t, 2, Act::Undo)),
        Status::Reopened
    );
    // undo is only for your own latest decision
    assert_eq!(
        refusal(&one(&mut *s, &p, &alice, t, 2, Act::Undo)),
        Refusal::NothingToUndo
    );
    // new -> escalated; an escalated item is not decided without reopening
    let inc = ops::escalate(
        &mut *s,
        &p,
        &alice,
        t,
        &[3],
        &NewIncident {
            title: None,
            severity: "high".into(),
            assignee: Some("carol".into()),
            note: None,
        },
    )
    .unwrap();
    assert_eq!(inc.item_ids, vec![3]);
    assert_eq!(
        refusal(&one(
            &mut *s,
            &p,
            &alice,
            t,
            3,
            decide(Disposition::Benign, None, false)
        )),
        Refusal::Escalated
    );
    assert_eq!(
        status(&one(&mut *s, &p, &alice, t, 3, Act::Reopen { note: None })),
        Status::Reopened
    );
    // unknown items are refused, not errors
    assert_eq!(
        refusal(&one(&mut *s, &p, &alice, t, 99, Act::Claim)),
        Refusal::NotFound
    );

    let items = s.items(&vigil_domain::query::Query::default(), 0).unwrap();
    let by_id = |id| items.iter().find(|i| i.id == id).unwrap();
    assert_eq!(by_id(1).disposition, Some(Disposition::FalsePositive));
    assert_eq!(by_id(2).status, Status::Reopened);
    assert_eq!(by_id(2).disposition, None);
    verified(&*s);
    // every change is in the item's history
    let actions = common::ledger_actions(&*s, "item:2");
    assert_eq!(actions, ["decide", "reopen", "decide", "revert"]);
}

fn notes_and_second_reviewer_approval(b: Backend) {
    let dir = tempfile::tempdir().unwrap();
    let mut s = seeded(b, dir.path(), 2);
    let p = policy();
    let (alice, bob) = (who("alice"), who("bob"));
    let t = t0();
    assert_eq!(
        refusal(&one(
            &mut *s,
            &p,
            &alice,
            t,
            1,
            decide(Disposition::Violation, None, false)
        )),
        Refusal::NoteRequired(Disposition::Violation)
    );
    assert_eq!(
        refusal(&one(
            &mut *s,
            &p,
            &alice,
            t,
            1,
            decide(Disposition::FollowUp, Some("  "), false)
        )),
        Refusal::NoteRequired(Disposition::FollowUp)
    );
    let o = one(
        &mut *s,
        &p,
        &alice,
        t,
        1,
        decide(
            Disposition::Violation,
            Some("snooped on a neighbour"),
            false,
        ),
    );
    assert!(
        matches!(
            o,
            ActOutcome::Done {
                awaiting_approval: true,
                ..
            }
        ),
        "{o:?}"
    );
    // the decider cannot approve their own decision
    assert_eq!(
        refusal(&one(&mut *s, &p, &alice, t, 1, Act::Approve { note: None })),
        Refusal::OwnDecision
    );
    // while it waits, nobody else decides it over
    assert!(matches!(
        refusal(&one(
            &mut *s,
            &p,
            &bob,
            t,
            1,
            decide(Disposition::Benign, None, false)
        )),
        Refusal::AwaitingApproval { .. }
    ));
    let o = one(
        &mut *s,
        &p,
        &bob,
        t,
        1,
        Act::Approve {
            note: Some("agreed".into()),
        },
    );
    assert!(
        matches!(
            o,
            ActOutcome::Done {
                awaiting_approval: false,
                ..
            }
        ),
        "{o:?}"
    );
    assert_eq!(
        refusal(&one(&mut *s, &p, &bob, t, 1, Act::Approve { note: None })),
        Refusal::NotAwaitingApproval
    );
    // a rejection sends it back
    one(
        &mut *s,
        &p,
        &alice,
        t,
        2,
        decide(Disposition::Violation, Some("x"), false),
    );
    assert_eq!(
        status(&one(
            &mut *s,
            &p,
            &bob,
            t,
            2,
            Act::Reject {
                note: Some("not enough".into())
            }
        )),
        Status::Reopened
    );
    verified(&*s);
}

fn self_review_is_refused_and_logged_directly_and_through_the_roster(b: Backend) {
    let dir = tempfile::tempdir().unwrap();
    let mut s = seeded(b, dir.path(), 3);
    let p = policy();
    let t = t0();
    // user0 reviewing their own activity
    let r = refusal(&one(
        &mut *s,
        &p,
        &who("user0"),
        t,
        1,
        decide(Disposition::Benign, None, false),
    ));
    assert!(matches!(r, Refusal::SelfReview { .. }));
    assert!(r.to_string().contains("separation of duties"));
    // jsmith's OS account and EHR account user1 are one person in the roster
    s.replace_people(&[vigil_domain::Person {
        id: "E100".into(),
        name: "J Smith".into(),
        accounts: vec!["jsmith".into(), "user1".into()],
        status: "active".into(),
        ..Default::default()
    }])
    .unwrap();
    let r = refusal(&one(
        &mut *s,
        &p,
        &who("jsmith"),
        t,
        2,
        decide(Disposition::Benign, None, false),
    ));
    assert!(
        matches!(r, Refusal::SelfReview { ref actor } if actor == "user1"),
        "{r:?}"
    );
    // someone else may
    assert_eq!(
        status(&one(
            &mut *s,
            &p,
            &who("alice"),
            t,
            2,
            decide(Disposition::Benign, None, false)
        )),
        Status::Decided
    );
    let refusals = s.ledger_for("item:2").unwrap();
    assert_eq!(refusals[0].action, "refused");
    assert_eq!(refusals[0].actor, "jsmith");
    verified(&*s);
}

fn a_retried_decision_with_the_same_client_id_is_recorded_once(b: Backend) {
    let dir = tempfile::tempdir().unwrap();
    let mut s = seeded(b, dir.path(), 2);
    let p = policy();
    let ids = vec![
        "7f1c0a52-5f0e-4d36-9a7e-2b1c1f0e9a01".to_owned(),
        "7f1c0a52-5f0e-4d36-9a7e-2b1c1f0e9a02".to_owned(),
    ];
    let act = decide(Disposition::Benign, None, false);
    let first = ops::apply(&mut *s, &p, &who("alice"), t0(), &[1, 2], &act, Some(&ids)).unwrap();
    assert!(first.iter().all(|o| matches!(o, ActOutcome::Done { .. })));
    let again = ops::apply(&mut *s, &p, &who("alice"), t0(), &[1, 2], &act, Some(&ids)).unwrap();
    assert!(
        again
            .iter()
            .all(|o| matches!(o, ActOutcome::AlreadyRecorded { .. })),
        "{again:?}"
    );
    assert_eq!(s.decisions(1).unwrap().len(), 1);
    verified(&*s);
}

fn a_lapsed_lease_can_be_taken_over(b: Backend) {
    let dir = tempfile::tempdir().unwrap();
    let mut s = seeded(b, dir.path(), 1);
    let p = policy();
    one(&mut *s, &p, &who("alice"), t0(), 1, Act::Claim);
    let just_before = t0() + Duration::minutes(29);
    assert!(matches!(
        refusal(&one(&mut *s, &p, &who("bob"), just_before, 1, Act::Claim)),
        Refusal::ClaimedBy { .. }
    ));
    let after = t0() + Duration::minutes(30) + Duration::seconds(1);
    assert_eq!(
        status(&one(&mut *s, &p, &who("bob"), after, 1, Act::Claim)),
        Status::Claimed
    );
    verified(&*s);
}

/// Child process entry points: run only when a parent test asks for them.
fn child_mode() -> Option<(String, String)> {
    Some((
        std::env::var("VIGIL_TEST_CHILD").ok()?,
        std::env::var("VIGIL_TEST_DB").ok()?,
    ))
}

#[test]
fn child_claim() {
    let Some((name, db)) = child_mode() else {
        return;
    };
    let mut s = open_url(&db);
    // start together: wait for the parent's go file
    let go = std::env::var("VIGIL_TEST_GO").unwrap();
    while !Path::new(&go).exists() {
        std::thread::yield_now();
    }
    let o = ops::apply(
        &mut *s,
        &policy(),
        &who(&name),
        Utc::now(),
        &[1],
        &Act::Claim,
        None,
    )
    .unwrap();
    println!(
        "RESULT {}",
        if o[0].is_refused() { "refused" } else { "won" }
    );
}

#[test]
fn child_decide_loop() {
    let Some((name, db)) = child_mode() else {
        return;
    };
    let mut s = open_url(&db);
    let p = policy();
    let r = who(&name);
    let open = s
        .items(&vigil_domain::query::Query::parse("status:new").unwrap(), 0)
        .unwrap();
    let mut out = std::io::stdout();
    {
        use std::io::Write;
        // The parent's random kill delay counts from here, so how long a
        // process takes to start does not decide where it dies.
        writeln!(out, "READY").unwrap();
        out.flush().unwrap();
    }
    for item in open {
        let id = uuid::Uuid::new_v4().to_string();
        let o = ops::apply(
            &mut *s,
            &p,
            &r,
            Utc::now(),
            &[item.id],
            &decide(Disposition::Benign, None, false),
            Some(std::slice::from_ref(&id)),
        )
        .unwrap();
        if matches!(o[0], ActOutcome::Done { .. }) {
            use std::io::Write;
            // reported only after the commit returned
            writeln!(out, "SAVED {} {id}", item.id).unwrap();
            out.flush().unwrap();
        }
    }
}

/// A seeded store of the given kind, by URL, for child processes to open.
fn seeded_url(b: Backend, dir: &Path, n: usize) -> String {
    let url = store_url_on(b, dir).unwrap();
    seed(&mut *open_url(&url), n);
    url
}

fn spawn_child(test: &str, name: &str, db: &str, go: &Path) -> std::process::Child {
    Command::new(std::env::current_exe().unwrap())
        .args(["--exact", test, "--nocapture", "--test-threads=1"])
        .env("VIGIL_TEST_CHILD", name)
        .env("VIGIL_TEST_DB", db)
        .env("VIGIL_TEST_GO", go)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap()
}

fn concurrent_claims_from_two_processes_exactly_one_wins(b: Backend) {
    if child_mode().is_some() {
        return;
    }
    for round in 0..5 {
        let dir = tempfile::tempdir().unwrap();
        let db = seeded_url(b, dir.path(), 1);
        let go = dir.path().join("go");
        let kids: Vec<_> = ["alice", "bob"]
            .iter()
            .map(|n| spawn_child("review::child_claim", n, &db, &go))
            .collect();
        std::fs::write(&go, "").unwrap();
        let results: Vec<String> = kids
            .into_iter()
            .map(|k| {
                let out = k.wait_with_output().unwrap();
                String::from_utf8_lossy(&out.stdout)
                    .lines()
                    // libtest prints "test child_claim ... " before our line
                    .find_map(|l| l.split("RESULT ").nth(1).map(|r| r.trim().to_owned()))
                    .unwrap_or_default()
            })
            .collect();
        let won = results.iter().filter(|r| *r == "won").count();
        assert_eq!(won, 1, "round {round}: {results:?}");
        assert_eq!(results.iter().filter(|r| *r == "refused").count(), 1);
        verified(&*open_url(&db));
    }
}

fn decisions_survive_sigkill_at_random_points(b: Backend) {
    if child_mode().is_some() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let db = seeded_url(b, dir.path(), 10_000);
    let go = dir.path().join("go");
    let mut rng = vigil_domain::rng::Rng::new(20261126);
    let mut reported: Vec<(i64, String)> = Vec::new();
    for _run in 0..100 {
        let mut child = spawn_child("review::child_decide_loop", "alice", &db, &go);
        let delay = std::time::Duration::from_micros(rng.below(20_000));
        let stdout = child.stdout.take().unwrap();
        let (ready_tx, ready_rx) = std::sync::mpsc::channel();
        let reader = std::thread::spawn(move || {
            BufReader::new(stdout)
                .lines()
                .map_while(Result::ok)
                .inspect(|l| {
                    if l.ends_with("READY") {
                        let _ = ready_tx.send(());
                    }
                })
                .filter_map(|l| {
                    let mut p = l.split("SAVED ").nth(1)?.split(' ');
                    Some((p.next()?.parse::<i64>().ok()?, p.next()?.to_owned()))
                })
                .collect::<Vec<_>>()
        });
        // A generous bound only against a child that never starts.
        let _ = ready_rx.recv_timeout(std::time::Duration::from_secs(60));
        std::thread::sleep(delay);
        let _ = child.kill(); // SIGKILL
        let _ = child.wait();
        reported.extend(reader.join().unwrap());
    }
    if b == Backend::Sqlite {
        let ok: String = store(dir.path())
            .connection()
            .query_row("PRAGMA integrity_check", [], |r| r.get(0))
            .unwrap();
        assert_eq!(ok, "ok");
    }
    let s = open_url(&db);
    assert!(!reported.is_empty(), "no child got to save anything");
    eprintln!(
        "{} decisions reported saved across 100 killed children",
        reported.len()
    );
    for (item, id) in &reported {
        let d = s.decisions(*item).unwrap();
        assert!(
            d.iter().any(|d| &d.id == id),
            "decision {id} on item {item} was reported saved but is missing"
        );
    }
    let decided = s
        .items(
            &vigil_domain::query::Query::parse("-status:new").unwrap(),
            0,
        )
        .unwrap();
    for item in decided {
        let n = s
            .decisions(item.id)
            .unwrap()
            .iter()
            .filter(|d| d.kind == "decide")
            .count();
        assert_eq!(n, 1, "item {} decided {n} times", item.id);
    }
    verified(&*s);
}

fn attack(s: &SqliteStore) -> &rusqlite::Connection {
    let c = s.connection();
    c.execute_batch(
        "DROP TRIGGER IF EXISTS ledger_no_update; DROP TRIGGER IF EXISTS ledger_no_delete;",
    )
    .unwrap();
    c
}

fn decided_store(dir: &Path) -> SqliteStore {
    let mut s = seeded_sqlite(dir, 4);
    let p = policy();
    for i in 1..=4 {
        one(
            &mut s,
            &p,
            &who("alice"),
            t0(),
            i,
            decide(Disposition::Benign, Some("routine"), false),
        );
    }
    verified(&s);
    s
}

#[test]
fn an_edited_disposition_is_found() {
    let dir = tempfile::tempdir().unwrap();
    let s = decided_store(dir.path());
    attack(&s)
        .execute(
            "UPDATE decisions SET disposition = 'false-positive' WHERE item_id = 2",
            [],
        )
        .unwrap();
    let b = s.verify_ledger().unwrap().broken.unwrap();
    assert!(matches!(b, Break::Mismatch { .. }), "{b:?}");
    assert!(b.to_string().contains("item 2"), "{b}");

    let dir = tempfile::tempdir().unwrap();
    let s = decided_store(dir.path());
    attack(&s)
        .execute(
            "UPDATE items SET disposition = 'violation' WHERE id = 3",
            [],
        )
        .unwrap();
    assert!(
        s.verify_ledger()
            .unwrap()
            .broken
            .unwrap()
            .to_string()
            .contains("item 3")
    );
}

#[test]
fn a_deleted_decision_is_found() {
    let dir = tempfile::tempdir().unwrap();
    let s = decided_store(dir.path());
    attack(&s)
        .execute_batch("UPDATE items SET decision_id = NULL, disposition = NULL, status = 'new' WHERE id = 2; DELETE FROM decisions WHERE item_id = 2;")
        .unwrap();
    let b = s.verify_ledger().unwrap().broken.unwrap();
    assert!(
        b.to_string().contains("missing from the decisions table"),
        "{b}"
    );
}

#[test]
fn a_dropped_tail_is_found_by_the_reconciliation_and_by_a_checkpoint() {
    let dir = tempfile::tempdir().unwrap();
    let s = decided_store(dir.path());
    let head = s.verify_ledger().unwrap();
    attack(&s)
        .execute(
            "DELETE FROM ledger WHERE seq = (SELECT max(seq) FROM ledger)",
            [],
        )
        .unwrap();
    let b = s.verify_ledger().unwrap().broken.unwrap();
    assert!(matches!(b, Break::Unrecorded { .. }), "{b:?}");
    // and the binary's --against names the truncation
    let home = tempfile::tempdir().unwrap();
    let url = format!("sqlite:{}", dir.path().join("vigil.db").display());
    let o = vigil(
        home.path(),
        &[
            "--store",
            &url,
            "verify",
            "--against",
            &format!("{}@{}", head.head_hash, head.head_seq),
        ],
    );
    assert_eq!(o.status.code(), Some(1));
}

fn incidents_move_forward_and_closing_asks_about_the_risk_register(b: Backend) {
    let dir = tempfile::tempdir().unwrap();
    let mut s = seeded(b, dir.path(), 2);
    let p = policy();
    let a = who("alice");
    let bad = ops::escalate(
        &mut *s,
        &p,
        &a,
        t0(),
        &[1],
        &NewIncident {
            title: None,
            severity: "apocalyptic".into(),
            assignee: None,
            note: None,
        },
    );
    assert!(
        bad.unwrap_err()
            .to_string()
            .contains("low, medium, high, critical")
    );
    let i = ops::escalate(
        &mut *s,
        &p,
        &a,
        t0(),
        &[1, 2],
        &NewIncident {
            title: Some("Chart snooping".into()),
            severity: "high".into(),
            assignee: Some("carol".into()),
            note: Some("two findings, one person".into()),
        },
    )
    .unwrap();
    let change = |status, outcome: Option<&str>, risk| IncidentChange {
        status: Some(status),
        outcome: outcome.map(String::from),
        risk_update_needed: risk,
        ..IncidentChange::default()
    };
    ops::update_incident(
        &mut *s,
        &a,
        t0(),
        i.id,
        &change(IncidentStatus::Contained, None, None),
    )
    .unwrap();
    let back = ops::update_incident(
        &mut *s,
        &a,
        t0(),
        i.id,
        &change(IncidentStatus::Open, None, None),
    );
    assert!(back.unwrap_err().to_string().contains("cannot go back"));
    let no_answer = ops::update_incident(
        &mut *s,
        &a,
        t0(),
        i.id,
        &change(IncidentStatus::Closed, Some("warned"), None),
    );
    assert!(no_answer.unwrap_err().to_string().contains("risk register"));
    let no_outcome = ops::update_incident(
        &mut *s,
        &a,
        t0(),
        i.id,
        &change(IncidentStatus::Closed, None, Some(true)),
    );
    assert!(no_outcome.unwrap_err().to_string().contains("outcome"));
    let closed = ops::update_incident(
        &mut *s,
        &a,
        t0(),
        i.id,
        &change(IncidentStatus::Closed, Some("written warning"), Some(true)),
    )
    .unwrap();
    assert_eq!(closed.risk_update_needed, Some(true));
    assert_eq!(closed.closed_at, Some(t0()));
    assert_eq!(
        s.incident_notes(i.id).unwrap()[0].note,
        "two findings, one person"
    );
    let actions = common::ledger_actions(&*s, &format!("incident:{}", i.id));
    assert_eq!(
        actions,
        ["incident.open", "incident.update", "incident.update"]
    );
    verified(&*s);
}

fn sanctions_are_restricted_validated_and_checked_for_consistency(b: Backend) {
    let dir = tempfile::tempdir().unwrap();
    let mut s = seeded(b, dir.path(), 1);
    let p = policy();
    let new = |sanction: &str, yes| NewSanction {
        member: "user0".into(),
        category: "snooping".into(),
        tier: "2".into(),
        sanction: sanction.into(),
        decided_on: "2026-11-20".into(),
        incident_id: None,
        decision_ids: vec![],
        notice_sent: true,
        note: None,
        confirm_inconsistent: yes,
    };
    let denied = ops::add_sanction(&mut *s, &p, &who("alice"), t0(), &new("warning", false));
    assert!(denied.unwrap_err().to_string().contains("restricted"));
    assert!(ops::list_sanctions(&*s, &p, &who("alice")).is_err());
    let hr = who("hr");
    let mut bad = new("warning", false);
    bad.category = "jaywalking".into();
    assert!(
        ops::add_sanction(&mut *s, &p, &hr, t0(), &bad)
            .unwrap_err()
            .to_string()
            .contains("snooping")
    );
    assert!(matches!(
        ops::add_sanction(&mut *s, &p, &hr, t0(), &new("written warning", false)).unwrap(),
        SanctionOutcome::Recorded { .. }
    ));
    // a like case sanctioned the same way goes through
    assert!(matches!(
        ops::add_sanction(&mut *s, &p, &hr, t0(), &new("written warning", false)).unwrap(),
        SanctionOutcome::Recorded { .. }
    ));
    // a different sanction for the same category and tier shows the earlier cases first
    match ops::add_sanction(&mut *s, &p, &hr, t0(), &new("termination", false)).unwrap() {
        SanctionOutcome::Inconsistent { earlier } => assert_eq!(earlier.len(), 2),
        other => panic!("{other:?}"),
    }
    assert!(matches!(
        ops::add_sanction(&mut *s, &p, &hr, t0(), &new("termination", true)).unwrap(),
        SanctionOutcome::Recorded { .. }
    ));
    assert_eq!(ops::list_sanctions(&*s, &p, &hr).unwrap().len(), 3);
    verified(&*s);
}

fn an_evidence_bundle_detects_a_changed_byte(b: Backend) {
    let dir = tempfile::tempdir().unwrap();
    // a real event to carry in the bundle
    let log = dir.path().join("auth.log");
    std::fs::write(
        &log,
        "Nov 20 23:14:00 ehr sshd[1]: Accepted password for nurse1 from 10.0.0.7 port 2 ssh2\n",
    )
    .unwrap();
    let mut s = store_on(b, dir.path()).unwrap();
    let src = source(&mut *s, "ehr");
    ingest(&mut *s, &src, &log, true);
    s.add_items(&[NewItem {
        kind: ItemKind::Finding,
        source_id: Some(src.id),
        occurred_at: t0(),
        actor: Some("nurse1".into()),
        subject: None,
        title: "after hours login".into(),
        severity: Severity::High,
        group_key: None,
        rules: vec![(
            "after-hours".into(),
            "nurse1 logged in at 23:14, outside 07:00-19:00".into(),
        )],
        event_ids: vec![1],
        score: 0,
        score_note: None,
    }])
    .unwrap();
    let p = policy();
    one(
        &mut *s,
        &p,
        &who("alice"),
        t0(),
        1,
        decide(Disposition::FollowUp, Some("ask the ward"), false),
    );
    let bundle = dir.path().join("case-1.tar");
    let digest = export_case(&mut *s, &who("alice"), t0(), 1, &bundle).unwrap();
    let ok = check_bundle(&bundle, Some(&digest)).unwrap();
    assert!(ok.ok(), "{:?}", ok.problems);
    assert_eq!(ok.case, Some(1));
    // the raw line is in there byte for byte
    let bytes = std::fs::read(&bundle).unwrap();
    let needle = b"Accepted password for nurse1";
    let at = bytes
        .windows(needle.len())
        .position(|w| w == needle)
        .unwrap();
    let mut altered = bytes.clone();
    altered[at] = b'a';
    let bad = dir.path().join("altered.tar");
    std::fs::write(&bad, &altered).unwrap();
    let check = check_bundle(&bad, Some(&digest)).unwrap();
    assert!(!check.ok());
    assert!(
        check.problems.iter().any(|p| p.contains("altered")),
        "{:?}",
        check.problems
    );
    // the export itself is in the ledger
    let exported = s.ledger_for("item:1").unwrap();
    assert!(
        exported
            .iter()
            .any(|e| e.action == "export" && e.payload.contains(&digest))
    );
    verified(&*s);
}

fn deciding_ten_thousand_items_is_one_transaction(b: Backend) {
    let dir = tempfile::tempdir().unwrap();
    let mut s = seeded(b, dir.path(), 10_000);
    let ids: Vec<i64> = (1..=10_000).collect();
    let out = ops::apply(
        &mut *s,
        &policy(),
        &who("alice"),
        t0(),
        &ids,
        &decide(Disposition::Benign, None, false),
        None,
    )
    .unwrap();
    assert_eq!(
        out.iter()
            .filter(|o| matches!(o, ActOutcome::Done { .. }))
            .count(),
        10_000
    );
    let v = s.verify_ledger().unwrap();
    // the decisions, after the store's own creation
    assert_eq!(v.entries, 10_001);
    assert_eq!(v.broken, None);
}

on_both_stores!(
    every_transition_of_the_status_machine,
    notes_and_second_reviewer_approval,
    self_review_is_refused_and_logged_directly_and_through_the_roster,
    a_retried_decision_with_the_same_client_id_is_recorded_once,
    a_lapsed_lease_can_be_taken_over,
    incidents_move_forward_and_closing_asks_about_the_risk_register,
    sanctions_are_restricted_validated_and_checked_for_consistency,
    an_evidence_bundle_detects_a_changed_byte,
    deciding_ten_thousand_items_is_one_transaction,
    concurrent_claims_from_two_processes_exactly_one_wins,
    decisions_survive_sigkill_at_random_points,
);
