//! Ticket systems against local servers serving the corpus responses (Jira,
//! GitHub, ServiceNow, PagerDuty, TheHive) and faithful variants: several
//! pages, an empty or short page that is not the end, 429 with
//! `Retry-After: 2`, 503 with an HTTP date, a used-up GitHub rate limit, a
//! connection cut mid-body, a duplicate across pages, an expired token, a
//! pull interrupted after page 2 and resumed, and a ticket's update flowing
//! into its item. Sleeping and the clock are injected: nothing waits.

use crate::common;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use chrono::{DateTime, Utc};
use common::*;
use serde_json::{Value, json};
use vigil_app::config::Config;
use vigil_app::ingest::FileSource;
use vigil_app::tickets;
use vigil_domain::query::Query;
use vigil_domain::{ItemKind, Severity};
use vigil_sources::http::Retry;
use vigil_store::Store;
use wiremock::matchers::{body_partial_json, header, method, path, query_param};
use wiremock::{Mock, ResponseTemplate};

const TOKEN: &str = "tkn-7f3a9c-secret";

fn now() -> DateTime<Utc> {
    "2026-11-26T12:00:00Z".parse().unwrap()
}

fn corpus_json(rel: &str) -> Option<Value> {
    let p = corpus()?.join(rel);
    Some(serde_json::from_slice(&std::fs::read(p).unwrap()).unwrap())
}

/// A source configured as a user would, its token in a private file.
struct Setup {
    _dir: tempfile::TempDir,
    store: Box<dyn Store>,
    config: Config,
    slept: Arc<Mutex<Vec<Duration>>>,
}

fn setup(source_toml: &str) -> Setup {
    setup_on(Backend::Sqlite, source_toml).unwrap()
}

fn setup_on(b: Backend, source_toml: &str) -> Option<Setup> {
    let dir = tempfile::tempdir().unwrap();
    write_private(&dir.path().join("token"), &format!("{TOKEN}\n"));
    let text = format!(
        "[store]\nurl = \"sqlite:{}\"\n\n[[source]]\nname = \"tickets\"\ntoken_file = \"token\"\n{source_toml}",
        dir.path().join("vigil.db").display()
    );
    let config = Config::parse(&text, None, dir.path()).unwrap();
    let store = store_on(b, dir.path())?;
    Some(Setup {
        _dir: dir,
        store,
        config,
        slept: Arc::new(Mutex::new(Vec::new())),
    })
}

impl Setup {
    fn pull(&mut self) -> color_eyre::Result<tickets::TicketReport> {
        let sc = self.config.source("tickets").unwrap().clone();
        let log = self.slept.clone();
        let retry = Retry {
            max_attempts: 3,
            ..Retry::default()
        };
        let mut client = vigil_app::pull::client(&sc, retry)?.with_time(
            Box::new(move |d| log.lock().unwrap().push(d)),
            Box::new(now),
            11,
        );
        let id = self
            .store
            .ensure_source(&sc.name, sc.kind.as_str())
            .unwrap();
        let src = FileSource {
            id,
            name: sc.name.clone(),
            kind: sc.kind,
            zone: sc.timezone,
            options: Default::default(),
        };
        let tracker = tickets::tracker(&sc)?;
        tickets::pull(
            &mut *self.store,
            &src,
            sc.url.as_deref().unwrap(),
            tracker.as_ref(),
            &mut client,
            now(),
        )
    }

    fn tickets(&self) -> Vec<vigil_domain::Item> {
        self.store
            .items(&Query::parse("kind:ticket").unwrap(), 0)
            .unwrap()
    }

    fn ticket(&self, subject: &str) -> vigil_domain::Item {
        self.tickets()
            .into_iter()
            .find(|i| i.subject.as_ref().map(|s| s.as_str()) == Some(subject))
            .unwrap_or_else(|| panic!("no ticket {subject}"))
    }

    /// Nothing the store holds or the checkpoint says carries the token.
    fn assert_no_secret(&self) {
        for s in self.store.source_status().unwrap() {
            for st in &s.streams {
                assert!(!st.parser_state.contains(TOKEN));
            }
            assert!(
                !s.last_error
                    .as_ref()
                    .is_some_and(|e| e.as_str().contains(TOKEN))
            );
        }
        for e in events(&*self.store, "") {
            assert!(!e.raw.as_str().contains(TOKEN));
        }
    }
}

