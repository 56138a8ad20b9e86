//! The real binary: configuration errors and their exit codes, the demo
//! workspace, the listings' formats, and the defaults with no config.

use crate::common;

use std::os::unix::fs::PermissionsExt;

use common::*;

#[test]
fn a_bad_config_line_names_file_line_and_fix_and_exits_2() {
    let home = tempfile::tempdir().unwrap();
    let cfg = home.path().join("config.toml");
    write_private(
        &cfg,
        "[store]\nurl = \"sqlite:v.db\"\n\n[[source]]\nname = \"auth\"\nkind = \"sylog\"\npath = \"/var/log/auth.log\"\n",
    );
    let o = vigil(home.path(), &["--config", cfg.to_str().unwrap(), "sources"]);
    assert_eq!(o.status.code(), Some(2));
    let err = stderr(&o);
    assert!(
        err.contains(&format!("config error in {}, line 6", cfg.display())),
        "{err}"
    );
    assert!(err.contains("use one of: syslog"), "{err}");

    write_private(&cfg, "[store]\nurl = \"sqlite:v.db\"\nflavour = \"x\"\n");
    let o = vigil(home.path(), &["--config", cfg.to_str().unwrap(), "events"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("line 3: unknown field `flavour`"),
        "{}",
        stderr(&o)
    );
}

#[test]
fn a_config_others_can_read_is_refused_with_the_chmod() {
    let home = tempfile::tempdir().unwrap();
    let cfg = home.path().join("config.toml");
    write_private(&cfg, "[store]\nurl = \"sqlite:v.db\"\n");
    std::fs::set_permissions(&cfg, std::fs::Permissions::from_mode(0o644)).unwrap();
    let o = vigil(home.path(), &["--config", cfg.to_str().unwrap(), "sources"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains(&format!("chmod 600 {}", cfg.display())),
        "{}",
        stderr(&o)
    );
    // and the same through the environment variable
    let o = std::process::Command::new(env!("CARGO_BIN_EXE_vigil"))
        .arg("sources")
        .env("VIGIL_CONFIG", &cfg)
        .env("XDG_STATE_HOME", home.path().join("state"))
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2));
}

#[test]
fn a_missing_explicit_config_and_a_bad_filter_are_usage_errors() {
    let home = tempfile::tempdir().unwrap();
    let o = vigil(
        home.path(),
        &["--config", "/nonexistent/vigil.toml", "sources"],
    );
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("does not exist"));
    let o = vigil(home.path(), &["events", "--filter", "colour:red"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("unknown field \"colour\""),
        "{}",
        stderr(&o)
    );
    let o = vigil(home.path(), &["queue", "--status", "open"]);
    assert_eq!(o.status.code(), Some(2));
}

