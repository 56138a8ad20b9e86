//! SQLite: the store's own unit tests.

use super::fs::fs_magic_name;
use super::*;

#[test]
fn network_filesystems_are_named() {
    assert_eq!(fs_magic_name(0x6969), Some("NFS"));
    assert_eq!(fs_magic_name(0xFF53_4D42_u32 as i64), Some("CIFS"));
    assert_eq!(fs_magic_name(0x6573_5546), Some("FUSE"));
    // ext4 and tmpfs are local
    assert_eq!(fs_magic_name(0xEF53), None);
    assert_eq!(fs_magic_name(0x0102_1994), None);
    assert_eq!(network_fs_name(Path::new("/tmp")), None);
}

#[test]
fn newer_schema_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("v.db");
    let mut s = SqliteStore::open(&path).unwrap();
    s.migrate().unwrap();
    s.conn.pragma_update(None, "user_version", 99).unwrap();
    let err = s.migrate().unwrap_err().to_string();
    assert!(err.contains("newer than this vigil"), "{err}");
}

#[test]
fn store_file_is_private() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("sub/v.db");
    let _ = SqliteStore::open(&path).unwrap();
    let mode = std::fs::metadata(&path).unwrap().permissions().mode();
    assert_eq!(mode & 0o777, 0o600);
}

/// A store at schema version `version`, with `sql` run on it.
fn store_at(dir: &Path, version: usize, sql: &str) -> SqliteStore {
    let mut s = SqliteStore::open(&dir.join(format!("v{version}.db"))).unwrap();
    let tx = s.conn.transaction().unwrap();
    for (i, m) in MIGRATIONS.iter().take(version).enumerate() {
        tx.execute_batch(m).unwrap();
        tx.pragma_update(None, "user_version", (i + 1) as i64)
            .unwrap();
    }
    tx.execute_batch(sql).unwrap();
    tx.commit().unwrap();
    s
}

#[test]
fn explanations_keep_what_they_said_through_schema_10() {
    // A v9 store with two explained accesses and one unexplained one.
    let dir = tempfile::tempdir().unwrap();
    let mut s = store_at(
        dir.path(),
        9,
        "INSERT INTO explanations VALUES
               (1, 1, 100, 'nurse1', 'P1', 'direct', 'V1', ''),
               (2, 1, 200, 'clerk', 'P1', 'role', 'V1', 'billing'),
               (3, 1, 300, 'nurse2', 'P2', 'unexplained', NULL, 'unexplained: no encounter')",
    );
    assert_eq!(s.schema_version().unwrap(), 9);
    s.migrate().unwrap();
    type Row = (
        i64,
        String,
        Option<String>,
        String,
        Option<String>,
        Option<i64>,
    );
    let rows: Vec<Row> = s
        .conn
        .prepare("SELECT event_id, kind, encounter, note, patient, occurred_at FROM explanations ORDER BY event_id")
        .unwrap()
        .query_map([], |r| {
            Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?, r.get(5)?))
        })
        .unwrap()
        .collect::<rusqlite::Result<_>>()
        .unwrap();
    assert_eq!(
        rows,
        vec![
            (
                1,
                "direct".into(),
                Some("V1".into()),
                String::new(),
                None,
                None
            ),
            (
                2,
                "role".into(),
                Some("V1".into()),
                "billing".into(),
                None,
                None
            ),
            (
                3,
                "unexplained".into(),
                None,
                "unexplained: no encounter".into(),
                Some("P2".into()),
                Some(300)
            ),
        ]
    );
    // the unexplained one is still found by patient through its index
    let plan: String = s
        .conn
        .query_row(
            "EXPLAIN QUERY PLAN SELECT event_id FROM explanations WHERE kind = 'unexplained' AND patient = 'P2' AND occurred_at >= 0",
            [],
            |r| r.get(3),
        )
        .unwrap();
    assert!(plan.contains("explanations_patient"), "{plan}");
}