fn reason(i: &vigil_domain::Item) -> String {
    i.rules[0].reason.as_str().to_owned()
}

#[test]
fn jira_cloud_pages_by_token_until_it_is_absent() {
    let Some(search) = corpus_json("tickets-jira/jira-cli__pkg-jira-testdata__search.json") else {
        return;
    };
    let Some(official) =
        corpus_json("tickets-jira/atlassian-openapi__GET_rest-api-3-search-jql__200-example.json")
    else {
        return;
    };
    let issues = search["issues"].as_array().unwrap().clone();
    let (rt, s) = mock_server();
    // page 1: two issues and a token; page 2: the second again (a
    // duplicate) and the third, and no token at all (JRACLOUD-92184);
    // page 2 is refused once with 429 Retry-After: 2
    let p1 = json!({"issues": issues[..2], "nextPageToken": "tok-2", "isLast": false});
    let p2 =
        json!({"issues": [issues[1].clone(), issues[2].clone(), official["issues"][0].clone()]});
    rt.block_on(async {
        Mock::given(method("GET"))
            .and(path("/rest/api/3/search/jql"))
            .and(query_param("nextPageToken", "tok-2"))
            .respond_with(ResponseTemplate::new(429).insert_header("Retry-After", "2"))
            .up_to_n_times(1)
            .mount(&s)
            .await;
        Mock::given(method("GET"))
            .and(path("/rest/api/3/search/jql"))
            .and(query_param("nextPageToken", "tok-2"))
            .respond_with(ResponseTemplate::new(200).set_body_json(&p2))
            .mount(&s)
            .await;
        Mock::given(method("GET"))
            .and(path("/rest/api/3/search/jql"))
            .and(header("authorization", format!("Bearer {TOKEN}").as_str()))
            .and(query_param("jql", "(project = TEST) ORDER BY updated ASC"))
            .respond_with(ResponseTemplate::new(200).set_body_json(&p1))
            .mount(&s)
            .await;
    });
    let mut t = setup(&format!(
        "kind = \"jira\"\nurl = \"{}\"\nquery = \"project = TEST ORDER BY created DESC\"\n",
        s.uri()
    ));
    let r = t.pull().unwrap();
    assert_eq!(
        r.file.events, 4,
        "three jira-cli issues and the official one"
    );
    assert_eq!(r.file.duplicates, 1);
    assert_eq!(*t.slept.lock().unwrap(), [Duration::from_secs(2)]);
    let story = t.ticket("TEST-2");
    assert_eq!(story.kind, ItemKind::Ticket);
    assert_eq!(story.title.as_str(), "TEST-2: Story summary");
    assert_eq!(story.severity, Severity::High);
    let why = reason(&story);
    assert!(
        why.contains("In Progress") && why.contains("priority High"),
        "{why}"
    );
    assert!(why.contains("/browse/TEST-2"), "{why}");
    // `+0100` offsets are read as offsets
    assert_eq!(
        story.occurred_at,
        "2020-12-03T13:05:20.974Z".parse::<DateTime<Utc>>().unwrap()
    );
    assert_eq!(
        t.ticket("TEST-3").actor.as_ref().map(|a| a.as_str()),
        Some("Person A")
    );
    assert_eq!(t.tickets().len(), 4);

    t.assert_no_secret();
}