#[test]
fn with_no_config_vigil_uses_a_local_store_and_says_how_to_configure() {
    let home = tempfile::tempdir().unwrap();
    let o = vigil(home.path(), &[]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(stderr(&o).contains("no config at"), "{}", stderr(&o));
    assert!(stderr(&o).contains("`vigil init` writes"), "{}", stderr(&o));
    assert!(home.path().join("data/vigil/vigil.db").exists());
    let o = vigil(home.path(), &["store", "migrate"]);
    // the newest schema is the count of SQLite migrations
    let newest = std::fs::read_dir(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("crates/vigil-store/src/migrations/sqlite"),
    )
    .unwrap()
    .count();
    let want = format!("is up to date at schema version {newest}");
    assert!(stdout(&o).contains(&want), "{}", stdout(&o));
}

#[test]
fn demo_workspace_end_to_end() {
    let home = tempfile::tempdir().unwrap();
    let dir = home.path().join("demo");
    let o = vigil(
        home.path(),
        &["demo", "--no-tui", "--dir", dir.to_str().unwrap()],
    );
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let cfg = dir.join("config.toml");
    let mode = std::fs::metadata(&cfg).unwrap().permissions().mode();
    assert_eq!(mode & 0o077, 0);
    let c = cfg.to_str().unwrap();

    // the one who ran the demo may see its sanctions register
    let o = vigil(
        home.path(),
        &["--config", c, "sanction", "list", "--format", "json"],
    );
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(
        serde_json::from_slice::<serde_json::Value>(&o.stdout)
            .unwrap()
            .is_array()
    );
    // the risk register in JSON: arrays are arrays, ratings numbers
    let o = vigil(
        home.path(),
        &["--config", c, "risk", "list", "--format", "json"],
    );
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let first = &v[0];
    assert!(
        first["sources"].is_array() && first["safeguards"].is_array(),
        "{first}"
    );
    assert!(
        first["inherent"]["rating"].is_i64() && first["inherent"]["level"].is_string(),
        "{first}"
    );
    // a ledger entry's payload is JSON, not JSON in a string
    let o = vigil(
        home.path(),
        &["--config", c, "policy", "history", "--format", "json"],
    );
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert!(v[0]["payload"].is_object(), "{v}");

    let o = vigil(home.path(), &["--config", c, "sources", "--format", "json"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let rows = v.as_array().unwrap();
    assert_eq!(rows.len(), 10);
    let kinds: std::collections::BTreeSet<&str> =
        rows.iter().map(|r| r["kind"].as_str().unwrap()).collect();
    assert_eq!(kinds.len(), 9, "every kind is in the demo: {kinds:?}");
    // (clinical context holds encounters, not events: it explains the
    // accesses of the others)
    let context =
        |r: &serde_json::Value| matches!(r["kind"].as_str(), Some("adt-csv" | "fhir-encounter"));
    for r in rows {
        assert_eq!(r["health"], "ok", "{r}");
        if context(r) {
            assert!(r["checkpoint"][0]["records"].as_u64().unwrap() >= 1, "{r}");
            continue;
        }
        assert!(r["events"].as_u64().unwrap() >= 5, "{r}");
    }
    // Each source has something worth a look: one of its events is in an
    // item a rule raised (not only in the random sample).
    let o = vigil(
        home.path(),
        &["--config", c, "queue", "--format", "json", "--limit", "0"],
    );
    let items: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let flagged: std::collections::BTreeSet<i64> = items
        .as_array()
        .unwrap()
        .iter()
        .filter(|i| {
            i["rules"]
                .as_array()
                .unwrap()
                .iter()
                .any(|r| r["rule"] != "sample")
        })
        .flat_map(|i| {
            i["event_ids"]
                .as_array()
                .unwrap()
                .iter()
                .map(|e| e.as_i64().unwrap())
        })
        .collect();
    for r in rows.iter().filter(|r| !context(r)) {
        let name = r["name"].as_str().unwrap();
        let o = vigil(
            home.path(),
            &[
                "--config",
                c,
                "events",
                "--filter",
                &format!("source:{name}"),
                "--format",
                "json",
                "--limit",
                "0",
            ],
        );
        let evs: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
        assert!(
            evs.as_array()
                .unwrap()
                .iter()
                .any(|e| flagged.contains(&e["id"].as_i64().unwrap())),
            "nothing flagged in {name}"
        );
    }
    let ehr = rows.iter().find(|r| r["name"] == "ehr-app-secure").unwrap();
    assert_eq!(ehr["quarantined"], 1);

    // the guessing burst, the off-hours root shell and the refused sudo are there
    let o = vigil(
        home.path(),
        &[
            "--config",
            c,
            "events",
            "--filter",
            "client:203.0.113.45 outcome:failure",
            "--count",
        ],
    );
    assert!(
        stdout(&o).trim().parse::<u64>().unwrap() >= 40,
        "{}",
        stdout(&o)
    );
    let o = vigil(
        home.path(),
        &[
            "--config",
            c,
            "events",
            "--filter",
            "client:203.0.113.45 outcome:failure",
            "--count",
            "--format",
            "json",
        ],
    );
    let v: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
    assert!(v["count"].as_u64().unwrap() >= 40, "{v}");
    let o = vigil(
        home.path(),
        &[
            "--config",
            c,
            "events",
            "--filter",
            "actor:dave client:185.220.101.7",
            "--format",
            "json",
        ],
    );
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v[0]["action"], "login");
    for field in [
        "id",
        "source",
        "kind",
        "occurred_at",
        "host",
        "actor",
        "subject",
        "action",
        "outcome",
        "client",
        "raw",
    ] {
        assert!(v[0].get(field).is_some(), "missing {field}");
    }
    let o = vigil(
        home.path(),
        &[
            "--config",
            c,
            "events",
            "--filter",
            "actor:mallory action:sudo",
            "--format",
            "csv",
        ],
    );
    let text = stdout(&o);
    assert!(
        text.starts_with(
            "id,occurred_at,source,kind,host,actor,action,outcome,client,subject,raw\n"
        ),
        "{text}"
    );
    assert!(text.contains("failure"), "{text}");

    // the hostile user name reaches the terminal only as visible escapes
    let o = vigil(home.path(), &["--config", c, "events", "--filter", "pwned"]);
    let out = stdout(&o);
    assert!(out.contains("^[]0;you have been pwned^G"), "{out}");
    assert!(!out.contains('\u{1b}'));

    // pulling again finds nothing new
    let o = vigil(home.path(), &["--config", c, "pull", "--format", "json"]);
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert!(
        v.as_array().unwrap().iter().all(|r| r["events"] == 0),
        "{v}"
    );

    // the rules turned it into review items with reasons
    let o = vigil(home.path(), &["--config", c, "queue", "--format", "json"]);
    assert_eq!(o.status.code(), Some(0));
    let q: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let rules: Vec<&str> = q
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|i| {
            i["rules"]
                .as_array()
                .unwrap()
                .iter()
                .map(|r| r["rule"].as_str().unwrap())
        })
        .collect();
    for expected in [
        "failed-burst",
        "success-after-failures",
        "privileged",
        "after-hours",
        "unknown-account",
    ] {
        assert!(rules.contains(&expected), "no {expected} item in {rules:?}");
    }
    let o = vigil(home.path(), &["--config", c, "verify"]);
    assert_eq!(o.status.code(), Some(0));

    // a second demo in the same folder starts afresh; a foreign folder is refused
    let o = vigil(
        home.path(),
        &["demo", "--no-tui", "--dir", dir.to_str().unwrap()],
    );
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let foreign = home.path().join("foreign");
    std::fs::create_dir_all(&foreign).unwrap();
    std::fs::write(foreign.join("precious.txt"), "x").unwrap();
    let o = vigil(
        home.path(),
        &["demo", "--no-tui", "--dir", foreign.to_str().unwrap()],
    );
    assert_ne!(o.status.code(), Some(0));
    assert!(foreign.join("precious.txt").exists());
}

#[test]
fn ingest_reports_per_file_and_unreadable_files_do_not_stop_the_rest() {
    let home = tempfile::tempdir().unwrap();
    let log = home.path().join("auth.log");
    std::fs::write(
        &log,
        "Nov 20 10:00:00 h sshd[1]: Accepted password for a from 10.0.0.1 port 1 ssh2\n",
    )
    .unwrap();
    let db = format!("sqlite:{}", home.path().join("v.db").display());
    let o = vigil(
        home.path(),
        &[
            "--store",
            &db,
            "ingest",
            "--kind",
            "syslog",
            "/nonexistent.log",
            log.to_str().unwrap(),
            "--format",
            "json",
        ],
    );
    assert_eq!(o.status.code(), Some(1));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert!(v[0]["note"].as_str().unwrap().starts_with("error"));
    assert_eq!(v[1]["events"], 1);
    // the progress bar is for a terminal: piped, nothing is drawn
    assert!(
        !stderr(&o).contains('\u{1b}') && !stderr(&o).contains("eta"),
        "{}",
        stderr(&o)
    );
    let o = vigil(
        home.path(),
        &[
            "--store",
            &db,
            "ingest",
            "--kind",
            "jira",
            log.to_str().unwrap(),
        ],
    );
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("is read from its API, not from files"),
        "{}",
        stderr(&o)
    );
}

