//! The access-report kinds over the real corpus (../shared/corpus): specific
//! records' parsed values, counts checked against an independent count of
//! the raw text, and the malformed samples quarantined with a reason.

use crate::common;

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use common::*;
use vigil_app::ingest::{FileReport, FileSource, read_file};
use vigil_domain::Event;
use vigil_sources::SourceKind;
use vigil_store::{SqliteStore, Store};

fn kind_source(store: &mut SqliteStore, name: &str, kind: SourceKind) -> FileSource {
    let id = store.ensure_source(name, kind.as_str()).expect("source");
    FileSource {
        id,
        name: name.into(),
        kind,
        zone: None,
        options: Default::default(),
    }
}

/// Ingests `files` as a fresh source of `kind`; returns the store and the
/// source's events, oldest first.
fn ingest_as(
    dir: &Path,
    name: &str,
    kind: SourceKind,
    files: &[PathBuf],
) -> (SqliteStore, Vec<Event>, Vec<FileReport>) {
    let mut store = store(dir);
    let src = kind_source(&mut store, name, kind);
    let reports = files
        .iter()
        .map(|f| read_file(&mut store, &src, f, true, None).expect("read"))
        .collect();
    let evs = events(&store, &format!("source:{name}"));
    (store, evs, reports)
}

fn text(e: &Option<vigil_domain::SafeText>) -> &str {
    e.as_ref().map(|t| t.as_str()).unwrap_or("")
}

fn reasons(store: &SqliteStore, name: &str) -> Vec<String> {
    store
        .quarantine(Some(name), 0)
        .unwrap()
        .iter()
        .map(|q| q.reason.as_str().to_owned())
        .collect()
}

/// Distinct `(node, time, serial)` keys in an audit.log, counted from the
/// raw text with a pattern search (not the parser).
fn audit_keys(path: &Path) -> BTreeSet<String> {
    let text = std::fs::read_to_string(path).unwrap();
    let mut keys = BTreeSet::new();
    for line in text.lines() {
        let node = line
            .strip_prefix("node=")
            .and_then(|r| r.split(' ').next())
            .unwrap_or("");
        if let Some(i) = line.find("msg=audit(")
            && let Some(j) = line[i..].find(')')
        {
            keys.insert(format!("{node} {}", &line[i + 10..i + j]));
        }
    }
    keys
}

// ---------------------------------------------------------------- auditd

#[test]
fn auditd_account_tools_with_unquoted_spaces_and_bare_words() {
    let Some(c) = corpus() else { return };
    let dir = tempfile::tempdir().unwrap();
    let f = c.join("auditd/beats__auditd-test__useradd.log");
    let (_s, evs, _) = ingest_as(
        dir.path(),
        "a",
        SourceKind::Auditd,
        std::slice::from_ref(&f),
    );
    assert_eq!(evs.len(), audit_keys(&f).len());
    assert_eq!(evs.len(), 8);
    let group = &evs[0];
    assert_eq!(group.action.as_str(), "group-add");
    assert_eq!(text(&group.subject), "id:1004");
    assert!(text(&group.detail).contains("ADD_GROUP adding group to /etc/group"));
    assert_eq!(text(&group.actor), "uid:1000");
    assert_eq!(
        group.occurred_at.to_rfc3339(),
        "2021-01-17T17:12:33.686+00:00"
    );
    let chauthtok = evs.iter().find(|e| text(&e.subject) == "charlie").unwrap();
    assert!(text(&chauthtok.detail).contains("USER_CHAUTHTOK"));
    let auth = evs.iter().find(|e| e.action.as_str() == "auth").unwrap();
    assert_eq!(text(&auth.actor), "root");
    assert_eq!(auth.outcome.as_str(), "success");
    assert!(text(&auth.detail).contains("via /usr/bin/chfn"));
}

#[test]
fn auditd_interleaved_events_with_node_prefix_are_regrouped() {
    let Some(c) = corpus() else { return };
    let dir = tempfile::tempdir().unwrap();
    let f = c.join("auditd/audit-userspace__auparse__test__test3.log");
    let (_s, evs, _) = ingest_as(
        dir.path(),
        "a",
        SourceKind::Auditd,
        std::slice::from_ref(&f),
    );
    assert_eq!(evs.len(), audit_keys(&f).len());
    assert!(evs.iter().all(|e| text(&e.host) == "auditdtest.a1959.org"));
    // 194435's SYSCALL and its PROCTITLE are three lines apart in the file:
    // one event, with the hex proctitle decoded.
    let e = evs
        .iter()
        .find(|e| e.raw.as_str().contains(":194435)") && e.raw.as_str().contains("SYSCALL"))
        .unwrap();
    assert!(e.raw.as_str().contains("PROCTITLE"));
    assert!(text(&e.detail).contains("proctitle sshd: burn [priv]"));
    assert_eq!(text(&e.actor), "uid:1000");
}