fn jira_updates_flow_into_the_same_item(b: Backend) {
    let Some(search) = corpus_json("tickets-jira/jira-cli__pkg-jira-testdata__search.json") else {
        return;
    };
    let mut issue = search["issues"][1].clone();
    issue["id"] = json!("10002");
    let (rt, s) = mock_server();
    rt.block_on(
        Mock::given(method("GET"))
            .and(path("/rest/api/3/search/jql"))
            .and(query_param("jql", "(project = TEST) ORDER BY updated ASC"))
            .respond_with(
                ResponseTemplate::new(200)
                    .set_body_json(json!({"issues": [issue.clone()], "isLast": true})),
            )
            .mount(&s),
    );
    let Some(mut t) = setup_on(
        b,
        &format!(
            "kind = \"jira\"\nurl = \"{}\"\nquery = \"project = TEST\"\n",
            s.uri()
        ),
    ) else {
        return;
    };
    t.pull().unwrap();
    let before = t.ticket("TEST-2");
    assert!(reason(&before).contains("In Progress"));

    let mut done = issue.clone();
    done["fields"]["status"]["name"] = json!("Done");
    done["fields"]["priority"]["name"] = json!("Highest");
    done["fields"]["assignee"] = json!({"displayName": "Sec Lead"});
    done["fields"]["updated"] = json!("2020-12-04T09:00:00.000+0100");
    rt.block_on(
        Mock::given(method("GET"))
            .and(path("/rest/api/3/search/jql"))
            .and(query_param(
                "jql",
                "(project = TEST) AND updated >= \"2020-12-03 12:55\" ORDER BY updated ASC",
            ))
            .respond_with(
                ResponseTemplate::new(200)
                    .set_body_json(json!({"issues": [issue, done], "isLast": true})),
            )
            .mount(&s),
    );
    let r = t.pull().unwrap();
    assert_eq!((r.file.events, r.file.duplicates), (1, 1));
    let after = t.ticket("TEST-2");
    assert_eq!(after.id, before.id, "the same item");
    assert_eq!(t.tickets().len(), 1);
    let why = reason(&after);
    assert!(
        why.contains("is Done") && why.contains("Highest") && why.contains("Sec Lead"),
        "{why}"
    );
    assert!(
        !why.contains("In Progress"),
        "the old state is replaced: {why}"
    );
    assert_eq!(after.severity, Severity::Critical);
    assert_eq!(after.rules.len(), 1);
    assert_eq!(after.event_ids.len(), 2, "both versions are kept as events");
}

fn jira_data_center_pages_by_offset_and_resumes_after_page_2(b: Backend) {
    let Some(search) = corpus_json("tickets-jira/jira-cli__pkg-jira-testdata__search.json") else {
        return;
    };
    let mut issues: Vec<Value> = Vec::new();
    for n in 0..5 {
        let mut i = search["issues"][n % 3].clone();
        i["key"] = json!(format!("SEC-{}", n + 1));
        i["id"] = json!(format!("{}", 20_000 + n));
        issues.push(i);
    }
    let (rt, s) = mock_server();
    // short pages mid-way (2 of maxResults 100): startAt moves by what came
    rt.block_on(async {
        for (start, range, fail) in [(0, 0..2, 0), (2, 2..4, 0), (4, 4..5, 3)] {
            if fail > 0 {
                Mock::given(method("GET"))
                    .and(path("/rest/api/2/search"))
                    .and(query_param("startAt", start.to_string().as_str()))
                    .respond_with(ResponseTemplate::new(500))
                    .up_to_n_times(fail)
                    .mount(&s)
                    .await;
            }
            Mock::given(method("GET"))
                .and(path("/rest/api/2/search"))
                .and(query_param("startAt", start.to_string().as_str()))
                .respond_with(ResponseTemplate::new(200).set_body_json(json!({
                    "startAt": start, "maxResults": 100, "total": 5, "issues": issues[range].to_vec()
                })))
                .expect(1)
                .mount(&s)
                .await;
        }
    });
    let Some(mut t) = setup_on(
        b,
        &format!(
            "kind = \"jira\"\nurl = \"{}\"\nquery = \"project = SEC\"\n[source.tracker]\napi = 2\n",
            s.uri()
        ),
    ) else {
        return;
    };
    let e = t.pull().unwrap_err();
    assert!(format!("{e:#}").contains("HTTP 500"), "{e:#}");
    assert_eq!(t.tickets().len(), 4, "pages 1 and 2 are committed");
    // resumed: page 3 only (each page is asked for once; `expect(1)`)
    let r = t.pull().unwrap();
    assert_eq!(r.file.events, 1);
    let keys: Vec<String> = t
        .tickets()
        .iter()
        .map(|i| i.subject.as_ref().unwrap().as_str().to_owned())
        .collect();
    assert_eq!(keys.len(), 5);
    for n in 1..=5 {
        assert!(keys.contains(&format!("SEC-{n}")), "{keys:?}");
    }
    rt.block_on(s.verify());
    t.assert_no_secret();
}

