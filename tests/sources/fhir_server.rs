//! The `fhir` source against a local server serving the official R4
//! AuditEvent examples as search Bundles: paging by `next` links that point
//! at the server base (as HAPI's do), a duplicate across pages, an
//! `outcome` entry, an empty last page, a pull that fails after page 2 and
//! resumes with every record once, and the watermark's overlap on the next
//! pull.

use crate::common;

use std::time::Duration;

use chrono::{DateTime, Utc};
use common::*;
use serde_json::{Value, json};
use vigil_app::ingest::FileSource;
use vigil_sources::SourceKind;
use vigil_sources::http::{Auth, HttpClient, Retry, Secret};
use vigil_store::Store;
use wiremock::matchers::{header, method, path, query_param};
use wiremock::{Mock, ResponseTemplate};

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
    let (rt, server) = mock_server();
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
    let e = vigil_app::fhir_server::pull(&mut s, &src, &base, "AuditEvent", &mut client(), None)
        .unwrap_err();
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
    let r = vigil_app::fhir_server::pull(&mut s, &src, &base, "AuditEvent", &mut client(), None)
        .unwrap();
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
    let r = vigil_app::fhir_server::pull(&mut s, &src, &base, "AuditEvent", &mut client(), None)
        .unwrap();
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

/// A token endpoint that checks the client assertion as a SMART server
/// does: signed by the registered key, for this endpoint, by this client.
struct TokenEndpoint {
    /// Tokens handed out so far: the first is `smart-abc`, later ones
    /// `smart-def`.
    issued: std::sync::atomic::AtomicUsize,
    public_key: Vec<u8>,
    alg: jsonwebtoken::Algorithm,
    url: String,
}

impl wiremock::Respond for TokenEndpoint {
    fn respond(&self, req: &wiremock::Request) -> ResponseTemplate {
        let body = String::from_utf8_lossy(&req.body);
        let form: std::collections::HashMap<String, String> =
            reqwest::Url::parse(&format!("http://form/?{body}"))
                .unwrap()
                .query_pairs()
                .into_owned()
                .collect();
        let refuse = |why: &str| {
            ResponseTemplate::new(400)
                .set_body_json(json!({"error": "invalid_client", "error_description": why}))
        };
        if form.get("grant_type").map(String::as_str) != Some("client_credentials")
            || form.get("scope").map(String::as_str) != Some("system/AuditEvent.rs")
            || form.get("client_assertion_type").map(String::as_str)
                != Some("urn:ietf:params:oauth:client-assertion-type:jwt-bearer")
        {
            return refuse("bad form");
        }
        let key = match self.alg {
            jsonwebtoken::Algorithm::ES384 => {
                jsonwebtoken::DecodingKey::from_ec_pem(&self.public_key)
            }
            _ => jsonwebtoken::DecodingKey::from_rsa_pem(&self.public_key),
        };
        let Ok(key) = key else {
            return refuse("no such registered key");
        };
        let mut v = jsonwebtoken::Validation::new(self.alg);
        v.set_audience(&[self.url.as_str()]);
        v.set_issuer(&["vigil-audit"]);
        match jsonwebtoken::decode::<Value>(&form["client_assertion"], &key, &v) {
            Ok(t) if t.claims["sub"] == "vigil-audit" && t.header.kid.as_deref() == Some("k1") => {
                let n = self
                    .issued
                    .fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                let token = if n == 0 { "smart-abc" } else { "smart-def" };
                ResponseTemplate::new(200).set_body_json(
                    json!({"access_token": token, "token_type": "bearer", "expires_in": 300, "scope": "system/AuditEvent.rs"}),
                )
            }
            Ok(_) => refuse("wrong subject or key id"),
            Err(e) => refuse(&e.to_string()),
        }
    }
}