#[test]
fn auditd_serial_wrap_is_not_a_gap_but_lost_records_are() {
    let Some(c) = corpus() else { return };
    let dir = tempfile::tempdir().unwrap();
    let f = c.join("auditd/go-libaudit__testdata__rollover.log");
    let (s, evs, r) = ingest_as(
        dir.path(),
        "wrap",
        SourceKind::Auditd,
        std::slice::from_ref(&f),
    );
    assert_eq!(evs.len(), audit_keys(&f).len());
    assert_eq!(r[0].gaps, 0);
    assert!(s.gaps(Some("wrap")).unwrap().is_empty());

    let dir = tempfile::tempdir().unwrap();
    let f = c.join("auditd/go-libaudit__testdata__lost_messages.log");
    let (s, evs, r) = ingest_as(
        dir.path(),
        "lost",
        SourceKind::Auditd,
        std::slice::from_ref(&f),
    );
    assert_eq!(evs.len(), audit_keys(&f).len());
    assert_eq!(r[0].gaps, 1);
    let gaps = s.gaps(Some("lost")).unwrap();
    assert!(
        gaps[0]
            .reason
            .as_str()
            .contains("serials 50..58 are missing"),
        "{}",
        gaps[0].reason.as_str()
    );
}

#[test]
fn auditd_out_of_order_records_join_their_event() {
    let Some(c) = corpus() else { return };
    let dir = tempfile::tempdir().unwrap();
    let f = c.join("auditd/go-libaudit__testdata__out_of_order.log");
    let (s, evs, _) = ingest_as(
        dir.path(),
        "ooo",
        SourceKind::Auditd,
        std::slice::from_ref(&f),
    );
    assert_eq!(evs.len(), audit_keys(&f).len());
    assert!(s.gaps(Some("ooo")).unwrap().is_empty());
    // Serial 60's last record comes after 61's first: still one event.
    let raw_lines_60: usize = std::fs::read_to_string(&f)
        .unwrap()
        .lines()
        .filter(|l| l.contains(":60)"))
        .count();
    let e60 = evs
        .iter()
        .find(|e| e.raw.as_str().contains(":60)"))
        .unwrap();
    assert_eq!(e60.raw.as_str().matches(":60)").count(), raw_lines_60);
}