#[test]
fn github_follows_link_headers_exactly_and_leaves_out_pull_requests() {
    let Some(fixture) =
        corpus_json("tickets-github/octokit-fixtures__paginate-issues__raw-fixture.json")
    else {
        return;
    };
    let gets: Vec<&Value> = fixture
        .as_array()
        .unwrap()
        .iter()
        .filter(|x| x["method"] == "get")
        .collect();
    assert_eq!(gets.len(), 5);
    let (rt, s) = mock_server();
    let repo = "octokit-fixture-org/tmp-scenario-paginate-issues-20220719043836917-izyoe";
    rt.block_on(async {
        for (n, x) in gets.iter().enumerate() {
            let headers: Vec<&str> = x["rawHeaders"]
                .as_array()
                .unwrap()
                .iter()
                .map(|h| h.as_str().unwrap())
                .collect();
            let link = headers
                .chunks(2)
                .find(|h| h[0] == "Link")
                .map(|h| h[1].replace("https://api.github.com", &s.uri()));
            let mut body = x["response"].clone();
            if n == 1 {
                // a pull request among the issues
                let mut pr = body[0].clone();
                pr["id"] = json!(1);
                pr["pull_request"] = json!({"url": "https://api.github.com/pulls/1"});
                body.as_array_mut().unwrap().push(pr);
            }
            let mut resp = ResponseTemplate::new(200).set_body_json(body);
            if let Some(l) = link {
                resp = resp.insert_header("Link", l.as_str());
            }
            let m = if n == 0 {
                Mock::given(method("GET"))
                    .and(path(format!("/repos/{repo}/issues")))
                    .and(header("x-github-api-version", "2022-11-28"))
                    .and(query_param("sort", "updated"))
            } else {
                Mock::given(method("GET"))
                    .and(path("/repositories/515435940/issues"))
                    .and(query_param("page", (n + 1).to_string().as_str()))
            };
            if n == 2 {
                // the primary rate limit is used up: wait for its reset
                Mock::given(method("GET"))
                    .and(path("/repositories/515435940/issues"))
                    .and(query_param("page", "3"))
                    .respond_with(
                        ResponseTemplate::new(403)
                            .insert_header("X-RateLimit-Remaining", "0")
                            .insert_header(
                                "X-RateLimit-Reset",
                                (now().timestamp() + 30).to_string().as_str(),
                            ),
                    )
                    .up_to_n_times(1)
                    .mount(&s)
                    .await;
            }
            m.respond_with(resp).mount(&s).await;
        }
    });
    let mut t = setup(&format!(
        "kind = \"github\"\nurl = \"{}\"\nquery = \"{repo}\"\n",
        s.uri()
    ));
    let r = t.pull().unwrap();
    assert_eq!(
        r.file.events, 13,
        "thirteen issues, the pull request left out"
    );
    assert_eq!(*t.slept.lock().unwrap(), [Duration::from_secs(30)]);
    let i = t.ticket(&format!("{repo}#13"));
    assert_eq!(
        i.title.as_str(),
        format!("{repo}#13: Test issue 13").as_str()
    );
    assert!(reason(&i).contains("is open"), "{}", reason(&i));
    t.assert_no_secret();
}

#[test]
fn a_connection_cut_mid_body_is_retried() {
    let Some(fixture) =
        corpus_json("tickets-github/octokit-fixtures__paginate-issues__raw-fixture.json")
    else {
        return;
    };
    let body = fixture
        .as_array()
        .unwrap()
        .iter()
        .find(|x| x["method"] == "get")
        .unwrap()["response"]
        .clone();
    let cut = Canned {
        cut: true,
        ..Canned::ok(body.clone())
    };
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let (addr, seen) = serve_canned(listener, vec![cut, Canned::ok(body)]);
    let mut t = setup(&format!(
        "kind = \"github\"\nurl = \"{addr}\"\nquery = \"octo/repo\"\n"
    ));
    let r = t.pull().unwrap();
    assert_eq!(r.file.events, 3);
    assert_eq!(seen.lock().unwrap().len(), 2, "asked twice");
    assert_eq!(t.slept.lock().unwrap().len(), 1);
}

