//! Escalations out: an opened incident is pushed to each configured
//! `[[escalation]]` (a Jira issue, a GitHub issue, a ServiceNow record, or
//! a JSON POST to a webhook for chat and paging tools). The incident is
//! already committed before any push: a push that fails is recorded with
//! its error and next try, shown, and retried on later pulls with a growing
//! pause; the local incident is never touched by a failure. A success
//! stores the remote key and link on the incident, in its timeline and in
//! the ledger. A retry first looks for the record by its
//! `vigil-incident-ID` label, so an answer lost after the record was made
//! never makes a second one. Payloads carry only counts and references
//! unless the destination is marked `phi_allowed`.

use chrono::{DateTime, Duration, Utc};
use color_eyre::eyre::Result;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use crate::config::{EscalationConfig, EscalationKind};
use vigil_review::Reviewer;
use vigil_sources::http::{HttpClient, Req, Retry, auth_from, secret_from};
use vigil_store::{Incident, IncidentStatus, Store};

/// Where one incident's push to one destination stands (kept in the
/// store's meta table, so every vigil sharing the store sees it).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PushState {
    pub attempts: u32,
    pub last_error: Option<String>,
    pub last_try: Option<DateTime<Utc>>,
    pub next_try: Option<DateTime<Utc>>,
    /// Set once it landed.
    pub remote_key: Option<String>,
    pub url: Option<String>,
    pub done_at: Option<DateTime<Utc>>,
}

impl PushState {
    /// Whether a push is due at `now`: not landed, and its retry time (if
    /// a try failed) has come.
    pub fn due(&self, now: DateTime<Utc>) -> bool {
        self.done_at.is_none() && self.next_try.is_none_or(|t| t <= now)
    }

    /// A try at `now` landed as `key` (and `url`).
    pub fn landed(&mut self, now: DateTime<Utc>, key: String, url: Option<String>) {
        self.attempts += 1;
        self.last_try = Some(now);
        self.remote_key = Some(key);
        self.url = url;
        self.done_at = Some(now);
        self.last_error = None;
        self.next_try = None;
    }

    /// A try at `now` failed: the next waits a minute, doubling with each
    /// failure in a row, at most an hour.
    pub fn failed(&mut self, now: DateTime<Utc>, error: String) {
        self.attempts += 1;
        self.last_try = Some(now);
        self.last_error = Some(error);
        self.next_try = Some(now + pause(self.attempts));
    }
}

fn state_key(dest: &str, incident: i64) -> String {
    format!("push:{dest}:{incident}")
}

/// The pause before the next try after `attempts` failures: one minute,
/// doubling, at most an hour.
fn pause(attempts: u32) -> Duration {
    Duration::minutes((1i64 << attempts.saturating_sub(1).min(6)).min(60))
}

/// A destination's push state for an incident.
pub fn state(store: &dyn Store, dest: &str, incident: i64) -> Result<PushState> {
    Ok(store
        .meta(&state_key(dest, incident))?
        .and_then(|s| serde_json::from_str(&s).ok())
        .unwrap_or_default())
}

/// The client for a destination, its credentials as the API wants them.
pub fn client(d: &EscalationConfig, retry: Retry) -> Result<HttpClient> {
    let token = secret_from("token", d.token_env.as_deref(), d.token_file.as_deref())?;
    let c = HttpClient::new(auth_from(token, d.user_env.as_deref())?, retry)?;
    match d.kind {
        EscalationKind::Github { .. } => c.for_github(),
        _ => Ok(c),
    }
}