#[test]
fn auditd_hex_arguments_stray_quotes_and_comments() {
    let Some(c) = corpus() else { return };
    let dir = tempfile::tempdir().unwrap();
    // No trailing newline; quoted and hex arguments mixed.
    let f = c.join("auditd/beats__auditd-test__execve-hex-arg.log");
    let (_s, evs, _) = ingest_as(dir.path(), "x", SourceKind::Auditd, &[f]);
    assert_eq!(evs.len(), 1);
    assert_eq!(evs[0].action.as_str(), "exec");
    assert!(
        text(&evs[0].detail).contains(r#"ran: sh -c echo \"arg hex encoded\""#),
        "{}",
        text(&evs[0].detail)
    );

    let dir = tempfile::tempdir().unwrap();
    let f = c.join("auditd/go-libaudit__auparse__testdata__audit-ubuntu17.log");
    let (_s, evs, _) = ingest_as(dir.path(), "q", SourceKind::Auditd, &[f]);
    let d = text(&evs[0].detail);
    assert!(d.contains("key exec 64bit"), "{d}");
    assert!(d.contains("[partial: stray quote after key]"), "{d}");

    // The derived file's `# test:` comment lines are not records.
    let dir = tempfile::tempdir().unwrap();
    let f = c.join("auditd/DERIVED__go-libaudit__aucoalesce-testdata-events.log");
    let comments = std::fs::read_to_string(&f)
        .unwrap()
        .lines()
        .filter(|l| l.starts_with('#'))
        .count();
    let (s, evs, _) = ingest_as(
        dir.path(),
        "d",
        SourceKind::Auditd,
        std::slice::from_ref(&f),
    );
    let q = reasons(&s, "d");
    assert_eq!(
        q.iter()
            .filter(|r| r.starts_with("no type= at the start"))
            .count(),
        comments
    );
    // Every other line lands in exactly one event (records of one event are
    // joined with newlines, shown as ⏎).
    let records = std::fs::read_to_string(&f)
        .unwrap()
        .lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
        .count();
    let bad_records = q.len() - comments;
    let in_events: usize = evs
        .iter()
        .map(|e| e.raw.as_str().matches('⏎').count() + 1)
        .sum();
    assert_eq!(in_events + bad_records, records);
    let login = evs
        .iter()
        .find(|e| e.action.as_str() == "login" && text(&e.client) == "46.160.144.250")
        .expect("a failed USER_LOGIN");
    assert_eq!(
        (text(&login.actor), login.outcome.as_str()),
        ("root", "failure")
    );
    // acct=28696E76616C6964207573657229 is hex for "(invalid user)".
    assert!(evs.iter().any(|e| text(&e.actor) == "(invalid user)"));
    assert_eq!(text(&login.client), "46.160.144.250");
}

#[test]
fn auditd_old_rhel6_layouts_and_sudo_commands() {
    let Some(c) = corpus() else { return };
    let dir = tempfile::tempdir().unwrap();
    let f = c.join("auditd/beats__auditd-test__audit-rhel6.log");
    let (_s, evs, _) = ingest_as(dir.path(), "r6", SourceKind::Auditd, &[f]);
    let cmd = evs.iter().find(|e| e.action.as_str() == "sudo").unwrap();
    assert_eq!(text(&cmd.actor), "uid:700");
    assert!(
        text(&cmd.detail).contains("command: /usr/lib64/nagios/plugins/check_asterisk_sip_peers"),
        "{}",
        text(&cmd.detail)
    );
}

// -------------------------------------------------------------- journald

#[test]
fn journald_ndjson_array_and_pretty_entries() {
    let Some(c) = corpus() else { return };
    let dir = tempfile::tempdir().unwrap();
    let nd = c.join("journald/DERIVED__ndjson-one-entry-per-line__from-beats-samples.json");
    let (s, evs, r) = ingest_as(
        dir.path(),
        "j",
        SourceKind::JournaldJson,
        std::slice::from_ref(&nd),
    );
    let lines = std::fs::read_to_string(&nd).unwrap().lines().count();
    assert_eq!(evs.len(), lines);
    assert_eq!(r[0].quarantined, 0);
    // _SOURCE_REALTIME_TIMESTAMP wins over __REALTIME_TIMESTAMP.
    let core = evs
        .iter()
        .find(|e| text(&e.detail).starts_with("Process 3717 (kdeconnectd)"))
        .unwrap();
    assert_eq!(core.occurred_at.timestamp_micros(), 1_719_834_246_841_938);
    assert_eq!(text(&core.host), "millennium-falcon");
    // A byte-array MESSAGE (it holds a \r) is decoded, the \r neutralized.
    let pulse = evs
        .iter()
        .find(|e| text(&e.program) == "pulseaudio")
        .unwrap();
    assert!(text(&pulse.detail).starts_with("Unable to parse indicator of AT+BIA command"));
    assert!(!text(&pulse.detail).contains('\r'));
    drop(s);

    let dir = tempfile::tempdir().unwrap();
    let arr = c.join("journald/beats__journalctl-testdata__corner-cases.json");
    let pretty = c.join("journald/beats__journalctl-testdata__sample-journal-event.json");
    let (_s, evs, r) = ingest_as(dir.path(), "j2", SourceKind::JournaldJson, &[arr, pretty]);
    assert_eq!(evs.len(), 3);
    assert_eq!((r[0].events, r[1].events), (2, 1));
    assert!(r.iter().all(|r| r.quarantined == 0));
}

#[test]
fn journald_trusts_comm_and_uid_not_the_syslog_identifier() {
    let dir = tempfile::tempdir().unwrap();
    let f = dir.path().join("j.json");
    std::fs::write(
        &f,
        concat!(
            r#"{"__CURSOR":"s=1;i=1","__REALTIME_TIMESTAMP":"1700000000000000","_COMM":"sshd","_UID":"0","_HOSTNAME":"bastion","SYSLOG_IDENTIFIER":"sshd","MESSAGE":"Accepted publickey for alice from 10.0.0.5 port 50000 ssh2: ED25519 SHA256:x"}"#,
            "\n",
            r#"{"__CURSOR":"s=1;i=2","__REALTIME_TIMESTAMP":"1700000001000000","_COMM":"logger","_UID":"1000","SYSLOG_IDENTIFIER":"sshd","MESSAGE":"Accepted password for root from 6.6.6.6 port 1 ssh2"}"#,
            "\n",
            r#"{"__CURSOR":"s=1;i=3","__REALTIME_TIMESTAMP":"1700000002000000","_COMM":"sshd","_UID"#,
            "\n",
            r#"{"__CURSOR":"s=1;i=4","__REALTIME_TIMESTAMP":"1700000003000000","_COMM":"sudo","_UID":"0","MESSAGE":"    bob : TTY=pts/0 ; PWD=/home/bob ; USER=root ; COMMAND=/usr/bin/cat /srv/ehr/export.csv","COREDUMP_X":null}"#,
            "\n",
        ),
    )
    .unwrap();
    let (mut s, evs, r) = ingest_as(dir.path(), "j", SourceKind::JournaldJson, &[f]);
    assert_eq!(evs.len(), 3);
    assert_eq!(r[0].quarantined, 1);
    let real = &evs[0];
    assert_eq!(
        (real.action.as_str(), text(&real.actor), text(&real.client)),
        ("login", "alice", "10.0.0.5")
    );
    let spoof = &evs[1];
    assert_eq!(spoof.action.as_str(), "other");
    assert!(
        text(&spoof.detail)
            .starts_with("untrusted: SYSLOG_IDENTIFIER says sshd but _COMM=logger _UID=1000")
    );
    assert!(text(&spoof.actor).is_empty());
    let sudo = &evs[2];
    assert_eq!(
        (sudo.action.as_str(), text(&sudo.actor), text(&sudo.subject)),
        ("sudo", "bob", "root")
    );
    assert!(reasons(&s, "j")[0].contains("inside a JSON string"));
    let id = s.ensure_source("j", "journald-json").unwrap();
    let st = s.streams(id).unwrap();
    assert!(st[0].parser_state.contains("s=1;i=4"));
}

#[test]
fn journald_command_source_resumes_after_its_cursor() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("args.log");
    let script = dir.path().join("fake-journalctl");
    // Prints one entry per run, numbered by how often it has run, and
    // records the arguments it was given.
    std::fs::write(
        &script,
        format!(
            "#!/bin/sh\necho \"$@\" >> {log}\nn=$(wc -l < {log})\nprintf '{{\"__CURSOR\":\"c%s\",\"__REALTIME_TIMESTAMP\":\"170000000%s000000\",\"_COMM\":\"sshd\",\"_UID\":\"0\",\"MESSAGE\":\"Failed password for bob from 10.0.0.%s port 22 ssh2\"}}\\n' $n $n $n\n",
            log = log.display()
        ),
    )
    .unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o755)).unwrap();
    let mut store = store(dir.path());
    let src = kind_source(&mut store, "jc", SourceKind::JournaldJson);
    let argv = vec![script.display().to_string(), "-o".into(), "json".into()];
    for _ in 0..2 {
        let r = vigil_app::ingest::read_command(&mut store, &src, &argv, None).unwrap();
        assert_eq!(r.events, 1, "{r:?}");
    }
    let args = std::fs::read_to_string(&log).unwrap();
    let lines: Vec<&str> = args.lines().collect();
    assert_eq!(lines, vec!["-o json", "-o json --after-cursor=c1"]);
    let evs = events(&store, "source:jc");
    assert_eq!(evs.len(), 2);
    assert_eq!(text(&evs[1].client), "10.0.0.2");
    assert!(evs.iter().all(|e| e.outcome.as_str() == "failure"));
}