#[test]
fn the_risk_register_from_the_command_line() {
    let home = tempfile::tempdir().unwrap();
    let add = vigil(
        home.path(),
        &[
            "risk",
            "add",
            "--asset",
            "EHR database",
            "--source",
            "ehr-db",
            "--threat",
            "snooping",
            "--vulnerability",
            "broad grants",
            "--likelihood",
            "likely",
            "--impact",
            "5",
            "--planned",
            "row-level grants;dba;2027-01-31",
            "--format",
            "json",
        ],
    );
    assert_eq!(add.status.code(), Some(0), "{}", stderr(&add));
    let v: serde_json::Value = serde_json::from_slice(&add.stdout).unwrap();
    assert_eq!(v[0]["inherent"]["rating"], 20, "{v}");
    assert_eq!(v[0]["inherent"]["level"], "critical", "{v}");
    assert_eq!(v[0]["sources"], serde_json::json!(["ehr-db"]), "{v}");
    let refused = vigil(home.path(), &["risk", "accept", "1"]);
    assert_eq!(refused.status.code(), Some(1));
    assert!(
        stderr(&refused).contains("assess the residual risk"),
        "{}",
        stderr(&refused)
    );
    let bad = vigil(
        home.path(),
        &[
            "risk",
            "add",
            "--asset",
            "x",
            "--threat",
            "y",
            "--vulnerability",
            "z",
            "--likelihood",
            "often",
            "--impact",
            "1",
        ],
    );
    assert!(
        stderr(&bad).contains("use 1-5 or one of rare"),
        "{}",
        stderr(&bad)
    );
    let upd = vigil(
        home.path(),
        &[
            "risk",
            "update",
            "1",
            "--residual-likelihood",
            "2",
            "--residual-impact",
            "major",
            "--treatment",
            "accept",
            "--accept",
        ],
    );
    assert_eq!(upd.status.code(), Some(0), "{}", stderr(&upd));
    assert!(stdout(&upd).contains("8 medium"), "{}", stdout(&upd));
    let list = vigil(home.path(), &["risk", "list", "--format", "csv"]);
    assert_eq!(stdout(&list).lines().count(), 2, "{}", stdout(&list));
    let before = vigil(
        home.path(),
        &["risk", "list", "--as-of", "2000-01-01", "--format", "csv"],
    );
    assert_eq!(
        stdout(&before).lines().count(),
        1,
        "only the header: {}",
        stdout(&before)
    );
    let history = vigil(home.path(), &["risk", "history", "1", "--format", "csv"]);
    let h = stdout(&history);
    assert!(h.contains("risk.add") && h.contains("risk.accept"), "{h}");
    assert_eq!(vigil(home.path(), &["verify"]).status.code(), Some(0));
}

