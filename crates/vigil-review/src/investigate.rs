//! The investigations a privacy officer runs: every access to one patient's
//! record (the accounting a patient may ask for, and the first question of
//! every privacy complaint), and everything one workforce member did across
//! every system, joined through the roster, as a timeline. Each run is
//! itself an access to PHI, so each is a ledger entry naming who asked,
//! about whom and why, and a run without a reason is refused.

use std::collections::{BTreeMap, HashMap};

use chrono::{DateTime, Utc};
use color_eyre::eyre::{Result, bail};
use serde::Serialize;
use serde_json::json;

use super::Reviewer;
use vigil_domain::ledger::Entity;
use vigil_domain::{Event, Item, Person};
use vigil_store::{NewLedgerEntry, Store};

/// The ledger actions of the two investigations.
pub const ACCESS_REPORT: &str = "investigation.access-report";
pub const ACTIVITY: &str = "investigation.activity";

/// Shortest reason accepted: "complaint" is a reason, "x" is not.
const MIN_REASON: usize = 4;

/// What a review made of the event: the item that holds it.
#[derive(Debug, Clone, Serialize)]
pub struct Mark {
    pub item: i64,
    pub rules: Vec<String>,
    pub status: String,
    pub disposition: Option<String>,
}

impl std::fmt::Display for Mark {
    /// `#12 family+same-surname (violation)`: the item, its rules, and the
    /// disposition (or the status while undecided).
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "#{} {} ({})",
            self.item,
            self.rules.join("+"),
            self.disposition.as_deref().unwrap_or(&self.status)
        )
    }
}

/// `Mark`s as one cell.
pub fn marks_text(marks: &[Mark]) -> String {
    marks
        .iter()
        .map(Mark::to_string)
        .collect::<Vec<_>>()
        .join("; ")
}

/// Days an access report looks back, and an activity timeline, by default.
pub const ACCESS_REPORT_DAYS: i64 = 365;
pub const ACTIVITY_DAYS: i64 = 30;

/// One access to the patient's record, in the words a patient can read.
#[derive(Debug, Clone, Serialize)]
pub struct Access {
    pub at: DateTime<Utc>,
    pub system: String,
    pub action: String,
    pub outcome: String,
    pub account: String,
    /// The workforce member's name and department, from the roster.
    pub person: Option<String>,
    pub department: Option<String>,
    /// The workstation or address it came from.
    pub from: Option<String>,
    /// Why clinical context explains it (`care team of encounter …`), or
    /// `unexplained`.
    pub explanation: Option<String>,
    pub findings: Vec<Mark>,
}

/// Per workforce member, how often they opened the record.
#[derive(Debug, Clone, Serialize)]
pub struct Accessor {
    pub account: String,
    pub person: Option<String>,
    pub department: Option<String>,
    pub accesses: u64,
    pub first: DateTime<Utc>,
    pub last: DateTime<Utc>,
}

#[derive(Debug, Clone, Serialize)]
pub struct AccessReport {
    pub patient: String,
    /// The patient's name, when the patient index has it: this report is
    /// the one that must name its patient.
    pub patient_name: Option<String>,
    pub from: DateTime<Utc>,
    pub to: DateTime<Utc>,
    pub reason: String,
    pub requested_by: String,
    pub generated_at: DateTime<Utc>,
    /// The ledger entry that records this run.
    pub ledger_seq: i64,
    pub accessors: Vec<Accessor>,
    pub accesses: Vec<Access>,
}

