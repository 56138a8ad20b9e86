//! The review commands through the real binary: decide, refusals with exit
//! 1, decide by filter, undo, escalate and incidents, evidence bundles.

use crate::common;

use common::*;
use vigil_domain::{ItemKind, Severity};
use vigil_store::{NewItem, Store};

fn seeded(dir: &std::path::Path, n: usize) -> String {
    let mut s = store(dir);
    let items: Vec<NewItem> = (0..n)
        .map(|i| NewItem {
            kind: ItemKind::Finding,
            source_id: None,
            occurred_at: "2026-11-20T10:00:00Z".parse().unwrap(),
            actor: Some(format!("nurse{i}")),
            subject: Some("MRN 100234".into()),
            title: format!("nurse{i} opened a VIP chart"),
            severity: if i == 0 {
                Severity::High
            } else {
                Severity::Medium
            },
            group_key: None,
            rules: vec![(
                "vip".into(),
                format!("nurse{i} opened the chart of a VIP patient"),
            )],
            event_ids: vec![],
            score: 0,
            score_note: None,
        })
        .collect();
    s.add_items(&items).unwrap();
    format!("sqlite:{}", dir.join("vigil.db").display())
}

fn json(o: &std::process::Output) -> serde_json::Value {
    serde_json::from_slice(&o.stdout).unwrap_or_else(|e| panic!("{e}: {}", stdout(o)))
}

