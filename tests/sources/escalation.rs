//! Escalations out against local servers: a Jira issue created and its key
//! stored on the incident (timeline, ledger); a GitHub push that fails,
//! keeps the incident, waits its pause and lands later; a ServiceNow record
//! from the corpus's create response; a webhook; PHI left out of every
//! payload unless the destination is marked to hold it; and `vigil
//! escalate` through the real binary.

use crate::common;

use std::time::Duration;

use chrono::{DateTime, Utc};
use common::*;
use serde_json::{Value, json};
use vigil_app::config::Config;
use vigil_app::escalation::{self, client, push_pending, state};
use vigil_domain::{ItemKind, Severity};
use vigil_review::{NewIncident, Policy, Reviewer, ops};
use vigil_sources::http::Retry;
use vigil_store::{NewItem, Store};
use wiremock::matchers::{body_partial_json, header, method, path};
use wiremock::{Mock, MockServer, Request, ResponseTemplate};

const TOKEN: &str = "esc-token-5b1e";
const PATIENT: &str = "Lopez";
const MRN: &str = "100234";

fn t0() -> DateTime<Utc> {
    "2026-11-26T12:00:00Z".parse().unwrap()
}

struct Setup {
    _dir: tempfile::TempDir,
    store: Box<dyn Store>,
    config: Config,
    incident: i64,
}

/// A store with one incident over an item whose reason names a patient.
fn setup(b: Backend, escalations: &str) -> Option<Setup> {
    let dir = tempfile::tempdir().unwrap();
    write_private(&dir.path().join("token"), TOKEN);
    let config = Config::parse(escalations, None, dir.path()).unwrap();
    let mut store = store_on(b, dir.path())?;
    let src = store.ensure_source("ehr", "access-csv").unwrap();
    let ids = store
        .add_items(&[NewItem {
            kind: ItemKind::Finding,
            source_id: Some(src),
            occurred_at: t0() - chrono::Duration::hours(3),
            actor: Some("nurse1".into()),
            subject: Some(MRN.into()),
            title: format!("nurse1 opened MRN {MRN}"),
            severity: Severity::High,
            group_key: None,
            rules: vec![(
                "same_surname".into(),
                format!("nurse1 opened the chart of MRN {MRN}, who shares the surname {PATIENT}"),
            )],
            event_ids: vec![],
            score: 0,
            score_note: None,
        }])
        .unwrap();
    let inc = ops::escalate(
        store.as_mut(),
        &Policy::default(),
        &Reviewer {
            name: "alice".into(),
            session: "s".into(),
        },
        t0(),
        &ids,
        &NewIncident {
            title: Some(format!("{PATIENT} family snooping")),
            severity: "high".into(),
            assignee: None,
            note: None,
        },
    )
    .unwrap();
    Some(Setup {
        _dir: dir,
        store,
        config,
        incident: inc.id,
    })
}

impl Setup {
    fn push(&mut self, now: DateTime<Utc>) -> Vec<escalation::PushReport> {
        push_pending(self.store.as_mut(), &self.config.escalations, now, |d| {
            Ok(client(
                d,
                Retry {
                    max_attempts: 2,
                    ..Retry::default()
                },
            )?
            .with_time(Box::new(|_: Duration| {}), Box::new(move || now), 5))
        })
        .unwrap()
    }

    fn incident(&self) -> vigil_store::Incident {
        self.store
            .incidents()
            .unwrap()
            .into_iter()
            .find(|i| i.id == self.incident)
            .unwrap()
    }
}

fn bodies(rt: &tokio::runtime::Runtime, s: &MockServer) -> Vec<String> {
    rt.block_on(s.received_requests())
        .unwrap_or_default()
        .iter()
        .map(|r: &Request| String::from_utf8_lossy(&r.body).into_owned())
        .collect()
}

