//! Property tests for every parser: arbitrary bytes, and mutations of real
//! records, never panic, and nothing a parser stores as text holds a
//! control character (the terminal-safety promise of SafeText).

use proptest::prelude::*;
use vigil_domain::{NewEvent, SafeText};
use vigil_sources::{ParserOptions, SourceKind};

/// Records of each kind to mutate: shapes the parsers know, so mutations
/// reach deep into them rather than failing at the first byte.
fn seeds(kind: SourceKind) -> Vec<&'static [u8]> {
    match kind {
        SourceKind::Syslog => vec![
            b"Jan  5 10:00:00 host sshd[1]: Failed password for invalid user x from 1.2.3.4 port 22 ssh2",
            b"2024-01-05T10:00:00+01:00 host sudo: bob : TTY=pts/0 ; PWD=/ ; USER=root ; COMMAND=/bin/sh",
        ],
        SourceKind::JournaldJson => vec![
            br#"{"__CURSOR":"c","__REALTIME_TIMESTAMP":"1700000000000000","_COMM":"sshd","_UID":"0","MESSAGE":[65,13,27,66]}"#,
            br#"{"__REALTIME_TIMESTAMP":"1","MESSAGE":"Accepted password for a\u001b[2J from 1.2.3.4 port 1 ssh2","_COMM":"sshd","_UID":"0"}"#,
        ],
        SourceKind::Auditd => vec![
            b"node=h type=USER_LOGIN msg=audit(1493046015.752:42120): pid=1 uid=0 auid=4294967295 ses=1 msg='op=login acct=28696E76616C6964207573657229 exe=\"/usr/sbin/sshd\" hostname=? addr=1.2.3.4 terminal=ssh res=failed'",
            b"type=EXECVE msg=audit(1669615313.901:5538): argc=3 a0=\"sh\" a1=\"-c\" a2=1B5B324A",
            b"type=SYSCALL msg=audit(1.000:1): arch=c000003e syscall=2 success=no items=1 auid=1000 key=\"phi\"",
        ],
        SourceKind::Pgaudit => vec![
            b"2024-01-15 14:23:01.123 UTC [1] LOG:  AUDIT: SESSION,1,1,READ,SELECT,TABLE,public.t,\"select 1\",<none>",
            b"2024-01-15 14:23:01.123 UTC,\"u\",\"d\",1,\"h:1\",s,1,\"SELECT\",x,1/1,0,LOG,00000,\"AUDIT: OBJECT,1,1,READ,SELECT,TABLE,public.t,\"\"a\"\"\",,,,,,,,,\"psql\"",
        ],
        SourceKind::FhirAuditEvent | SourceKind::Fhir => vec![
            br#"{"resourceType":"AuditEvent","recorded":"2024-01-01T00:00:00Z","action":"R","outcome":"0","agent":[{"who":{"identifier":{"value":"n\u009b1"}},"requestor":true}],"entity":[{"what":{"reference":"Patient/1"}}]}"#,
            br#"{"resourceType":"Bundle","entry":[{"resource":{"resourceType":"AuditEvent","recorded":"2024-01-01T00:00:00Z"}}]}"#,
        ],
        // read from their APIs only: every record is refused, never a panic
        SourceKind::Jira
        | SourceKind::Github
        | SourceKind::ServiceNow
        | SourceKind::PagerDuty
        | SourceKind::TheHive => vec![br#"{"id":"1","key":"SEC-1","fields":{"summary":"x"}}"#],
        SourceKind::AccessCsv => vec![b"actor,subject,occurred_at", b"nurse1,100234,2024-01-01 10:00:00"],
        SourceKind::FhirEncounter => vec![
            br#"{"resourceType":"Encounter","id":"V1","subject":{"reference":"Patient/1"},"participant":[{"individual":{"identifier":{"value":"n\u009b1"}}}],"period":{"start":"2024-01-01T00:00:00Z"}}"#,
            br#"{"resourceType":"Bundle","entry":[{"resource":{"resourceType":"CareTeam","subject":{"reference":"Patient/1"}}}]}"#,
        ],
        SourceKind::AdtCsv => vec![b"patient,start,end", b"100234,2024-01-01 10:00:00,2024-01-02 10:00:00"],
        SourceKind::Hl7Adt => vec![
            b"MSH|^~\\&|A|B|C|D|20240101||ADT^A01|1|P|2.5\rEVN|A01|20240101\rPID|1||1^^^H^MR\rPV1|1|I|W3||||d1",
            b"ROL|1|AD|AT|d2",
        ],
        SourceKind::Cloudtrail => vec![
            br#"{"Records":[{"eventTime":"2024-01-01T00:00:00Z","eventName":"ConsoleLogin","userIdentity":{"type":"IAMUser","userName":"a\u001b]0;x\u0007"},"sourceIPAddress":"1.2.3.4"}]}"#,
        ],
    }
}