#[test]
fn a_changed_review_policy_is_recorded_and_reports_say_which_was_in_force() {
    let home = tempfile::tempdir().unwrap();
    let cfg = home.path().join("vigil.toml");
    let log = home.path().join("auth.log");
    std::fs::write(
        &log,
        "2026-11-20T10:00:00+00:00 h sshd[1]: Accepted password for a from 10.0.0.1 port 1 ssh2\n",
    )
    .unwrap();
    let config = |cadence: &str| {
        format!(
            "[store]\nurl = \"v.db\"\n\n[reviewer]\nnotes_required = [\"violation\"]\n\n[[source]]\nname = \"auth\"\nkind = \"syslog\"\npath = \"{}\"\ncadence = \"{cadence}\"\n",
            log.display()
        )
    };
    write_private(&cfg, &config("daily"));
    let c = cfg.to_str().unwrap();
    let pull = vigil(home.path(), &["--config", c, "pull"]);
    assert_eq!(pull.status.code(), Some(0), "{}", stderr(&pull));
    // the same policy again: no new version
    vigil(home.path(), &["--config", c, "pull"]);
    let history = |h: &std::path::Path| {
        stdout(&vigil(
            h,
            &["--config", c, "policy", "history", "--format", "csv"],
        ))
    };
    assert_eq!(
        history(home.path()).lines().count(),
        2,
        "{}",
        history(home.path())
    );
    // the cadence changes: a second version
    write_private(&cfg, &config("weekly"));
    vigil(home.path(), &["--config", c, "pull"]);
    let h = history(home.path());
    assert_eq!(h.lines().count(), 3, "{h}");
    let shown = stdout(&vigil(
        home.path(),
        &["--config", c, "policy", "show", "--format", "json"],
    ));
    assert!(
        shown.contains("\"cadence\": \"weekly\"") && shown.contains("notes_required"),
        "{shown}"
    );
    // a table: one setting a row, by its path
    let table = stdout(&vigil(home.path(), &["--config", c, "policy", "show"]));
    assert!(
        table.starts_with("SETTING")
            && table
                .lines()
                .any(|l| l.contains("cadence") && l.ends_with("weekly")),
        "{table}"
    );
    assert!(
        !shown.contains("v.db") && !shown.contains("auth.log"),
        "no locations: {shown}"
    );
    let past = vigil(
        home.path(),
        &["--config", c, "policy", "show", "--as-of", "2000-01-01"],
    );
    assert_eq!(past.status.code(), Some(1));
    let report = stdout(&vigil(
        home.path(),
        &[
            "--config",
            c,
            "report",
            "--from",
            "2026-11-20",
            "--to",
            "2030-01-01",
        ],
    ));
    let newest = h.lines().last().unwrap().rsplit(',').next().unwrap();
    assert!(
        report.contains(&format!("version {} in force", &newest[..16])),
        "{report}"
    );
    assert_eq!(
        vigil(home.path(), &["--config", c, "verify"]).status.code(),
        Some(0)
    );
}

