//! Ticket systems in: one `Tracker` per API (Jira, GitHub, ServiceNow,
//! PagerDuty, TheHive) says how to ask for what changed and how to read a
//! page, and the helpers here read the values every API writes differently.
//! Paging them into the store is `vigil_app::tickets`.

pub mod github;
pub mod jira;
pub mod pagerduty;
pub mod servicenow;
pub mod thehive;

use chrono::{DateTime, Duration, NaiveDateTime, TimeZone, Utc};
use color_eyre::eyre::{Result, eyre};
use serde_json::Value;

use super::http::{Req, Response};
use vigil_domain::{SafeText, Severity};

/// How far before the watermark each search starts again: trackers commit
/// late, and Jira's JQL dates have minute resolution in the user's zone.
pub const OVERLAP: i64 = 10 * 60;
/// Entries asked for per page.
pub const PAGE: usize = 100;
/// A pull that pages this often is looping (a server that keeps handing
/// out the same `next`): it stops and says so.
pub const MAX_PAGES: usize = 10_000;

/// One ticket as a tracker reports it, normalized.
#[derive(Debug, Clone, PartialEq)]
pub struct Ticket {
    /// The tracker's id (dedupe with `updated`).
    pub id: String,
    /// What people call it: `SEC-12`, `octo/repo#5`, `INC0010001`.
    pub key: String,
    pub title: String,
    pub status: String,
    pub priority: Option<String>,
    pub severity: Severity,
    pub assignee: Option<String>,
    pub url: Option<String>,
    pub created: DateTime<Utc>,
    pub updated: DateTime<Utc>,
    pub raw: Vec<u8>,
}

/// One page: tickets (or why one could not be read, with its bytes) and the
/// request for the next page.
pub struct Page {
    pub tickets: Vec<std::result::Result<Ticket, (String, Vec<u8>)>>,
    pub next: Option<Req>,
}

/// One ticket API.
pub trait Tracker: Send {
    /// "Jira", "GitHub": for reasons and errors.
    fn name(&self) -> &'static str;
    /// The first request of a search for what changed at or after `since`
    /// (all of it when `None`).
    fn first(&self, since: Option<DateTime<Utc>>, now: DateTime<Utc>) -> Result<Req>;
    /// The tickets of a page and the request for the next one.
    fn page(&self, req: &Req, resp: &Response) -> Result<Page>;
    /// Statuses that are an answer rather than a failure (an empty page).
    fn accept(&self) -> &'static [u16] {
        &[]
    }
    /// Where the next search starts, given the latest `updated` stored.
    fn since(
        &self,
        watermark: Option<DateTime<Utc>>,
        _now: DateTime<Utc>,
    ) -> Option<DateTime<Utc>> {
        watermark.map(|w| w - Duration::seconds(OVERLAP))
    }
}

/// Severity from a tracker's priority name, number or label.
pub fn severity_of(priority: &str) -> Severity {
    let p = priority.trim().to_ascii_lowercase();
    let has = |words: &[&str]| words.iter().any(|w| p.contains(w));
    if has(&["highest", "critical", "blocker", "urgent", "p1", "sev1"]) || p == "1" {
        Severity::Critical
    } else if has(&["high", "major", "p2", "sev2"]) || p == "2" {
        Severity::High
    } else if has(&["low", "minor", "trivial", "planning", "p4", "p5", "sev4"])
        || p == "4"
        || p == "5"
    {
        Severity::Low
    } else {
        Severity::Medium
    }
}

/// Text from a tracker, neutralized for the screen and the store.
pub fn text(v: &Value) -> Option<String> {
    match v {
        Value::String(s) if !s.trim().is_empty() => Some(SafeText::new(s.trim()).into_string()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

/// A time in any of the forms trackers use: RFC 3339, Jira's
/// `2020-12-03T14:05:20.974+0100`, ServiceNow's zone-less UTC
/// `2016-12-12 15:19:57`, or epoch milliseconds (TheHive).
pub fn time(v: &Value) -> Option<DateTime<Utc>> {
    match v {
        Value::Number(n) => Utc.timestamp_millis_opt(n.as_i64()?).single(),
        Value::String(s) => {
            let s = s.trim();
            DateTime::parse_from_rfc3339(s)
                .or_else(|_| DateTime::parse_from_str(s, "%Y-%m-%dT%H:%M:%S%.f%z"))
                .map(|t| t.with_timezone(&Utc))
                .ok()
                .or_else(|| {
                    NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M:%S")
                        .ok()
                        .map(|n| n.and_utc())
                })
        }
        _ => None,
    }
}

/// A JSON body, or an error naming the tracker and the page.
pub fn body(name: &str, req: &Req, resp: &Response) -> Result<Value> {
    serde_json::from_slice(&resp.body).map_err(|e| {
        eyre!(
            "{}: {name} answered with something that is not JSON: {e}",
            super::http::redact_url(&req.url)
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_in_every_trackers_form() {
        let want: DateTime<Utc> = "2020-12-03T13:05:20.974Z".parse().unwrap();
        assert_eq!(
            time(&Value::from("2020-12-03T14:05:20.974+0100")),
            Some(want)
        );
        assert_eq!(time(&Value::from("2020-12-03T13:05:20.974Z")), Some(want));
        assert_eq!(
            time(&Value::from("2016-12-12 15:19:57")),
            Some("2016-12-12T15:19:57Z".parse().unwrap())
        );
        assert_eq!(
            time(&Value::from(1620333017135i64)),
            Some("2021-05-06T20:30:17.135Z".parse().unwrap())
        );
        assert_eq!(time(&Value::from("")), None);
        assert_eq!(time(&Value::Null), None);
    }

    #[test]
    fn priorities_to_severities() {
        for (p, s) in [
            ("Highest", Severity::Critical),
            ("P1", Severity::Critical),
            ("1 - Critical", Severity::Critical),
            ("High", Severity::High),
            ("P2", Severity::High),
            ("Medium", Severity::Medium),
            ("3", Severity::Medium),
            ("Low", Severity::Low),
            ("5 - Planning", Severity::Low),
            ("whatever", Severity::Medium),
        ] {
            assert_eq!(severity_of(p), s, "{p}");
        }
    }
}
