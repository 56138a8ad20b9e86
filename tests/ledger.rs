//! The ledger's hash chain against an attacker with write access to the
//! SQLite file: every change, deletion, insertion or reordering of rows is
//! found by `verify`, which names the first bad entry.

mod common;

use chrono::{DateTime, Utc};
use common::*;
use vigil::store::{Break, NewLedgerEntry, SqliteStore, Store};

fn entry(n: i64) -> NewLedgerEntry {
    NewLedgerEntry {
        at: DateTime::<Utc>::from_timestamp(1_790_000_000 + n * 60, 0).unwrap(),
        actor: "alice".into(),
        action: "decision".into(),
        entity: format!("item:{n}"),
        payload: serde_json::json!({"disposition": "benign", "note": format!("looked at {n}")}),
    }
}

fn ledger_of(n: i64) -> (tempfile::TempDir, SqliteStore) {
    let dir = tempfile::tempdir().unwrap();
    let mut s = store(dir.path());
    for i in 1..=n {
        let e = s.append_ledger(&entry(i)).unwrap();
        assert_eq!(e.seq, i);
    }
    (dir, s)
}

/// Plays the attacker: with write access to the file, the append-only
/// triggers are one statement away.
fn attack(s: &SqliteStore) -> &rusqlite::Connection {
    let c = s.connection();
    c.execute_batch("DROP TRIGGER ledger_no_update; DROP TRIGGER ledger_no_delete;")
        .unwrap();
    c
}

fn broken(s: &SqliteStore) -> Option<Break> {
    s.verify_ledger().unwrap().broken
}

#[test]
fn an_intact_ledger_verifies() {
    let (_d, s) = ledger_of(20);
    let v = s.verify_ledger().unwrap();
    assert_eq!(v.entries, 20);
    assert_eq!(v.head_seq, 20);
    assert_eq!(v.broken, None);
    assert_eq!(v.head_hash, s.ledger_entry(20).unwrap().unwrap().hash);
}

#[test]
fn vigil_itself_cannot_edit_or_delete_ledger_rows() {
    let (_d, s) = ledger_of(3);
    let upd = s
        .connection()
        .execute("UPDATE ledger SET actor = 'x' WHERE seq = 1", []);
    assert!(upd.unwrap_err().to_string().contains("append-only"));
    let del = s.connection().execute("DELETE FROM ledger", []);
    assert!(del.unwrap_err().to_string().contains("append-only"));
}

#[test]
fn a_changed_row_is_named() {
    let (_d, s) = ledger_of(10);
    attack(&s)
        .execute(
            "UPDATE ledger SET payload = replace(payload, 'benign', 'violation') WHERE seq = 4",
            [],
        )
        .unwrap();
    assert_eq!(broken(&s), Some(Break::Altered { seq: 4 }));
}

#[test]
fn a_changed_row_with_a_recomputed_hash_breaks_the_next_link() {
    let (_d, s) = ledger_of(10);
    // The attacker rewrites entry 4 and fixes its own hash...
    let e = s.ledger_entry(4).unwrap().unwrap();
    let payload = e.payload.replace("benign", "violation");
    let h = vigil::store::ledger::entry_hash(
        &e.prev_hash,
        e.seq,
        &e.at,
        &e.actor,
        &e.action,
        &e.entity,
        &payload,
    );
    attack(&s)
        .execute(
            "UPDATE ledger SET payload = ?1, hash = ?2 WHERE seq = 4",
            rusqlite::params![payload, h],
        )
        .unwrap();
    // ...but entry 5 still points at the old hash.
    assert_eq!(broken(&s), Some(Break::Unlinked { seq: 5 }));
}

#[test]
fn a_deleted_row_is_named() {
    let (_d, s) = ledger_of(10);
    attack(&s)
        .execute("DELETE FROM ledger WHERE seq = 6", [])
        .unwrap();
    assert_eq!(
        broken(&s),
        Some(Break::Sequence {
            expected: 6,
            found: 7
        })
    );
}

#[test]
fn an_inserted_row_is_named() {
    let (_d, s) = ledger_of(10);
    let c = attack(&s);
    // make room after entry 3 and slip a forged entry in
    c.execute("UPDATE ledger SET seq = seq + 100 WHERE seq > 3", [])
        .unwrap();
    c.execute("UPDATE ledger SET seq = seq - 99 WHERE seq > 100", [])
        .unwrap();
    let prev = s.ledger_entry(3).unwrap().unwrap().hash;
    let forged = entry(99).seal(4, &prev);
    c.execute(
        "INSERT INTO ledger (seq, at, actor, action, entity, payload, prev_hash, hash) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
        rusqlite::params![forged.seq, forged.at, forged.actor, forged.action, forged.entity, forged.payload, forged.prev_hash, forged.hash],
    )
    .unwrap();
    // the forgery itself chains, but the old entry 4 (now 5) no longer does
    assert_eq!(broken(&s), Some(Break::Unlinked { seq: 5 }));
}

#[test]
fn reordered_rows_are_named() {
    let (_d, s) = ledger_of(10);
    let c = attack(&s);
    c.execute("UPDATE ledger SET seq = -1 WHERE seq = 7", [])
        .unwrap();
    c.execute("UPDATE ledger SET seq = 7 WHERE seq = 8", [])
        .unwrap();
    c.execute("UPDATE ledger SET seq = 8 WHERE seq = -1", [])
        .unwrap();
    assert_eq!(broken(&s), Some(Break::Unlinked { seq: 7 }));
}

#[test]
fn verify_through_the_binary_exits_1_naming_the_entry_and_checkpoints_catch_truncation() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("v.db");
    let url = format!("sqlite:{}", db.display());
    {
        let mut s = SqliteStore::open(&db).unwrap();
        s.migrate().unwrap();
        for i in 1..=5 {
            s.append_ledger(&entry(i)).unwrap();
        }
    }
    let ok = vigil(dir.path(), &["--store", &url, "verify"]);
    assert_eq!(ok.status.code(), Some(0), "{}", stderr(&ok));
    assert!(
        stdout(&ok).starts_with("ledger intact: 5 entries"),
        "{}",
        stdout(&ok)
    );

    let cp = vigil(dir.path(), &["--store", &url, "verify", "--checkpoint"]);
    let head = stdout(&cp).trim().to_owned();
    assert!(head.ends_with("@5"), "{head}");

    // drop the tail: the chain alone still verifies, the checkpoint does not
    let s = SqliteStore::open(&db).unwrap();
    attack(&s)
        .execute("DELETE FROM ledger WHERE seq = 5", [])
        .unwrap();
    let chain_only = vigil(dir.path(), &["--store", &url, "verify"]);
    assert_eq!(chain_only.status.code(), Some(0));
    let against = vigil(dir.path(), &["--store", &url, "verify", "--against", &head]);
    assert_eq!(against.status.code(), Some(1));
    assert!(
        stdout(&against).contains("checkpointed entry 5"),
        "{}",
        stdout(&against)
    );

    s.connection()
        .execute("UPDATE ledger SET actor = 'mallory' WHERE seq = 2", [])
        .unwrap();
    let bad = vigil(dir.path(), &["--store", &url, "verify"]);
    assert_eq!(bad.status.code(), Some(1));
    assert!(
        stdout(&bad).contains("ledger entry 2 was changed"),
        "{}",
        stdout(&bad)
    );

    let usage = vigil(
        dir.path(),
        &["--store", &url, "verify", "--against", "nonsense"],
    );
    assert_eq!(usage.status.code(), Some(2));
}