#[test]
fn servicenow_pages_past_short_pages_to_the_total() {
    let Some(cap) =
        corpus_json("tickets-servicenow/swimlane-techpubs__get_all_incidents__example.json")
    else {
        return;
    };
    let row = cap[0]["json_body"]["result"][0].clone();
    let mut rows = Vec::new();
    for n in 0..3 {
        let mut r = row.clone();
        r["sys_id"] = json!(format!("sys{n}"));
        r["number"] = json!(format!("INC00100{n}"));
        r["priority"] = json!(["1", "3", "4"][n]);
        rows.push(r);
    }
    let (rt, s) = mock_server();
    rt.block_on(async {
        // page 1 is short (ACLs filtered it) yet the total says more; the
        // first try is a 503 with an HTTP-date Retry-After
        Mock::given(method("GET"))
            .and(path("/api/now/table/incident"))
            .and(query_param("sysparm_offset", "0"))
            .respond_with(
                ResponseTemplate::new(503)
                    .insert_header("Retry-After", "Thu, 26 Nov 2026 12:00:05 GMT"),
            )
            .up_to_n_times(1)
            .mount(&s)
            .await;
        Mock::given(method("GET"))
            .and(path("/api/now/table/incident"))
            .and(query_param("sysparm_offset", "0"))
            .and(query_param(
                "sysparm_query",
                "active=true^ORDERBYsys_updated_on^ORDERBYsys_id",
            ))
            .respond_with(
                ResponseTemplate::new(200)
                    .insert_header("X-Total-Count", "150")
                    .set_body_json(json!({"result": rows[..2]})),
            )
            .mount(&s)
            .await;
        Mock::given(method("GET"))
            .and(path("/api/now/table/incident"))
            .and(query_param("sysparm_offset", "100"))
            .respond_with(
                ResponseTemplate::new(200)
                    .insert_header("X-Total-Count", "150")
                    .set_body_json(json!({"result": rows[2..]})),
            )
            .mount(&s)
            .await;
    });
    let mut t = setup(&format!(
        "kind = \"servicenow\"\nurl = \"{}\"\nquery = \"active=true\"\n",
        s.uri()
    ));
    let r = t.pull().unwrap();
    assert_eq!(r.file.events, 3);
    assert_eq!(*t.slept.lock().unwrap(), [Duration::from_secs(5)]);
    let i = t.ticket("INC001000");
    assert_eq!(i.severity, Severity::Critical);
    let why = reason(&i);
    assert!(
        why.contains("is Closed") && why.contains("1 - Critical"),
        "{why}"
    );
    // raw dates are UTC without a zone marker
    assert_eq!(
        i.occurred_at,
        "2016-12-12T15:19:57Z".parse::<DateTime<Utc>>().unwrap()
    );
    assert_eq!(t.ticket("INC001002").severity, Severity::Low);

    // the next search starts at the watermark less the overlap, and the
    // v1 API's 404 for "nothing" is an empty page, not an error
    rt.block_on(
        Mock::given(method("GET"))
            .and(path("/api/now/table/incident"))
            .and(query_param(
                "sysparm_query",
                "active=true^sys_updated_on>=2016-12-14 02:36:44^ORDERBYsys_updated_on^ORDERBYsys_id",
            ))
            .respond_with(ResponseTemplate::new(404).set_body_json(
                json!({"error": {"message": "No Record found", "detail": ""}, "status": "failure"}),
            ))
            .mount(&s),
    );
    let r = t.pull().unwrap();
    assert_eq!(r.file.events, 0);
}

#[test]
fn pagerduty_pages_while_more_and_an_expired_token_is_a_clear_error() {
    let Some(list) =
        corpus_json("tickets-pagerduty/pagerduty-api-schema__GET_incidents__200-example.json")
    else {
        return;
    };
    // the server honours `since` (created in the last 30 days)
    let mut list = list;
    list["incidents"][0]["created_at"] = json!("2026-11-20T21:30:42Z");
    list["incidents"][0]["updated_at"] = json!("2026-11-20T21:40:23Z");
    let first = list["incidents"][0].clone();
    let mut second = first.clone();
    second["id"] = json!("PQ2");
    second["incident_number"] = json!(1235);
    second["status"] = json!("triggered");
    second["priority"] = Value::Null;
    second["assignments"] =
        json!([{"assignee": {"summary": "Earline Greenholt", "type": "user_reference"}}]);
    let (rt, s) = mock_server();
    rt.block_on(async {
        Mock::given(method("GET"))
            .and(path("/incidents"))
            .and(header("authorization", format!("Token token={TOKEN}").as_str()))
            .and(header("accept", "application/vnd.pagerduty+json;version=2"))
            .and(query_param("offset", "0"))
            .and(query_param("since", "2026-10-27T12:00:00Z"))
            .respond_with(ResponseTemplate::new(200).set_body_json(&list))
            .mount(&s)
            .await;
        Mock::given(method("GET"))
            .and(path("/incidents"))
            .and(query_param("offset", "1"))
            .respond_with(ResponseTemplate::new(200).set_body_json(
                json!({"incidents": [second], "limit": 1, "offset": 1, "more": false, "total": null}),
            ))
            .mount(&s)
            .await;
    });
    let mut t = setup(&format!("kind = \"pagerduty\"\nurl = \"{}\"\n", s.uri()));
    let r = t.pull().unwrap();
    assert_eq!(r.file.events, 2);
    let fire = t.ticket("PD#1234");
    assert_eq!(fire.severity, Severity::High, "priority P2");
    assert!(reason(&fire).contains("is resolved"), "{}", reason(&fire));
    let other = t.ticket("PD#1235");
    assert_eq!(other.severity, Severity::High, "no priority: urgency high");
    assert_eq!(
        other.actor.as_ref().map(|a| a.as_str()),
        Some("Earline Greenholt")
    );
    // a second pull reads the window again: nothing changed, nothing added
    let r = t.pull().unwrap();
    assert_eq!((r.file.events, r.file.duplicates), (0, 2));

    // the token expires
    rt.block_on(async {
        s.reset().await;
        Mock::given(method("GET"))
            .and(path("/incidents"))
            .respond_with(
                ResponseTemplate::new(401)
                    .set_body_json(json!({"error": {"message": "Unauthorized", "code": 2006}})),
            )
            .mount(&s)
            .await;
    });
    let e = format!("{:#}", t.pull().unwrap_err());
    assert!(e.contains("401") && e.contains("token"), "{e}");
    assert!(!e.contains(TOKEN));
    assert!(t.slept.lock().unwrap().is_empty(), "401 is not retried");
    t.assert_no_secret();
}