#[test]
fn a_fhir_source_needs_its_server_url() {
    let home = tempfile::tempdir().unwrap();
    let cfg = home.path().join("vigil.toml");
    write_private(
        &cfg,
        "[[source]]\nname = \"fhir\"\nkind = \"fhir\"\ntoken_env = \"FHIR_TOKEN\"\n",
    );
    let o = vigil(home.path(), &["--config", cfg.to_str().unwrap(), "sources"]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("line 1") && stderr(&o).contains("url = \"https://"),
        "{}",
        stderr(&o)
    );
    // with its url, a pull that cannot reach it reports the source as down
    write_private(
        &cfg,
        "[store]\nurl = \"v.db\"\n\n[[source]]\nname = \"fhir\"\nkind = \"fhir\"\nurl = \"http://127.0.0.1:9/baseR4\"\n",
    );
    let o = vigil(
        home.path(),
        &[
            "--config",
            cfg.to_str().unwrap(),
            "sources",
            "--format",
            "csv",
        ],
    );
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
}

#[test]
fn knowledge_and_theme_files_are_checked_when_the_config_loads() {
    let home = tempfile::tempdir().unwrap();
    let cfg = home.path().join("config.toml");
    let run = |text: &str| {
        write_private(&cfg, text);
        vigil(home.path(), &["--config", cfg.to_str().unwrap(), "sources"])
    };
    let o = run("[store]\nurl = \"sqlite:v.db\"\n\n[roster]\npath = \"missing-roster.csv\"\n");
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    let err = stderr(&o);
    assert!(
        err.contains(&format!("config error in {}, line 4", cfg.display())),
        "{err}"
    );
    assert!(err.contains("missing-roster.csv"), "{err}");

    std::fs::write(
        home.path().join("patients.csv"),
        "mrn,name,date_of_death\n100,Ann Lee,\n101,Bo Park,last tuesday\n",
    )
    .unwrap();
    let o = run("[patients]\npath = \"patients.csv\"\n");
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    let err = stderr(&o);
    assert!(
        err.contains("line 3") && err.contains("not a date"),
        "{err}"
    );

    std::fs::write(home.path().join("patients.csv"), "mrn,name\n100,Ann Lee\n").unwrap();
    let o = run("[patients]\npath = \"patients.csv\"\nwatchlist = \"nowhere.txt\"\n");
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(stderr(&o).contains("nowhere.txt"), "{}", stderr(&o));

    let o = run("[tui]\ntheme = \"solarized\"\n");
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(stderr(&o).contains("line 2"), "{}", stderr(&o));
    assert!(stderr(&o).contains("neither built in"), "{}", stderr(&o));

    let o = run("[tui]\nbell = true\nconfirm_over = \"many\"\n");
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(stderr(&o).contains("line 3"), "{}", stderr(&o));
}

#[test]
fn the_screen_settings_are_read_with_their_defaults() {
    let dir = std::path::Path::new("/");
    let c = vigil_app::config::Config::parse("[tui]\nbell = true\nconfirm_over = 3\n", None, dir)
        .unwrap();
    assert!(c.bell);
    assert_eq!(c.confirm_over, 3);
    let c = vigil_app::config::Config::parse("", None, dir).unwrap();
    assert!(!c.bell);
    assert_eq!(c.confirm_over, 10);
    assert_eq!(c.screen_zone(), None);
    // the screen's zone: the rules' unless [tui] says otherwise, UTC included
    let ny = "[rules]\ntimezone = \"America/New_York\"\n";
    let c = vigil_app::config::Config::parse(ny, None, dir).unwrap();
    assert_eq!(c.screen_zone(), Some(chrono_tz::America::New_York));
    let utc = format!("{ny}[tui]\ntimezone = \"UTC\"\n");
    let c = vigil_app::config::Config::parse(&utc, None, dir).unwrap();
    assert_eq!(c.screen_zone(), None);
}