// --------------------------------------------------------------- pgaudit

/// The corpus holds client-side copies of pgAudit entries (`NOTICE:  AUDIT:`);
/// a server log has the `log_line_prefix` before `LOG:  AUDIT:`. This puts
/// each entry behind the default prefix, one second apart, and keeps the
/// continuation lines of multi-line statements as they are.
fn pgaudit_server_log(corpus: &Path, out: &Path) -> usize {
    let src = std::fs::read_to_string(
        corpus.join("pgaudit/DERIVED__pgaudit__expected-pgaudit-out__audit-records.txt"),
    )
    .unwrap();
    let mut n = 0;
    let mut text = String::new();
    for line in src.lines() {
        let rest = line
            .strip_prefix("NOTICE:  AUDIT: ")
            .or_else(|| line.strip_prefix("WARNING:  AUDIT: "));
        match rest {
            Some(r) => {
                n += 1;
                text.push_str(&format!(
                    "2024-01-15 14:{:02}:{:02}.123 UTC [4242] LOG:  AUDIT: {r}\n",
                    (n / 60) % 60,
                    n % 60
                ));
            }
            None => {
                text.push_str(line);
                text.push('\n');
            }
        }
    }
    std::fs::write(out, text).unwrap();
    n
}

#[test]
fn pgaudit_every_corpus_entry_with_its_class_and_object() {
    let Some(c) = corpus() else { return };
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("postgresql.log");
    let n = pgaudit_server_log(&c, &log);
    assert_eq!(n, 415);
    let (_s, evs, r) = ingest_as(dir.path(), "pg", SourceKind::Pgaudit, &[log]);
    assert_eq!(evs.len(), n);
    assert_eq!(r[0].quarantined, 0);
    // Classes counted from the raw text with a plain split.
    let raw = std::fs::read_to_string(
        c.join("pgaudit/DERIVED__pgaudit__expected-pgaudit-out__audit-records.txt"),
    )
    .unwrap();
    let mut want: BTreeMap<String, usize> = BTreeMap::new();
    for l in raw.lines().filter(|l| l.contains("  AUDIT: ")) {
        let class = l
            .split("AUDIT: ")
            .nth(1)
            .unwrap()
            .split(',')
            .nth(3)
            .unwrap();
        *want
            .entry(class.to_ascii_lowercase().replace('_', "-"))
            .or_default() += 1;
    }
    let mut got: BTreeMap<String, usize> = BTreeMap::new();
    for e in &evs {
        *got.entry(e.action.as_str().to_owned()).or_default() += 1;
    }
    assert_eq!(got, want);
    // The multi-line CREATE TABLE keeps its object and its whole statement.
    let create = evs
        .iter()
        .find(|e| text(&e.subject) == "public.test" && e.action.as_str() == "ddl")
        .unwrap();
    assert!(
        text(&create.detail).contains("statement: CREATE TABLE public.test⏎(⏎"),
        "{}",
        text(&create.detail)
    );
    assert_eq!(
        create.occurred_at.to_rfc3339(),
        "2024-01-15T14:00:12.123+00:00"
    );
    // Passwords stay redacted as pgAudit wrote them.
    assert!(
        evs.iter()
            .any(|e| text(&e.detail).contains("password <REDACTED>"))
    );
}

