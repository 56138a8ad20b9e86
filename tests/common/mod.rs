//! Helpers shared by the integration tests: the corpus location, a fresh
//! store, ingesting a file, and running the real binary.

#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use vigil_app::ingest::{FileReport, FileSource, read_file};
use vigil_domain::Event;
use vigil_domain::query::Query;
use vigil_sources::SourceKind;
use vigil_store::{SqliteStore, Store};

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

pub fn source(store: &mut dyn Store, name: &str) -> FileSource {
    let id = store.ensure_source(name, "syslog").expect("source");
    FileSource {
        id,
        name: name.into(),
        kind: SourceKind::Syslog,
        zone: None,
        options: Default::default(),
    }
}

/// An EHR access report source (`user,mrn,time,action,workstation`).
pub fn ehr_source(store: &mut dyn Store) -> FileSource {
    let id = store.ensure_source("ehr", "access-csv").expect("source");
    FileSource {
        id,
        name: "ehr".into(),
        kind: SourceKind::AccessCsv,
        zone: None,
        options: vigil_sources::ParserOptions {
            columns: Some(vigil_sources::access_csv::CsvColumns {
                actor: "user".into(),
                subject: "mrn".into(),
                occurred_at: "time".into(),
                action: Some("action".into()),
                outcome: None,
                client: Some("workstation".into()),
                host: None,
                detail: None,
                time_format: None,
            }),
            ..Default::default()
        },
    }
}

pub fn ingest(
    store: &mut dyn Store,
    src: &FileSource,
    file: &Path,
    take_partial: bool,
) -> FileReport {
    read_file(store, src, file, take_partial, None).expect("read file")
}

pub fn events(store: &dyn Store, filter: &str) -> Vec<Event> {
    let mut out = Vec::new();
    store
        .for_each_event(&Query::parse(filter).expect("filter"), 0, &mut |e| {
            out.push(e);
            Ok(())
        })
        .expect("events");
    out
}

pub fn count(store: &dyn Store, filter: &str) -> u64 {
    store
        .count_events(&Query::parse(filter).expect("filter"))
        .expect("count")
}

/// Runs the real `vigil` binary with a clean environment rooted in `home`.
/// The actions the ledger holds for one entity (`store`, `item:2`), in order.
pub fn ledger_actions(store: &dyn Store, entity: &str) -> Vec<String> {
    store
        .ledger_for(entity)
        .expect("ledger")
        .into_iter()
        .map(|e| e.action)
        .collect()
}

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

/// Which store a test runs on: the conformance tests run on both.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// The PostgreSQL server the tests use: `VIGIL_TEST_PG`, else the local
/// one. `None` (test skipped) when none answers; with `VIGIL_PG_REQUIRED=1`
/// (as `.ci/run` sets) a missing server fails instead.
pub fn pg_server() -> Option<String> {
    static SERVER: std::sync::OnceLock<Option<String>> = std::sync::OnceLock::new();
    SERVER
        .get_or_init(|| {
            let url = std::env::var("VIGIL_TEST_PG")
                .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432".into());
            match postgres::Client::connect(&format!("{url}/postgres"), postgres::NoTls) {
                Ok(_) => Some(url),
                Err(e) => {
                    if std::env::var("VIGIL_PG_REQUIRED").as_deref() == Ok("1") {
                        panic!("VIGIL_PG_REQUIRED=1 but no PostgreSQL server at {url}: {e}");
                    }
                    eprintln!("skipped: no PostgreSQL server at {url} ({e})");
                    None
                }
            }
        })
        .clone()
}