/// What the payload says about an incident: without PHI, counts and
/// references only; with it, the title and each item's title and reasons.
fn describe(store: &dyn Store, d: &EscalationConfig, i: &Incident) -> Result<(String, String)> {
    let mut sources: Vec<String> = Vec::new();
    let mut lines = Vec::new();
    for id in &i.item_ids {
        if let Some(item) = store.item(*id)? {
            if let Some(s) = &item.source {
                let s = s.as_str().to_owned();
                if !sources.contains(&s) {
                    sources.push(s);
                }
            }
            if d.phi_allowed {
                let why: Vec<&str> = item.rules.iter().map(|r| r.reason.as_str()).collect();
                lines.push(format!(
                    "- item {}: {} ({})",
                    item.id,
                    item.title.as_str(),
                    why.join("; ")
                ));
            }
        }
    }
    let title = if d.phi_allowed {
        format!("[vigil] {}", vigil_domain::SafeText::new(&i.title).as_str())
    } else {
        format!("[vigil] security incident {} ({})", i.id, i.severity)
    };
    let mut body = format!(
        "Security incident {} opened in Vigil by {} at {}.\nSeverity: {}. Review items: {}. Events: {}. Sources: {}.\n",
        i.id,
        i.opened_by,
        i.opened_at.format("%Y-%m-%d %H:%M UTC"),
        i.severity,
        i.item_ids.len(),
        i.event_ids.len(),
        if sources.is_empty() {
            "none".to_owned()
        } else {
            sources.join(", ")
        }
    );
    if d.phi_allowed {
        body.push('\n');
        body.push_str(&lines.join("\n"));
    } else {
        body.push_str(
            "\nNames, patients and record identifiers are kept in Vigil: this destination is not marked to hold PHI. Look the incident up with `vigil incident show ",
        );
        body.push_str(&format!("{}`.", i.id));
    }
    Ok((title, body))
}

/// The request that creates the remote record.
pub fn request(store: &dyn Store, d: &EscalationConfig, i: &Incident) -> Result<Req> {
    let (title, body) = describe(store, d, i)?;
    let base = d.url.trim_end_matches('/');
    let label = format!("vigil-incident-{}", i.id);
    Ok(match &d.kind {
        EscalationKind::Jira {
            project,
            issue_type,
            api,
        } => {
            // v3 takes an ADF document; v2 a wiki string
            let description = if *api == 2 {
                Value::String(body)
            } else {
                json!({"type": "doc", "version": 1, "content": body.split("\n\n").map(|p| json!({
                    "type": "paragraph", "content": [{"type": "text", "text": p}]
                })).collect::<Vec<_>>()})
            };
            Req::post(
                format!("{base}/rest/api/{api}/issue"),
                json!({"fields": {
                    "project": {"key": project},
                    "issuetype": {"name": issue_type},
                    "summary": title,
                    "description": description,
                    "labels": ["vigil", label],
                }}),
            )
        }
        EscalationKind::Github { repo } => Req::post(
            format!("{base}/repos/{repo}/issues"),
            json!({"title": title, "body": body, "labels": ["vigil", label]}),
        ),
        EscalationKind::ServiceNow { table } => {
            let level = match i.severity.as_str() {
                "critical" => "1",
                "high" => "1",
                "medium" => "2",
                _ => "3",
            };
            Req::post(
                format!("{base}/api/now/table/{table}"),
                json!({
                    "short_description": title,
                    "description": body,
                    "urgency": level,
                    "impact": level,
                    "correlation_id": label,
                }),
            )
        }
        EscalationKind::Webhook => {
            let mut incident = json!({
                "id": i.id,
                "severity": i.severity,
                "status": i.status.as_str(),
                "opened_by": i.opened_by,
                "opened_at": i.opened_at,
                "items": i.item_ids.len(),
                "events": i.event_ids.len(),
                "summary": title,
                "text": body,
            });
            if d.phi_allowed {
                incident["title"] = json!(i.title);
            }
            Req::post(
                d.url.clone(),
                json!({"event": "vigil.incident.opened", "idempotency_key": label, "incident": incident}),
            )
        }
    })
}

/// The remote key and link from a create response (or a search hit of
/// the same shape).
fn created(d: &EscalationConfig, v: &Value) -> (Option<String>, Option<String>) {
    let s = |v: &Value| {
        v.as_str()
            .map(|s| vigil_domain::SafeText::new(s).into_string())
            .or_else(|| v.as_i64().map(|n| n.to_string()))
    };
    let base = d.url.trim_end_matches('/');
    match &d.kind {
        EscalationKind::Jira { .. } => {
            let key = s(&v["key"]);
            let url = key
                .as_ref()
                .map(|k| vigil_sources::tickets::jira::browse_url(base, k));
            (key, url)
        }
        EscalationKind::Github { repo } => (
            s(&v["number"]).map(|n| format!("{repo}#{n}")),
            s(&v["html_url"]),
        ),
        EscalationKind::ServiceNow { table } => {
            let r = &v["result"];
            (
                s(&r["number"]).or_else(|| s(&r["sys_id"])),
                s(&r["sys_id"])
                    .map(|id| vigil_sources::tickets::servicenow::record_url(base, table, &id)),
            )
        }
        EscalationKind::Webhook => (s(&v["id"]), None),
    }
}

