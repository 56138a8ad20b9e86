//! The ledger's hash chain against an attacker with write access to the
//! store (the SQLite file, or the PostgreSQL tables as their owner): every
//! change, deletion, insertion or reordering of rows is found by `verify`,
//! which names the first bad entry.

use crate::common;

use chrono::{DateTime, Utc};
use common::*;
use vigil_store::{Break, LedgerEntry, NewLedgerEntry, Store};

fn entry(n: i64) -> NewLedgerEntry {
    NewLedgerEntry {
        at: DateTime::<Utc>::from_timestamp(1_790_000_000 + n * 60, 0).unwrap(),
        actor: "alice".into(),
        action: "decision".into(),
        entity: format!("item:{n}"),
        payload: serde_json::json!({"disposition": "benign", "note": format!("looked at {n}")}),
    }
}

/// A store with `n` entries (the first is the store's own creation), and
/// its URL for the attacker.
fn ledger_of(b: Backend, n: i64) -> (tempfile::TempDir, Box<dyn Store>, Attacker) {
    let dir = tempfile::tempdir().unwrap();
    let url = store_url_on(b, dir.path()).unwrap();
    let mut s = open_url(&url);
    assert_eq!(s.ledger_entry(1).unwrap().unwrap().action, "store.create");
    for i in 2..=n {
        let e = s.append_ledger(&entry(i)).unwrap();
        assert_eq!(e.seq, i);
    }
    (dir, s, Attacker { b, url })
}

/// Plays the attacker with a connection of their own, behind vigil's back.
struct Attacker {
    b: Backend,
    url: String,
}

impl Attacker {
    /// Runs SQL as it is, append-only triggers and all.
    fn try_sql(&self, sql: &str) -> Result<(), String> {
        match self.b {
            Backend::Sqlite => rusqlite::Connection::open(&self.url)
                .unwrap()
                .execute_batch(sql)
                .map_err(|e| e.to_string()),
            Backend::Postgres => postgres::Client::connect(&self.url, postgres::NoTls)
                .unwrap()
                .batch_execute(sql)
                .map_err(|e| {
                    e.as_db_error()
                        .map(|d| d.message().to_owned())
                        .unwrap_or(e.to_string())
                }),
        }
    }

    /// With write access, the append-only triggers are one statement away.
    fn sql(&self, sql: &str) {
        let drop = match self.b {
            Backend::Sqlite => {
                "DROP TRIGGER IF EXISTS ledger_no_update; DROP TRIGGER IF EXISTS ledger_no_delete;"
            }
            Backend::Postgres => "DROP TRIGGER IF EXISTS ledger_no_update ON ledger;",
        };
        self.try_sql(&format!("{drop} {sql}")).unwrap();
    }
}

fn q(s: &str) -> String {
    format!("'{}'", s.replace('\'', "''"))
}

fn broken(s: &dyn Store) -> Option<Break> {
    s.verify_ledger().unwrap().broken
}

fn an_intact_ledger_verifies(b: Backend) {
    let (_d, s, _a) = ledger_of(b, 20);
    let v = s.verify_ledger().unwrap();
    assert_eq!(v.entries, 20);
    assert_eq!(v.head_seq, 20);
    assert_eq!(v.broken, None);
    assert_eq!(v.head_hash, s.ledger_entry(20).unwrap().unwrap().hash);
}

fn vigil_itself_cannot_edit_or_delete_ledger_rows(b: Backend) {
    let (_d, _s, a) = ledger_of(b, 3);
    let upd = a.try_sql("UPDATE ledger SET actor = 'x' WHERE seq = 1");
    assert!(upd.unwrap_err().contains("append-only"));
    let del = a.try_sql("DELETE FROM ledger");
    assert!(del.unwrap_err().contains("append-only"));
}

fn a_changed_row_is_named(b: Backend) {
    let (_d, s, a) = ledger_of(b, 10);
    a.sql("UPDATE ledger SET payload = replace(payload, 'benign', 'violation') WHERE seq = 4");
    assert_eq!(broken(&*s), Some(Break::Altered { seq: 4 }));
}

