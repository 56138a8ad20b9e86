//! Every ticket API through the same trials, against a server that answers
//! each connection with the next canned response (so a body can be cut
//! short): page 1; page 2 cut off mid-body, then refused with 429 and
//! `Retry-After: 2`, then served, repeating a record of page 1; page 3
//! refused with 503 and an HTTP-date `Retry-After`, then served empty as
//! the last page. Each API's records are built from its corpus sample.
//! Then the token expires: 401 is a clear error, not retried, with no
//! secret in it. Sleeping and the clock are injected.

use crate::common;

use std::net::TcpListener;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use chrono::{DateTime, Utc};
use common::*;
use serde_json::{Value, json};
use vigil_app::config::Config;
use vigil_app::ingest::FileSource;
use vigil_app::tickets;
use vigil_domain::query::Query;
use vigil_sources::http::Retry;
use vigil_store::Store;

const TOKEN: &str = "variant-token-81c2";

fn now() -> DateTime<Utc> {
    "2026-11-26T12:00:00Z".parse().unwrap()
}

/// What the server saw: each request's first line, and whether it carried
/// the token.
fn lines(seen: &[String]) -> Vec<String> {
    seen.iter()
        .map(|req| {
            let line = req.lines().next().unwrap_or("");
            let auth_ok = req
                .to_ascii_lowercase()
                .contains(&TOKEN.to_ascii_lowercase());
            format!("{line} auth={auth_ok}")
        })
        .collect()
}

/// Page `n` (0-based) at a server address, holding records, with or
/// without a next page.
type PageFn = Box<dyn Fn(&str, usize, Vec<Value>, bool) -> Canned>;

/// One API: its source settings, and its pages (records, is there more).
struct Api {
    toml: String,
    page: PageFn,
    /// Record `i`, distinct by id and update time.
    record: Box<dyn Fn(usize) -> Value>,
    per_page: usize,
    first_request: &'static str,
    key: Box<dyn Fn(usize) -> String>,
}

fn corpus_json(rel: &str) -> Value {
    serde_json::from_slice(&std::fs::read(corpus().unwrap().join(rel)).unwrap()).unwrap()
}