#[test]
fn pgaudit_csvlog_rds_prefix_and_zone_abbreviations() {
    let dir = tempfile::tempdir().unwrap();
    let csv = dir.path().join("postgresql.csv");
    std::fs::write(
        &csv,
        concat!(
            "2024-01-15 14:23:01.123 UTC,\"nurse_app\",\"ehr\",4242,\"10.1.2.3:50322\",65a5,1,\"SELECT\",2024-01-15 14:20:00 UTC,3/7,0,LOG,00000,\"AUDIT: OBJECT,3,1,READ,SELECT,TABLE,public.patients,\"\"SELECT name, \"\"\"\"mrn\"\"\"\"\n FROM patients WHERE mrn = $1\"\",<not logged>\",,,,,,,,,\"psql\",\"client backend\",,0\n",
            "2024-01-15 14:23:02.000 UTC,\"nurse_app\",\"ehr\",4242,\"10.1.2.3:50322\",65a5,2,\"idle\",2024-01-15 14:20:00 UTC,3/8,0,LOG,00000,\"connection authorized\",,,,,,,,,\"psql\",\"client backend\",,0\n",
        ),
    )
    .unwrap();
    let (_s, evs, r) = ingest_as(dir.path(), "csv", SourceKind::Pgaudit, &[csv]);
    assert_eq!((evs.len(), r[0].quarantined), (1, 0));
    let e = &evs[0];
    assert_eq!(
        (
            text(&e.actor),
            e.action.as_str(),
            text(&e.subject),
            text(&e.client)
        ),
        ("nurse_app", "read", "public.patients", "10.1.2.3")
    );
    assert!(
        text(&e.detail).contains(r#"SELECT name, "mrn"⏎ FROM patients"#),
        "{}",
        text(&e.detail)
    );

    // RDS's prefix, and a zone only configuration can name.
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("rds.log");
    std::fs::write(
        &log,
        "2024-01-15 15:00:00 CET:10.0.1.9(5000):dba@ehr:[77]:LOG:  AUDIT: SESSION,1,1,ROLE,GRANT,,,GRANT SELECT ON patients TO intern,<none>\n",
    )
    .unwrap();
    let mut store = store(dir.path());
    let mut src = kind_source(&mut store, "rds", SourceKind::Pgaudit);
    src.options.log_line_prefix = Some("%t:%r:%u@%d:[%p]:".into());
    let r = read_file(&mut store, &src, &log, true, None).unwrap();
    assert_eq!((r.events, r.quarantined), (0, 1));
    let q = reasons(&store, "rds");
    assert!(q[0].contains("zone_abbreviations"), "{}", q[0]);

    let dir = tempfile::tempdir().unwrap();
    let mut store = common::store(dir.path());
    let mut src = kind_source(&mut store, "rds", SourceKind::Pgaudit);
    src.options.log_line_prefix = Some("%t:%r:%u@%d:[%p]:".into());
    src.options.zone_abbreviations.insert("CET".into(), 3600);
    let r = read_file(&mut store, &src, &log, true, None).unwrap();
    assert_eq!((r.events, r.quarantined), (1, 0));
    let e = &events(&store, "source:rds")[0];
    assert_eq!(e.occurred_at.to_rfc3339(), "2024-01-15T14:00:00+00:00");
    assert_eq!((text(&e.actor), e.action.as_str()), ("dba", "role"));
}

#[test]
fn pgaudit_statement_open_at_the_end_is_held_then_quarantined() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("pg.log");
    let head = "2024-01-15 14:00:00.000 UTC [1] LOG:  AUDIT: SESSION,1,1,READ,SELECT,TABLE,public.patients,\"SELECT *\n";
    std::fs::write(&log, head).unwrap();
    let mut store = store(dir.path());
    let src = kind_source(&mut store, "pg", SourceKind::Pgaudit);
    // A live file: the open statement waits in the checkpoint.
    let r = read_file(&mut store, &src, &log, false, None).unwrap();
    assert_eq!((r.events, r.quarantined), (0, 0));
    let mut f = std::fs::OpenOptions::new().append(true).open(&log).unwrap();
    use std::io::Write;
    f.write_all(b"FROM patients\",<none>\n2024-01-15 14:00:01.000 UTC [1] LOG:  AUDIT: SESSION,2,1,WRITE,UPDATE,TABLE,public.patients,\"UPDATE\n")
        .unwrap();
    let r = read_file(&mut store, &src, &log, false, None).unwrap();
    assert_eq!((r.events, r.quarantined), (1, 0));
    // The file is finished with the second statement still open.
    let r = read_file(&mut store, &src, &log, true, None).unwrap();
    assert_eq!((r.events, r.quarantined), (0, 1));
    assert!(reasons(&store, "pg")[0].contains("ended inside a quoted statement"));
    let e = &events(&store, "source:pg")[0];
    assert!(text(&e.detail).contains("SELECT *⏎FROM patients"));
}