/// Pulls through SMART; with `expiring`, the first token expires after
/// page 1 and page 2 needs a renewed one.
fn smart_pull(alg: &str, registered: &str, expiring: bool) -> (Option<String>, u64) {
    let fixtures = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/smart");
    let (rt, server) = mock_server();
    let base = format!("{}/fhir", server.uri());
    let token_url = format!("{}/auth/token", server.uri());
    let resource = json!({"resourceType": "AuditEvent", "id": "a1", "recorded": "2026-11-26T10:00:00Z",
        "type": {"code": "rest"}, "action": "R", "outcome": "0",
        "agent": [{"requestor": true, "who": {"identifier": {"value": "nurse1"}}}],
        "entity": [{"what": {"reference": "Patient/100234"}}]});
    rt.block_on(async {
        Mock::given(method("GET"))
            .and(path("/fhir/.well-known/smart-configuration"))
            .respond_with(ResponseTemplate::new(200).set_body_json(
                json!({"token_endpoint": token_url, "grant_types_supported": ["client_credentials"]}),
            ))
            .mount(&server)
            .await;
        Mock::given(method("POST"))
            .and(path("/auth/token"))
            .respond_with(TokenEndpoint {
                issued: Default::default(),
                public_key: std::fs::read(fixtures.join(registered)).unwrap(),
                alg: if alg == "ES384" {
                    jsonwebtoken::Algorithm::ES384
                } else {
                    jsonwebtoken::Algorithm::RS384
                },
                url: token_url.clone(),
            })
            .mount(&server)
            .await;
        let mut second = resource.clone();
        second["id"] = json!("a2");
        let next = expiring.then(|| format!("{base}/AuditEvent?page=2"));
        Mock::given(method("GET"))
            .and(path("/fhir/AuditEvent"))
            .and(query_param("page", "2"))
            .and(header("authorization", "Bearer smart-def"))
            .respond_with(ResponseTemplate::new(200).set_body_json(bundle(&[second], None)))
            .mount(&server)
            .await;
        Mock::given(method("GET"))
            .and(path("/fhir/AuditEvent"))
            .and(query_param("page", "2"))
            .respond_with(ResponseTemplate::new(401))
            .mount(&server)
            .await;
        Mock::given(method("GET"))
            .and(path("/fhir/AuditEvent"))
            .and(header("authorization", "Bearer smart-abc"))
            .respond_with(ResponseTemplate::new(200).set_body_json(bundle(&[resource], next)))
            .mount(&server)
            .await;
    });
    let dir = tempfile::tempdir().unwrap();
    let key = if alg == "ES384" {
        "es384.key"
    } else {
        "rs384.key"
    };
    write_private(
        &dir.path().join("smart.key"),
        &std::fs::read_to_string(fixtures.join(key)).unwrap(),
    );
    let text = format!(
        "[[source]]\nname = \"fhir\"\nkind = \"fhir\"\nurl = \"{base}\"\n[source.smart]\nclient_id = \"vigil-audit\"\nkey_file = \"smart.key\"\nalg = \"{alg}\"\nkid = \"k1\"\n"
    );
    let config = vigil_app::config::Config::parse(&text, None, dir.path()).unwrap();
    let mut s = store(dir.path());
    let r = vigil_app::pull::pull_source(&mut s, config.source("fhir").unwrap(), None);
    (r.error, r.events)
}

#[test]
fn smart_backend_services_tokens_with_es384_and_rs384() {
    assert_eq!(smart_pull("ES384", "es384.pub", false), (None, 1));
    assert_eq!(smart_pull("RS384", "rs384.pub", false), (None, 1));
    // the token expires mid-pull: renewed once, and the pull goes on
    assert_eq!(smart_pull("ES384", "es384.pub", true), (None, 2));
    // a key the server does not know: the server's words, and no token
    let (err, events) = smart_pull("ES384", "rs384.pub", false);
    let err = err.unwrap();
    assert!(
        err.contains("SMART token endpoint refused: invalid_client"),
        "{err}"
    );
    assert_eq!(events, 0);
}

