//! The HTTP client layer against a local server: 429 with `Retry-After` in
//! seconds, 503 with an HTTP date, server errors until the attempts run out,
//! an expired token, Link paging with an empty last page, and secrets that
//! never reach an error. Sleeping and the clock are injected: nothing waits.

use crate::common;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use chrono::{DateTime, Utc};
use common::mock_server;
use vigil_sources::http::{Auth, HttpClient, Retry, Secret, next_link};
use wiremock::matchers::{header, method, path, query_param};
use wiremock::{Mock, ResponseTemplate};

fn client(auth: Auth, retry: Retry) -> (HttpClient, Arc<Mutex<Vec<Duration>>>) {
    let slept = Arc::new(Mutex::new(Vec::new()));
    let log = slept.clone();
    let now: DateTime<Utc> = "2026-11-26T12:00:00Z".parse().unwrap();
    let c = HttpClient::new(auth, retry).unwrap().with_time(
        Box::new(move |d| log.lock().unwrap().push(d)),
        Box::new(move || now),
        42,
    );
    (c, slept)
}

#[test]
fn retry_after_is_honoured_in_seconds_and_as_a_date() {
    let (rt, s) = mock_server();
    rt.block_on(async {
        Mock::given(method("GET"))
            .and(path("/a"))
            .respond_with(ResponseTemplate::new(429).insert_header("Retry-After", "2"))
            .up_to_n_times(1)
            .mount(&s)
            .await;
        Mock::given(method("GET"))
            .and(path("/a"))
            .respond_with(ResponseTemplate::new(200).set_body_string("{\"ok\":1}"))
            .mount(&s)
            .await;
        Mock::given(method("GET"))
            .and(path("/b"))
            .respond_with(
                ResponseTemplate::new(503)
                    .insert_header("Retry-After", "Thu, 26 Nov 2026 12:00:05 GMT"),
            )
            .up_to_n_times(1)
            .mount(&s)
            .await;
        Mock::given(method("GET"))
            .and(path("/b"))
            .respond_with(ResponseTemplate::new(200).set_body_string("[]"))
            .mount(&s)
            .await;
    });
    let (mut c, slept) = client(Auth::None, Retry::default());
    let r = c.get(&format!("{}/a", s.uri())).unwrap();
    assert_eq!(r.json().unwrap()["ok"], 1);
    assert_eq!(*slept.lock().unwrap(), [Duration::from_secs(2)]);
    c.get(&format!("{}/b", s.uri())).unwrap();
    assert_eq!(slept.lock().unwrap()[1], Duration::from_secs(5));
}

#[test]
fn server_errors_back_off_with_jitter_until_the_attempts_run_out() {
    let (rt, s) = mock_server();
    rt.block_on(
        Mock::given(method("GET"))
            .respond_with(ResponseTemplate::new(500).set_body_string("upstream \u{1b}[31mfailed"))
            .mount(&s),
    );
    let retry = Retry {
        max_attempts: 4,
        ..Retry::default()
    };
    let (mut c, slept) = client(Auth::None, retry);
    let e = c.get(&format!("{}/x", s.uri())).unwrap_err().to_string();
    assert!(e.contains("HTTP 500: upstream ^[[31mfailed"), "{e}");
    let waits = slept.lock().unwrap().clone();
    assert_eq!(waits.len(), 3, "three waits between four attempts");
    for (i, w) in waits.iter().enumerate() {
        assert!(
            *w < Duration::from_millis(500) * (1 << i),
            "{w:?} over the ceiling of try {i}"
        );
    }
    // a total limit stops retrying early, and says so
    let tight = Retry {
        max_attempts: 10,
        max_total: Duration::from_millis(1),
        base: Duration::from_secs(10),
        cap: Duration::from_secs(10),
    };
    let (mut c, _) = client(Auth::None, tight);
    let e = c.get(&format!("{}/x", s.uri())).unwrap_err().to_string();
    assert!(e.contains("retry limit"), "{e}");
}