#[test]
fn thehive_reads_alerts_then_cases_through_the_query_api() {
    let Some(alert) = corpus_json("tickets-thehive/thehive-docs__alert_read__response-1.json")
    else {
        return;
    };
    let Some(case) = corpus_json("tickets-thehive/thehive-docs__case_create__response-3.json")
    else {
        return;
    };
    let (rt, s) = mock_server();
    rt.block_on(async {
        Mock::given(method("POST"))
            .and(path("/api/v1/query"))
            .and(header("authorization", format!("Bearer {TOKEN}").as_str()))
            .and(header("x-organisation", "soc"))
            .and(body_partial_json(
                json!({"query": [{"_name": "listAlert"}]}),
            ))
            .respond_with(ResponseTemplate::new(200).set_body_json(json!([alert])))
            .mount(&s)
            .await;
        Mock::given(method("POST"))
            .and(path("/api/v1/query"))
            .and(body_partial_json(json!({"query": [{"_name": "listCase"}]})))
            .respond_with(ResponseTemplate::new(200).set_body_json(json!([case])))
            .mount(&s)
            .await;
    });
    let mut t = setup(&format!(
        "kind = \"thehive\"\nurl = \"{}\"\n[source.tracker]\norganisation = \"soc\"\n",
        s.uri()
    ));
    let r = t.pull().unwrap();
    assert_eq!(r.file.events, 2);
    let a = t.ticket("alert ~911601872");
    assert_eq!(a.severity, Severity::Medium);
    assert!(reason(&a).contains("is Ignored"), "{}", reason(&a));
    // epoch milliseconds
    assert_eq!(
        a.occurred_at,
        "2021-05-06T20:30:17.135Z".parse::<DateTime<Utc>>().unwrap()
    );
    let c = t.ticket("case #4");
    assert_eq!(c.title.as_str(), "case #4: my first case");
    assert_eq!(c.actor.as_ref().map(|a| a.as_str()), Some("user@org"));
}

#[test]
fn ticket_kinds_are_checked_in_the_config() {
    let dir = tempfile::tempdir().unwrap();
    let bad = |src: &str| {
        let text = format!("[[source]]\nname = \"t\"\n{src}");
        Config::parse(&text, None, dir.path())
            .unwrap_err()
            .to_string()
    };
    let e = bad("kind = \"jira\"\nurl = \"https://jira.example\"\n");
    assert!(e.contains("query = \"project = SEC\""), "{e}");
    let e = bad("kind = \"github\"\n");
    assert!(e.contains("owner/repo"), "{e}");
    let e = bad("kind = \"jira\"\nurl = \"https://j\"\nquery = \"x\"\n[source.tracker]\napi = 4\n");
    assert!(e.contains("use 3 (Cloud) or 2 (Data Center)"), "{e}");
    let e = bad("kind = \"syslog\"\npath = \"/x\"\nquery = \"x\"\n");
    assert!(e.contains("remove `query`"), "{e}");
    let e = bad("kind = \"webhook\"\nurl = \"https://x\"\n");
    assert!(e.contains("[[escalation]]"), "{e}");
    // github and pagerduty know their public API's address
    let ok = Config::parse(
        "[[source]]\nname = \"gh\"\nkind = \"github\"\nquery = \"acme/security\"\n",
        None,
        dir.path(),
    )
    .unwrap();
    assert_eq!(
        ok.source("gh").unwrap().url.as_deref(),
        Some("https://api.github.com")
    );
}