#[test]
fn the_by_actor_index_keeps_every_event_through_schema_11() {
    // A v10 store: nurse1 with 2,500 indexed events (three runs of at most
    // 1,000 after the move), clerk with one.
    let dir = tempfile::tempdir().unwrap();
    let mut s = store_at(dir.path(), 10,
            "INSERT INTO sources (id, name, kind, created_at) VALUES (1, 'auth', 'syslog', 0);
             INSERT INTO actors (id, name) VALUES (1, 'nurse1'), (2, 'clerk');
             WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 2501)
             INSERT INTO events (id, source_id, stream_id, offset, seq, occurred_at, time_basis, actor_id, subject, action, outcome, raw)
               SELECT i, 1, 1, i, 0, 1000000 * i, 0, CASE WHEN i = 2501 THEN 2 ELSE 1 END, 'P' || i, 'login', 'success', X'78' FROM n;
             INSERT INTO actor_events (actor_id, occurred_at, event_id) SELECT actor_id, occurred_at, id FROM events;",
    );
    s.migrate().unwrap();
    assert_eq!(s.schema_version().unwrap(), MIGRATIONS.len() as i64);
    let runs: Vec<(i64, i64)> = s
        .conn
        .prepare(
            "SELECT actor_id, json_array_length(ids) FROM actor_runs ORDER BY actor_id, first_at",
        )
        .unwrap()
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
        .unwrap()
        .collect::<rusqlite::Result<_>>()
        .unwrap();
    assert_eq!(runs, [(1, 1000), (1, 1000), (1, 500), (2, 1)]);
    let all = s
        .actor_activity("nurse1", from_micros(0), from_micros(1_000_000 * 3000))
        .unwrap();
    assert_eq!(all.len(), 2500);
    assert!(all.windows(2).all(|w| w[0].1 < w[1].1), "in time order");
    assert_eq!(all[1499].0, 1500);
    assert_eq!(all[1499].2.as_deref(), Some("P1500"));
    // a window inside one run, and the filter
    let some = s
        .actor_activity(
            "nurse1",
            from_micros(1_000_000 * 1200),
            from_micros(1_000_000 * 1203),
        )
        .unwrap();
    assert_eq!(
        some.iter().map(|a| a.0).collect::<Vec<_>>(),
        [1200, 1201, 1202]
    );
    let clerk = vigil_domain::query::Query::parse("actor:clerk").unwrap();
    assert_eq!(s.count_events(&clerk).unwrap(), 1);
}

#[test]
fn the_patient_key_is_fnv_1a() {
    // (published FNV-1a 64 test vectors: stored keys depend on these)
    assert_eq!(write::patient_key("") as u64, 0xcbf2_9ce4_8422_2325);
    assert_eq!(write::patient_key("a") as u64, 0xaf63_dc4c_8601_ec8c);
    assert_eq!(write::patient_key("foobar") as u64, 0x8594_4171_f739_67e8);
}

#[test]
fn the_by_patient_index_keeps_every_access_through_schema_12() {
    // A v11 store: P1 opened twice, P2 once, and a row filed under P1
    // whose event is about P2 (what a key collision would look like).
    let dir = tempfile::tempdir().unwrap();
    let mut s = store_at(dir.path(), 11,
            "INSERT INTO sources (id, name, kind, created_at) VALUES (1, 'ehr', 'access-csv', 0);
             INSERT INTO events (id, source_id, stream_id, offset, seq, occurred_at, time_basis, subject, action, outcome, raw)
               VALUES (1, 1, 1, 1, 0, 1000000, 0, 'P1', 'view', 'success', X'78'),
                      (2, 1, 1, 2, 0, 2000000, 0, 'P2', 'view', 'success', X'78'),
                      (3, 1, 1, 3, 0, 3000000, 0, 'P1', 'view', 'success', X'78');
             INSERT INTO patient_events (patient, occurred_at, event_id)
               VALUES ('P1', 1000000, 1), ('P2', 2000000, 2), ('P1', 3000000, 3);",
    );
    s.migrate().unwrap();
    assert_eq!(s.schema_version().unwrap(), MIGRATIONS.len() as i64);
    let (from, to) = (from_micros(0), from_micros(10_000_000));
    assert_eq!(s.patient_event_ids("P1", from, to).unwrap(), [1, 3]);
    assert_eq!(s.patient_event_ids("P2", from, to).unwrap(), [2]);
    assert_eq!(
        s.patient_event_ids("P1", from, from_micros(2_000_000))
            .unwrap(),
        [1]
    );
    s.conn
        .execute(
            "INSERT INTO patient_events (patient_key, occurred_at, event_id) VALUES (?1, 2000000, 2)",
            [write::patient_key("P1")],
        )
        .unwrap();
    assert_eq!(s.patient_event_ids("P1", from, to).unwrap(), [1, 3]);
}

