//! TheHive: alerts, then cases, through the Query API (`POST
//! /api/v1/query`), filtered on `_updatedAt` (or `_createdAt` for what was
//! never updated), oldest first, paged by `from`/`to` until a short page.
//! Times are epoch milliseconds; v1 (`_id`, `_createdAt`) and the legacy v0
//! shape (`id`, `createdAt`) are both read.

use chrono::{DateTime, Utc};
use color_eyre::eyre::Result;
use serde_json::{Value, json};

use super::{PAGE, Page, Ticket, Tracker, body, text, time};
use crate::http::{Req, Response};
use vigil_domain::Severity;

pub struct TheHive {
    pub base: String,
    /// `alert`, `case`, or both (in that order).
    pub objects: Vec<String>,
}

fn field<'a>(v: &'a Value, names: &[&str]) -> &'a Value {
    names
        .iter()
        .map(|n| &v[*n])
        .find(|v| !v.is_null())
        .unwrap_or(&Value::Null)
}

impl TheHive {
    fn query(&self, object: &str, since: Option<i64>, from: usize) -> Req {
        let list = if object == "case" {
            "listCase"
        } else {
            "listAlert"
        };
        let mut steps = vec![json!({"_name": list})];
        if let Some(ms) = since {
            steps.push(json!({"_name": "filter", "_or": [
                {"_gte": {"_field": "_updatedAt", "_value": ms}},
                {"_gte": {"_field": "_createdAt", "_value": ms}}
            ]}));
        }
        steps.push(
            json!({"_name": "sort", "_fields": [{"_updatedAt": "asc"}, {"_createdAt": "asc"}]}),
        );
        steps.push(json!({"_name": "page", "from": from, "to": from + PAGE}));
        Req::query(
            format!(
                "{}/api/v1/query?name=vigil-{object}s",
                self.base.trim_end_matches('/')
            ),
            json!({ "query": steps }),
        )
    }

    fn ticket(&self, object: &str, v: &Value) -> std::result::Result<Ticket, String> {
        let id = text(field(v, &["_id", "id"])).ok_or("a record without an id")?;
        let created = time(field(v, &["_createdAt", "createdAt"]))
            .ok_or("a record without a creation time")?;
        let updated = time(field(v, &["_updatedAt", "updatedAt"])).unwrap_or(created);
        let severity = match v["severity"].as_i64() {
            Some(1) => Severity::Low,
            Some(3) => Severity::High,
            Some(4) => Severity::Critical,
            _ => Severity::Medium,
        };
        let key = if object == "case" {
            text(field(v, &["number", "caseId"]))
                .map(|n| format!("case #{n}"))
                .unwrap_or_else(|| format!("case {id}"))
        } else {
            format!("alert {id}")
        };
        let base = self.base.trim_end_matches('/');
        Ok(Ticket {
            key,
            title: text(&v["title"]).unwrap_or_default(),
            status: text(field(v, &["status", "stage"])).unwrap_or_else(|| "unknown".into()),
            priority: text(&v["severityLabel"])
                .or_else(|| text(&v["severity"]).map(|s| format!("severity {s}"))),
            severity,
            assignee: text(field(v, &["assignee", "owner"])),
            url: Some(if object == "case" {
                format!("{base}/cases/{id}/details")
            } else {
                format!("{base}/alerts/{id}/details")
            }),
            created,
            updated,
            id,
            raw: serde_json::to_vec(v).unwrap_or_default(),
        })
    }
}

impl Tracker for TheHive {
    fn name(&self) -> &'static str {
        "TheHive"
    }

    fn first(&self, since: Option<DateTime<Utc>>, _now: DateTime<Utc>) -> Result<Req> {
        let object = self.objects.first().map(String::as_str).unwrap_or("alert");
        Ok(self.query(object, since.map(|s| s.timestamp_millis()), 0))
    }

    fn page(&self, req: &Req, resp: &Response) -> Result<Page> {
        let v = body("TheHive", req, resp)?;
        let list = v.as_array().cloned().unwrap_or_default();
        // Where this page was in the search, read back from the query sent.
        let steps = req
            .body
            .as_ref()
            .and_then(|b| b["query"].as_array().cloned())
            .unwrap_or_default();
        let step = |name: &str| steps.iter().find(|s| s["_name"] == name);
        let object = if step("listCase").is_some() {
            "case"
        } else {
            "alert"
        }
        .to_owned();
        let since = step("filter").and_then(|f| f["_or"][0]["_gte"]["_value"].as_i64());
        let from = step("page").and_then(|p| p["from"].as_u64()).unwrap_or(0) as usize;
        let next = if list.len() >= PAGE {
            Some(self.query(&object, since, from + list.len()))
        } else {
            // this kind is done: on to the next one asked for
            let pos = self.objects.iter().position(|o| *o == object);
            pos.and_then(|p| self.objects.get(p + 1))
                .map(|o| self.query(o, since, 0))
        };
        Ok(Page {
            tickets: list
                .iter()
                .map(|r| {
                    self.ticket(&object, r)
                        .map_err(|e| (e, serde_json::to_vec(r).unwrap_or_default()))
                })
                .collect(),
            next,
        })
    }
}
