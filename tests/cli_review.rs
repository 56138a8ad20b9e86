//! The review commands through the real binary: decide, refusals with exit
//! 1, decide by filter, undo, escalate and incidents, evidence bundles.

mod common;

use common::*;
use vigil::domain::{ItemKind, Severity};
use vigil::store::{NewItem, Store};

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
    let me = vigil::identity::reviewer();
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
