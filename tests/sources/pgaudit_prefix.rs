//! pgAudit lines whose `log_line_prefix` is not the configured one: never
//! lost silently. The source fails at the first such line, the checkpoint
//! waits before it, and once the prefix is fixed the same lines are read;
//! with no prefix configured the common ones are tried and the one used is
//! said.

use std::path::Path;

use vigil_app::ingest::{FileSource, read_file};
use vigil_sources::{ParserOptions, SourceKind};

use crate::common::{events, store};
use vigil_store::Store;

const LOG: &str = "\
2026-11-25 10:00:00.100 UTC [3001] ehr_app@ehr LOG:  AUDIT: SESSION,1,1,READ,SELECT,TABLE,public.patients,SELECT name FROM patients WHERE mrn = 1,<not logged>
2026-11-25 10:00:01.100 UTC [3002] dave@ehr LOG:  AUDIT: SESSION,1,1,DDL,ALTER TABLE,TABLE,public.patients,ALTER TABLE public.patients ADD COLUMN notes text,<not logged>
2026-11-25 10:00:02.100 UTC [3003] mallory@ehr LOG:  AUDIT: SESSION,1,1,READ,SELECT,TABLE,public.patients,\"SELECT name, address
  FROM patients\",<not logged>
";

fn pg(store: &mut dyn Store, prefix: Option<&str>) -> FileSource {
    let id = store.ensure_source("db", "pgaudit").unwrap();
    FileSource {
        id,
        name: "db".into(),
        kind: SourceKind::Pgaudit,
        zone: None,
        options: ParserOptions {
            log_line_prefix: prefix.map(str::to_owned),
            ..ParserOptions::default()
        },
    }
}

fn write(dir: &Path) -> std::path::PathBuf {
    let p = dir.join("postgresql.log");
    std::fs::write(&p, LOG).unwrap();
    p
}

#[test]
fn a_wrong_prefix_stops_the_source_and_the_fixed_one_reads_the_same_lines() {
    let dir = tempfile::tempdir().unwrap();
    let mut s = store(dir.path());
    let f = write(dir.path());
    let wrong = pg(&mut s, Some("%t:%r:%u@%d:[%p]:"));
    let r = read_file(&mut s, &wrong, &f, true, None).unwrap();
    let why = r.error.clone().expect("the source fails");
    assert!(why.contains("log_line_prefix"), "{why}");
    assert!(
        why.contains("%m [%p] %q%u@%d "),
        "the prefix that fits is named: {why}"
    );
    assert_eq!(events(&s, "source:db").len(), 0);
    let q = s.quarantine(Some("db"), 0).unwrap();
    assert_eq!(q.len(), 1, "the line is quarantined with its reason");
    // a second pull with the same setting stops at the same line again
    let r = read_file(&mut s, &wrong, &f, true, None).unwrap();
    assert!(r.error.is_some());
    assert_eq!(events(&s, "source:db").len(), 0);
    // fixed: every line is read, none twice
    let right = pg(&mut s, Some("%m [%p] %q%u@%d "));
    let r = read_file(&mut s, &right, &f, true, None).unwrap();
    assert!(r.error.is_none(), "{:?}", r.error);
    let evs = events(&s, "source:db");
    assert_eq!(evs.len(), 3);
    assert_eq!(evs[2].actor.as_ref().unwrap().as_str(), "mallory");
}

#[test]
fn with_no_prefix_configured_the_common_ones_are_tried_and_named() {
    let dir = tempfile::tempdir().unwrap();
    let mut s = store(dir.path());
    let f = write(dir.path());
    let src = pg(&mut s, None);
    let r = read_file(&mut s, &src, &f, true, None).unwrap();
    assert!(r.error.is_none(), "{:?}", r.error);
    assert_eq!(
        r.notice.as_deref(),
        Some("log_line_prefix detected: \"%m [%p] %q%u@%d \"")
    );
    let evs = events(&s, "source:db");
    assert_eq!(evs.len(), 3);
    assert_eq!(evs[1].action.as_str(), "ddl");
    assert_eq!(evs[1].actor.as_ref().unwrap().as_str(), "dave");
    // a prefix nothing knows fails the source, naming the setting
    let odd = dir.path().join("odd.log");
    std::fs::write(
        &odd,
        "<<10:00>> pid=4 LOG:  AUDIT: SESSION,1,1,READ,SELECT,TABLE,t,select 1,<none>\n",
    )
    .unwrap();
    let r = read_file(&mut s, &src, &odd, true, None).unwrap();
    let why = r.error.expect("fails");
    assert!(why.contains("set the source's log_line_prefix"), "{why}");
}