/// This test run's throwaway database (created once per test binary; those
/// of runs whose process is gone are dropped first).
pub fn pg_database() -> Option<String> {
    static DB: std::sync::OnceLock<Option<String>> = std::sync::OnceLock::new();
    DB.get_or_init(|| {
        let server = pg_server()?;
        let mut c = postgres::Client::connect(&format!("{server}/postgres"), postgres::NoTls)
            .expect("connect to the test server");
        for r in c
            .query(
                "SELECT datname FROM pg_database WHERE datname LIKE 'vigil_test_%'",
                &[],
            )
            .unwrap()
        {
            let name: String = r.get(0);
            let pid = name.split('_').nth(2).and_then(|p| p.parse::<u32>().ok());
            if pid.is_some_and(|p| !Path::new(&format!("/proc/{p}")).exists()) {
                let _ =
                    c.batch_execute(&format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"));
            }
        }
        let name = format!(
            "vigil_test_{}_{}",
            std::process::id(),
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .unwrap()
                .as_nanos()
        );
        c.batch_execute(&format!("CREATE DATABASE \"{name}\""))
            .expect("create the test database");
        Some(format!("{server}/{name}"))
    })
    .clone()
}

/// A fresh, empty schema in this run's test database, as a store URL whose
/// connections use it.
pub fn pg_url() -> Option<String> {
    static NEXT: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    let db = pg_database()?;
    let schema = format!(
        "t{}",
        NEXT.fetch_add(1, std::sync::atomic::Ordering::SeqCst)
    );
    let mut c = postgres::Client::connect(&db, postgres::NoTls).expect("connect");
    c.batch_execute(&format!(
        "DROP SCHEMA IF EXISTS {schema} CASCADE; CREATE SCHEMA {schema}"
    ))
    .expect("create schema");
    Some(format!("{db}?options=-csearch_path%3D{schema}"))
}

/// A migrated store of the given kind: a file in `dir`, or a fresh schema
/// on the test server. `None` when PostgreSQL is not there (skipped).
pub fn store_on(b: Backend, dir: &Path) -> Option<Box<dyn Store>> {
    let url = match b {
        Backend::Sqlite => vigil_store::StoreUrl::Sqlite(dir.join("vigil.db")),
        Backend::Postgres => vigil_store::StoreUrl::parse(&pg_url()?, None).unwrap(),
    };
    Some(url.open().expect("open store"))
}

/// The URL `store_on` would open, for child processes and the binary.
pub fn store_url_on(b: Backend, dir: &Path) -> Option<String> {
    match b {
        Backend::Sqlite => Some(dir.join("vigil.db").display().to_string()),
        Backend::Postgres => pg_url(),
    }
}

/// A migrated PostgreSQL store at `url` whose sources are collected by
/// `host`, as on one of several collector hosts.
pub fn pg_store(url: &str, host: &str) -> vigil_store::PgStore {
    let vigil_store::StoreUrl::Postgres(t) = vigil_store::StoreUrl::parse(url, None).unwrap()
    else {
        unreachable!()
    };
    let mut s = vigil_store::PgStore::open(&t).unwrap().with_collector(host);
    s.migrate().unwrap();
    s
}

/// Opens (and migrates) the store at a URL or path.
pub fn open_url(url: &str) -> Box<dyn Store> {
    vigil_store::StoreUrl::parse(url, None)
        .unwrap()
        .open()
        .unwrap()
}

/// Generates `#[test]`s running each named `fn(Backend)` on SQLite and on
/// PostgreSQL, from the same test code.
#[macro_export]
macro_rules! on_both_stores {
    ($($name:ident),* $(,)?) => {
        mod on_sqlite {
            $( #[test] fn $name() { super::$name(super::common::Backend::Sqlite) } )*
        }
        mod on_postgres {
            $( #[test] fn $name() {
                if super::common::pg_server().is_some() {
                    super::$name(super::common::Backend::Postgres)
                }
            } )*
        }
    };
}

/// A local HTTP server speaking whatever the test mounts, with the runtime
/// that drives it (kept alive as long as the server is used).
pub fn mock_server() -> (tokio::runtime::Runtime, wiremock::MockServer) {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .expect("a runtime");
    let s = rt.block_on(wiremock::MockServer::start());
    (rt, s)
}

/// One canned answer: status line and headers, the body, and whether the
/// body is cut in half (the connection then closes mid-body).
pub struct Canned {
    pub status: &'static str,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
    pub cut: bool,
}

impl Canned {
    pub fn ok(body: serde_json::Value) -> Canned {
        Canned {
            status: "200 OK",
            headers: vec![],
            body: serde_json::to_vec(&body).unwrap(),
            cut: false,
        }
    }

    pub fn status(s: &'static str, headers: &[(&str, &str)], body: &str) -> Canned {
        Canned {
            status: s,
            headers: headers
                .iter()
                .map(|(a, b)| (a.to_string(), b.to_string()))
                .collect(),
            body: body.as_bytes().to_vec(),
            cut: false,
        }
    }
}

/// Serves `script` on `l`, one connection per answer, each written raw
/// (so a body can be cut short); returns the address and every request
/// as received (headers and body).
pub fn serve_canned(
    l: std::net::TcpListener,
    script: Vec<Canned>,
) -> (String, std::sync::Arc<std::sync::Mutex<Vec<String>>>) {
    use std::io::{Read, Write};
    let addr = format!("http://{}", l.local_addr().unwrap());
    let seen = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    let log = seen.clone();
    std::thread::spawn(move || {
        for c in script {
            let Ok((mut conn, _)) = l.accept() else {
                return;
            };
            // read the whole request (headers, then any body) first
            let mut req = Vec::new();
            let mut buf = [0u8; 8192];
            loop {
                let n = conn.read(&mut buf).unwrap_or(0);
                if n == 0 {
                    break;
                }
                req.extend_from_slice(&buf[..n]);
                if let Some(end) = req.windows(4).position(|w| w == b"\r\n\r\n") {
                    let head = String::from_utf8_lossy(&req[..end]).to_ascii_lowercase();
                    let len: usize = head
                        .lines()
                        .find_map(|l| l.strip_prefix("content-length:"))
                        .and_then(|v| v.trim().parse().ok())
                        .unwrap_or(0);
                    if req.len() >= end + 4 + len {
                        break;
                    }
                }
            }
            log.lock()
                .unwrap()
                .push(String::from_utf8_lossy(&req).into_owned());
            let mut out = format!(
                "HTTP/1.1 {}\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n",
                c.status,
                c.body.len()
            );
            for (k, v) in &c.headers {
                out.push_str(&format!("{k}: {v}\r\n"));
            }
            out.push_str("\r\n");
            let mut bytes = out.into_bytes();
            if c.cut {
                bytes.extend_from_slice(&c.body[..c.body.len() / 2]);
            } else {
                bytes.extend_from_slice(&c.body);
            }
            let _ = conn.write_all(&bytes);
        }
    });
    (addr, seen)
}

/// Opens an existing SQLite store file (a workspace's, after `vigil pull`).
pub fn open_store(path: &Path) -> SqliteStore {
    SqliteStore::open(path).expect("open store")
}