fn apis() -> Vec<(&'static str, Api)> {
    let jira_issue =
        corpus_json("tickets-jira/jira-cli__pkg-jira-testdata__search.json")["issues"][1].clone();
    let jira_rec = move |i: usize| {
        let mut v = jira_issue.clone();
        v["id"] = json!(format!("{}", 30_000 + i));
        v["key"] = json!(format!("SEC-{i}"));
        v["fields"]["updated"] = json!(format!("2026-11-2{}T10:00:00.000+0100", i % 5));
        v
    };
    let jira_rec2 = jira_rec.clone();
    let gh_issue =
        corpus_json("tickets-github/octokit-fixtures__paginate-issues__raw-fixture.json")
            .as_array()
            .unwrap()
            .iter()
            .find(|x| x["method"] == "get")
            .unwrap()["response"][0]
            .clone();
    let sn_row = corpus_json(
        "tickets-servicenow/swimlane-techpubs__get_all_incidents__example.json",
    )[0]["json_body"]["result"][0]
        .clone();
    let pd_inc = corpus_json(
        "tickets-pagerduty/pagerduty-api-schema__GET_incidents__200-example.json",
    )["incidents"][0]
        .clone();
    let hive_alert = corpus_json("tickets-thehive/thehive-docs__alert_read__response-1.json");
    vec![
        (
            "jira v3",
            Api {
                toml: "kind = \"jira\"\nquery = \"project = SEC\"\n".into(),
                page: Box::new(|_, n, recs, more| {
                    let mut v = json!({ "issues": recs });
                    if more {
                        v["nextPageToken"] = json!(format!("tok{}", n + 1));
                        v["isLast"] = json!(false);
                    }
                    Canned::ok(v)
                }),
                record: Box::new(jira_rec),
                per_page: 2,
                first_request: "GET /rest/api/3/search/jql?jql=%28project+%3D+SEC%29+ORDER+BY+updated+ASC",
                key: Box::new(|i| format!("SEC-{i}")),
            },
        ),
        (
            "jira v2",
            Api {
                toml: "kind = \"jira\"\nquery = \"project = SEC\"\n[source.tracker]\napi = 2\n"
                    .into(),
                page: Box::new(|_, n, recs, more| {
                    // two a page; the total says whether more follow
                    let start = n * 2;
                    let total = if more {
                        start + recs.len() + 2
                    } else {
                        start + recs.len()
                    };
                    Canned::ok(
                        json!({"startAt": start, "maxResults": 100, "total": total, "issues": recs}),
                    )
                }),
                record: Box::new(jira_rec2),
                per_page: 2,
                first_request: "GET /rest/api/2/search?jql=",
                key: Box::new(|i| format!("SEC-{i}")),
            },
        ),
        (
            "github",
            Api {
                toml: "kind = \"github\"\nquery = \"acme/security\"\n".into(),
                page: Box::new(|addr, n, recs, more| {
                    let mut c = Canned::ok(Value::Array(recs));
                    if more {
                        c.headers.push((
                            "link".into(),
                            format!(
                                "<{addr}/repositories/9/issues?page={}>; rel=\"next\"",
                                n + 2
                            ),
                        ));
                    }
                    c
                }),
                record: Box::new(move |i| {
                    let mut v = gh_issue.clone();
                    v["id"] = json!(40_000 + i);
                    v["number"] = json!(i);
                    v["repository_url"] = json!("https://api.github.com/repos/acme/security");
                    v["updated_at"] = json!(format!("2026-11-2{}T10:00:00Z", i % 5));
                    v
                }),
                per_page: 2,
                first_request: "GET /repos/acme/security/issues?state=all&sort=updated&direction=asc",
                key: Box::new(|i| format!("acme/security#{i}")),
            },
        ),
        (
            "servicenow",
            Api {
                toml: "kind = \"servicenow\"\n".into(),
                page: Box::new(|_, n, recs, more| {
                    // offsets move by the limit (100); the total decides
                    let total = if more {
                        (n + 1) * 100 + 1
                    } else {
                        n * 100 + recs.len()
                    };
                    let mut c = Canned::ok(json!({ "result": recs }));
                    c.headers.push(("x-total-count".into(), total.to_string()));
                    c
                }),
                record: Box::new(move |i| {
                    let mut v = sn_row.clone();
                    v["sys_id"] = json!(format!("sys{i}"));
                    v["number"] = json!(format!("INC{i:07}"));
                    v["sys_updated_on"] = json!(format!("2026-11-2{} 10:00:00", i % 5));
                    v
                }),
                per_page: 2,
                first_request: "GET /api/now/table/incident?sysparm_query=ORDERBYsys_updated_on%5EORDERBYsys_id",
                key: Box::new(|i| format!("INC{i:07}")),
            },
        ),
        (
            "pagerduty",
            Api {
                toml: "kind = \"pagerduty\"\n".into(),
                page: Box::new(|_, n, recs, more| {
                    Canned::ok(
                        json!({"incidents": recs, "limit": 2, "offset": n * 2, "more": more, "total": null}),
                    )
                }),
                record: Box::new(move |i| {
                    let mut v = pd_inc.clone();
                    v["id"] = json!(format!("PD{i}"));
                    v["incident_number"] = json!(i);
                    v["created_at"] = json!("2026-11-20T10:00:00Z");
                    v["updated_at"] = json!(format!("2026-11-2{}T10:00:00Z", i % 5));
                    v
                }),
                per_page: 2,
                first_request: "GET /incidents?since=2026-10-27T12%3A00%3A00Z&until=2026-11-26T12%3A00%3A00Z",
                key: Box::new(|i| format!("PD#{i}")),
            },
        ),
        (
            "thehive",
            Api {
                toml: "kind = \"thehive\"\n[source.tracker]\nobjects = [\"alert\"]\n".into(),
                // a page is full (100) when more follow
                page: Box::new(|_, _, recs, _| Canned::ok(Value::Array(recs))),
                record: Box::new(move |i| {
                    let mut v = hive_alert.clone();
                    v["_id"] = json!(format!("~{i}"));
                    v["_createdAt"] = json!(1_700_000_000_000i64 + i as i64);
                    v["_updatedAt"] = json!(1_764_000_000_000i64 + i as i64);
                    v
                }),
                per_page: 100,
                first_request: "POST /api/v1/query?name=vigil-alerts",
                key: Box::new(|i| format!("alert ~{i}")),
            },
        ),
    ]
}