#[test]
fn an_expired_token_is_a_clear_error_and_never_shown() {
    let (rt, s) = mock_server();
    rt.block_on(async {
        Mock::given(method("GET"))
            .and(header("authorization", "Bearer s3cret-token"))
            .and(path("/ok"))
            .respond_with(ResponseTemplate::new(200).set_body_string("{}"))
            .mount(&s)
            .await;
        Mock::given(method("GET"))
            .and(path("/expired"))
            .respond_with(ResponseTemplate::new(401).set_body_string("token expired"))
            .mount(&s)
            .await;
    });
    let (mut c, slept) = client(Auth::Bearer(Secret::new("s3cret-token")), Retry::default());
    c.get(&format!("{}/ok", s.uri())).unwrap();
    let e = c
        .get(&format!("{}/expired?access_token=s3cret-token", s.uri()))
        .unwrap_err();
    let text = format!("{e:#} {e:?} {c:?}");
    assert!(text.contains("401 unauthorized"), "{text}");
    assert!(!text.contains("s3cret-token"), "{text}");
    assert!(slept.lock().unwrap().is_empty(), "a 401 is not retried");
}

#[test]
fn link_paging_reads_every_page_once() {
    let (rt, s) = mock_server();
    let base = s.uri();
    rt.block_on(async {
        for page in 1..=3 {
            let mut t = ResponseTemplate::new(200).set_body_string(if page < 3 {
                format!("[{{\"n\":{}}},{{\"n\":{}}}]", page * 2 - 1, page * 2)
            } else {
                "[]".into() // an empty last page
            });
            if page < 3 {
                t = t.insert_header(
                    "Link",
                    format!("<{base}/issues?page={}>; rel=\"next\"", page + 1).as_str(),
                );
            }
            Mock::given(method("GET"))
                .and(path("/issues"))
                .and(query_param("page", page.to_string()))
                .respond_with(t)
                .expect(1)
                .mount(&s)
                .await;
        }
    });
    let (mut c, _) = client(Auth::None, Retry::default());
    let mut url = Some(format!("{base}/issues?page=1"));
    let mut seen = Vec::new();
    while let Some(u) = url {
        let r = c.get(&u).unwrap();
        for x in r.json().unwrap().as_array().unwrap() {
            seen.push(x["n"].as_i64().unwrap());
        }
        url = next_link(&r.headers);
    }
    assert_eq!(seen, [1, 2, 3, 4]);
    rt.block_on(s.verify());
}

#[test]
fn a_used_up_rate_limit_waits_for_its_reset_before_the_next_request() {
    let (rt, s) = mock_server();
    // 12:00:00 now; the limit resets 40 s later (GitHub: epoch seconds)
    let reset = ("2026-11-26T12:00:40Z".parse::<DateTime<Utc>>().unwrap())
        .timestamp()
        .to_string();
    rt.block_on(async {
        Mock::given(method("GET"))
            .and(path("/last"))
            .respond_with(
                ResponseTemplate::new(200)
                    .insert_header("X-RateLimit-Remaining", "0")
                    .insert_header("X-RateLimit-Reset", reset.as_str())
                    .set_body_string("[]"),
            )
            .mount(&s)
            .await;
        Mock::given(method("GET"))
            .and(path("/next"))
            .respond_with(ResponseTemplate::new(200).set_body_string("[]"))
            .mount(&s)
            .await;
    });
    let (mut c, slept) = client(Auth::None, Retry::default());
    c.get(&format!("{}/last", s.uri())).unwrap();
    assert!(slept.lock().unwrap().is_empty());
    c.get(&format!("{}/next", s.uri())).unwrap();
    assert_eq!(*slept.lock().unwrap(), [Duration::from_secs(40)]);
    // and only once
    c.get(&format!("{}/next", s.uri())).unwrap();
    assert_eq!(slept.lock().unwrap().len(), 1);
}