fn a_changed_row_with_a_recomputed_hash_breaks_the_next_link(b: Backend) {
    let (_d, s, a) = ledger_of(b, 10);
    // The attacker rewrites entry 4 and fixes its own hash...
    let e = s.ledger_entry(4).unwrap().unwrap();
    let payload = e.payload.replace("benign", "violation");
    let h = vigil_store::ledger::entry_hash(
        &e.prev_hash,
        e.seq,
        &e.at,
        &e.actor,
        &e.action,
        &e.entity,
        &payload,
    );
    a.sql(&format!(
        "UPDATE ledger SET payload = {}, hash = {} WHERE seq = 4",
        q(&payload),
        q(&h)
    ));
    // ...but entry 5 still points at the old hash.
    assert_eq!(broken(&*s), Some(Break::Unlinked { seq: 5 }));
}

fn a_deleted_row_is_named(b: Backend) {
    let (_d, s, a) = ledger_of(b, 10);
    a.sql("DELETE FROM ledger WHERE seq = 6");
    assert_eq!(
        broken(&*s),
        Some(Break::Sequence {
            expected: 6,
            found: 7
        })
    );
}

fn an_inserted_row_is_named(b: Backend) {
    let (_d, s, a) = ledger_of(b, 10);
    // make room after entry 3 and slip a forged entry in
    a.sql("UPDATE ledger SET seq = seq + 100 WHERE seq > 3");
    a.sql("UPDATE ledger SET seq = seq - 99 WHERE seq > 100");
    let prev = s.ledger_entry(3).unwrap().unwrap().hash;
    let f = entry(99).seal(4, &prev);
    a.sql(&format!(
        "INSERT INTO ledger (seq, at, actor, action, entity, payload, prev_hash, hash) VALUES ({}, {}, {}, {}, {}, {}, {}, {})",
        f.seq,
        q(&f.at),
        q(&f.actor),
        q(&f.action),
        q(&f.entity),
        q(&f.payload),
        q(&f.prev_hash),
        q(&f.hash)
    ));
    // the forgery itself chains, but the old entry 4 (now 5) no longer does
    assert_eq!(broken(&*s), Some(Break::Unlinked { seq: 5 }));
}

fn reordered_rows_are_named(b: Backend) {
    let (_d, s, a) = ledger_of(b, 10);
    a.sql("UPDATE ledger SET seq = -1 WHERE seq = 7");
    a.sql("UPDATE ledger SET seq = 7 WHERE seq = 8");
    a.sql("UPDATE ledger SET seq = 8 WHERE seq = -1");
    assert_eq!(broken(&*s), Some(Break::Unlinked { seq: 7 }));
}

fn verify_through_the_binary_exits_1_naming_the_entry_and_checkpoints_catch_truncation(b: Backend) {
    let (dir, s, a) = ledger_of(b, 5);
    drop(s);
    let url = a.url.clone();
    let ok = vigil(dir.path(), &["--store", &url, "verify"]);
    assert_eq!(ok.status.code(), Some(0), "{}", stderr(&ok));
    assert!(
        stdout(&ok).starts_with("ledger intact: 5 entries"),
        "{}",
        stdout(&ok)
    );

    // the same facts as one JSON object
    let json = vigil(dir.path(), &["--store", &url, "verify", "--format", "json"]);
    let v: serde_json::Value = serde_json::from_slice(&json.stdout).unwrap();
    assert_eq!(
        (
            v["intact"].as_bool(),
            v["entries"].as_u64(),
            v["head_seq"].as_i64()
        ),
        (Some(true), Some(5), Some(5)),
        "{v}"
    );
    assert!(
        v["broken"].is_null() && v["witness"]["summary"].is_string(),
        "{v}"
    );

    let cp = vigil(dir.path(), &["--store", &url, "verify", "--checkpoint"]);
    let head = stdout(&cp).trim().to_owned();
    assert!(head.ends_with("@5"), "{head}");

    // drop the tail: the chain alone still verifies, the checkpoint does not
    a.sql("DELETE FROM ledger WHERE seq = 5");
    let chain_only = vigil(dir.path(), &["--store", &url, "verify"]);
    assert_eq!(chain_only.status.code(), Some(0));
    let against = vigil(dir.path(), &["--store", &url, "verify", "--against", &head]);
    assert_eq!(against.status.code(), Some(1));
    assert!(
        stdout(&against).contains("checkpointed entry 5"),
        "{}",
        stdout(&against)
    );

    a.sql("UPDATE ledger SET actor = 'mallory' WHERE seq = 2");
    let bad = vigil(dir.path(), &["--store", &url, "verify"]);
    assert_eq!(bad.status.code(), Some(1));
    assert!(
        stdout(&bad).contains("ledger entry 2 was changed"),
        "{}",
        stdout(&bad)
    );
    let bad = vigil(dir.path(), &["--store", &url, "verify", "--format", "json"]);
    assert_eq!(bad.status.code(), Some(1));
    let v: serde_json::Value = serde_json::from_slice(&bad.stdout).unwrap();
    assert_eq!(v["intact"], false, "{v}");
    assert!(
        v["broken"]
            .as_str()
            .unwrap()
            .contains("ledger entry 2 was changed"),
        "{v}"
    );

    let usage = vigil(
        dir.path(),
        &["--store", &url, "verify", "--against", "nonsense"],
    );
    assert_eq!(usage.status.code(), Some(2));
}

