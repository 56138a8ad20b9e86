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
