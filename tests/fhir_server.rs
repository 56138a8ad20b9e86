//! The `fhir` source against a local server serving the official R4
//! AuditEvent examples as search Bundles: paging by `next` links that point
//! at the server base (as HAPI's do), a duplicate across pages, an
//! `outcome` entry, an empty last page, a pull that fails after page 2 and
//! resumes with every record once, and the watermark's overlap on the next
//! pull.

mod common;

use std::time::Duration;

use chrono::{DateTime, Utc};
use common::*;
use serde_json::{Value, json};
use vigil::sources::SourceKind;
use vigil::sources::file::FileSource;
use vigil::sources::http::{Auth, HttpClient, Retry, Secret};
use vigil::store::Store;
use wiremock::matchers::{header, method, path, query_param};
use wiremock::{Mock, MockServer, ResponseTemplate};

fn examples() -> Option<Vec<Value>> {
    let dir = corpus()?.join("fhir");
    let mut out: Vec<Value> = std::fs::read_dir(&dir)
        .unwrap()
        .filter_map(|e| e.ok())
        .filter(|e| {
            e.file_name()
                .to_string_lossy()
                .contains("AuditEvent-example")
        })
        .map(|e| serde_json::from_slice(&std::fs::read(e.path()).unwrap()).unwrap())
        .collect();
    out.sort_by_key(|r: &Value| r["recorded"].as_str().unwrap_or("").to_owned());
    Some(out)
}

fn bundle(resources: &[Value], next: Option<String>) -> Value {
    let mut entry: Vec<Value> = resources
        .iter()
        .map(|r| json!({"fullUrl": format!("urn:{}", r["id"]), "resource": r, "search": {"mode": "match"}}))
        .collect();
    entry.push(json!({"resource": {"resourceType": "OperationOutcome", "issue": []}, "search": {"mode": "outcome"}}));
    let mut links = vec![json!({"relation": "self", "url": "self"})];
    if let Some(n) = next {
        links.push(json!({"relation": "next", "url": n}));
    }
    json!({"resourceType": "Bundle", "type": "searchset", "link": links, "entry": entry})
}

fn client() -> HttpClient {
    let now: DateTime<Utc> = "2026-11-26T12:00:00Z".parse().unwrap();
    HttpClient::new(
        Auth::Bearer(Secret::new("smart-token")),
        Retry {
            max_attempts: 2,
            ..Retry::default()
        },
    )
    .unwrap()
    .with_time(Box::new(|_: Duration| {}), Box::new(move || now), 7)
}

#[test]
fn paged_search_resumes_after_a_failure_and_stores_every_record_once() {
    let Some(all) = examples() else { return };
    assert!(all.len() >= 8);
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap();
    let server = rt.block_on(MockServer::start());
    let base = format!("{}/baseR4", server.uri());
    // page 1 from the search; pages 2 and 3 by HAPI-style links at the
    // base; page 2 repeats page 1's last record; page 3 is empty
    let p1 = bundle(
        &all[..4],
        Some(format!("{base}?_getpages=abc&_getpagesoffset=4")),
    );
    let p2 = bundle(
        &all[3..],
        Some(format!("{base}?_getpages=abc&_getpagesoffset=9")),
    );
    let p3 = bundle(&[], None);
    rt.block_on(async {
        Mock::given(method("GET"))
            .and(path("/baseR4/AuditEvent"))
            .and(header("authorization", "Bearer smart-token"))
            .and(query_param("_sort", "date"))
            .respond_with(ResponseTemplate::new(200).set_body_json(&p1))
            .up_to_n_times(1)
            .mount(&server)
            .await;
        Mock::given(method("GET"))
            .and(path("/baseR4"))
            .and(query_param("_getpagesoffset", "4"))
            .respond_with(ResponseTemplate::new(200).set_body_json(&p2))
            .mount(&server)
            .await;
        // page 3 fails at first: the pull stops after committing page 2
        Mock::given(method("GET"))
            .and(path("/baseR4"))
            .and(query_param("_getpagesoffset", "9"))
            .respond_with(ResponseTemplate::new(503))
            .up_to_n_times(2)
            .mount(&server)
            .await;
    });
    let dir = tempfile::tempdir().unwrap();
    let mut s = store(dir.path());
    let id = s.ensure_source("fhir-server", "fhir").unwrap();
    let src = FileSource {
        id,
        name: "fhir-server".into(),
        kind: SourceKind::Fhir,
        zone: None,
        options: Default::default(),
    };
    let e =
        vigil::sources::fhir_server::pull(&mut s, &src, &base, &mut client(), None).unwrap_err();
    assert!(e.to_string().contains("503"), "{e}");
    let stored = count(&s, "");
    assert_eq!(
        stored,
        all.len() as u64,
        "pages 1 and 2, the duplicate dropped"
    );

    // the server recovers: the pull resumes at page 3, adding nothing twice
    rt.block_on(
        Mock::given(method("GET"))
            .and(path("/baseR4"))
            .and(query_param("_getpagesoffset", "9"))
            .respond_with(ResponseTemplate::new(200).set_body_json(&p3))
            .mount(&server),
    );
    let r = vigil::sources::fhir_server::pull(&mut s, &src, &base, &mut client(), None).unwrap();
    assert_eq!(r.events, 0);
    assert_eq!(count(&s, ""), all.len() as u64);

    // a later pull searches again from the watermark, less an overlap: the
    // newest record comes back and is dropped as seen; a new one is stored
    let mut newer = all.last().unwrap().clone();
    newer["id"] = json!("new-one");
    newer["recorded"] = json!("2030-01-01T00:00:00Z");
    let again = bundle(&[all.last().unwrap().clone(), newer], None);
    rt.block_on(
        Mock::given(method("GET"))
            .and(path("/baseR4/AuditEvent"))
            .and(query_param("_sort", "date"))
            .respond_with(ResponseTemplate::new(200).set_body_json(&again))
            .mount(&server),
    );
    let r = vigil::sources::fhir_server::pull(&mut s, &src, &base, &mut client(), None).unwrap();
    assert_eq!((r.events, r.duplicates), (1, 1));
    assert_eq!(count(&s, ""), all.len() as u64 + 1);
    // the records are normalized as the fhir-auditevent file kind does
    let logins = events(&s, "action:login");
    assert!(!logins.is_empty());
    let status = s.source_status().unwrap();
    let cp = &status[0].streams[0];
    assert!(
        cp.parser_state.contains("2030-01-01"),
        "{}",
        cp.parser_state
    );
    assert!(!cp.parser_state.contains("smart-token"));
}
