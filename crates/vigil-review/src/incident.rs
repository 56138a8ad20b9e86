//! Escalation: items become a security incident (164.308(a)(6)(ii)) with a
//! severity from the configured scale, an assignee, a status that moves
//! open -> contained -> resolved -> closed, an outcome and a timeline.
//! Closing asks whether the risk register needs an update.

use chrono::{DateTime, Utc};
use color_eyre::eyre::Result;
use serde_json::json;

use vigil_store::ledger::with_state;

use super::{Policy, Refusal, Refused, Reviewer, record};
use vigil_domain::ledger::Entity;
use vigil_domain::{SafeText, Status};
use vigil_store::{Incident, IncidentNote, IncidentStatus, Store};

/// What `escalate` needs.
#[derive(Debug, Clone, PartialEq)]
pub struct NewIncident {
    pub title: Option<String>,
    pub severity: String,
    pub assignee: Option<String>,
    pub note: Option<String>,
}

/// A change to an incident; `None` leaves a field as it is.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct IncidentChange {
    pub status: Option<IncidentStatus>,
    pub assignee: Option<String>,
    pub outcome: Option<String>,
    pub note: Option<String>,
    /// Required when closing: does the risk register need an update?
    pub risk_update_needed: Option<bool>,
}

fn check_severity(policy: &Policy, severity: &str) -> Result<(), Refused> {
    if policy.severities.iter().any(|s| s == severity) {
        Ok(())
    } else {
        Err(Refused(format!(
            "severity {:?} is not on the scale; use one of: {}",
            SafeText::new(severity).as_str(),
            policy.severities.join(", ")
        )))
    }
}

/// The severity an escalation gets when the reviewer names none: the items'
/// highest, if the scale has that word, else the top of the scale.
pub fn default_severity(store: &dyn Store, policy: &Policy, items: &[i64]) -> Result<String> {
    let mut best = None;
    for id in items {
        if let Some(i) = store.item(*id)? {
            best = best.max(Some(i.severity));
        }
    }
    Ok(best
        .map(|s| s.as_str().to_owned())
        .filter(|s| policy.severities.contains(s))
        .or_else(|| policy.severities.last().cloned())
        .unwrap_or_default())
}

/// Opens an incident for `items` (and their events). Items that cannot be
/// escalated (claimed by someone else, already escalated) refuse the whole
/// escalation, so an incident never silently misses one.
pub fn escalate(
    store: &mut dyn Store,
    policy: &Policy,
    who: &Reviewer,
    now: DateTime<Utc>,
    items: &[i64],
    new: &NewIncident,
) -> Result<Incident> {
    check_severity(policy, &new.severity)?;
    if items.is_empty() {
        return Err(Refused("name at least one item to escalate".into()).into());
    }
    let mut opened = None;
    store.review(&mut |tx| {
        let mut states = Vec::with_capacity(items.len());
        let mut events = Vec::new();
        for &id in items {
            let Some(item) = tx.item(id)? else {
                return Err(Refused(format!("item {id}: {}", Refusal::NotFound)).into());
            };
            if let Some((holder, until)) = item.claim_holder(now)
                && holder != who.name
            {
                let r = Refusal::ClaimedBy {
                    who: holder.to_owned(),
                    until,
                };
                return Err(Refused(format!("item {id}: {r}")).into());
            }
            if item.status == Status::Escalated {
                return Err(Refused(format!("item {id}: {}", Refusal::Escalated)).into());
            }
            events.extend(tx.item_event_ids(id)?);
            states.push(item);
        }
        events.sort_unstable();
        events.dedup();
        let title = new.title.clone().unwrap_or_else(|| states[0].title.clone());
        let mut incident = Incident {
            id: 0,
            title,
            severity: new.severity.clone(),
            status: IncidentStatus::Open,
            assignee: new.assignee.clone(),
            outcome: None,
            opened_by: who.name.clone(),
            opened_at: now,
            closed_at: None,
            risk_update_needed: None,
            remote_key: None,
            item_ids: items.to_vec(),
            event_ids: events,
        };
        incident.id = tx.add_incident(&incident)?;
        record(
            tx,
            who,
            now,
            "incident.open",
            Entity::Incident(incident.id).to_string(),
            with_state(
                json!({
                    "incident": incident.id,
                    "title": incident.title,
                    "severity": incident.severity,
                    "assignee": incident.assignee,
                    "items": incident.item_ids,
                    "events": incident.event_ids.len(),
                    "note": new.note,
                }),
                &incident,
            ),
        )?;
        if let Some(note) = &new.note {
            tx.add_incident_note(
                incident.id,
                &IncidentNote {
                    author: who.name.clone(),
                    at: now,
                    note: note.clone(),
                },
            )?;
        }
        for mut item in states {
            item.status = Status::Escalated;
            item.claimed_by = None;
            item.claim_expires = None;
            record(
                tx,
                who,
                now,
                "escalate",
                Entity::Item(item.id).to_string(),
                with_state(json!({ "item": item.id, "incident": incident.id }), &item),
            )?;
            tx.put_item(&item)?;
        }
        opened = Some(incident);
        Ok(())
    })?;
    Ok(opened.expect("the transaction set it"))
}