#[test]
fn decide_refuse_undo_and_decide_by_filter() {
    let home = tempfile::tempdir().unwrap();
    let url = seeded(home.path(), 5);
    let v = |args: &[&str]| {
        let mut all = vec!["--store", url.as_str()];
        all.extend_from_slice(args);
        vigil(home.path(), &all)
    };
    let o = v(&["decide", "1", "--disposition", "benign", "--format", "json"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert_eq!(json(&o)[0]["result"], "done");
    let o = v(&["decide", "1", "-d", "false-positive"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(
        stdout(&o).contains("already decided (benign) by"),
        "{}",
        stdout(&o)
    );
    let o = v(&["decide", "2", "-d", "violation"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(stdout(&o).contains("requires a note"), "{}", stdout(&o));
    // undo my latest decision
    let o = v(&["undo", "--format", "json"]);
    assert_eq!(o.status.code(), Some(0), "{}", stdout(&o));
    assert_eq!(json(&o)[0]["item"], 1);
    // everything new, in one transaction
    let o = v(&[
        "decide",
        "--filter",
        "status:new",
        "-d",
        "benign",
        "--format",
        "json",
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", stdout(&o));
    assert_eq!(json(&o).as_array().unwrap().len(), 5);
    let q = json(&v(&["queue", "--format", "json"]));
    assert!(
        q.as_array()
            .unwrap()
            .iter()
            .all(|i| i["status"] == "decided" && i["disposition"] == "benign")
    );
    // one by one, reported as each is saved
    let o = v(&["decide", "3", "4", "-d", "duplicate", "--reopen", "--each"]);
    assert_eq!(
        stdout(&o)
            .lines()
            .filter(|l| l.starts_with("saved "))
            .count(),
        2
    );
    let o = v(&["show", "3"]);
    assert!(
        stdout(&o).contains("nurse2 opened the chart of a VIP patient"),
        "{}",
        stdout(&o)
    );
    assert!(stdout(&o).contains("reopen"));
    assert_eq!(v(&["verify"]).status.code(), Some(0));
    let o = v(&["decide", "--filter", "colour:red", "-d", "benign"]);
    assert_eq!(o.status.code(), Some(2));
}

#[test]
fn claims_escalation_incident_and_bundle() {
    let home = tempfile::tempdir().unwrap();
    let url = seeded(home.path(), 3);
    let v = |args: &[&str]| {
        let mut all = vec!["--store", url.as_str()];
        all.extend_from_slice(args);
        vigil(home.path(), &all)
    };
    assert_eq!(v(&["claim", "1"]).status.code(), Some(0));
    let q = json(&v(&["queue", "--status", "claimed", "--format", "json"]));
    assert_eq!(q.as_array().unwrap().len(), 1);
    assert!(q[0]["claimed_by"].is_string());
    assert_eq!(v(&["release", "1"]).status.code(), Some(0));
    let o = v(&[
        "escalate",
        "1",
        "2",
        "--assignee",
        "carol",
        "--note",
        "same nurse, two VIPs",
        "--format",
        "json",
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let inc = json(&o);
    assert_eq!(inc[0]["severity"], "high", "the items' highest severity");
    assert_eq!(inc[0]["item_ids"], serde_json::json!([1, 2]));
    let o = v(&[
        "incident",
        "update",
        "1",
        "--status",
        "closed",
        "--outcome",
        "retrained",
    ]);
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr(&o).contains("risk register"), "{}", stderr(&o));
    let o = v(&[
        "incident",
        "update",
        "1",
        "--status",
        "closed",
        "--outcome",
        "retrained",
        "--risk-update",
        "no",
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let o = v(&["incident", "show", "1"]);
    assert!(stdout(&o).contains("same nurse, two VIPs"));
    assert!(stdout(&o).contains("risk register update needed: no"));

    let tar = home.path().join("case-1.tar");
    let o = v(&["export-case", "1", "--output", tar.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    use std::os::unix::fs::PermissionsExt;
    let mode = std::fs::metadata(&tar).unwrap().permissions().mode();
    assert_eq!(mode & 0o777, 0o600, "the bundle holds PHI: owner only");
    let digest = stdout(&o).split_whitespace().next().unwrap().to_owned();
    assert_eq!(
        v(&["check-case", tar.to_str().unwrap()]).status.code(),
        Some(0)
    );
    assert_eq!(
        v(&["check-case", tar.to_str().unwrap(), "--digest", &digest])
            .status
            .code(),
        Some(0)
    );
    let mut bytes = std::fs::read(&tar).unwrap();
    let at = bytes.windows(4).position(|w| w == b"VIP ").unwrap();
    bytes[at] = b'v';
    std::fs::write(&tar, &bytes).unwrap();
    let o = v(&["check-case", tar.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(1));
    assert!(stdout(&o).contains("NOT intact"), "{}", stdout(&o));
    assert_eq!(v(&["verify"]).status.code(), Some(0));
}

#[test]
fn sanctions_need_a_configured_viewer() {
    let home = tempfile::tempdir().unwrap();
    let url = seeded(home.path(), 1);
    let me = vigil_domain::identity::reviewer();
    let cfg = home.path().join("config.toml");
    write_private(
        &cfg,
        &format!("[store]\nurl = \"{url}\"\n[sanctions]\nviewers = [\"{me}\"]\n"),
    );
    let c = cfg.to_str().unwrap();
    let o = vigil(
        home.path(),
        &[
            "--config",
            c,
            "sanction",
            "add",
            "--member",
            "nurse0",
            "--category",
            "snooping",
            "--tier",
            "2",
            "--sanction",
            "written warning",
            "--notice-sent",
        ],
    );
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let o = vigil(
        home.path(),
        &[
            "--config",
            c,
            "sanction",
            "add",
            "--member",
            "nurse9",
            "--category",
            "snooping",
            "--tier",
            "2",
            "--sanction",
            "suspension",
        ],
    );
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr(&o).contains("written warning"), "{}", stderr(&o));
    let o = vigil(
        home.path(),
        &["--config", c, "sanction", "list", "--format", "json"],
    );
    assert_eq!(json(&o).as_array().unwrap().len(), 1);
    // without the config, nobody may see them
    let o = vigil(home.path(), &["--store", &url, "sanction", "list"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr(&o).contains("restricted"));
}

#[test]
fn a_decision_id_reused_for_another_item_is_an_error_naming_both() {
    let home = tempfile::tempdir().unwrap();
    let url = seeded(home.path(), 6);
    let v = |args: &[&str]| {
        let mut all = vec!["--store", url.as_str()];
        all.extend_from_slice(args);
        vigil(home.path(), &all)
    };
    let id = "0d5b4f7e-8a0c-4d55-9d35-5c1a2b3c4d5e";
    let o = v(&["decide", "5", "-d", "benign", "--decision-id", id]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    // the same id for the same item: a retry, recorded once
    let o = v(&["decide", "5", "-d", "benign", "--decision-id", id]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let o = v(&["decide", "6", "-d", "benign", "--decision-id", id]);
    assert_eq!(o.status.code(), Some(1), "{}", stdout(&o));
    let err = stderr(&o);
    assert!(err.contains("item 5") && err.contains("item 6"), "{err}");
    let q = json(&v(&["queue", "--status", "new", "--format", "json"]));
    assert!(
        q.as_array().unwrap().iter().any(|i| i["id"] == 6),
        "item 6 stays undecided"
    );
}

#[test]
fn a_closed_stdout_ends_a_command_quietly_and_huge_filters_are_usage_errors() {
    let home = tempfile::tempdir().unwrap();
    let url = seeded(home.path(), 3);
    for args in [vec!["show", "1"], vec!["queue"], vec!["verify"]] {
        let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_vigil"))
            .args(["--store", url.as_str()])
            .args(&args)
            .env("HOME", home.path())
            .env("XDG_STATE_HOME", home.path().join("state"))
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        // the reader goes away before vigil writes a byte
        drop(child.stdout.take());
        let out = child.wait_with_output().unwrap();
        let code = out.status.code();
        let signal = std::os::unix::process::ExitStatusExt::signal(&out.status);
        assert!(
            code == Some(0) || signal == Some(libc::SIGPIPE),
            "{args:?}: {:?} {}",
            out.status,
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(!String::from_utf8_lossy(&out.stderr).contains("panicked"));
    }
    let many: Vec<String> = (0..3000).map(|i| format!("actor:a{i}")).collect();
    let o = vigil(
        home.path(),
        &["--store", &url, "queue", "--filter", &many.join(" ")],
    );
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(stderr(&o).contains("at most 200"), "{}", stderr(&o));
    let long = format!("actor:{}", "x".repeat(60_000));
    let o = vigil(home.path(), &["--store", &url, "events", "--filter", &long]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
}

#[test]
fn a_store_others_can_read_or_write_is_refused_with_the_fix() {
    use std::os::unix::fs::PermissionsExt;
    let home = tempfile::tempdir().unwrap();
    let url = seeded(home.path(), 1);
    let db = home.path().join("vigil.db");
    assert_eq!(
        std::fs::metadata(&db).unwrap().permissions().mode() & 0o777,
        0o600,
        "a new store is private"
    );
    for mode in [0o644, 0o660, 0o606] {
        std::fs::set_permissions(&db, std::fs::Permissions::from_mode(mode)).unwrap();
        let o = vigil(home.path(), &["--store", &url, "queue"]);
        assert_eq!(o.status.code(), Some(1), "{mode:o}: {}", stderr(&o));
        assert!(
            stderr(&o).contains(&format!("chmod 600 {}", db.display())),
            "{}",
            stderr(&o)
        );
    }
    std::fs::set_permissions(&db, std::fs::Permissions::from_mode(0o600)).unwrap();
    let wal = home
        .path()
        .join(format!("{}-wal", db.file_name().unwrap().to_str().unwrap()));
    if wal.exists() {
        std::fs::set_permissions(&wal, std::fs::Permissions::from_mode(0o644)).unwrap();
        let o = vigil(home.path(), &["--store", &url, "queue"]);
        assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
        std::fs::set_permissions(&wal, std::fs::Permissions::from_mode(0o600)).unwrap();
    }
    let o = vigil(home.path(), &["--store", &url, "queue"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
}

#[test]
fn an_item_links_at_most_a_thousand_events_however_the_log_is_split() {
    let home = tempfile::tempdir().unwrap();
    let url = format!("sqlite:{}", home.path().join("vigil.db").display());
    let log = home.path().join("auth.log");
    let line = |n: u32| {
        format!(
            "Nov 20 10:{:02}:{:02} h sshd[{n}]: Invalid user ghost from 203.0.113.9 port {n}\n",
            (n / 60) % 60,
            n % 60
        )
    };
    // one scanner's day, read in two halves by two runs
    std::fs::write(&log, (1..=900).map(line).collect::<String>()).unwrap();
    let ingest = || {
        vigil(
            home.path(),
            &[
                "--store",
                &url,
                "ingest",
                "--kind",
                "syslog",
                log.to_str().unwrap(),
            ],
        )
    };
    let o = ingest();
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let mut f = std::fs::OpenOptions::new().append(true).open(&log).unwrap();
    std::io::Write::write_all(
        &mut f,
        (901..=2000).map(line).collect::<String>().as_bytes(),
    )
    .unwrap();
    let o = ingest();
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let s = open_url(&url);
    let items = s.items(&vigil_domain::query::Query::default(), 0).unwrap();
    assert!(!items.is_empty());
    for i in &items {
        let it = s.item(i.id).unwrap().unwrap();
        assert!(
            it.event_ids.len() <= 1000,
            "item {} links {}",
            i.id,
            it.event_ids.len()
        );
    }
    assert!(
        items
            .iter()
            .any(|i| s.item(i.id).unwrap().unwrap().event_ids.len() == 1000),
        "the scanner's item is full"
    );
}

/// What an item is, for comparing two stores' queues.
fn queue_of(url: &str) -> Vec<String> {
    let s = open_url(url);
    let mut out: Vec<String> = s
        .items(&vigil_domain::query::Query::default(), 0)
        .unwrap()
        .iter()
        .map(|i| {
            let it = s.item(i.id).unwrap().unwrap();
            let rules: Vec<String> = it
                .rules
                .iter()
                .map(|r| format!("{}={}", r.rule, r.reason.as_str()))
                .collect();
            format!(
                "{} {} {} {:?} {:?} events={} rules={rules:?}",
                it.kind,
                it.severity,
                it.title.as_str(),
                it.actor.as_ref().map(|a| a.as_str().to_owned()),
                it.subject.as_ref().map(|a| a.as_str().to_owned()),
                it.event_ids.len(),
            )
        })
        .collect();
    out.sort();
    out
}

#[test]
fn items_after_crashes_and_resumes_equal_those_of_an_uninterrupted_run() {
    let home = tempfile::tempdir().unwrap();
    let log = home.path().join("auth.log");
    let mut f = std::fs::File::create(&log).unwrap();
    vigil_app::demo::authlog::write_bench_log(
        &mut f,
        30_000,
        7,
        "2026-11-20T00:00:00Z".parse().unwrap(),
        vigil_app::demo::authlog::Header::Rfc3339,
    )
    .unwrap();
    drop(f);
    let run = |url: &str| {
        let mut c = std::process::Command::new(env!("CARGO_BIN_EXE_vigil"));
        c.args([
            "--store",
            url,
            "ingest",
            "--kind",
            "syslog",
            log.to_str().unwrap(),
        ])
        .env("HOME", home.path())
        .env("XDG_STATE_HOME", home.path().join("state"))
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null());
        c
    };
    let whole = format!("sqlite:{}", home.path().join("whole.db").display());
    let started = std::time::Instant::now();
    assert!(run(&whole).status().unwrap().success());
    let took = started.elapsed().as_micros() as u64;
    let expected = queue_of(&whole);
    assert!(expected.len() > 20, "{expected:?}");

    let mut rng = vigil_domain::rng::Rng::new(20261201);
    for trial in 0..3 {
        let url = format!(
            "sqlite:{}",
            home.path().join(format!("crash{trial}.db")).display()
        );
        for _ in 0..4 {
            let mut child = run(&url).spawn().unwrap();
            std::thread::sleep(std::time::Duration::from_micros(rng.below(took.max(1))));
            let _ = child.kill(); // SIGKILL
            let _ = child.wait();
        }
        assert!(run(&url).status().unwrap().success());
        let got = queue_of(&url);
        let missing: Vec<&String> = expected.iter().filter(|i| !got.contains(i)).collect();
        let extra: Vec<&String> = got.iter().filter(|i| !expected.contains(i)).collect();
        assert!(
            missing.is_empty() && extra.is_empty(),
            "trial {trial}: after crashes the queue differs.\nmissing: {missing:#?}\nextra: {extra:#?}"
        );
    }
}