fn jira_creates_an_issue_and_the_key_is_stored(b: Backend) {
    let (rt, s) = mock_server();
    rt.block_on(
        Mock::given(method("POST"))
            .and(path("/rest/api/3/issue"))
            .and(header("authorization", format!("Bearer {TOKEN}").as_str()))
            .and(body_partial_json(json!({"fields": {"project": {"key": "SEC"}, "issuetype": {"name": "Task"}}})))
            .respond_with(ResponseTemplate::new(201).set_body_json(json!({
                "id": "10042", "key": "SEC-42", "self": format!("{}/rest/api/3/issue/10042", s.uri())
            })))
            .expect(1)
            .mount(&s),
    );
    let Some(mut t) = setup(
        b,
        &format!(
            "[[escalation]]\nname = \"sec-jira\"\nkind = \"jira\"\nurl = \"{}\"\nproject = \"SEC\"\ntoken_file = \"token\"\n",
            s.uri()
        ),
    ) else {
        return;
    };
    let r = t.push(t0() + chrono::Duration::seconds(5));
    assert_eq!(r.len(), 1);
    assert_eq!(r[0].remote_key.as_deref(), Some("SEC-42"), "{r:?}");
    let i = t.incident();
    assert_eq!(
        i.remote_key.as_deref(),
        Some(format!("SEC-42 {}/browse/SEC-42", s.uri()).as_str())
    );
    let notes = t.store.incident_notes(i.id).unwrap();
    assert!(
        notes
            .iter()
            .any(|n| n.note.contains("pushed to sec-jira as SEC-42"))
    );
    let ledger = t.store.ledger_for(&format!("incident:{}", i.id)).unwrap();
    assert!(ledger.iter().any(|e| e.action == "incident.push"));
    // pushed once: a later round leaves it alone
    assert!(t.push(t0() + chrono::Duration::hours(1)).is_empty());
    // no PHI in the payload: no patient, no MRN, not even the typed title
    let sent = bodies(&rt, &s);
    assert_eq!(sent.len(), 1);
    for b in &sent {
        assert!(!b.contains(PATIENT) && !b.contains(MRN), "{b}");
        assert!(
            b.contains("security incident") && b.contains("\"type\":\"doc\""),
            "{b}"
        );
        assert!(!b.contains(TOKEN));
    }
    rt.block_on(s.verify());
}

fn a_failed_push_keeps_the_incident_and_is_retried(b: Backend) {
    let (rt, s) = mock_server();
    rt.block_on(
        Mock::given(method("POST"))
            .and(path("/repos/acme/security/issues"))
            .respond_with(ResponseTemplate::new(502).set_body_string("bad gateway"))
            .up_to_n_times(2)
            .mount(&s),
    );
    let Some(mut t) = setup(
        b,
        &format!(
            "[[escalation]]\nname = \"gh\"\nkind = \"github\"\nurl = \"{}\"\nrepo = \"acme/security\"\ntoken_file = \"token\"\n",
            s.uri()
        ),
    ) else {
        return;
    };
    let first = t0() + chrono::Duration::seconds(5);
    let r = t.push(first);
    assert_eq!(r.len(), 1);
    let e = r[0].error.as_deref().unwrap();
    assert!(e.contains("502"), "{e}");
    assert!(!e.contains(TOKEN));
    // the incident is untouched and the failure is on record
    let i = t.incident();
    assert_eq!(i.remote_key, None);
    assert_eq!(i.status.as_str(), "open");
    let st = state(t.store.as_ref(), "gh", i.id).unwrap();
    assert_eq!(st.attempts, 1);
    assert_eq!(st.next_try, Some(first + chrono::Duration::minutes(1)));
    let failing = escalation::failing(t.store.as_ref(), &t.config.escalations).unwrap();
    assert_eq!(failing.len(), 1);
    // not before its pause is over
    assert!(t.push(first + chrono::Duration::seconds(30)).is_empty());
    assert_eq!(bodies(&rt, &s).len(), 2, "two attempts, then nothing");

    rt.block_on(
        Mock::given(method("POST"))
            .and(path("/repos/acme/security/issues"))
            .respond_with(ResponseTemplate::new(201).set_body_json(json!({
                "number": 7, "html_url": "https://github.example/acme/security/issues/7"
            })))
            .mount(&s),
    );
    let r = t.push(first + chrono::Duration::minutes(2));
    assert_eq!(r[0].remote_key.as_deref(), Some("acme/security#7"), "{r:?}");
    assert_eq!(
        t.incident().remote_key.as_deref(),
        Some("acme/security#7 https://github.example/acme/security/issues/7")
    );
    assert!(
        escalation::failing(t.store.as_ref(), &t.config.escalations)
            .unwrap()
            .is_empty()
    );
}