/// Moves an incident along, adds to its timeline, records its outcome.
pub fn update(
    store: &mut dyn Store,
    who: &Reviewer,
    now: DateTime<Utc>,
    id: i64,
    change: &IncidentChange,
) -> Result<Incident> {
    if change.status == Some(IncidentStatus::Closed) && change.risk_update_needed.is_none() {
        return Err(Refused(
            "closing an incident asks: does the risk register need an update? Add --risk-update yes or --risk-update no".into(),
        )
        .into());
    }
    let mut result = None;
    store.review(&mut |tx| {
        let Some(mut i) = tx.incident(id)? else {
            return Err(Refused(format!("no incident {id}")).into());
        };
        if let Some(s) = change.status {
            if i.status == IncidentStatus::Closed && s != IncidentStatus::Closed {
                // reopening a closed incident is allowed, and recorded
            } else if s < i.status {
                return Err(Refused(format!(
                    "incident {id} is {}; it cannot go back to {} (close it, or open a new one)",
                    i.status.as_str(),
                    s.as_str()
                ))
                .into());
            }
            i.status = s;
            i.closed_at = (s == IncidentStatus::Closed).then_some(now);
            if s == IncidentStatus::Closed {
                i.risk_update_needed = change.risk_update_needed;
            }
        }
        if let Some(a) = &change.assignee {
            i.assignee = Some(a.clone());
        }
        if let Some(o) = &change.outcome {
            i.outcome = Some(o.clone());
        }
        if i.status == IncidentStatus::Closed && i.outcome.is_none() {
            return Err(Refused(format!(
                "incident {id} needs an outcome before it is closed: add --outcome \"…\""
            ))
            .into());
        }
        tx.put_incident(&i)?;
        if let Some(n) = &change.note {
            tx.add_incident_note(
                id,
                &IncidentNote {
                    author: who.name.clone(),
                    at: now,
                    note: n.clone(),
                },
            )?;
        }
        record(
            tx,
            who,
            now,
            "incident.update",
            Entity::Incident(id).to_string(),
            with_state(
                json!({
                    "incident": id,
                    "status": change.status.map(|s| s.as_str()),
                    "assignee": change.assignee,
                    "outcome": change.outcome,
                    "note": change.note,
                    "risk_update_needed": change.risk_update_needed,
                }),
                &i,
            ),
        )?;
        result = Some(i);
        Ok(())
    })?;
    Ok(result.expect("the transaction set it"))
}

/// Records that an incident reached a destination: its remote key (kept on
/// the incident for the first tracker that took it, with `keep_key`), a
/// line in its timeline with the link, and a ledger entry.
#[allow(clippy::too_many_arguments)]
pub fn record_push(
    store: &mut dyn Store,
    who: &Reviewer,
    now: DateTime<Utc>,
    id: i64,
    destination: &str,
    remote_key: &str,
    url: Option<&str>,
    keep_key: bool,
) -> Result<()> {
    store.review(&mut |tx| {
        let Some(mut i) = tx.incident(id)? else {
            return Err(Refused(format!("no incident {id}")).into());
        };
        if keep_key && i.remote_key.is_none() {
            i.remote_key = Some(match url {
                Some(u) => format!("{remote_key} {u}"),
                None => remote_key.to_owned(),
            });
            tx.put_incident(&i)?;
        }
        let mut note = format!("pushed to {destination} as {remote_key}");
        if let Some(u) = url {
            note.push_str(&format!(": {u}"));
        }
        tx.add_incident_note(
            id,
            &IncidentNote {
                author: who.name.clone(),
                at: now,
                note,
            },
        )?;
        record(
            tx,
            who,
            now,
            "incident.push",
            Entity::Incident(id).to_string(),
            with_state(
                json!({ "incident": id, "destination": destination, "remote_key": remote_key, "url": url }),
                &i,
            ),
        )?;
        Ok(())
    })
}
