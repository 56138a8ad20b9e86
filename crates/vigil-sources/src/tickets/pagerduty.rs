//! PagerDuty incidents: `since`/`until` select by when an incident was
//! created, so every pull reads the last `LOOKBACK` days again and the
//! id+`updated_at` dedupe keeps only what changed; paged by offset while
//! `more` is true.

use chrono::{DateTime, Duration, Utc};
use color_eyre::eyre::Result;
use serde_json::Value;

use super::{PAGE, Page, Ticket, Tracker, body, severity_of, text, time};
use crate::http::{Req, Response, with_query};
use vigil_domain::Severity;

/// Incidents created this long ago still have their updates pulled.
pub const LOOKBACK_DAYS: i64 = 30;

pub struct PagerDuty {
    /// `https://api.pagerduty.com` (or the EU one).
    pub base: String,
    /// Extra query parameters (`statuses[]=triggered&service_ids[]=PIJ90N7`).
    pub query: String,
}

impl PagerDuty {
    fn ticket(&self, inc: &Value) -> std::result::Result<Ticket, String> {
        let id = text(&inc["id"]).ok_or("an incident without an id")?;
        let created = time(&inc["created_at"]).ok_or("an incident without `created_at`")?;
        let updated = time(&inc["updated_at"])
            .or_else(|| time(&inc["last_status_change_at"]))
            .unwrap_or(created);
        let priority = text(&inc["priority"]["summary"]);
        let urgency = text(&inc["urgency"]);
        let severity = match (&priority, urgency.as_deref()) {
            (Some(p), _) => severity_of(p),
            (None, Some("high")) => Severity::High,
            (None, Some("low")) => Severity::Low,
            _ => Severity::Medium,
        };
        Ok(Ticket {
            key: text(&inc["incident_number"])
                .map(|n| format!("PD#{n}"))
                .unwrap_or_else(|| id.clone()),
            title: text(&inc["title"])
                .or_else(|| text(&inc["summary"]))
                .unwrap_or_default(),
            status: text(&inc["status"]).unwrap_or_else(|| "unknown".into()),
            severity,
            priority: priority.or(urgency.map(|u| format!("{u} urgency"))),
            assignee: inc["assignments"]
                .as_array()
                .and_then(|a| a.first())
                .and_then(|a| text(&a["assignee"]["summary"])),
            url: text(&inc["html_url"]),
            created,
            updated,
            id,
            raw: serde_json::to_vec(inc).unwrap_or_default(),
        })
    }
}

impl Tracker for PagerDuty {
    fn name(&self) -> &'static str {
        "PagerDuty"
    }

    fn since(
        &self,
        _watermark: Option<DateTime<Utc>>,
        now: DateTime<Utc>,
    ) -> Option<DateTime<Utc>> {
        Some(now - Duration::days(LOOKBACK_DAYS))
    }

    fn first(&self, since: Option<DateTime<Utc>>, now: DateTime<Utc>) -> Result<Req> {
        let since = since.unwrap_or(now - Duration::days(LOOKBACK_DAYS));
        let mut url = format!("{}/incidents", self.base.trim_end_matches('/'));
        let extra = self.query.trim().trim_start_matches('?');
        if !extra.is_empty() {
            url = format!("{url}?{extra}");
        }
        Ok(Req::get(with_query(
            &url,
            &[
                ("since", since.format("%Y-%m-%dT%H:%M:%SZ").to_string()),
                ("until", now.format("%Y-%m-%dT%H:%M:%SZ").to_string()),
                ("sort_by", "created_at:asc".into()),
                ("time_zone", "UTC".into()),
                ("limit", PAGE.to_string()),
                ("offset", "0".into()),
            ],
        )?))
    }

    fn page(&self, req: &Req, resp: &Response) -> Result<Page> {
        let v = body("PagerDuty", req, resp)?;
        let list = v["incidents"].as_array().cloned().unwrap_or_default();
        let offset = v["offset"].as_u64().unwrap_or(0);
        let next = (v["more"] == Value::Bool(true) && !list.is_empty())
            .then(|| {
                with_query(
                    &req.url,
                    &[("offset", (offset + list.len() as u64).to_string())],
                )
            })
            .transpose()?;
        Ok(Page {
            tickets: list
                .iter()
                .map(|i| {
                    self.ticket(i)
                        .map_err(|e| (e, serde_json::to_vec(i).unwrap_or_default()))
                })
                .collect(),
            next: next.map(Req::get),
        })
    }
}
