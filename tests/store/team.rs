//! A team on one PostgreSQL store: reviewers in several processes claiming
//! and deciding the same queue, connections dropped in the middle of
//! decisions, and other screens told of a change.

use crate::common;

use std::collections::{HashMap, HashSet};
use std::process::{Command, Stdio};

use chrono::{DateTime, Utc};
use common::*;
use vigil_domain::query::Query;
use vigil_domain::{Disposition, ItemKind, Severity};
use vigil_review::{Act, ActOutcome, Policy, Reviewer, ops};
use vigil_store::{NewItem, Store};

fn t0() -> DateTime<Utc> {
    "2026-11-20T10:00:00Z".parse().unwrap()
}

fn seed(s: &mut dyn Store, n: usize) {
    let items: Vec<NewItem> = (0..n)
        .map(|i| NewItem {
            kind: ItemKind::Finding,
            source_id: None,
            occurred_at: t0(),
            actor: Some(format!("user{i}")),
            subject: None,
            title: format!("finding {i}"),
            severity: Severity::Medium,
            group_key: Some(format!("team:{i}")),
            rules: vec![("after-hours".into(), format!("user{i} at 23:14"))],
            event_ids: vec![],
            score: 0,
            score_note: None,
        })
        .collect();
    s.add_items(&items).unwrap();
}

fn who(name: &str) -> Reviewer {
    Reviewer {
        name: name.into(),
        session: format!("session-{name}"),
    }
}

/// One reviewer process: claim a page of open items, decide the ones won,
/// until nothing is open. Prints each decision it saved.
#[test]
fn child_reviewer() {
    let (Ok(name), Ok(url)) = (
        std::env::var("VIGIL_TEST_CHILD"),
        std::env::var("VIGIL_TEST_DB"),
    ) else {
        return;
    };
    let mut s = open_url(&url);
    let p = Policy::default();
    let me = who(&name);
    let open = Query::parse("status:new").unwrap();
    // each reviewer starts at another place in the queue
    let mut offset: u64 = name.trim_start_matches('r').parse::<u64>().unwrap_or(0) * 50;
    loop {
        let page: Vec<i64> = s
            .items_page(&open, offset, 25)
            .unwrap()
            .iter()
            .map(|i| i.id)
            .collect();
        if page.is_empty() {
            if offset == 0 {
                break;
            }
            offset = 0;
            continue;
        }
        let claims = ops::apply(&mut *s, &p, &me, Utc::now(), &page, &Act::Claim, None).unwrap();
        let won: Vec<i64> = claims
            .iter()
            .filter(|o| matches!(o, ActOutcome::Done { .. }))
            .map(|o| o.item())
            .collect();
        if won.is_empty() {
            continue;
        }
        let act = Act::Decide {
            disposition: Disposition::Benign,
            note: None,
            reopen: false,
        };
        for o in ops::apply(&mut *s, &p, &me, Utc::now(), &won, &act, None).unwrap() {
            if let ActOutcome::Done {
                item,
                decision: Some(d),
                ..
            } = o
            {
                println!("DECIDED {item} {d}");
            }
        }
    }
    println!("DONE");
}

fn reviewers_decide_every_item_once(n: usize) {
    if pg_server().is_none() || std::env::var("VIGIL_TEST_CHILD").is_ok() {
        return;
    }
    let url = pg_url().unwrap();
    seed(&mut *open_url(&url), 10_000);
    let kids: Vec<_> = (0..n)
        .map(|i| {
            Command::new(std::env::current_exe().unwrap())
                .args([
                    "--exact",
                    "team::child_reviewer",
                    "--nocapture",
                    "--test-threads=1",
                ])
                .env("VIGIL_TEST_CHILD", format!("r{i}"))
                .env("VIGIL_TEST_DB", &url)
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
                .unwrap()
        })
        .collect();
    let mut decided: HashMap<i64, String> = HashMap::new();
    for k in kids {
        let out = k.wait_with_output().unwrap();
        let stdout = String::from_utf8_lossy(&out.stdout);
        // no error, deadlock or otherwise, reached the reviewer
        assert!(
            out.status.success() && stdout.contains("DONE"),
            "a reviewer failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        for l in stdout.lines() {
            if let Some(rest) = l.split("DECIDED ").nth(1) {
                let mut p = rest.split(' ');
                let item: i64 = p.next().unwrap().parse().unwrap();
                let d = p.next().unwrap().to_owned();
                assert!(
                    decided.insert(item, d).is_none(),
                    "item {item} decided twice"
                );
            }
        }
    }
    assert_eq!(decided.len(), 10_000);
    let s = open_url(&url);
    assert_eq!(
        s.count_items(&Query::parse("status:new").unwrap()).unwrap(),
        0
    );
    let v = s.verify_ledger().unwrap();
    assert_eq!(v.broken, None);
    // the store's creation, then one claim and one decision per item
    assert_eq!(v.entries, 20_001);
    for id in [1, 777, 5000, 10_000] {
        let d = s.decisions(id).unwrap();
        assert_eq!(d.len(), 1);
        assert_eq!(decided[&id], d[0].id);
    }
}