fn clean(t: &Option<SafeText>) -> bool {
    t.as_ref()
        .is_none_or(|t| !t.as_str().chars().any(char::is_control))
}

fn check(e: &NewEvent) -> Result<(), TestCaseError> {
    for f in [
        &e.host, &e.program, &e.actor, &e.subject, &e.client, &e.detail,
    ] {
        prop_assert!(clean(f), "control character in {:?}", f);
    }
    prop_assert!(!e.action.as_str().chars().any(char::is_control));
    Ok(())
}

/// Feeds lines to a fresh parser of `kind`, then finishes it.
fn run(kind: SourceKind, lines: &[Vec<u8>]) -> Result<(), TestCaseError> {
    let options = ParserOptions {
        columns: None,
        context_columns: None,
        log_line_prefix: None,
        zone_abbreviations: Default::default(),
    };
    let mut p = kind.parser(None, &options, chrono::Utc::now(), "");
    let mut out = Vec::new();
    let mut offset = 0u64;
    for l in lines {
        let _ = p.parse(l, offset, &mut out);
        let _ = p.rejects();
        offset += l.len() as u64 + 1;
    }
    // What a parser saved must restore without panicking, too.
    let state = p.state();
    let _ = kind.parser(None, &options, chrono::Utc::now(), &state);
    p.finish(&mut out);
    for e in &out {
        check(e)?;
    }
    Ok(())
}

fn mutated(seed: &'static [u8]) -> impl Strategy<Value = Vec<u8>> {
    let n = seed.len();
    prop::collection::vec((0..n.max(1), any::<u8>(), 0u8..3), 0..8).prop_map(move |edits| {
        let mut v = seed.to_vec();
        for (at, byte, how) in edits {
            let at = at.min(v.len());
            match how {
                0 if at < v.len() => v[at] = byte,
                1 => v.insert(at, byte),
                _ if at < v.len() => {
                    v.remove(at);
                }
                _ => {}
            }
        }
        v
    })
}

fn lines_for(kind: SourceKind) -> impl Strategy<Value = Vec<Vec<u8>>> {
    let seeds = seeds(kind);
    let one = prop_oneof![
        prop::collection::vec(any::<u8>(), 0..200),
        prop::sample::select(seeds).prop_flat_map(mutated),
    ];
    prop::collection::vec(one, 1..12)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 300, ..ProptestConfig::default() })]

    #[test]
    fn syslog_never_panics(lines in lines_for(SourceKind::Syslog)) {
        run(SourceKind::Syslog, &lines)?;
    }

    #[test]
    fn journald_never_panics(lines in lines_for(SourceKind::JournaldJson)) {
        run(SourceKind::JournaldJson, &lines)?;
    }

    #[test]
    fn auditd_never_panics(lines in lines_for(SourceKind::Auditd)) {
        run(SourceKind::Auditd, &lines)?;
    }

    #[test]
    fn pgaudit_never_panics(lines in lines_for(SourceKind::Pgaudit)) {
        run(SourceKind::Pgaudit, &lines)?;
    }

    #[test]
    fn fhir_never_panics(lines in lines_for(SourceKind::FhirAuditEvent)) {
        run(SourceKind::FhirAuditEvent, &lines)?;
    }

    #[test]
    fn access_csv_never_panics(lines in lines_for(SourceKind::AccessCsv)) {
        run(SourceKind::AccessCsv, &lines)?;
    }

    #[test]
    fn cloudtrail_never_panics(lines in lines_for(SourceKind::Cloudtrail)) {
        run(SourceKind::Cloudtrail, &lines)?;
    }
}