on_both_stores!(
    jira_creates_an_issue_and_the_key_is_stored,
    a_failed_push_keeps_the_incident_and_is_retried,
);

#[test]
fn servicenow_record_from_the_corpus_response() {
    let Some(dir) = corpus() else { return };
    let cap: Value = serde_json::from_slice(
        &std::fs::read(
            dir.join("tickets-servicenow/swimlane-techpubs__create_incident__example.json"),
        )
        .unwrap(),
    )
    .unwrap();
    let cap = if cap.is_array() { cap[0].clone() } else { cap };
    let (rt, s) = mock_server();
    rt.block_on(
        Mock::given(method("POST"))
            .and(path("/api/now/table/sn_si_incident"))
            .respond_with(ResponseTemplate::new(201).set_body_json(&cap["json_body"]))
            .mount(&s),
    );
    let mut t = setup(
        Backend::Sqlite,
        &format!(
            "[[escalation]]\nname = \"snow\"\nkind = \"servicenow\"\nurl = \"{}\"\ntable = \"sn_si_incident\"\n",
            s.uri()
        ),
    )
    .unwrap();
    let r = t.push(t0());
    let want = cap["json_body"]["result"]["number"].as_str().unwrap();
    assert_eq!(r[0].remote_key.as_deref(), Some(want), "{r:?}");
    let sent: Value = serde_json::from_str(&bodies(&rt, &s)[0]).unwrap();
    assert_eq!(sent["urgency"], "1", "high severity");
    assert!(
        sent["correlation_id"]
            .as_str()
            .unwrap()
            .starts_with("vigil-incident-")
    );
}

#[test]
fn a_webhook_marked_for_phi_gets_the_details() {
    let (rt, s) = mock_server();
    rt.block_on(
        Mock::given(method("POST"))
            .and(path("/hooks/sec"))
            .and(body_partial_json(json!({"event": "vigil.incident.opened"})))
            .respond_with(ResponseTemplate::new(204))
            .mount(&s),
    );
    let mut t = setup(
        Backend::Sqlite,
        &format!(
            "[[escalation]]\nname = \"chat\"\nkind = \"webhook\"\nurl = \"{}/hooks/sec\"\n\n[[escalation]]\nname = \"pager\"\nkind = \"webhook\"\nurl = \"{}/hooks/sec\"\nphi_allowed = true\n",
            s.uri(),
            s.uri()
        ),
    )
    .unwrap();
    let r = t.push(t0());
    assert_eq!(r.len(), 2);
    assert!(r.iter().all(|p| p.error.is_none()), "{r:?}");
    let sent = bodies(&rt, &s);
    let plain = sent.iter().filter(|b| !b.contains(PATIENT)).count();
    let full = sent
        .iter()
        .filter(|b| b.contains(PATIENT) && b.contains(MRN))
        .count();
    assert_eq!((plain, full), (1, 1), "{sent:?}");
    // a webhook is not a tracker: it leaves the remote key for a tracker
    assert_eq!(t.incident().remote_key, None);
}

#[test]
fn escalations_are_checked_in_the_config() {
    let dir = tempfile::tempdir().unwrap();
    let bad = |text: &str| {
        Config::parse(text, None, dir.path())
            .unwrap_err()
            .to_string()
    };
    let e = bad("[[escalation]]\nname = \"j\"\nkind = \"jira\"\nurl = \"https://j\"\n");
    assert!(e.contains("project = \"SEC\""), "{e}");
    let e = bad("[[escalation]]\nname = \"w\"\nkind = \"webhook\"\n");
    assert!(e.contains("needs url"), "{e}");
    let e = bad("[[escalation]]\nname = \"x\"\nkind = \"email\"\nurl = \"https://x\"\n");
    assert!(e.contains("jira, github, servicenow or webhook"), "{e}");
}