#[test]
fn two_reviewers_decide_ten_thousand_items_each_exactly_once() {
    reviewers_decide_every_item_once(2);
}

#[test]
fn eight_reviewers_decide_ten_thousand_items_each_exactly_once() {
    reviewers_decide_every_item_once(8);
}

#[test]
fn connections_dropped_during_decisions_leave_exactly_the_acknowledged_ones() {
    if pg_server().is_none() {
        return;
    }
    // A name of its own, so only this test's connections are dropped.
    let url = pg_url().unwrap() + "&application_name=vigil_dropped";
    let mut s = open_url(&url);
    seed(&mut *s, 120);
    // The attacker of availability: for each decision, after a random
    // moment (0-4 ms, so sometimes before, during or after the COMMIT), it
    // terminates every vigil connection to this database.
    let (go, went) = std::sync::mpsc::channel::<()>();
    let killer = {
        let db = pg_database().unwrap();
        std::thread::spawn(move || {
            let mut c = postgres::Client::connect(&db, postgres::NoTls).unwrap();
            let mut rng = vigil_domain::rng::Rng::new(7);
            let mut killed = 0;
            while went.recv().is_ok() {
                std::thread::sleep(std::time::Duration::from_micros(rng.below(4_000)));
                killed += c
                    .query(
                        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity
                         WHERE datname = current_database() AND application_name = 'vigil_dropped'",
                        &[],
                    )
                    .unwrap()
                    .len();
            }
            killed
        })
    };
    let p = Policy::default();
    let me = who("alice");
    let act = Act::Decide {
        disposition: Disposition::Benign,
        note: None,
        reopen: false,
    };
    let mut acknowledged: HashSet<String> = HashSet::new();
    let mut retried = 0;
    for item in 1..=120 {
        let id = uuid::Uuid::new_v4().to_string();
        go.send(()).unwrap();
        // as a client does: the same decision id until it is acknowledged
        loop {
            match ops::apply(
                &mut *s,
                &p,
                &me,
                Utc::now(),
                &[item],
                &act,
                Some(std::slice::from_ref(&id)),
            ) {
                Ok(o) => {
                    assert!(
                        matches!(
                            o[0],
                            ActOutcome::Done { .. } | ActOutcome::AlreadyRecorded { .. }
                        ),
                        "{o:?}"
                    );
                    acknowledged.insert(id.clone());
                    break;
                }
                Err(e) => {
                    assert!(vigil_store::StoreError::is_transient(&e), "{e:#}");
                    retried += 1;
                }
            }
        }
    }
    drop(go);
    let killed = killer.join().unwrap();
    eprintln!("{killed} connections terminated, {retried} calls failed and were retried");
    assert!(killed > 0, "the test never dropped a connection");
    let s = open_url(&url);
    let mut stored: Vec<String> = Vec::new();
    for item in 1..=120 {
        stored.extend(s.decisions(item).unwrap().into_iter().map(|d| d.id));
    }
    assert_eq!(stored.len(), 120, "each decision exactly once");
    assert_eq!(stored.into_iter().collect::<HashSet<_>>(), acknowledged);
    assert_eq!(s.verify_ledger().unwrap().broken, None);
}

#[test]
fn another_screen_hears_of_a_decision() {
    if pg_server().is_none() {
        return;
    }
    let url = pg_url().unwrap();
    let mut s = open_url(&url);
    seed(&mut *s, 3);
    let (tx, rx) = std::sync::mpsc::channel();
    let watched = vigil_store::StoreUrl::parse(&url, None).unwrap();
    std::thread::spawn(move || {
        let _ = vigil_store::watch::watch(&watched, |ids| tx.send(ids).is_ok());
    });
    // listening has started (it says so with an empty change)
    let bound = std::time::Duration::from_secs(60);
    assert_eq!(rx.recv_timeout(bound).unwrap(), Vec::<i64>::new());
    let act = Act::Decide {
        disposition: Disposition::Benign,
        note: None,
        reopen: false,
    };
    ops::apply(
        &mut *s,
        &Policy::default(),
        &who("bob"),
        Utc::now(),
        &[2],
        &act,
        None,
    )
    .unwrap();
    assert_eq!(rx.recv_timeout(bound).unwrap(), vec![2]);
}