/// The record an earlier attempt may have made after all (its answer
/// lost): looked up by the `vigil-incident-ID` label or correlation id,
/// so a retry never makes a second one. `None` for a webhook.
fn made_before(
    d: &EscalationConfig,
    client: &mut HttpClient,
    incident: i64,
) -> Result<Option<(Option<String>, Option<String>)>> {
    let base = d.url.trim_end_matches('/');
    let label = format!("vigil-incident-{incident}");
    let url = match &d.kind {
        EscalationKind::Jira { project, api, .. } => {
            let path = if *api == 2 {
                "rest/api/2/search"
            } else {
                "rest/api/3/search/jql"
            };
            vigil_sources::http::with_query(
                &format!("{base}/{path}"),
                &[
                    (
                        "jql",
                        format!("project = \"{project}\" AND labels = \"{label}\""),
                    ),
                    ("fields", "summary".into()),
                ],
            )?
        }
        EscalationKind::Github { repo } => vigil_sources::http::with_query(
            &format!("{base}/search/issues"),
            &[("q", format!("repo:{repo} label:{label} is:issue"))],
        )?,
        EscalationKind::ServiceNow { table } => vigil_sources::http::with_query(
            &format!("{base}/api/now/table/{table}"),
            &[
                ("sysparm_query", format!("correlation_id={label}")),
                ("sysparm_fields", "sys_id,number".into()),
            ],
        )?,
        EscalationKind::Webhook => return Ok(None),
    };
    let v = client
        .send(&Req::get(url), &[404])?
        .json()
        .unwrap_or(Value::Null);
    let found = match &d.kind {
        EscalationKind::Jira { .. } => v["issues"].get(0).map(|i| json!({"key": i["key"]})),
        EscalationKind::Github { .. } => v["items"].get(0).cloned(),
        EscalationKind::ServiceNow { .. } => v["result"].get(0).map(|r| json!({ "result": r })),
        EscalationKind::Webhook => None,
    };
    Ok(found.map(|f| created(d, &f)))
}

/// What one push did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PushReport {
    pub destination: String,
    pub incident: i64,
    pub remote_key: Option<String>,
    pub url: Option<String>,
    pub error: Option<String>,
    pub next_try: Option<DateTime<Utc>>,
}

/// Pushes one incident to one destination now, recording the outcome.
pub fn push(
    store: &mut dyn Store,
    d: &EscalationConfig,
    client: &mut HttpClient,
    incident: &Incident,
    now: DateTime<Utc>,
) -> Result<PushReport> {
    let mut st = state(store, &d.name, incident.id)?;
    // After a failure the record may exist regardless (a lost answer).
    let before = if st.attempts > 0 {
        made_before(d, client, incident.id)
    } else {
        Ok(None)
    };
    let landed = match before {
        Ok(Some(found)) => Ok(found),
        Ok(None) => request(store, d, incident)
            .and_then(|req| client.send(&req, &[]))
            .map(|resp| created(d, &resp.json().unwrap_or(Value::Null))),
        Err(e) => Err(e),
    };
    match landed {
        Ok((key, url)) => st.landed(
            now,
            key.unwrap_or_else(|| format!("{}: delivered", d.name)),
            url,
        ),
        Err(e) => {
            let msg = format!("{e:#}");
            tracing::warn!(destination = %d.name, incident = incident.id, error = %msg, "escalation push failed");
            st.failed(now, msg);
        }
    }
    store.set_meta(
        &state_key(&d.name, incident.id),
        &serde_json::to_string(&st)?,
    )?;
    if st.done_at.is_some() {
        vigil_review::incident::record_push(
            store,
            &Reviewer::current(),
            now,
            incident.id,
            &d.name,
            st.remote_key.as_deref().unwrap_or(""),
            st.url.as_deref(),
            !matches!(d.kind, EscalationKind::Webhook),
        )?;
    }
    Ok(PushReport {
        destination: d.name.clone(),
        incident: incident.id,
        remote_key: st.remote_key,
        url: st.url,
        error: st.last_error,
        next_try: st.next_try,
    })
}