#[test]
fn vigil_escalate_pushes_and_says_so() {
    let (rt, s) = mock_server();
    rt.block_on(
        Mock::given(method("POST"))
            .and(path("/hooks/sec"))
            .respond_with(ResponseTemplate::new(200).set_body_json(json!({"id": "msg-9"})))
            .mount(&s),
    );
    let home = tempfile::tempdir().unwrap();
    let dir = home.path().join("demo");
    let o = vigil(
        home.path(),
        &["demo", "--no-tui", "--dir", dir.to_str().unwrap()],
    );
    assert!(o.status.success(), "{}", stderr(&o));
    let cfg = dir.join("config.toml");
    let mut text = std::fs::read_to_string(&cfg).unwrap();
    text.push_str(&format!(
        "\n[[escalation]]\nname = \"chat\"\nkind = \"webhook\"\nurl = \"{}/hooks/sec\"\n",
        s.uri()
    ));
    write_private(&cfg, &text);
    let q = vigil(
        home.path(),
        &[
            "--config",
            cfg.to_str().unwrap(),
            "queue",
            "--format",
            "json",
        ],
    );
    let items: Value = serde_json::from_str(&stdout(&q)).unwrap();
    let id = items[0]["id"].as_i64().unwrap().to_string();
    let o = vigil(
        home.path(),
        &["--config", cfg.to_str().unwrap(), "escalate", &id],
    );
    assert!(o.status.success(), "{}", stderr(&o));
    let err = stderr(&o);
    assert!(err.contains("pushed to chat as msg-9"), "{err}");
    assert_eq!(bodies(&rt, &s).len(), 1);
    // the incident shows where it went
    let o = vigil(
        home.path(),
        &["--config", cfg.to_str().unwrap(), "incident", "show", "1"],
    );
    assert!(
        stdout(&o).contains("escalation chat: pushed"),
        "{}",
        stdout(&o)
    );
}

#[test]
fn a_retry_finds_what_a_lost_answer_created_and_makes_no_second() {
    let (rt, s) = mock_server();
    rt.block_on(async {
        // the create is refused (or its answer lost) twice…
        Mock::given(method("POST"))
            .and(path("/rest/api/3/issue"))
            .respond_with(ResponseTemplate::new(502))
            .expect(2)
            .mount(&s)
            .await;
        // …but the issue exists after all, with the incident's label
        Mock::given(method("GET"))
            .and(path("/rest/api/3/search/jql"))
            .and(wiremock::matchers::query_param(
                "jql",
                "project = \"SEC\" AND labels = \"vigil-incident-1\"",
            ))
            .respond_with(ResponseTemplate::new(200).set_body_json(json!({
                "issues": [{"id": "10077", "key": "SEC-77", "fields": {"summary": "x"}}], "isLast": true
            })))
            .mount(&s)
            .await;
    });
    let mut t = setup(
        Backend::Sqlite,
        &format!(
            "[[escalation]]\nname = \"sec-jira\"\nkind = \"jira\"\nurl = \"{}\"\nproject = \"SEC\"\n",
            s.uri()
        ),
    )
    .unwrap();
    assert_eq!(t.incident, 1);
    let r = t.push(t0());
    assert!(r[0].error.is_some());
    let r = t.push(t0() + chrono::Duration::minutes(5));
    assert_eq!(r[0].remote_key.as_deref(), Some("SEC-77"), "{r:?}");
    assert!(
        t.incident()
            .remote_key
            .is_some_and(|k| k.starts_with("SEC-77"))
    );
    // two POSTs in the first round, none in the second
    rt.block_on(s.verify());
}