/// One thing a person did, on the timeline.
#[derive(Debug, Clone, Serialize)]
pub struct Step {
    pub at: DateTime<Utc>,
    pub system: String,
    pub kind: String,
    pub account: String,
    pub host: Option<String>,
    pub action: String,
    pub outcome: String,
    /// A patient's record number is masked unless the run was asked to show
    /// patients (an investigation of what the person looked at).
    pub subject: Option<String>,
    pub from: Option<String>,
    pub findings: Vec<Mark>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Timeline {
    /// The roster id, when the person is on the roster.
    pub person_id: Option<String>,
    pub name: Option<String>,
    pub department: Option<String>,
    pub status: Option<String>,
    pub accounts: Vec<String>,
    pub from: DateTime<Utc>,
    pub to: DateTime<Utc>,
    pub reason: String,
    pub requested_by: String,
    pub generated_at: DateTime<Utc>,
    pub ledger_seq: i64,
    /// Events per system.
    pub systems: BTreeMap<String, u64>,
    /// Events that review items hold.
    pub flagged: u64,
    pub steps: Vec<Step>,
}

fn check_reason(reason: &str) -> Result<&str> {
    let r = reason.trim();
    if r.chars().count() < MIN_REASON {
        bail!(
            "an investigation needs a reason (--reason \"privacy complaint 2026-14\"): it is an access to protected health information and the ledger records why"
        );
    }
    Ok(r)
}

/// The roster, by every account name and by id.
pub(crate) struct Roster {
    people: Vec<Person>,
    by_account: HashMap<String, usize>,
}

impl Roster {
    pub(crate) fn load(store: &dyn Store) -> Result<Roster> {
        let people = store.people()?;
        let mut by_account = HashMap::new();
        for (i, p) in people.iter().enumerate() {
            for a in &p.accounts {
                by_account.entry(a.clone()).or_insert(i);
            }
        }
        Ok(Roster { people, by_account })
    }

    fn of(&self, account: &str) -> Option<&Person> {
        self.by_account.get(account).map(|i| &self.people[*i])
    }