on_both_stores!(
    jira_updates_flow_into_the_same_item,
    jira_data_center_pages_by_offset_and_resumes_after_page_2,
);

#[test]
fn vigil_sources_shows_health_with_the_status_code_and_next_retry() {
    let (rt, s) = mock_server();
    rt.block_on(async {
        // one refusal that is retried (and logged), then the expired token
        Mock::given(method("GET"))
            .and(path("/rest/api/3/search/jql"))
            .respond_with(ResponseTemplate::new(503))
            .up_to_n_times(1)
            .mount(&s)
            .await;
        Mock::given(method("GET"))
            .and(path("/rest/api/3/search/jql"))
            .respond_with(ResponseTemplate::new(401).set_body_json(
                json!({"errorMessages": ["You are not authenticated."], "errors": {}}),
            ))
            .mount(&s)
            .await;
    });
    let home = tempfile::tempdir().unwrap();
    let dir = home.path();
    write_private(&dir.join("token"), TOKEN);
    std::fs::write(
        dir.join("auth.log"),
        "2026-11-26T10:00:00+00:00 bastion sshd[1]: Accepted publickey for alice from 10.0.0.5 port 50000 ssh2\n",
    )
    .unwrap();
    let cfg = dir.join("config.toml");
    write_private(
        &cfg,
        &format!(
            "[store]\nurl = \"sqlite:{}\"\n\n[[source]]\nname = \"auth\"\nkind = \"syslog\"\npath = \"auth.log\"\n\n[[source]]\nname = \"sec-jira\"\nkind = \"jira\"\nurl = \"{}\"\nquery = \"project = SEC\"\ntoken_file = \"token\"\ninterval = \"5m\"\n",
            dir.join("v.db").display(),
            s.uri()
        ),
    );
    let c = cfg.to_str().unwrap();
    let o = vigil(dir, &["--config", c, "pull"]);
    assert_eq!(
        o.status.code(),
        Some(1),
        "one source failed: {}",
        stderr(&o)
    );
    assert!(!stdout(&o).contains(TOKEN) && !stderr(&o).contains(TOKEN));
    // the log has the retry, and no secret
    let log = std::fs::read_to_string(dir.join("state/vigil/vigil.log")).unwrap();
    assert!(log.contains("retrying"), "{log}");
    assert!(!log.contains(TOKEN), "{log}");
    let o = vigil(dir, &["--config", c, "sources", "--format", "json"]);
    let rows: Value = serde_json::from_str(&stdout(&o)).unwrap();
    let row = |n: &str| {
        rows.as_array()
            .unwrap()
            .iter()
            .find(|r| r["name"] == n)
            .unwrap()
            .clone()
    };
    let jira = row("sec-jira");
    assert_eq!(jira["health"], "error");
    assert!(
        jira["last_error"]
            .as_str()
            .unwrap()
            .contains("401 unauthorized"),
        "{jira}"
    );
    let last: DateTime<Utc> = jira["last_pull_at"].as_str().unwrap().parse().unwrap();
    let next: DateTime<Utc> = jira["next_retry"].as_str().unwrap().parse().unwrap();
    assert_eq!(next - last, chrono::Duration::minutes(5));
    assert_eq!(jira["stale"], true, "it never succeeded");
    assert!(jira["checkpoint"].is_array());
    let auth = row("auth");
    assert_eq!(
        (auth["health"].as_str(), auth["stale"].as_bool()),
        (Some("ok"), Some(false))
    );
    assert!(!stdout(&o).contains(TOKEN));
    // the table says it too
    let o = vigil(dir, &["--config", c, "sources"]);
    assert!(stdout(&o).contains("error, stale"), "{}", stdout(&o));
    assert!(
        stdout(&o).contains("from the start, 0 records"),
        "{}",
        stdout(&o)
    );
}
