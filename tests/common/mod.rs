//! Helpers shared by the integration tests: the corpus location, a fresh
//! store, ingesting a file, and running the real binary.

#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use vigil::domain::Event;
use vigil::query::Query;
use vigil::sources::SourceKind;
use vigil::sources::file::{FileReport, FileSource, read_file};
use vigil::store::{SqliteStore, Store};

/// `../shared/corpus`, or `None` (test skipped) when it is absent. With
/// `VIGIL_CORPUS_REQUIRED=1` (as `.ci/run` sets) a missing corpus fails.
pub fn corpus() -> Option<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/corpus");
    if dir.is_dir() {
        return Some(dir);
    }
    if std::env::var("VIGIL_CORPUS_REQUIRED").as_deref() == Ok("1") {
        panic!(
            "VIGIL_CORPUS_REQUIRED=1 but the corpus is missing at {}",
            dir.display()
        );
    }
    eprintln!("skipped: corpus not found at {}", dir.display());
    None
}

pub fn store(dir: &Path) -> SqliteStore {
    let mut s = SqliteStore::open(&dir.join("vigil.db")).expect("open store");
    s.migrate().expect("migrate");
    s
}

pub fn source(store: &mut SqliteStore, name: &str) -> FileSource {
    let id = store.ensure_source(name, "syslog").expect("source");
    FileSource {
        id,
        name: name.into(),
        kind: SourceKind::Syslog,
        zone: None,
        options: Default::default(),
    }
}

pub fn ingest(
    store: &mut SqliteStore,
    src: &FileSource,
    file: &Path,
    take_partial: bool,
) -> FileReport {
    read_file(store, src, file, take_partial, None).expect("read file")
}

pub fn events(store: &SqliteStore, filter: &str) -> Vec<Event> {
    let mut out = Vec::new();
    store
        .for_each_event(&Query::parse(filter).expect("filter"), 0, &mut |e| {
            out.push(e);
            Ok(())
        })
        .expect("events");
    out
}

pub fn count(store: &SqliteStore, filter: &str) -> u64 {
    store
        .count_events(&Query::parse(filter).expect("filter"))
        .expect("count")
}

/// Runs the real `vigil` binary with a clean environment rooted in `home`.
pub fn vigil(home: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_vigil"))
        .args(args)
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("HOME", home)
        .env("XDG_CONFIG_HOME", home.join("config"))
        .env("XDG_DATA_HOME", home.join("data"))
        .env("XDG_STATE_HOME", home.join("state"))
        .output()
        .expect("run vigil")
}

pub fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

pub fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// Writes a file with mode 600, as vigil wants config files.
pub fn write_private(path: &Path, text: &str) {
    use std::os::unix::fs::PermissionsExt;
    if let Some(d) = path.parent() {
        std::fs::create_dir_all(d).unwrap();
    }
    std::fs::write(path, text).unwrap();
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600)).unwrap();
}