#[test]
fn two_hosts_pulling_a_source_of_one_name_each_store_their_events_once() {
    let Some(url) = pg_url() else { return };
    let dir = tempfile::tempdir().unwrap();
    let line = |host: &str, n: u32| {
        format!(
            "Nov 20 10:00:{n:02} {host} sshd[{n}]: Accepted password for u{n} from 10.0.0.{n} port {n} ssh2\n"
        )
    };
    let mut ids = Vec::new();
    for host in ["bastion-a", "bastion-b"] {
        let mut s = pg_store(&url, host);
        let log = dir.path().join(format!("{host}.log"));
        std::fs::write(&log, format!("{}{}", line(host, 1), line(host, 2))).unwrap();
        let src = source(&mut s, "auth");
        ids.push(src.id);
        assert_eq!(ingest(&mut s, &src, &log, true).events, 2);
        // pulled again from the same host: nothing new
        assert_eq!(ingest(&mut s, &src, &log, true).events, 0);
    }
    assert_ne!(ids[0], ids[1], "the host is part of a source's identity");
    let s = open_url(&url);
    assert_eq!(count(&*s, "source:auth"), 4);
    assert_eq!(count(&*s, "host:bastion-a"), 2);
    let status = s.source_status().unwrap();
    let hosts: Vec<&str> = status.iter().map(|s| s.collector.as_str()).collect();
    assert_eq!(hosts, ["bastion-a", "bastion-b"]);
    assert!(status.iter().all(|s| s.events == 2));
}

#[test]
fn a_schema_newer_than_this_vigil_is_refused() {
    let Some(url) = pg_url() else { return };
    drop(open_url(&url));
    postgres::Client::connect(&url, postgres::NoTls)
        .unwrap()
        .batch_execute("INSERT INTO vigil_schema (version) VALUES (99)")
        .unwrap();
    let e = vigil_store::StoreUrl::parse(&url, None)
        .unwrap()
        .open()
        .map(|_| ())
        .unwrap_err();
    let msg = format!("{e:#}");
    assert!(
        msg.contains("schema version 99, newer than this vigil knows"),
        "{msg}"
    );
    assert!(!msg.contains("password"));
}

/// The test server's TLS certificate, when it has one vigil can check: the
/// Debian default, a self-signed certificate for `localhost`.
fn server_cert() -> Option<&'static str> {
    let cert = "/etc/ssl/certs/ssl-cert-snakeoil.pem";
    let server = pg_server()?;
    let mut c = postgres::Client::connect(&format!("{server}/postgres"), postgres::NoTls).ok()?;
    let on: String = c.query_one("SHOW ssl", &[]).ok()?.get(0);
    let file: String = c.query_one("SHOW ssl_cert_file", &[]).ok()?.get(0);
    (on == "on" && file == cert && std::path::Path::new(cert).exists()).then_some(cert)
}

#[test]
fn tls_is_verified_against_the_given_root_and_refused_without_it() {
    let Some(cert) = server_cert() else {
        eprintln!("skipped: the test server has no TLS certificate for localhost");
        return;
    };
    let db = pg_database().unwrap();
    let name = db.rsplit('/').next().unwrap();
    let target = |q: &str| vigil_store::PgTarget {
        url: format!("postgres://postgres@localhost:5432/{name}?{q}"),
        password_env: None,
        password_file: None,
    };
    let s = vigil_store::PgStore::open(&target(&format!("sslmode=require&sslrootcert={cert}")))
        .unwrap();
    let ssl: bool = s
        .connect_again()
        .unwrap()
        .query_one(
            "SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()",
            &[],
        )
        .unwrap()
        .get(0);
    assert!(ssl, "the connection is encrypted");
    // a self-signed certificate is not in the web PKI: refused, and said so
    let e = vigil_store::PgStore::open(&target("sslmode=require")).unwrap_err();
    let msg = format!("{e:#}");
    assert!(
        msg.contains("store unavailable") && msg.contains("certificate"),
        "{msg}"
    );
    // and it is refused for good, not retried; a server that is not there
    // at all is worth trying again
    assert!(!vigil_store::StoreError::is_transient(&e), "{msg}");
    let gone = vigil_store::PgStore::open(&vigil_store::PgTarget {
        url: "postgres://postgres@127.0.0.1:9/none".into(),
        password_env: None,
        password_file: None,
    })
    .unwrap_err();
    assert!(vigil_store::StoreError::is_transient(&gone), "{gone:#}");
}