// ------------------------------------------------------------------ FHIR

fn fhir_examples(c: &Path) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(c.join("fhir"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| {
            p.file_name()
                .unwrap()
                .to_str()
                .unwrap()
                .starts_with("r4-examples__AuditEvent-")
        })
        .collect();
    v.sort();
    v
}

#[test]
fn fhir_examples_as_files_ndjson_and_a_bundle() {
    let Some(c) = corpus() else { return };
    let files = fhir_examples(&c);
    assert_eq!(files.len(), 9);
    let dir = tempfile::tempdir().unwrap();
    let (_s, evs, r) = ingest_as(dir.path(), "f", SourceKind::FhirAuditEvent, &files);
    assert_eq!(evs.len(), 9);
    assert!(r.iter().all(|r| r.quarantined == 0));
    let by_id = |id: &str| {
        evs.iter()
            .find(|e| e.raw.as_str().contains(&format!("\"id\": \"{id}\"")))
            .unwrap()
    };
    let rest = by_id("example-rest");
    assert_eq!(
        (
            text(&rest.actor),
            text(&rest.subject),
            rest.action.as_str(),
            rest.outcome.as_str()
        ),
        ("95", "example", "read", "success")
    );
    assert_eq!(rest.occurred_at.to_rfc3339(), "2013-06-20T23:42:24+00:00");
    let login = by_id("example-login");
    assert_eq!(
        (login.action.as_str(), text(&login.client)),
        ("login", "127.0.0.1")
    );
    let error = by_id("example-error");
    assert_eq!(
        (error.action.as_str(), error.outcome.as_str()),
        ("write", "failure")
    );
    // +11:00 in `recorded`, and no agent marked as the requestor.
    let app = by_id("example");
    assert_eq!(app.occurred_at.to_rfc3339(), "2012-10-25T11:04:27+00:00");
    assert_eq!(text(&app.actor), "Grahame");
    assert!(text(&app.detail).contains("[partial: no agent has requestor=true"));
    // A disclosure for marketing carries its purpose.
    assert!(text(&by_id("example-disclosure").detail).contains("purpose of use: HMARKT"));

    // The same nine as NDJSON (bulk export), and in a searchset Bundle with
    // an `include` and an OperationOutcome entry that are not hits.
    let resources: Vec<serde_json::Value> = files
        .iter()
        .map(|f| serde_json::from_slice(&std::fs::read(f).unwrap()).unwrap())
        .collect();
    let dir = tempfile::tempdir().unwrap();
    let nd = dir.path().join("audit.ndjson");
    let lines: Vec<String> = resources.iter().map(|r| r.to_string()).collect();
    std::fs::write(&nd, lines.join("\n") + "\n").unwrap();
    let mut entries: Vec<serde_json::Value> = resources
        .iter()
        .map(|r| serde_json::json!({"fullUrl": "x", "resource": r, "search": {"mode": "match"}}))
        .collect();
    entries.push(serde_json::json!({"resource": {"resourceType": "Patient", "id": "example"}, "search": {"mode": "include"}}));
    entries.push(serde_json::json!({"resource": {"resourceType": "OperationOutcome"}, "search": {"mode": "outcome"}}));
    let bundle = dir.path().join("bundle.json");
    std::fs::write(
        &bundle,
        serde_json::to_string_pretty(
            &serde_json::json!({"resourceType": "Bundle", "type": "searchset", "entry": entries}),
        )
        .unwrap(),
    )
    .unwrap();
    let warn = c.join("fhir/r4-examples__Bundle-bundle-search-warning.json");
    let (s2, evs2, r) = ingest_as(
        dir.path(),
        "f2",
        SourceKind::FhirAuditEvent,
        &[nd, bundle, warn],
    );
    assert!(reasons(&s2, "f2").is_empty(), "{:?}", reasons(&s2, "f2"));
    assert_eq!(
        r.iter()
            .map(|r| (r.events, r.quarantined))
            .collect::<Vec<_>>(),
        vec![(9, 0), (9, 0), (0, 0)]
    );
    let mut a: Vec<_> = evs
        .iter()
        .map(|e| {
            (
                e.occurred_at,
                text(&e.actor).to_owned(),
                e.action.as_str().to_owned(),
            )
        })
        .collect();
    let mut b: Vec<_> = evs2
        .iter()
        .map(|e| {
            (
                e.occurred_at,
                text(&e.actor).to_owned(),
                e.action.as_str().to_owned(),
            )
        })
        .collect();
    // NDJSON and Bundle each hold the nine.
    a.extend(a.clone());
    a.sort();
    b.sort();
    assert_eq!(a, b);
}

