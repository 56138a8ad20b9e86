//! The sanctions register (164.308(a)(1)(ii)(C)): who was sanctioned, for
//! what category and tier of violation, with what, decided by whom, linked to
//! the incident and decisions. Categories and tiers are the covered entity's
//! own (config). Before a sanction that differs from earlier ones in the same
//! category and tier is recorded, those cases are shown side by side, so
//! like cases are treated alike or the difference is deliberate.

use chrono::{DateTime, Utc};
use color_eyre::eyre::Result;
use serde::Serialize;
use serde_json::json;

use vigil_store::ledger::with_state;

use super::{Policy, Refused, Reviewer, record};
use vigil_domain::SafeText;
use vigil_domain::ledger::Entity;
use vigil_store::{Sanction, Store};

/// What `sanction add` records.
#[derive(Debug, Clone, PartialEq)]
pub struct NewSanction {
    pub member: String,
    pub category: String,
    pub tier: String,
    pub sanction: String,
    pub decided_on: String,
    pub incident_id: Option<i64>,
    pub decision_ids: Vec<String>,
    pub notice_sent: bool,
    pub note: Option<String>,
    /// Record it even though earlier cases of the same category and tier
    /// were sanctioned differently.
    pub confirm_inconsistent: bool,
}

/// What happened.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "result", rename_all = "kebab-case")]
pub enum SanctionOutcome {
    Recorded {
        sanction: Sanction,
    },
    /// Not recorded: earlier cases differ; shown for comparison.
    Inconsistent {
        earlier: Vec<Sanction>,
    },
}

/// Refuses anyone the config does not name as a sanction viewer.
pub fn check_viewer(policy: &Policy, who: &Reviewer) -> Result<(), Refused> {
    if policy.sanction_viewers.iter().any(|v| v == &who.name) {
        Ok(())
    } else {
        Err(Refused(format!(
            "sanction records are restricted; {} is not in [sanctions] viewers",
            SafeText::new(&who.name)
        )))
    }
}

/// The register, for those allowed to see it.
pub fn list(store: &dyn Store, policy: &Policy, who: &Reviewer) -> Result<Vec<Sanction>> {
    check_viewer(policy, who)?;
    store.sanctions()
}

pub fn add(
    store: &mut dyn Store,
    policy: &Policy,
    who: &Reviewer,
    now: DateTime<Utc>,
    new: &NewSanction,
) -> Result<SanctionOutcome> {
    check_viewer(policy, who)?;
    for (what, value, allowed) in [
        ("category", &new.category, &policy.sanction_categories),
        ("tier", &new.tier, &policy.sanction_tiers),
    ] {
        if !allowed.iter().any(|a| a == value) {
            return Err(Refused(format!(
                "sanction {what} {:?} is not configured; use one of: {}",
                SafeText::new(value).as_str(),
                allowed.join(", ")
            ))
            .into());
        }
    }
    if chrono::NaiveDate::parse_from_str(&new.decided_on, "%Y-%m-%d").is_err() {
        return Err(Refused(format!(
            "date {:?} is not a date: write 2026-11-26",
            SafeText::new(&new.decided_on).as_str()
        ))
        .into());
    }
    let earlier: Vec<Sanction> = store
        .sanctions()?
        .into_iter()
        .filter(|s| s.category == new.category && s.tier == new.tier)
        .collect();
    let differs = earlier
        .iter()
        .any(|s| s.sanction.trim() != new.sanction.trim());
    if differs && !new.confirm_inconsistent {
        return Ok(SanctionOutcome::Inconsistent { earlier });
    }
    let mut recorded = None;
    store.review(&mut |tx| {
        let mut s = Sanction {
            id: 0,
            member: new.member.clone(),
            category: new.category.clone(),
            tier: new.tier.clone(),
            sanction: new.sanction.clone(),
            decided_by: who.name.clone(),
            decided_on: new.decided_on.clone(),
            incident_id: new.incident_id,
            decision_ids: new.decision_ids.clone(),
            notice_sent: new.notice_sent,
            note: new.note.clone(),
        };
        if let Some(i) = s.incident_id
            && tx.incident(i)?.is_none()
        {
            return Err(Refused(format!("no incident {i}")).into());
        }
        for d in &s.decision_ids {
            if tx.decision(d)?.is_none() {
                return Err(Refused(format!("no decision {d}")).into());
            }
        }
        s.id = tx.add_sanction(&s, now)?;
        record(
            tx,
            who,
            now,
            "sanction.add",
            Entity::Sanction(s.id).to_string(),
            with_state(
                json!({
                    "sanction": s.id,
                    "member": s.member,
                    "category": s.category,
                    "tier": s.tier,
                    "applied": s.sanction,
                    "decided_on": s.decided_on,
                    "incident": s.incident_id,
                    "decisions": s.decision_ids,
                    "notice_sent": s.notice_sent,
                    "differs_from_earlier": differs,
                }),
                &s,
            ),
        )?;
        recorded = Some(s);
        Ok(())
    })?;
    Ok(SanctionOutcome::Recorded {
        sanction: recorded.expect("the transaction set it"),
    })
}
