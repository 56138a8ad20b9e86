//! The ledger's hash chain against an attacker with write access to the
//! store (the SQLite file, or the PostgreSQL tables as their owner): every
//! change, deletion, insertion or reordering of rows is found by `verify`,
//! which names the first bad entry.

mod common;

use chrono::{DateTime, Utc};
use common::*;
use vigil::store::{Break, NewLedgerEntry, Store};

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
    let h = vigil::store::ledger::entry_hash(
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
);