#[test]
fn smart_settings_are_checked() {
    let dir = tempfile::tempdir().unwrap();
    let bad = |extra: &str| {
        vigil_app::config::Config::parse(
            &format!("[[source]]\nname = \"f\"\nkind = \"fhir\"\nurl = \"https://f\"\n{extra}"),
            None,
            dir.path(),
        )
        .unwrap_err()
        .to_string()
    };
    let e = bad("[source.smart]\nclient_id = \"c\"\nkey_file = \"k\"\nalg = \"HS256\"\n");
    assert!(e.contains("\"RS384\" or \"ES384\""), "{e}");
    let e = bad("token_env = \"T\"\n[source.smart]\nclient_id = \"c\"\nkey_file = \"k\"\n");
    assert!(e.contains("keep one"), "{e}");
}

/// `resources = ["Encounter"]`: the server's Encounter search, by
/// `_lastUpdated`, is stored as clinical context (not events), and a later
/// pull asks only for what changed since, less the overlap.
#[test]
fn encounters_from_the_server_are_context_with_their_own_checkpoint() {
    let (rt, server) = mock_server();
    let base = format!("{}/baseR4", server.uri());
    let enc = |id: &str, version: &str, updated: &str, team: &str| {
        json!({"resourceType": "Encounter", "id": id, "meta": {"versionId": version, "lastUpdated": updated},
               "status": "finished", "class": {"code": "IMP", "display": "inpatient"},
               "subject": {"reference": "Patient/P1"},
               "participant": [{"individual": {"identifier": {"value": team}}}],
               "period": {"start": "2026-11-02T08:00:00Z", "end": "2026-11-03T08:00:00Z"},
               "serviceProvider": {"display": "Cardiology"}})
    };
    let first = bundle(&[enc("V1", "1", "2026-11-03T09:00:00Z", "doc1")], None);
    rt.block_on(async {
        Mock::given(method("GET"))
            .and(path("/baseR4/Encounter"))
            .and(query_param("_sort", "_lastUpdated"))
            .respond_with(ResponseTemplate::new(200).set_body_json(&first))
            .up_to_n_times(1)
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
    let resources = vec!["Encounter".to_owned()];
    let r = vigil_app::fhir_server::pull_all(&mut s, &src, &base, &resources, &mut client(), None)
        .unwrap();
    assert_eq!((r.events, r.context), (0, 1));
    assert_eq!(count(&s, ""), 0, "context is not events");
    let ctx = s.context().unwrap();
    assert_eq!(ctx.len(), 1);
    assert_eq!(ctx[0].key, "Encounter/V1");
    assert_eq!(ctx[0].patient, "P1");
    assert_eq!(ctx[0].team, ["doc1"]);
    assert_eq!(ctx[0].department.as_deref(), Some("Cardiology"));

    // Late documentation: the encounter is updated (a consultant added).
    let later = bundle(&[enc("V1", "2", "2026-11-05T10:00:00Z", "doc2")], None);
    rt.block_on(async {
        Mock::given(method("GET"))
            .and(path("/baseR4/Encounter"))
            .and(query_param("_lastUpdated", "ge2026-11-03T08:55:00Z"))
            .respond_with(ResponseTemplate::new(200).set_body_json(&later))
            .mount(&server)
            .await;
    });
    let r = vigil_app::fhir_server::pull_all(&mut s, &src, &base, &resources, &mut client(), None)
        .unwrap();
    assert_eq!(r.context, 1, "{r:?}");
    let ctx = s.context().unwrap();
    assert_eq!(ctx.len(), 1, "the same encounter, updated");
    assert_eq!(ctx[0].team, ["doc2"]);
    let streams = &s.source_status().unwrap()[0].streams;
    assert!(
        streams
            .iter()
            .any(|st| st.path.ends_with("/baseR4/Encounter")),
        "{streams:?}"
    );
}