/// Each tracker's page with `text` in every field a person wrote or named,
/// read back by the tracker.
fn tracker_tickets(text: &str, n: i64) -> Vec<vigil_sources::tickets::Ticket> {
    use serde_json::json;
    use vigil_sources::http::Response;
    use vigil_sources::tickets::{Tracker, github, jira, pagerduty, servicenow, thehive};
    let base = "https://t.example".to_owned();
    let pages: Vec<(Box<dyn Tracker>, serde_json::Value)> = vec![
        (
            Box::new(jira::Jira {
                base: base.clone(),
                query: "p".into(),
                api: 3,
                zone: None,
            }),
            json!({"issues": [{"id": text, "key": text, "fields": {"summary": text, "status": {"name": text},
                "priority": {"name": text}, "assignee": {"displayName": text}, "updated": "2024-01-01T00:00:00.000+0100", "created": n}}]}),
        ),
        (
            Box::new(github::Github {
                base: base.clone(),
                query: "o/r".into(),
            }),
            json!([{"id": n, "number": n, "title": text, "state": text, "state_reason": text, "labels": [{"name": text}, text],
                "assignee": {"login": text}, "updated_at": "2024-01-01T00:00:00Z", "repository_url": text, "html_url": text}]),
        ),
        (
            Box::new(servicenow::ServiceNow {
                base: base.clone(),
                query: String::new(),
                table: "incident".into(),
            }),
            json!({"result": [{"sys_id": text, "number": text, "short_description": text, "state": text, "priority": text,
                "assigned_to": {"display_value": text}, "sys_updated_on": "2024-01-01 00:00:00"}]}),
        ),
        (
            Box::new(pagerduty::PagerDuty {
                base: base.clone(),
                query: String::new(),
            }),
            json!({"incidents": [{"id": text, "incident_number": n, "title": text, "status": text, "urgency": text,
                "priority": {"summary": text}, "assignments": [{"assignee": {"summary": text}}], "created_at": "2024-01-01T00:00:00Z", "html_url": text}], "more": true, "offset": n}),
        ),
        (
            Box::new(thehive::TheHive {
                base,
                objects: vec!["alert".into()],
            }),
            json!([{"_id": text, "title": text, "status": text, "severity": n, "assignee": text, "_createdAt": n, "severityLabel": text}]),
        ),
    ];
    let mut out = Vec::new();
    for (t, body) in pages {
        let req = t.first(None, chrono::Utc::now()).unwrap();
        let resp = Response {
            status: reqwest::StatusCode::OK,
            headers: Default::default(),
            body: serde_json::to_vec(&body).unwrap(),
        };
        let page = t.page(&req, &resp).unwrap();
        out.extend(page.tickets.into_iter().flatten());
    }
    out
}

proptest! {
    #[test]
    fn tracker_text_is_neutralized(text in any::<String>(), n in any::<i64>()) {
        for t in tracker_tickets(&text, n) {
            for f in [Some(&t.key), Some(&t.title), Some(&t.status), t.priority.as_ref(), t.assignee.as_ref(), t.url.as_ref()] {
                prop_assert!(f.is_none_or(|f| !f.chars().any(char::is_control)), "control character in {:?}", f);
            }
        }
    }
}

#[test]
fn seeds_parse_and_hostile_text_is_neutralized() {
    // every tracker reads its page (so the tracker property is not vacuous)
    let tickets = tracker_tickets("evil\u{1b}]0;owned\u{7} name", 3);
    assert_eq!(tickets.len(), 5);
    for t in &tickets {
        assert!(!t.title.chars().any(char::is_control), "{:?}", t.title);
        assert!(t.title.contains("evil"), "{:?}", t.title);
    }
    // The seeds themselves produce events, so the properties above are not
    // vacuous, and their escape sequences arrive neutralized.
    for kind in SourceKind::ALL.iter().filter(|k| !k.is_tracker()) {
        let lines: Vec<Vec<u8>> = seeds(*kind).iter().map(|s| s.to_vec()).collect();
        let options = ParserOptions::default();
        let mut p = kind.parser(None, &options, chrono::Utc::now(), "");
        let mut out = Vec::new();
        for (i, l) in lines.iter().enumerate() {
            let _ = p.parse(l, i as u64 * 1000, &mut out);
        }
        p.finish(&mut out);
        if kind.is_context() {
            assert!(!p.context().is_empty(), "{kind}: no context from its seeds");
            continue;
        }
        assert!(!out.is_empty(), "{kind}: no event from its seeds");
        for e in &out {
            check(e).unwrap();
        }
    }
}