#[test]
fn every_api_through_every_trial() {
    if corpus().is_none() {
        return;
    }
    for (name, api) in apis() {
        let per = api.per_page;
        // records 0..per on page 1; page 2 repeats the last of page 1
        let p1: Vec<Value> = (0..per).map(&api.record).collect();
        let p2: Vec<Value> = (per - 1..2 * per - 1).map(&api.record).collect();
        let unique = 2 * per - 1;
        // (GitHub's pages link to the server's own address)
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = format!("http://{}", listener.local_addr().unwrap());
        let mut cut = (api.page)(&addr, 1, p2.clone(), true);
        cut.cut = true;
        let script = vec![
            (api.page)(&addr, 0, p1, true),
            cut,
            Canned::status("429 Too Many Requests", &[("retry-after", "2")], "{}"),
            (api.page)(&addr, 1, p2, true),
            Canned::status(
                "503 Service Unavailable",
                &[("retry-after", "Thu, 26 Nov 2026 12:00:05 GMT")],
                "{}",
            ),
            (api.page)(&addr, 2, vec![], false),
            Canned::status(
                "401 Unauthorized",
                &[],
                "{\"errorMessages\":[\"token expired\"]}",
            ),
        ];
        let (url, seen) = serve_canned(listener, script);
        let dir = tempfile::tempdir().unwrap();
        write_private(&dir.path().join("token"), TOKEN);
        let text = format!(
            "[[source]]\nname = \"t\"\nurl = \"{url}\"\ntoken_file = \"token\"\n{}",
            api.toml
        );
        let config = Config::parse(&text, None, dir.path()).unwrap();
        let sc = config.source("t").unwrap().clone();
        let mut store = store(dir.path());
        let slept = Arc::new(Mutex::new(Vec::new()));
        let pull = |store: &mut dyn Store| {
            let log = slept.clone();
            let mut client = vigil_app::pull::client(
                &sc,
                Retry {
                    max_attempts: 3,
                    ..Retry::default()
                },
            )
            .unwrap()
            .with_time(
                Box::new(move |d| log.lock().unwrap().push(d)),
                Box::new(now),
                3,
            );
            let id = store.ensure_source("t", sc.kind.as_str()).unwrap();
            let src = FileSource {
                id,
                name: "t".into(),
                kind: sc.kind,
                zone: None,
                options: Default::default(),
            };
            let tracker = tickets::tracker(&sc).unwrap();
            tickets::pull(store, &src, &url, tracker.as_ref(), &mut client, now())
        };
        let r = pull(&mut store).unwrap_or_else(|e| panic!("{name}: {e:#}"));
        assert_eq!(
            (r.file.events, r.file.duplicates),
            (unique as u64, 1),
            "{name}"
        );
        let items = store
            .items(&Query::parse("kind:ticket").unwrap(), 0)
            .unwrap();
        assert_eq!(items.len(), unique, "{name}");
        for i in 0..unique {
            let k = (api.key)(i);
            assert!(
                items
                    .iter()
                    .any(|it| it.subject.as_ref().map(|s| s.as_str()) == Some(k.as_str())),
                "{name}: no ticket {k}"
            );
        }
        // the cut body was retried after a backoff, then 2 s and 5 s as asked
        let waits = slept.lock().unwrap().clone();
        assert_eq!(waits.len(), 3, "{name}: {waits:?}");
        assert!(waits[0] <= Duration::from_millis(500), "{name}: {waits:?}");
        assert_eq!(
            waits[1..],
            [Duration::from_secs(2), Duration::from_secs(5)],
            "{name}"
        );
        let lines = lines(&seen.lock().unwrap());
        assert_eq!(lines.len(), 6, "{name}: {lines:#?}");
        assert!(
            lines[0].starts_with(api.first_request),
            "{name}: {}",
            lines[0]
        );
        assert!(lines.iter().all(|l| l.ends_with("auth=true")), "{name}");
        // the retries asked for the same page again
        assert_eq!(lines[1], lines[2], "{name}");
        assert_eq!(lines[2], lines[3], "{name}");
        assert_eq!(lines[4], lines[5], "{name}");
        // the checkpoint names no next page (the search ended) and no token
        let st = store.source_status().unwrap();
        let cp = &st[0].streams[0].parser_state;
        assert!(cp.contains("\"next\":null"), "{name}: {cp}");
        assert!(!cp.contains(TOKEN));

        // the token expires: a clear error, at once
        let e = format!("{:#}", pull(&mut store).unwrap_err());
        assert!(e.contains("401 unauthorized"), "{name}: {e}");
        assert!(!e.contains(TOKEN), "{name}: {e}");
        assert_eq!(slept.lock().unwrap().len(), 3, "{name}: 401 is not retried");
    }
}
