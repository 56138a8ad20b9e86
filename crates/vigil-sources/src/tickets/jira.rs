//! Jira: JQL search, Cloud's `/rest/api/3/search/jql` paged by
//! `nextPageToken` (absent or `isLast` at the end) or Data Center's
//! `/rest/api/2/search` paged by `startAt` against `total` (pages may come
//! back short mid-way). Times carry `+0100` offsets; descriptions may be
//! ADF documents or wiki strings, and only the summary is kept.

use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use color_eyre::eyre::Result;
use serde_json::Value;

use super::{PAGE, Page, Ticket, Tracker, body, severity_of, text, time};
use crate::http::{Req, Response, with_query};

const FIELDS: &str = "summary,status,priority,assignee,created,updated,issuetype";

/// Where people see an issue.
pub fn browse_url(base: &str, key: &str) -> String {
    format!("{}/browse/{key}", base.trim_end_matches('/'))
}

pub struct Jira {
    pub base: String,
    /// The user's JQL (an `ORDER BY` in it is replaced).
    pub query: String,
    /// `3` (Cloud, token paging) or `2` (Data Center, offset paging).
    pub api: u8,
    /// The zone JQL dates are read in (the integration user's).
    pub zone: Option<Tz>,
}

impl Jira {
    fn jql(&self, since: Option<DateTime<Utc>>) -> String {
        let q = self.query.trim();
        let cut = q.to_ascii_lowercase().find("order by").unwrap_or(q.len());
        let q = q[..cut].trim();
        let mut jql = String::new();
        if !q.is_empty() {
            jql.push_str(&format!("({q})"));
        }
        if let Some(s) = since {
            let at = vigil_domain::time::local_format(self.zone, s, "%Y-%m-%d %H:%M");
            if !jql.is_empty() {
                jql.push_str(" AND ");
            }
            jql.push_str(&format!("updated >= \"{at}\""));
        }
        jql.push_str(" ORDER BY updated ASC");
        jql.trim().to_owned()
    }

    fn ticket(&self, issue: &Value) -> std::result::Result<Ticket, String> {
        let f = &issue["fields"];
        let key = text(&issue["key"]).ok_or("an issue without a key")?;
        let updated = time(&f["updated"]).ok_or("an issue without a readable `updated` time")?;
        let priority = text(&f["priority"]["name"]);
        let assignee = ["displayName", "name", "accountId"]
            .iter()
            .find_map(|k| text(&f["assignee"][k]));
        Ok(Ticket {
            id: text(&issue["id"]).unwrap_or_else(|| key.clone()),
            title: text(&f["summary"]).unwrap_or_default(),
            status: text(&f["status"]["name"]).unwrap_or_else(|| "unknown".into()),
            severity: priority
                .as_deref()
                .map(severity_of)
                .unwrap_or(vigil_domain::Severity::Medium),
            priority,
            assignee,
            url: Some(browse_url(&self.base, &key)),
            created: time(&f["created"]).unwrap_or(updated),
            updated,
            key,
            raw: serde_json::to_vec(issue).unwrap_or_default(),
        })
    }
}

impl Tracker for Jira {
    fn name(&self) -> &'static str {
        "Jira"
    }

    fn first(&self, since: Option<DateTime<Utc>>, _now: DateTime<Utc>) -> Result<Req> {
        let base = self.base.trim_end_matches('/');
        let mut pairs = vec![
            ("jql", self.jql(since)),
            ("maxResults", PAGE.to_string()),
            ("fields", FIELDS.to_string()),
        ];
        let path = if self.api == 2 {
            pairs.push(("startAt", "0".into()));
            "rest/api/2/search"
        } else {
            "rest/api/3/search/jql"
        };
        Ok(Req::get(with_query(&format!("{base}/{path}"), &pairs)?))
    }

    fn page(&self, req: &Req, resp: &Response) -> Result<Page> {
        let v = body("Jira", req, resp)?;
        let issues = v["issues"].as_array().cloned().unwrap_or_default();
        let tickets = issues
            .iter()
            .map(|i| {
                self.ticket(i)
                    .map_err(|e| (e, serde_json::to_vec(i).unwrap_or_default()))
            })
            .collect();
        let next = if self.api == 2 {
            let start = v["startAt"].as_u64().unwrap_or(0);
            let total = v["total"].as_u64().unwrap_or(0);
            let after = start + issues.len() as u64;
            (!issues.is_empty() && after < total)
                .then(|| with_query(&req.url, &[("startAt", after.to_string())]))
                .transpose()?
        } else {
            // The token is omitted (not null) on the last page.
            match v["nextPageToken"].as_str() {
                Some(t) if v["isLast"] != Value::Bool(true) && !t.is_empty() => {
                    Some(with_query(&req.url, &[("nextPageToken", t.to_owned())])?)
                }
                _ => None,
            }
        };
        Ok(Page {
            tickets,
            next: next.map(Req::get),
        })
    }
}