on_both_stores!(
    an_intact_ledger_verifies,
    vigil_itself_cannot_edit_or_delete_ledger_rows,
    a_changed_row_is_named,
    a_changed_row_with_a_recomputed_hash_breaks_the_next_link,
    a_deleted_row_is_named,
    an_inserted_row_is_named,
    reordered_rows_are_named,
    verify_through_the_binary_exits_1_naming_the_entry_and_checkpoints_catch_truncation,
    every_field_of_every_review_table_is_held_to_the_chain,
    a_wiped_ledger_or_a_swapped_genesis_is_broken,
    a_status_vigil_never_writes_fails_loudly,
    checkpoints_are_witnessed_and_catch_a_recomputed_chain_and_a_forged_tail,
    signed_checkpoints_are_checked_and_survive_a_key_rotation,
);

// ---------------------------------------------------------------------------
// Review tables held to the chain: an attacker who edits any field of any
// review row, and leaves the ledger alone, is named by `verify`.

use vigil_domain::{Disposition, ItemKind, Severity};
use vigil_review::risk::{self, RiskChange, Scales};
use vigil_review::{Act, IncidentChange, NewIncident, NewSanction, Policy, Reviewer, ops};
use vigil_store::{IncidentStatus, NewItem, Suppression};

fn who(name: &str) -> Reviewer {
    Reviewer {
        name: name.into(),
        session: format!("session-{name}"),
    }
}

fn t(s: &str) -> DateTime<Utc> {
    s.parse().unwrap()
}