#[test]
fn fhir_break_the_glass_is_a_flag_the_rules_see() {
    let dir = tempfile::tempdir().unwrap();
    let nd = dir.path().join("btg.ndjson");
    std::fs::write(
        &nd,
        concat!(
            r#"{"resourceType":"AuditEvent","type":{"code":"rest"},"subtype":[{"code":"read"}],"action":"R","recorded":"2024-03-01T02:10:00Z","outcome":"0","agent":[{"who":{"identifier":{"value":"nurse1"}},"requestor":true,"purposeOfUse":[{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/v3-ActReason","code":"ETREAT"}]}]}],"source":{"observer":{"display":"ehr"}},"entity":[{"what":{"reference":"Patient/100234"}}]}"#,
            "\n",
            r#"{"resourceType":"AuditEvent","subtype":[{"code":"search-type"}],"recorded":"2024-03-01T02:11:00Z","agent":[{"who":{"reference":"Practitioner/7"},"requestor":true}]}"#,
            "\n",
            r#"{"resourceType":"Observation"}"#,
            "\n",
            "not json\n",
        ),
    )
    .unwrap();
    let (s, evs, r) = ingest_as(dir.path(), "f", SourceKind::FhirAuditEvent, &[nd]);
    assert_eq!((r[0].events, r[0].quarantined), (2, 2));
    // No source.observer though it is required: kept, and marked partial.
    let search = &evs[1];
    assert_eq!(
        (search.action.as_str(), text(&search.actor)),
        ("query", "Practitioner/7")
    );
    assert!(text(&search.detail).contains("[partial: no source.observer"));
    let e = &evs[0];
    assert_eq!((text(&e.actor), text(&e.subject)), ("nurse1", "100234"));
    assert!(text(&e.detail).contains("break-glass"));
    let q = reasons(&s, "f");
    assert!(q.iter().any(|r| r.contains("resourceType is Observation")));
    assert!(q.iter().any(|r| r.contains("not a JSON object")));
}

// ------------------------------------------------------------ CloudTrail

