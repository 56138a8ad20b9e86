//! ServiceNow's Table API (`incident`, `sn_si_incident`, …): an encoded
//! query on `sys_updated_on` (raw values, UTC without a zone marker),
//! sorted on a stable key, paged by offset. A short or even empty page does
//! not mean the end (the limit applies before ACLs): paging stops at
//! `X-Total-Count`, or at an empty page when there is no count; the v1
//! API's 404 for "no records" is an empty page. Every value is a string.

use chrono::{DateTime, Utc};
use color_eyre::eyre::Result;
use serde_json::Value;

use super::{PAGE, Page, Ticket, Tracker, body, severity_of, text, time};
use crate::http::{Req, Response, with_query};

/// Where people see a record.
pub fn record_url(base: &str, table: &str, sys_id: &str) -> String {
    format!(
        "{}/nav_to.do?uri={table}.do?sys_id={sys_id}",
        base.trim_end_matches('/')
    )
}

pub struct ServiceNow {
    pub base: String,
    /// Extra `sysparm_query` conditions (`active=true^category=security`).
    pub query: String,
    pub table: String,
}

/// The incident table's `state` choices.
fn state_label(code: &str) -> Option<&'static str> {
    Some(match code {
        "1" => "New",
        "2" => "In Progress",
        "3" => "On Hold",
        "6" => "Resolved",
        "7" => "Closed",
        "8" => "Canceled",
        _ => return None,
    })
}

/// The incident table's `priority` choices.
fn priority_label(code: &str) -> String {
    match code {
        "1" => "1 - Critical".into(),
        "2" => "2 - High".into(),
        "3" => "3 - Moderate".into(),
        "4" => "4 - Low".into(),
        "5" => "5 - Planning".into(),
        other => other.into(),
    }
}

/// A plain value, a reference (`{value, link}`) or a display pair.
fn value(v: &Value) -> Option<String> {
    match v {
        Value::Object(o) => o
            .get("display_value")
            .and_then(text)
            .or_else(|| o.get("value").and_then(text)),
        other => text(other),
    }
}

impl ServiceNow {
    fn ticket(&self, row: &Value) -> std::result::Result<Ticket, String> {
        let id = value(&row["sys_id"]).ok_or("a record without a sys_id")?;
        let updated =
            time(&row["sys_updated_on"]).ok_or("a record without a readable sys_updated_on")?;
        let state = value(&row["state"]).unwrap_or_default();
        let status = if self.table.ends_with("incident") {
            state_label(&state).map(str::to_owned).unwrap_or(state)
        } else {
            state
        };
        let priority = value(&row["priority"]).map(|p| priority_label(&p));
        let base = self.base.trim_end_matches('/');
        Ok(Ticket {
            key: value(&row["number"]).unwrap_or_else(|| id.clone()),
            title: value(&row["short_description"]).unwrap_or_default(),
            status: if status.is_empty() {
                "unknown".into()
            } else {
                status
            },
            severity: priority
                .as_deref()
                .map(severity_of)
                .unwrap_or(vigil_domain::Severity::Medium),
            priority,
            assignee: value(&row["assigned_to"]),
            url: Some(record_url(base, &self.table, &id)),
            created: time(&row["sys_created_on"])
                .or_else(|| time(&row["opened_at"]))
                .unwrap_or(updated),
            updated,
            id,
            raw: serde_json::to_vec(row).unwrap_or_default(),
        })
    }
}

impl Tracker for ServiceNow {
    fn name(&self) -> &'static str {
        "ServiceNow"
    }

    fn accept(&self) -> &'static [u16] {
        &[404]
    }

    fn first(&self, since: Option<DateTime<Utc>>, _now: DateTime<Utc>) -> Result<Req> {
        let mut q = self.query.trim().trim_end_matches('^').to_owned();
        if let Some(s) = since {
            if !q.is_empty() {
                q.push('^');
            }
            q.push_str(&format!(
                "sys_updated_on>={}",
                s.format("%Y-%m-%d %H:%M:%S")
            ));
        }
        if !q.is_empty() {
            q.push('^');
        }
        q.push_str("ORDERBYsys_updated_on^ORDERBYsys_id");
        let url = format!(
            "{}/api/now/table/{}",
            self.base.trim_end_matches('/'),
            self.table
        );
        Ok(Req::get(with_query(
            &url,
            &[
                ("sysparm_query", q),
                ("sysparm_limit", PAGE.to_string()),
                ("sysparm_offset", "0".into()),
                ("sysparm_exclude_reference_link", "true".into()),
            ],
        )?))
    }

    fn page(&self, req: &Req, resp: &Response) -> Result<Page> {
        let rows = if resp.status.as_u16() == 404 {
            Vec::new()
        } else {
            body("ServiceNow", req, resp)?["result"]
                .as_array()
                .cloned()
                .unwrap_or_default()
        };
        let offset: u64 = reqwest::Url::parse(&req.url)
            .ok()
            .and_then(|u| {
                u.query_pairs()
                    .find(|(k, _)| k == "sysparm_offset")
                    .and_then(|(_, v)| v.parse().ok())
            })
            .unwrap_or(0);
        let after = offset + PAGE as u64;
        let total: Option<u64> = resp
            .headers
            .get("x-total-count")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse().ok());
        let more = match total {
            Some(t) => after < t,
            None => !rows.is_empty(),
        };
        let tickets = rows
            .iter()
            .map(|r| {
                self.ticket(r)
                    .map_err(|e| (e, serde_json::to_vec(r).unwrap_or_default()))
            })
            .collect();
        Ok(Page {
            tickets,
            next: more
                .then(|| with_query(&req.url, &[("sysparm_offset", after.to_string())]))
                .transpose()?
                .map(Req::get),
        })
    }
}