#[test]
fn plain_http_is_accepted_only_for_this_host() {
    let home = tempfile::tempdir().unwrap();
    let cfg = home.path().join("config.toml");
    let run = |url: &str| {
        write_private(
            &cfg,
            &format!(
                "[[source]]\nname = \"ehr\"\nkind = \"fhir\"\nurl = \"{url}\"\ntoken_env = \"T\"\n"
            ),
        );
        vigil(home.path(), &["--config", cfg.to_str().unwrap(), "sources"])
    };
    let o = run("http://fhir.example.org/baseR4");
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(stderr(&o).contains("in clear"), "{}", stderr(&o));
    for ok in [
        "http://127.0.0.1:8080/fhir",
        "http://localhost/fhir",
        "http://[::1]:9/fhir",
        "https://fhir.example.org/baseR4",
    ] {
        let o = run(ok);
        assert_eq!(o.status.code(), Some(0), "{ok}: {}", stderr(&o));
    }
    write_private(
        &cfg,
        "[[escalation]]\nname = \"hook\"\nkind = \"webhook\"\nurl = \"http://hooks.example.org/x\"\n",
    );
    let o = vigil(home.path(), &["--config", cfg.to_str().unwrap(), "sources"]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
}

#[test]
fn ingest_help_names_every_kind_it_reads() {
    let home = tempfile::tempdir().unwrap();
    let out = vigil(home.path(), &["ingest", "--help"]);
    assert!(out.status.success());
    let help = String::from_utf8_lossy(&out.stdout).replace(['\n', ' '], "");
    for k in vigil_sources::SourceKind::ALL {
        if !k.is_tracker() && *k != vigil_sources::SourceKind::Fhir {
            assert!(
                help.contains(k.as_str()),
                "{k} missing from `vigil ingest --help`"
            );
        }
    }
    assert!(help.contains("--log-line-prefix"));
}

#[test]
fn days_may_be_given_in_words_and_relative() {
    let home = tempfile::tempdir().unwrap();
    let today = chrono::Utc::now().date_naive();
    let out = vigil(
        home.path(),
        &[
            "coverage",
            "--from",
            "-2d",
            "--to",
            "yesterday",
            "--format",
            "json",
        ],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let out = vigil(home.path(), &["report", "--from", "-7d", "--to", "today"]);
    let md = String::from_utf8_lossy(&out.stdout);
    // (either side of a midnight the test may straddle)
    let after = chrono::Utc::now().date_naive();
    assert!(
        [today, after]
            .iter()
            .any(|t| md.contains(&format!("{} to {t}", *t - chrono::Duration::days(7)))),
        "{md}"
    );
    let out = vigil(home.path(), &["coverage", "--from", "tomorrow"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("today, yesterday or -7d"));
}

#[test]
fn tables_show_times_in_the_screens_zone_unless_utc_and_json_stays_utc() {
    let home = tempfile::tempdir().unwrap();
    let log = home.path().join("auth.log");
    std::fs::write(
        &log,
        "2026-11-20T10:00:00+00:00 h sshd[1]: Accepted password for a from 10.0.0.1 port 1 ssh2\n",
    )
    .unwrap();
    let config = home.path().join("vigil.toml");
    write_private(
        &config,
        &format!(
            "[store]\nurl = \"sqlite:v.db\"\n[rules]\ntimezone = \"America/New_York\"\n[[source]]\nname = \"auth\"\nkind = \"syslog\"\npath = \"{}\"\n",
            log.display()
        ),
    );
    let c = config.to_str().unwrap();
    assert!(
        vigil(home.path(), &["--config", c, "pull"])
            .status
            .success()
    );
    let table = stdout(&vigil(home.path(), &["--config", c, "events"]));
    assert!(table.contains("2026-11-20 05:00:00 EST"), "{table}");
    let utc = stdout(&vigil(home.path(), &["--config", c, "--utc", "events"]));
    assert!(utc.contains("2026-11-20T10:00:00Z"), "{utc}");
    let json = stdout(&vigil(
        home.path(),
        &["--config", c, "events", "--format", "json"],
    ));
    assert!(json.contains("2026-11-20T10:00:00Z"), "{json}");
    let sources = stdout(&vigil(home.path(), &["--config", c, "sources"]));
    assert!(
        sources.contains(" EST") || sources.contains(" EDT"),
        "{sources}"
    );
}

#[test]
fn init_writes_a_private_starter_config_that_every_command_then_loads() {
    use std::os::unix::fs::PermissionsExt;
    let home = tempfile::tempdir().unwrap();
    // without a config, the notice says what to run
    let out = vigil(home.path(), &[]);
    assert!(
        stderr(&out).contains("`vigil init` writes"),
        "{}",
        stderr(&out)
    );
    let out = vigil(home.path(), &["init"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let file = home.path().join("config/vigil/config.toml");
    assert!(
        stdout(&out).contains(&file.display().to_string()),
        "{}",
        stdout(&out)
    );
    let mode = std::fs::metadata(&file).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o600);
    let dir = std::fs::metadata(file.parent().unwrap())
        .unwrap()
        .permissions()
        .mode()
        & 0o777;
    assert_eq!(dir, 0o700);
    let text = std::fs::read_to_string(&file).unwrap();
    assert!(text.contains("[store]") && text.contains("# kind = \"fhir-encounter\""));
    // it loads: no more "no config" notice, and the store it names is used
    let out = vigil(home.path(), &[]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(!stderr(&out).contains("no config"), "{}", stderr(&out));
    // an existing file is left as it is unless --force
    let out = vigil(home.path(), &["init"]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(stderr(&out).contains("--force"), "{}", stderr(&out));
    assert!(vigil(home.path(), &["init", "--force"]).status.success());
    // and "-" writes it to standard output
    let out = vigil(home.path(), &["init", "-o", "-"]);
    assert!(
        stdout(&out).starts_with("# vigil's configuration"),
        "{}",
        stdout(&out)
    );
}

#[test]
fn completions_for_every_shell_and_a_man_page_come_from_the_commands() {
    use clap::CommandFactory;
    let home = tempfile::tempdir().unwrap();
    let names: Vec<String> = vigil::cli::Cli::command()
        .get_subcommands()
        .map(|c| c.get_name().to_owned())
        .collect();
    assert!(names.iter().any(|n| n == "access-report"));
    for shell in ["bash", "zsh", "fish", "powershell", "elvish"] {
        let out = vigil(home.path(), &["completions", shell]);
        assert!(out.status.success(), "{shell}: {}", stderr(&out));
        let text = stdout(&out);
        for n in &names {
            assert!(text.contains(n.as_str()), "{shell} completions lack {n}");
        }
        if shell == "bash" {
            // what bash would source parses
            let f = home.path().join("vigil.bash");
            std::fs::write(&f, &text).unwrap();
            let check = std::process::Command::new("bash")
                .arg("-n")
                .arg(&f)
                .output()
                .unwrap();
            assert!(
                check.status.success(),
                "{}",
                String::from_utf8_lossy(&check.stderr)
            );
        }
    }
    assert!(
        !home.path().join("data/vigil/vigil.db").exists(),
        "no store opened"
    );
    let out = vigil(home.path(), &["man"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let page = stdout(&out);
    assert!(
        page.starts_with(".ie") || page.contains(".TH vigil 1"),
        "{}",
        &page[..200.min(page.len())]
    );
    for n in &names {
        assert!(
            page.contains(&format!("vigil {n}")),
            "the man page lacks {n}"
        );
    }
}

#[test]
fn a_filter_naming_no_rule_or_source_is_refused_with_the_names_there_are() {
    let home = tempfile::tempdir().unwrap();
    let store = home.path().join("s.db");
    let s = store.to_str().unwrap();
    let out = vigil(
        home.path(),
        &["--store", s, "queue", "--filter", "rule:failed-login-burst"],
    );
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    let err = stderr(&out);
    assert!(
        err.contains("no rule \"failed-login-burst\"") && err.contains("failed-burst"),
        "{err}"
    );
    let out = vigil(
        home.path(),
        &["--store", s, "events", "--filter", "source:nowhere"],
    );
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    // a pattern and a real name pass
    for f in ["rule:failed-*", "rule:after-hours -rule:sample"] {
        let out = vigil(home.path(), &["--store", s, "queue", "--filter", f]);
        assert!(out.status.success(), "{f}: {}", stderr(&out));
    }
}