#[test]
fn cloudtrail_documents_records_and_malformed_files() {
    let Some(c) = corpus() else { return };
    let dir = tempfile::tempdir().unwrap();
    let mut files: Vec<PathBuf> = std::fs::read_dir(c.join("cloudtrail"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    files.sort();
    let (s, evs, r) = ingest_as(dir.path(), "ct", SourceKind::Cloudtrail, &files);
    let by_name = |n: &str| {
        r.iter()
            .find(|r| r.path.contains(n))
            .map(|r| (r.events, r.quarantined))
            .unwrap()
    };
    // The invalid-as-published file is one unparsed document, not pieces.
    assert_eq!(by_name("06_INVALID"), (0, 1));
    // userIdentity without an event around it: no eventTime.
    assert_eq!(by_name("useridentity__01"), (0, 1));
    assert_eq!(by_name("08_AwsCloudTrailInsight"), (2, 0));
    let q = reasons(&s, "ct");
    assert!(q.iter().any(|r| r.contains("control character")), "{q:?}");
    let create = evs
        .iter()
        .find(|e| e.action.as_str() == "CreateUser")
        .unwrap();
    assert_eq!(
        (
            text(&create.actor),
            text(&create.subject),
            text(&create.client)
        ),
        ("Alice", "Bob", "127.0.0.1")
    );
    assert_eq!(create.occurred_at.to_rfc3339(), "2014-03-24T21:11:59+00:00");
    let logins: Vec<&Event> = evs
        .iter()
        .filter(|e| e.action.as_str() == "login")
        .collect();
    let failed: Vec<&&Event> = logins
        .iter()
        .filter(|e| e.outcome.as_str() == "failure")
        .collect();
    // Independent count: files whose text says ConsoleLogin … Failure.
    let want_failed = files
        .iter()
        .filter(|f| {
            let t = std::fs::read_to_string(f).unwrap();
            t.contains("\"eventName\": \"ConsoleLogin\"") && t.contains("\"Failure\"")
        })
        .count();
    assert_eq!(failed.len(), want_failed);
    assert!(
        failed
            .iter()
            .all(|e| text(&e.detail).contains("ConsoleLogin"))
    );
    let rotate = evs
        .iter()
        .find(|e| e.action.as_str() == "RotateKey")
        .unwrap();
    assert_eq!(text(&rotate.client), "AWS Internal");
    let root = evs
        .iter()
        .find(|e| e.action.as_str() == "EnableMFADevice")
        .unwrap();
    assert_eq!(text(&root.actor), "root");
}

#[test]
fn cloudtrail_gzip_eventbridge_lookup_and_assumed_roles() {
    let dir = tempfile::tempdir().unwrap();
    let ev = |id: &str, name: &str| {
        serde_json::json!({
            "eventVersion": "1.08",
            "userIdentity": {"type": "AssumedRole", "arn": "arn:aws:sts::1:assumed-role/Admin/jdoe",
                "sessionContext": {"sessionIssuer": {"userName": "Admin"}}},
            "eventTime": "2024-02-01T10:00:00Z", "eventSource": "iam.amazonaws.com",
            "eventName": name, "awsRegion": "us-east-1", "sourceIPAddress": "198.51.100.7",
            "requestParameters": {"roleName": "phi-reader"}, "eventID": id,
            "recipientAccountId": "111122223333"
        })
    };
    let gz = dir
        .path()
        .join("111122223333_CloudTrail_us-east-1_20240201T1005Z_abc.json.gz");
    {
        use std::io::Write;
        let f = std::fs::File::create(&gz).unwrap();
        let mut w = flate2::write::GzEncoder::new(f, flate2::Compression::default());
        w.write_all(
            serde_json::json!({"Records": [ev("a", "AttachRolePolicy"), ev("b", "GetRole")]})
                .to_string()
                .as_bytes(),
        )
        .unwrap();
        w.finish().unwrap();
    }
    let bridge = dir.path().join("eventbridge.json");
    std::fs::write(
        &bridge,
        serde_json::json!({"detail-type": "AWS API Call via CloudTrail", "detail": ev("c", "DeleteRole")}).to_string(),
    )
    .unwrap();
    let lookup = dir.path().join("lookup.json");
    std::fs::write(
        &lookup,
        serde_json::json!({"Events": [{"EventId": "d", "CloudTrailEvent": ev("d", "PutRolePolicy").to_string()}]}).to_string(),
    )
    .unwrap();
    let mut store = store(dir.path());
    let src = kind_source(&mut store, "ct", SourceKind::Cloudtrail);
    let mut got = Vec::new();
    for f in [&gz, &bridge, &lookup] {
        let r = read_file(&mut store, &src, f, true, None).unwrap();
        got.push((r.events, r.quarantined));
    }
    assert_eq!(got, vec![(2, 0), (1, 0), (1, 0)]);
    // A delivered gzip file is read once, even under another name.
    let renamed = dir.path().join("copy.json.gz");
    std::fs::copy(&gz, &renamed).unwrap();
    for f in [&gz, &renamed] {
        let r = read_file(&mut store, &src, f, true, None).unwrap();
        assert_eq!(r.events, 0);
    }
    let evs = events(&store, "source:ct");
    assert_eq!(evs.len(), 4);
    assert!(evs.iter().all(|e| text(&e.actor) == "Admin/jdoe"));
    assert!(evs.iter().all(|e| text(&e.subject) == "phi-reader"));
    assert!(
        evs.iter()
            .all(|e| text(&e.host) == "111122223333/us-east-1")
    );
}
