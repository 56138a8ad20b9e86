//! GitHub issues: a repository's issues (`query = "owner/repo"`) or an
//! issue search (any other query), oldest update first, paged by the `Link`
//! header followed exactly as given. Pull requests come back as issues and
//! are left out.

use chrono::{DateTime, Utc};
use color_eyre::eyre::Result;
use serde_json::Value;

use super::{PAGE, Page, Ticket, Tracker, body, severity_of, text, time};
use crate::http::{Req, Response, next_link, with_query};

pub struct Github {
    /// `https://api.github.com`, or an Enterprise server's `/api/v3`.
    pub base: String,
    pub query: String,
}

impl Github {
    fn repo_only(&self) -> bool {
        let q = self.query.trim();
        let mut parts = q.split('/');
        let ok = |p: Option<&str>| {
            p.is_some_and(|p| {
                !p.is_empty()
                    && p.chars()
                        .all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c))
            })
        };
        ok(parts.next()) && ok(parts.next()) && parts.next().is_none()
    }

    fn ticket(&self, issue: &Value) -> std::result::Result<Ticket, String> {
        let id = text(&issue["id"]).ok_or("an issue without an id")?;
        let number = text(&issue["number"]).ok_or("an issue without a number")?;
        let updated = time(&issue["updated_at"]).ok_or("an issue without `updated_at`")?;
        // repository_url ends in the owner and name (or /repositories/id)
        let repo = issue["repository_url"]
            .as_str()
            .and_then(|u| u.split("/repos/").nth(1))
            .map(str::to_owned)
            .unwrap_or_else(|| {
                if self.repo_only() {
                    self.query.trim().to_owned()
                } else {
                    String::new()
                }
            });
        let labels: Vec<String> = issue["labels"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|l| text(&l["name"]).or_else(|| text(l)))
            .collect();
        let priority = labels.iter().find(|l| {
            let l = l.to_ascii_lowercase();
            l.starts_with("priority")
                || l.starts_with("severity")
                || l.len() == 2 && l.starts_with('p')
        });
        let mut status = text(&issue["state"]).unwrap_or_else(|| "unknown".into());
        if let Some(r) = text(&issue["state_reason"]) {
            status = format!("{status} ({})", r.replace('_', " "));
        }
        Ok(Ticket {
            id,
            key: format!("{}#{number}", SafeRepo(&repo)),
            title: text(&issue["title"]).unwrap_or_default(),
            status,
            severity: priority
                .map(|p| severity_of(p))
                .unwrap_or(vigil_domain::Severity::Medium),
            priority: priority.cloned(),
            assignee: text(&issue["assignee"]["login"]),
            url: text(&issue["html_url"]),
            created: time(&issue["created_at"]).unwrap_or(updated),
            updated,
            raw: serde_json::to_vec(issue).unwrap_or_default(),
        })
    }
}

/// A repository name as shown, neutralized.
struct SafeRepo<'a>(&'a str);

impl std::fmt::Display for SafeRepo<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(vigil_domain::SafeText::new(self.0).as_str())
    }
}

impl Tracker for Github {
    fn name(&self) -> &'static str {
        "GitHub"
    }

    fn first(&self, since: Option<DateTime<Utc>>, _now: DateTime<Utc>) -> Result<Req> {
        let base = self.base.trim_end_matches('/');
        let since = since.map(|s| s.format("%Y-%m-%dT%H:%M:%SZ").to_string());
        if self.repo_only() {
            let mut pairs = vec![
                ("state", "all".to_string()),
                ("sort", "updated".into()),
                ("direction", "asc".into()),
                ("per_page", PAGE.to_string()),
            ];
            if let Some(s) = since {
                pairs.push(("since", s));
            }
            let url = format!("{base}/repos/{}/issues", self.query.trim());
            return Ok(Req::get(with_query(&url, &pairs)?));
        }
        let mut q = format!("{} is:issue", self.query.trim());
        if let Some(s) = since {
            q.push_str(&format!(" updated:>={s}"));
        }
        let pairs = [
            ("q", q),
            ("sort", "updated".into()),
            ("order", "asc".into()),
            ("per_page", PAGE.to_string()),
        ];
        Ok(Req::get(with_query(
            &format!("{base}/search/issues"),
            &pairs,
        )?))
    }

    fn page(&self, req: &Req, resp: &Response) -> Result<Page> {
        let v = body("GitHub", req, resp)?;
        let list = match &v {
            Value::Array(a) => a.clone(),
            _ => v["items"].as_array().cloned().unwrap_or_default(),
        };
        let tickets = list
            .iter()
            .filter(|i| i.get("pull_request").is_none())
            .map(|i| {
                self.ticket(i)
                    .map_err(|e| (e, serde_json::to_vec(i).unwrap_or_default()))
            })
            .collect();
        Ok(Page {
            tickets,
            next: next_link(&resp.headers).map(Req::get),
        })
    }
}