/// Six open items, for user0..user5.
fn six_items(s: &mut dyn Store) {
    let items: Vec<NewItem> = (0..6)
        .map(|i| NewItem {
            kind: ItemKind::Finding,
            source_id: None,
            occurred_at: t("2026-11-20T10:00:00Z"),
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

/// A store with every kind of review row: items decided, approved, undone
/// and escalated, an incident closed, a sanction, a suppression, a risk.
fn reviewed(b: Backend) -> (tempfile::TempDir, Box<dyn Store>, Attacker) {
    let dir = tempfile::tempdir().unwrap();
    let url = store_url_on(b, dir.path()).unwrap();
    let mut s = open_url(&url);
    six_items(&mut *s);
    let policy = Policy {
        sanction_viewers: vec!["hr".into()],
        second_approval: vec![Disposition::Violation],
        ..Policy::default()
    };
    let now = t("2026-11-21T09:00:00.123456789Z");
    let act = |s: &mut dyn Store, r: &str, item: i64, act: Act| {
        ops::apply(s, &policy, &who(r), now, &[item], &act, None).unwrap();
    };
    let decide = |d: Disposition, note: &str| Act::Decide {
        disposition: d,
        note: Some(note.into()),
        reopen: false,
    };
    act(&mut *s, "root", 1, decide(Disposition::Benign, "on call"));
    act(
        &mut *s,
        "alice",
        2,
        decide(Disposition::Violation, "snooping"),
    );
    act(&mut *s, "bob", 2, Act::Approve { note: None });
    act(
        &mut *s,
        "alice",
        3,
        decide(Disposition::FalsePositive, "test account"),
    );
    act(&mut *s, "alice", 3, Act::Undo);
    act(
        &mut *s,
        "alice",
        3,
        decide(Disposition::Benign, "second look"),
    );
    let inc = ops::escalate(
        &mut *s,
        &policy,
        &who("carol"),
        now,
        &[4, 5],
        &NewIncident {
            title: Some("two VIP charts".into()),
            severity: "high".into(),
            assignee: Some("carol".into()),
            note: Some("opened".into()),
        },
    )
    .unwrap();
    ops::update_incident(
        &mut *s,
        &who("carol"),
        now,
        inc.id,
        &IncidentChange {
            status: Some(IncidentStatus::Closed),
            outcome: Some("retrained".into()),
            risk_update_needed: Some(false),
            ..IncidentChange::default()
        },
    )
    .unwrap();
    ops::add_sanction(
        &mut *s,
        &policy,
        &who("hr"),
        now,
        &NewSanction {
            member: "user1".into(),
            category: policy.sanction_categories[0].clone(),
            tier: policy.sanction_tiers[0].clone(),
            sanction: "written warning".into(),
            decided_on: "2026-11-21".into(),
            incident_id: Some(inc.id),
            decision_ids: vec![],
            notice_sent: false,
            note: None,
            confirm_inconsistent: false,
        },
    )
    .unwrap();
    vigil_review::suppression::add(
        &mut *s,
        &who("alice"),
        now,
        &Suppression {
            id: 0,
            actor: "backup".into(),
            subject: None,
            rule: Some("after-hours".into()),
            until: t("2027-01-01T00:00:00Z"),
            reason: "nightly backup job".into(),
            owner: String::new(),
        },
    )
    .unwrap();
    risk::add(
        &mut *s,
        &Scales::default(),
        &who("po"),
        now,
        &RiskChange {
            asset: Some("EHR database".into()),
            threat: Some("insider snooping".into()),
            vulnerability: Some("broad read grants".into()),
            likelihood: Some("likely".into()),
            impact: Some("5".into()),
            ..RiskChange::default()
        },
    )
    .unwrap();
    assert_eq!(s.verify_ledger().unwrap().broken, None);
    (dir, s, Attacker { b, url })
}

fn every_field_of_every_review_table_is_held_to_the_chain(b: Backend) {
    // (what the attacker does, the break verify must name)
    let later = t("2026-10-22T09:00:00Z").timestamp_micros();
    let tamperings: Vec<(String, &str)> = vec![
        (
            "UPDATE decisions SET reviewer = 'alice' WHERE item_id = 1".into(),
            "decision",
        ),
        (
            format!("UPDATE decisions SET decided_at = {later} WHERE item_id = 1"),
            "decision",
        ),
        (
            "UPDATE decisions SET session = 'other' WHERE item_id = 1".into(),
            "decision",
        ),
        (
            "UPDATE decisions SET note = 'nothing' WHERE item_id = 1".into(),
            "decision",
        ),
        (
            "UPDATE decisions SET disposition = 'violation' WHERE item_id = 1".into(),
            "decision",
        ),
        (
            "UPDATE decisions SET prior_status = 'reopened' WHERE item_id = 1".into(),
            "decision",
        ),
        (
            "UPDATE decisions SET reverts = NULL WHERE kind = 'revert'".into(),
            "decision",
        ),
        (
            "DELETE FROM decisions WHERE item_id = 1".into(),
            "missing from the decisions",
        ),
        (
            "UPDATE items SET status = 'new', disposition = NULL, decision_id = NULL WHERE id = 1"
                .into(),
            "item 1 differs",
        ),
        (
            "UPDATE items SET disposition = 'violation' WHERE id = 1".into(),
            "item 1 differs",
        ),
        (
            "UPDATE items SET approval = NULL WHERE id = 2".into(),
            "item 2 differs",
        ),
        (
            "UPDATE items SET approval = 'pending' WHERE id = 2".into(),
            "item 2 differs",
        ),
        (
            "UPDATE items SET status = 'new' WHERE id = 4".into(),
            "item 4 differs",
        ),
        (
            "UPDATE items SET status = 'decided', disposition = 'benign' WHERE id = 6".into(),
            "item 6 has review state no ledger entry recorded",
        ),
        (
            "UPDATE incidents SET title = 'nothing' WHERE id = 1".into(),
            "incident 1 differs",
        ),
        (
            "UPDATE incidents SET status = 'open', closed_at = NULL WHERE id = 1".into(),
            "incident 1 differs",
        ),
        (
            "UPDATE incidents SET outcome = 'none' WHERE id = 1".into(),
            "incident 1 differs",
        ),
        (
            "UPDATE incidents SET assignee = 'mallory' WHERE id = 1".into(),
            "incident 1 differs",
        ),
        (
            "DELETE FROM incident_items WHERE item_id = 5".into(),
            "incident 1 differs",
        ),
        (
            "UPDATE sanctions SET member = 'user2' WHERE id = 1".into(),
            "sanction 1 differs",
        ),
        (
            "UPDATE sanctions SET tier = 'x' WHERE id = 1".into(),
            "sanction 1 differs",
        ),
        (
            "DELETE FROM sanctions".into(),
            "sanction 1 this entry recorded is missing",
        ),
        (
            format!(
                "UPDATE suppressions SET until = {} WHERE id = 1",
                t("2030-01-01T00:00:00Z").timestamp_micros()
            ),
            "suppression 1 differs",
        ),
        (
            "UPDATE suppressions SET reason = 'x' WHERE id = 1".into(),
            "suppression 1 differs",
        ),
        // the register reads a risk from its data; the columns only sort
        (
            "UPDATE risks SET data = replace(data, '\"likelihood\":4', '\"likelihood\":1')".into(),
            "risk 1 differs",
        ),
        (
            "DELETE FROM risk_sources; DELETE FROM risks".into(),
            "risk 1 this entry recorded is missing",
        ),
        (
            format!(
                "INSERT INTO suppressions (actor, until, reason, owner, created_at) VALUES ('mallory', {later}0, 'x', 'alice', 0)"
            ),
            "suppression 2 has review state no ledger entry",
        ),
    ];
    for (sql, expect) in tamperings {
        let (_d, s, a) = reviewed(b);
        a.sql(&sql);
        let found = s.verify_ledger().unwrap().broken;
        let text = found.as_ref().map(|b| b.to_string()).unwrap_or_default();
        assert!(
            text.contains(expect),
            "{sql}: expected {expect:?}, verify said {text:?}"
        );
    }
}

fn a_wiped_ledger_or_a_swapped_genesis_is_broken(b: Backend) {
    let (_d, s, a) = reviewed(b);
    a.sql("DELETE FROM ledger; DELETE FROM decisions; UPDATE items SET status = 'new', disposition = NULL, decision_id = NULL, approval = NULL");
    let found = s.verify_ledger().unwrap().broken.unwrap();
    assert!(matches!(found, Break::Genesis { .. }), "{found}");
    assert!(found.to_string().contains("empty"), "{found}");

    let (_d, s, a) = reviewed(b);
    a.sql("UPDATE meta SET value = 'another-store' WHERE key = 'store_id'");
    let found = s.verify_ledger().unwrap().broken.unwrap();
    assert!(
        found.to_string().contains("entry 1 created store"),
        "{found}"
    );
}

fn a_status_vigil_never_writes_fails_loudly(b: Backend) {
    let (_d, mut s, a) = reviewed(b);
    a.sql("UPDATE items SET status = 'whatever' WHERE id = 6");
    let found = s.verify_ledger().unwrap().broken.unwrap().to_string();
    assert!(
        found.contains("item 6 has review state no ledger entry"),
        "{found}"
    );
    // and reviewing it is refused, not read as a new item
    let act = Act::Decide {
        disposition: Disposition::Benign,
        note: None,
        reopen: false,
    };
    let e = ops::apply(
        &mut *s,
        &Policy::default(),
        &who("root"),
        Utc::now(),
        &[6],
        &act,
        None,
    )
    .unwrap_err()
    .to_string();
    assert!(e.contains("never writes"), "{e}");
}

// ---------------------------------------------------------------------------
// Signed checkpoints and their witness, through the binary as users run it.

/// A reviewer's setup: a config with a ledger key and a witness file on
/// another path, six items to review, and a way to run vigil on it.
struct Witnessed {
    dir: tempfile::TempDir,
    url: String,
    attacker: Attacker,
}

impl Witnessed {
    fn new(b: Backend) -> Witnessed {
        let dir = tempfile::tempdir().unwrap();
        let url = store_url_on(b, dir.path()).unwrap();
        six_items(&mut *open_url(&url));
        let w = Witnessed {
            attacker: Attacker {
                b,
                url: url.clone(),
            },
            url,
            dir,
        };
        w.config("ledger.key");
        w
    }

    fn config(&self, key: &str) {
        std::fs::create_dir_all(self.dir.path().join("witness")).unwrap();
        write_private(
            &self.dir.path().join("vigil.toml"),
            &format!(
                "[ledger]\nkey_file = \"{key}\"\nwitness_file = \"witness/checkpoints\"\ncheckpoint_every = 2\n"
            ),
        );
    }

    fn run(&self, args: &[&str]) -> std::process::Output {
        let cfg = self.dir.path().join("vigil.toml");
        let mut all = vec!["--config", cfg.to_str().unwrap(), "--store", &self.url];
        all.extend_from_slice(args);
        vigil(self.dir.path(), &all)
    }

    fn ok(&self, args: &[&str]) -> String {
        let o = self.run(args);
        assert_eq!(
            o.status.code(),
            Some(0),
            "{args:?}: {}{}",
            stdout(&o),
            stderr(&o)
        );
        stdout(&o)
    }

    fn witness_lines(&self) -> Vec<String> {
        std::fs::read_to_string(self.dir.path().join("witness/checkpoints"))
            .unwrap_or_default()
            .lines()
            .map(str::to_owned)
            .collect()
    }

    fn verify_fails(&self, args: &[&str], expect: &str) {
        let o = self.run(args);
        assert_eq!(
            o.status.code(),
            Some(1),
            "{args:?}: {}{}",
            stdout(&o),
            stderr(&o)
        );
        assert!(
            stdout(&o).contains(expect),
            "{args:?}: expected {expect:?} in {}",
            stdout(&o)
        );
    }
}

fn checkpoints_are_witnessed_and_catch_a_recomputed_chain_and_a_forged_tail(b: Backend) {
    let w = Witnessed::new(b);
    for i in ["1", "2", "3", "4"] {
        w.ok(&["decide", i, "-d", "benign"]);
    }
    w.ok(&["note", "5", "-n", "asked the charge nurse"]);
    let key = std::fs::metadata(w.dir.path().join("ledger.key")).unwrap();
    use std::os::unix::fs::MetadataExt;
    assert_eq!(key.mode() & 0o777, 0o600, "the key is created private");
    let lines = w.witness_lines();
    assert!(
        lines.len() >= 2,
        "a checkpoint every two entries: {lines:?}"
    );
    let out = w.ok(&["verify"]);
    assert!(out.contains("checkpoints match"), "{out}");

    // Every entry vigil wrote carries its seal.
    let s = open_url(&w.url);
    let head = s.verify_ledger().unwrap();
    assert_eq!(head.broken, None);
    for seq in 2..=head.head_seq {
        assert!(
            s.ledger_entry(seq).unwrap().unwrap().seal.is_some(),
            "entry {seq}"
        );
    }

    // A forged entry after the last checkpoint, hashed right: only the
    // missing seal shows, in verify and at the next checkpoint, which is
    // then not written.
    let last = s.ledger_entry(head.head_seq).unwrap().unwrap();
    let forged = NewLedgerEntry {
        at: Utc::now(),
        actor: "root".into(),
        action: "phi.reveal".into(),
        entity: "item:1".into(),
        payload: serde_json::json!({"item": 1}),
    }
    .seal(last.seq + 1, &last.hash);
    w.attacker.sql(&format!(
        "INSERT INTO ledger (seq, at, actor, action, entity, payload, prev_hash, hash) VALUES ({}, {}, {}, {}, {}, {}, {}, {})",
        forged.seq, q(&forged.at), q(&forged.actor), q(&forged.action), q(&forged.entity), q(&forged.payload), q(&forged.prev_hash), q(&forged.hash)
    ));
    let chain_only = s.verify_ledger().unwrap();
    assert_eq!(chain_only.broken, None, "the chain alone cannot see it");
    w.verify_fails(
        &["verify"],
        &format!("ledger entry {} no longer matches", forged.seq),
    );
    w.verify_fails(&["verify"], "no valid seal");
    let before = w.witness_lines().len();
    let o = w.run(&["decide", "6", "-d", "benign"]);
    assert!(
        stderr(&o).contains("no checkpoint written"),
        "{}",
        stderr(&o)
    );
    let o = w.run(&["decide", "5", "-d", "benign"]);
    assert!(
        stderr(&o).contains("no checkpoint written"),
        "{}",
        stderr(&o)
    );
    assert_eq!(
        w.witness_lines().len(),
        before,
        "vigil never signs a forgery"
    );

    // A whole chain recomputed after an edit: every hash links, but the
    // witnessed checkpoints no longer match; the first is named.
    let w = Witnessed::new(b);
    w.ok(&["note", "5", "-n", "asked the charge nurse"]);
    for i in ["1", "2", "3", "4"] {
        w.ok(&["decide", i, "-d", "benign"]);
    }
    let s = open_url(&w.url);
    let all: Vec<LedgerEntry> = s.ledger_after(0, 1000).unwrap();
    let note = all.iter().find(|e| e.action == "note").unwrap().seq;
    let mut prev = all[(note - 2) as usize].hash.clone();
    for e in all.iter().filter(|e| e.seq >= note) {
        let payload = e
            .payload
            .replace("asked the charge nurse", "nothing to see");
        let h = vigil_store::ledger::entry_hash(
            &prev, e.seq, &e.at, &e.actor, &e.action, &e.entity, &payload,
        );
        w.attacker.sql(&format!(
            "UPDATE ledger SET payload = {}, prev_hash = {}, hash = {} WHERE seq = {}",
            q(&payload),
            q(&prev),
            q(&h),
            e.seq
        ));
        prev = h;
    }
    assert_eq!(
        s.verify_ledger().unwrap().broken,
        None,
        "the chain alone is fooled"
    );
    let first = w
        .witness_lines()
        .iter()
        .filter_map(|l| vigil_review::witness::Checkpoint::parse(l).ok())
        .map(|c| c.seq)
        .find(|seq| *seq >= note)
        .unwrap();
    w.verify_fails(
        &["verify"],
        &format!("the witnessed checkpoint at entry {first} no longer matches"),
    );
}

fn signed_checkpoints_are_checked_and_survive_a_key_rotation(b: Backend) {
    let w = Witnessed::new(b);
    w.ok(&["decide", "1", "-d", "benign"]);
    let signed = w.ok(&["verify", "--checkpoint"]).trim().to_owned();
    assert!(signed.starts_with("vigil-checkpoint v1 "), "{signed}");
    assert!(w.witness_lines().contains(&signed), "handed to the witness");
    w.ok(&["verify", "--against", &signed]);

    // a signature that does not hold, a cut-off line, another key
    let flip = |c: char| if c == '0' { '1' } else { '0' };
    let mut bad = signed.clone();
    let last = bad.pop().unwrap();
    bad.push(flip(last));
    w.verify_fails(&["verify", "--against", &bad], "signature does not hold");
    w.verify_fails(
        &["verify", "--against", &signed[..signed.len() - 20]],
        "cannot be read",
    );
    let cp = vigil_review::witness::Checkpoint::parse(&signed).unwrap();
    let stranger = vigil_store::keys::LedgerKey::generate().unwrap();
    let foreign =
        vigil_review::witness::Checkpoint::sign(&stranger, &cp.store, cp.seq, &cp.head, Utc::now());
    w.verify_fails(
        &["verify", "--against", &foreign.line()],
        "never registered",
    );

    // Rotation: the old key endorses the new one; old checkpoints verify.
    let new_key = w.dir.path().join("ledger-2.key");
    let out = w.ok(&["verify", "--rotate-key", new_key.to_str().unwrap()]);
    assert!(out.contains("rotated the ledger key"), "{out}");
    let o = w.run(&["decide", "2", "-d", "benign"]);
    assert_eq!(o.status.code(), Some(1), "the retired key is refused");
    assert!(stderr(&o).contains("rotated out"), "{}", stderr(&o));
    w.config("ledger-2.key");
    w.ok(&["decide", "2", "-d", "benign"]);
    w.ok(&["decide", "3", "-d", "benign"]);
    let out = w.ok(&["verify"]);
    assert!(out.contains("checkpoints match"), "{out}");
    w.ok(&["verify", "--against", &signed]);
    let now = w.ok(&["verify", "--checkpoint"]).trim().to_owned();
    assert_ne!(
        vigil_review::witness::Checkpoint::parse(&now).unwrap().key,
        cp.key,
        "signed with the new key"
    );

    // An edited witness line is caught, and named by its place.
    let path = w.dir.path().join("witness/checkpoints");
    let text = std::fs::read_to_string(&path).unwrap();
    std::fs::write(&path, text.replacen("seq=", "seq=1", 1)).unwrap();
    w.verify_fails(&["verify"], "witness/checkpoints line 1");
}
