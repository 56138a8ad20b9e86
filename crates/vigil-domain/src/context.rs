//! Clinical context: the encounters, appointments and care teams that give
//! an access to a patient's record a reason, and the explanation each such
//! access was given. Context is stored apart from the events it explains,
//! and may arrive after them (late documentation is normal).

use chrono::{DateTime, Utc};
use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::UnknownValue;

/// One piece of clinical context: an encounter (a visit, a stay), an
/// appointment or a care team, for one patient over a period.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct Encounter {
    /// The source's own id (`Encounter/V123`, an HL7 visit number): a later
    /// record with the same key replaces the earlier one.
    pub key: String,
    /// `encounter`, `appointment` or `care-team`.
    pub kind: String,
    /// The patient's MRN (or FHIR id, as the access logs name them).
    pub patient: String,
    pub start: DateTime<Utc>,
    /// None while the encounter is open.
    pub end: Option<DateTime<Utc>>,
    pub department: Option<String>,
    /// Encounter class or type (`inpatient`, `AMB`, `A01 admit`).
    pub class: Option<String>,
    /// Workforce on the encounter: accounts or roster ids, as the source
    /// names them (mapped through the roster when explaining).
    pub team: Vec<String>,
    /// The record as it came, for evidence.
    #[serde(skip)]
    pub raw: Vec<u8>,
    /// Byte offset of the record in its stream.
    #[serde(skip)]
    pub offset: u64,
}

crate::vocab::vocabulary!(
    /// Why an access to a patient's record was (or was not) expected:
    /// on the care team (`direct`), the department holds an encounter
    /// (`department`), a role within its window (`role`), an explained
    /// access shortly before (`repeat`), an approved mined template
    /// (`template`), or none of these.
    Explanation, "explanation", {
        Direct = "direct",
        Department = "department",
        Role = "role",
        Repeat = "repeat",
        Template = "template",
        Unexplained = "unexplained",
    }
);

/// The explanation one access was given, as stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Explained {
    pub event_id: i64,
    pub source_id: i64,
    pub occurred_at: DateTime<Utc>,
    pub actor: String,
    pub patient: String,
    pub kind: Explanation,
    /// The encounter it rests on, if any.
    pub encounter: Option<String>,
    /// A sentence: "on the care team of encounter V123, inpatient, Ward 3,
    /// 11-02 07:00–11-05 14:00".
    pub note: String,
}

impl Explained {
    pub fn is_explained(&self) -> bool {
        self.kind != Explanation::Unexplained
    }
}

/// A "group" explanation mined from the store's own data: staff of one
/// department routinely open the records of patients with an encounter in
/// another (pharmacy and oncology, say). It explains accesses only once the
/// privacy officer approves it, which is a ledger entry (`explain-template`).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Template {
    pub actor_department: String,
    pub encounter_department: String,
}

impl std::fmt::Display for Template {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} → {}",
            self.actor_department, self.encounter_department
        )
    }
}

/// The ledger actions that approve and revoke a template.
pub const TEMPLATE_APPROVE: &str = "explain.template.approve";
pub const TEMPLATE_REVOKE: &str = "explain.template.revoke";

/// The templates in force after a ledger's `explain-template` entries
/// (their action and payload, in order).
pub fn templates_in_force<'a>(
    entries: impl IntoIterator<Item = (&'a str, &'a str)>,
) -> Vec<Template> {
    let mut on: Vec<Template> = Vec::new();
    for (action, payload) in entries {
        let Ok(v) = serde_json::from_str::<serde_json::Value>(payload) else {
            continue;
        };
        let Ok(t) = serde_json::from_value::<Template>(v["template"].clone()) else {
            continue;
        };
        on.retain(|x| *x != t);
        if action == TEMPLATE_APPROVE {
            on.push(t);
        }
    }
    on
}

/// A time in a reason: local to the rules' zone, or marked UTC.
pub fn local(t: DateTime<Utc>, zone: Option<chrono_tz::Tz>) -> String {
    match zone {
        Some(z) => t.with_timezone(&z).format("%m-%d %H:%M").to_string(),
        None => t.format("%m-%d %H:%M UTC").to_string(),
    }
}

/// "encounter Encounter/V123, inpatient, Ward 3, 11-02 07:00–11-05 14:00".
pub fn describe(e: &Encounter, zone: Option<chrono_tz::Tz>) -> String {
    // (a key made from the patient's identifier would show it unmasked)
    let mut s = if e.key.contains(&e.patient) {
        format!("an {}", e.kind)
    } else {
        format!("{} {}", e.kind, e.key)
    };
    for part in [&e.class, &e.department].into_iter().flatten() {
        s.push_str(", ");
        s.push_str(part);
    }
    let end = e.end.map_or("open".to_owned(), |t| local(t, zone));
    s.push_str(&format!(", {}–{end}", local(e.start, zone)));
    s
}

impl Explained {
    /// Whether the stored note is short (an encounter explanation stores
    /// only its role, and the sentence is made from the encounter when it
    /// is read: a busy day has hundreds of thousands of these).
    pub fn needs_sentence(&self) -> bool {
        self.encounter.is_some() && !self.note.starts_with("explained")
    }

    /// The sentence of an explanation by an encounter, from the encounter.
    pub fn sentence(&self, enc: &Encounter, zone: Option<chrono_tz::Tz>) -> String {
        let what = describe(enc, zone);
        let dept = enc.department.as_deref().unwrap_or("?");
        let role = &self.note;
        match self.kind {
            Explanation::Direct => format!("explained: on the care team of {what}"),
            Explanation::Department => {
                format!("explained: the actor's department ({dept}) holds {what}")
            }
            Explanation::Template => {
                format!("explained: the approved template {role} → {dept} covers {what}")
            }
            _ => format!("explained: {role} work within its usual window around {what}"),
        }
    }
}
