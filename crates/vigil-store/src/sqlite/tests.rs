//! SQLite: the store's own unit tests.

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

#[test]
fn explanations_keep_what_they_said_through_schema_10() {
    // A v9 store with two explained accesses and one unexplained one.
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("v9.db");
    let mut s = SqliteStore::open(&path).unwrap();
    {
        let tx = s.conn.transaction().unwrap();
        for (i, sql) in MIGRATIONS.iter().take(9).enumerate() {
            tx.execute_batch(sql).unwrap();
            tx.pragma_update(None, "user_version", (i + 1) as i64)
                .unwrap();
        }
        tx.execute_batch(
            "INSERT INTO explanations VALUES
               (1, 1, 100, 'nurse1', 'P1', 'direct', 'V1', ''),
               (2, 1, 200, 'clerk', 'P1', 'role', 'V1', 'billing'),
               (3, 1, 300, 'nurse2', 'P2', 'unexplained', NULL, 'unexplained: no encounter')",
        )
        .unwrap();
        tx.commit().unwrap();
    }
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