/// Pushes every open incident a destination has not received and whose
/// next try is due. Incidents opened before a destination was first
/// configured are not pushed to it.
pub fn push_pending(
    store: &mut dyn Store,
    destinations: &[EscalationConfig],
    now: DateTime<Utc>,
    mut client_for: impl FnMut(&EscalationConfig) -> Result<HttpClient>,
) -> Result<Vec<PushReport>> {
    let mut out = Vec::new();
    if destinations.is_empty() {
        return Ok(out);
    }
    let incidents = store.incidents()?;
    for d in destinations {
        let since_key = format!("push:{}:since", d.name);
        let since = match store
            .meta(&since_key)?
            .and_then(|s| s.parse::<DateTime<Utc>>().ok())
        {
            Some(s) => s,
            None => {
                // the first incident to push may be the one just opened
                let first = incidents
                    .iter()
                    .filter(|i| i.opened_at > now - Duration::minutes(10))
                    .map(|i| i.opened_at)
                    .min()
                    .unwrap_or(now)
                    .min(now);
                store.set_meta(&since_key, &first.to_rfc3339())?;
                first
            }
        };
        let mut client = None;
        for i in &incidents {
            if i.opened_at < since || i.status == IncidentStatus::Closed {
                continue;
            }
            let st = state(store, &d.name, i.id)?;
            if !st.due(now) {
                continue;
            }
            if client.is_none() {
                match client_for(d) {
                    Ok(c) => client = Some(c),
                    Err(e) => {
                        out.push(PushReport {
                            destination: d.name.clone(),
                            incident: i.id,
                            remote_key: None,
                            url: None,
                            error: Some(format!("{e:#}")),
                            next_try: None,
                        });
                        break;
                    }
                }
            }
            let c = client.as_mut().expect("made above");
            out.push(push(store, d, c, i, now)?);
        }
    }
    Ok(out)
}

/// Pushes that have not landed yet, with their state, for the screen and
/// `vigil incident list`.
pub fn failing(
    store: &dyn Store,
    destinations: &[EscalationConfig],
) -> Result<Vec<(String, i64, PushState)>> {
    let mut out = Vec::new();
    for i in store.incidents()? {
        if i.status == IncidentStatus::Closed {
            continue;
        }
        for d in destinations {
            let st = state(store, &d.name, i.id)?;
            if st.done_at.is_none() && st.last_error.is_some() {
                out.push((d.name.clone(), i.id, st));
            }
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pauses_grow_to_an_hour() {
        assert_eq!(pause(1), Duration::minutes(1));
        assert_eq!(pause(2), Duration::minutes(2));
        assert_eq!(pause(4), Duration::minutes(8));
        assert_eq!(pause(30), Duration::minutes(60));
    }

    #[test]
    fn a_failing_push_is_retried_on_its_schedule_and_stops_once_landed() {
        let t0: DateTime<Utc> = "2026-01-05T10:00:00Z".parse().unwrap();
        let mut st = PushState::default();
        assert!(st.due(t0), "never tried: due at once");
        st.failed(t0, "503".into());
        assert_eq!(st.next_try, Some(t0 + Duration::minutes(1)));
        assert!(!st.due(t0 + Duration::seconds(59)));
        assert!(st.due(t0 + Duration::minutes(1)));
        let t1 = t0 + Duration::minutes(1);
        st.failed(t1, "503".into());
        assert_eq!(st.next_try, Some(t1 + Duration::minutes(2)));
        let mut t = t1;
        for _ in 0..10 {
            st.failed(t, "503".into());
            t = st.next_try.unwrap();
        }
        assert_eq!(
            st.next_try.unwrap() - st.last_try.unwrap(),
            Duration::minutes(60)
        );
        st.landed(t, "SEC-1".into(), None);
        assert_eq!((st.attempts, st.last_error.as_deref()), (13, None));
        assert!(!st.due(t + Duration::days(1)), "landed: never again");
    }
}