#[test]
fn an_ingest_starts_the_wal_over_once_it_has_grown_past_the_bound() {
    use crate::{Batch, Store};
    use vigil_domain::{NewEvent, Outcome, SafeText, Stream, TimeBasis};
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("v.db");
    let mut s = SqliteStore::open(&path).unwrap();
    s.migrate().unwrap();
    // A test's few megabytes, where an ingest's bound is 256 MiB.
    s.wal_restart_bytes = 1 << 20;
    let source_id = s.ensure_source("bastion", "syslog").unwrap();
    let mut stream = s
        .add_stream(&Stream {
            id: 0,
            source_id,
            path: "/var/log/auth.log".into(),
            dev: None,
            inode: None,
            head_len: 0,
            head_hash: String::new(),
            offset: 0,
            records: 0,
            parser_state: String::new(),
            status: "active".into(),
        })
        .unwrap();
    let t0: chrono::DateTime<Utc> = "2026-11-20T00:00:00Z".parse().unwrap();
    let (commits, per_commit) = (24, 500);
    let mut peak = 0;
    for c in 0..commits {
        let since = stream.offset;
        let events: Vec<NewEvent> = (0..per_commit)
            .map(|i| {
                let n = c * per_commit + i;
                NewEvent {
                    occurred_at: t0 + chrono::Duration::seconds(n as i64),
                    time_basis: TimeBasis::default(),
                    host: Some(SafeText::new("bastion")),
                    program: Some(SafeText::new("sshd")),
                    actor: Some(SafeText::new(&format!("user{}", n % 7))),
                    subject: None,
                    action: SafeText::new("login"),
                    outcome: Outcome::Success,
                    client: None,
                    detail: None,
                    // incompressible enough that every row takes its room
                    raw: (0..1_000).map(|k| ((n * 31 + k * 7) % 251) as u8).collect(),
                    offset: n * 1_000,
                    seq: 0,
                }
            })
            .collect();
        stream.offset = (c + 1) * per_commit * 1_000;
        stream.records += per_commit;
        let b = Batch {
            source_id,
            stream: stream.clone(),
            since,
            events,
            context: Vec::new(),
            quarantined: Vec::new(),
            gaps: Vec::new(),
        };
        assert_eq!(s.write_batch(&b, true).unwrap().events, per_commit);
        peak = peak.max(std::fs::metadata(wal_path(&path)).unwrap().len());
    }
    let rows = commits * per_commit;
    assert_eq!(s.count_events(&Query::parse("").unwrap()).unwrap(), rows);
    // Each commit adds about half a megabyte: 12 MB in a WAL never
    // started over, and about the bound plus a commit in one that is.
    assert!(peak < 3 << 20, "the WAL grew to {peak} bytes");
    drop(s);
    // What the WAL held reached the database file.
    let s = SqliteStore::open(&path).unwrap();
    assert_eq!(s.count_events(&Query::parse("").unwrap()).unwrap(), rows);
}