    /// A roster id, or an account of someone on the roster.
    pub(crate) fn find(&self, who: &str) -> Option<&Person> {
        self.people.iter().find(|p| p.id == who).or(self.of(who))
    }
}

/// Per event, the review items that hold it.
fn marks(store: &dyn Store, ids: &[i64]) -> Result<HashMap<i64, Vec<Mark>>> {
    let pairs = store.items_of_events(ids)?;
    let mut items: HashMap<i64, Option<Item>> = HashMap::new();
    let mut out: HashMap<i64, Vec<Mark>> = HashMap::new();
    for (event, item) in pairs {
        let it = match items.get(&item) {
            Some(it) => it.clone(),
            None => {
                let it = store.item(item)?;
                items.insert(item, it.clone());
                it
            }
        };
        let Some(it) = it else { continue };
        out.entry(event).or_default().push(Mark {
            item: it.id,
            rules: it.rules.iter().map(|r| r.rule.clone()).collect(),
            status: it.status.as_str().to_owned(),
            disposition: it.disposition.map(|d| d.as_str().to_owned()),
        });
    }
    Ok(out)
}

fn opt(s: &Option<vigil_domain::SafeText>) -> Option<String> {
    s.as_ref().map(|t| t.as_str().to_owned())
}

fn record(
    store: &mut dyn Store,
    who: &Reviewer,
    action: &str,
    now: DateTime<Utc>,
    payload: serde_json::Value,
) -> Result<i64> {
    let e = store.append_ledger(&NewLedgerEntry {
        at: now,
        actor: who.name.clone(),
        action: action.to_owned(),
        entity: Entity::Investigation(uuid::Uuid::new_v4().to_string()).to_string(),
        payload,
    })?;
    Ok(e.seq)
}

/// Every access to `patient`'s record in [from, to), from every source
/// whose subject is a patient, with who (named from the roster), when, from
/// where, the explanation or the finding. Recorded in the ledger first:
/// a run that cannot be recorded does not run.
pub fn access_report(
    store: &mut dyn Store,
    who: &Reviewer,
    patient: &str,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
    reason: &str,
    now: DateTime<Utc>,
) -> Result<AccessReport> {
    let reason = check_reason(reason)?;
    let patient = patient.trim();
    if patient.is_empty() {
        bail!("--patient needs the patient's record number (MRN)");
    }
    let ids = store.patient_event_ids(patient, from, to)?;
    let ledger_seq = record(
        store,
        who,
        ACCESS_REPORT,
        now,
        json!({
            "patient": patient,
            "reason": reason,
            "from": from,
            "to": to,
            "accesses": ids.len(),
        }),
    )?;
    let roster = Roster::load(store)?;
    let patient_name = store
        .patients()?
        .into_iter()
        .find(|p| p.mrn == patient)
        .map(|p| p.name);
    let explained: HashMap<i64, String> = store
        .explanations(&ids)?
        .into_iter()
        .map(|x| {
            let text = if x.is_explained() {
                x.note
            } else {
                x.kind.to_string()
            };
            (x.event_id, text)
        })
        .collect();
    let mut marks = marks(store, &ids)?;
    let mut accessors: BTreeMap<String, Accessor> = BTreeMap::new();
    let mut accesses = Vec::with_capacity(ids.len());
    for chunk in ids.chunks(1_000) {
        for (e, _) in store.events_by_id(chunk)? {
            // The index holds only this patient's events; the check keeps
            // any other patient out even if it were wrong.
            if e.subject.as_ref().map(|s| s.as_str()) != Some(patient) {
                continue;
            }
            let account = opt(&e.actor).unwrap_or_default();
            let person = roster.of(&account);
            let a = accessors
                .entry(account.clone())
                .or_insert_with(|| Accessor {
                    account: account.clone(),
                    person: person.map(|p| p.name.clone()),
                    department: person.and_then(|p| p.department.clone()),
                    accesses: 0,
                    first: e.occurred_at,
                    last: e.occurred_at,
                });
            a.accesses += 1;
            a.first = a.first.min(e.occurred_at);
            a.last = a.last.max(e.occurred_at);
            accesses.push(Access {
                at: e.occurred_at,
                system: e.source.as_str().to_owned(),
                action: e.action.as_str().to_owned(),
                outcome: e.outcome.as_str().to_owned(),
                person: person.map(|p| p.name.clone()),
                department: person.and_then(|p| p.department.clone()),
                account,
                from: opt(&e.client).or_else(|| opt(&e.host)),
                explanation: explained.get(&e.id).cloned(),
                findings: marks.remove(&e.id).unwrap_or_default(),
            });
        }
    }
    accesses.sort_by_key(|a| a.at);
    let mut accessors: Vec<Accessor> = accessors.into_values().collect();
    accessors.sort_by(|a, b| b.accesses.cmp(&a.accesses).then(a.account.cmp(&b.account)));
    Ok(AccessReport {
        patient: patient.to_owned(),
        patient_name,
        from,
        to,
        reason: reason.to_owned(),
        requested_by: who.name.clone(),
        generated_at: now,
        ledger_seq,
        accessors,
        accesses,
    })
}

/// Everything `who_about` (a roster id or an account) did in [from, to),
/// across every account the roster gives them, as one timeline: their
/// events with the review items that hold each, the tickets they raised
/// or hold, and the review acts they made in vigil. Patients' record numbers are masked
/// unless `show_patients`.
#[allow(clippy::too_many_arguments)]
pub fn activity(
    store: &mut dyn Store,
    who: &Reviewer,
    who_about: &str,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
    reason: &str,
    show_patients: bool,
    now: DateTime<Utc>,
) -> Result<Timeline> {
    let reason = check_reason(reason)?;
    let who_about = who_about.trim();
    if who_about.is_empty() {
        bail!("--person needs a roster id or an account name");
    }
    let roster = Roster::load(store)?;
    let person = roster.find(who_about).cloned();
    let mut accounts: Vec<String> = match &person {
        Some(p) => p.accounts.clone(),
        None => vec![who_about.to_owned()],
    };
    if !accounts.iter().any(|a| a == who_about) && person.as_ref().is_none_or(|p| p.id != who_about)
    {
        accounts.push(who_about.to_owned());
    }
    accounts.sort();
    accounts.dedup();
    let mut ids: Vec<i64> = Vec::new();
    for a in &accounts {
        ids.extend(store.actor_activity(a, from, to)?.into_iter().map(|x| x.0));
    }
    ids.sort_unstable();
    ids.dedup();
    let ledger_seq = record(
        store,
        who,
        ACTIVITY,
        now,
        json!({
            "person": person.as_ref().map(|p| p.id.as_str()).unwrap_or(who_about),
            "accounts": accounts,
            "reason": reason,
            "from": from,
            "to": to,
            "events": ids.len(),
            "patients_shown": show_patients,
        }),
    )?;
    let mut marks = marks(store, &ids)?;
    let flagged = marks.len() as u64;
    let mut systems: BTreeMap<String, u64> = BTreeMap::new();
    let mut steps = Vec::with_capacity(ids.len());
    for chunk in ids.chunks(1_000) {
        for (e, _) in store.events_by_id(chunk)? {
            *systems.entry(e.source.as_str().to_owned()).or_default() += 1;
            steps.push(step(
                &e,
                show_patients,
                marks.remove(&e.id).unwrap_or_default(),
            ));
        }
    }
    // the tickets they raised or hold, and the reviews they made here
    for a in &accounts {
        let q = vigil_domain::query::Query::default()
            .field("kind", "ticket")
            .field("actor", a)
            .after(from)
            .before(to);
        for it in store.items(&q, 0)? {
            *systems
                .entry(opt(&it.source).unwrap_or_default())
                .or_default() += 1;
            steps.push(Step {
                at: it.occurred_at,
                system: opt(&it.source).unwrap_or_default(),
                kind: "ticket".into(),
                account: a.clone(),
                host: None,
                action: format!("ticket: {}", it.title.as_str()),
                outcome: it.status.as_str().to_owned(),
                subject: None,
                from: None,
                findings: vec![Mark {
                    item: it.id,
                    rules: it.rules.iter().map(|r| r.rule.clone()).collect(),
                    status: it.status.as_str().to_owned(),
                    disposition: it.disposition.map(|d| d.as_str().to_owned()),
                }],
            });
        }
        for d in store.decisions_by(a, from)? {
            if d.decided_at >= to {
                continue;
            }
            *systems.entry("vigil".into()).or_default() += 1;
            steps.push(Step {
                at: d.decided_at,
                system: "vigil".into(),
                kind: "review".into(),
                account: a.clone(),
                host: None,
                action: match d.disposition {
                    Some(x) => format!("{} {} on item {}", d.kind, x.as_str(), d.item_id),
                    None => format!("{} on item {}", d.kind, d.item_id),
                },
                outcome: "success".into(),
                subject: None,
                from: None,
                findings: Vec::new(),
            });
        }
    }
    steps.sort_by_key(|s| s.at);
    Ok(Timeline {
        person_id: person.as_ref().map(|p| p.id.clone()),
        name: person.as_ref().map(|p| p.name.clone()),
        department: person.as_ref().and_then(|p| p.department.clone()),
        status: person.as_ref().map(|p| p.status.clone()),
        accounts,
        from,
        to,
        reason: reason.to_owned(),
        requested_by: who.name.clone(),
        generated_at: now,
        ledger_seq,
        systems,
        flagged,
        steps,
    })
}

fn step(e: &Event, show_patients: bool, findings: Vec<Mark>) -> Step {
    let patient = vigil_domain::is_patient_record_kind(e.kind.as_str());
    Step {
        at: e.occurred_at,
        system: e.source.as_str().to_owned(),
        kind: e.kind.as_str().to_owned(),
        account: opt(&e.actor).unwrap_or_default(),
        host: opt(&e.host),
        action: e.action.as_str().to_owned(),
        outcome: e.outcome.as_str().to_owned(),
        subject: e.subject.as_ref().map(|s| {
            if patient && !show_patients {
                vigil_domain::people::mask(s.as_str())
            } else {
                s.as_str().to_owned()
            }
        }),
        from: opt(&e.client),
        findings,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_reason_is_required() {
        assert!(check_reason("  ").is_err());
        assert!(check_reason("x").is_err());
        assert_eq!(check_reason(" complaint 14 ").unwrap(), "complaint 14");
    }
}
