//! The risk register (risk analysis and risk management): adding a risk,
//! changing it, accepting its residual risk, and the register as it stood
//! on any date. Every change is one ledger entry carrying the risk's whole
//! entry after the change, so the history needs no table of its own and is
//! as tamper-evident as the rest of the ledger.

use chrono::{DateTime, NaiveDate, Utc};
use color_eyre::eyre::Result;
use serde::Serialize;

use super::{Refused, Reviewer, record};
use vigil_domain::SafeText;
use vigil_domain::ledger::Entity;
use vigil_store::ledger::with_state;
use vigil_store::{Risk, Safeguard, Store};

/// The likelihood and impact scales, lowest first (`[risk]` in the config).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Scales {
    pub likelihood: Vec<String>,
    pub impact: Vec<String>,
}

impl Default for Scales {
    fn default() -> Self {
        Scales {
            likelihood: ["rare", "unlikely", "possible", "likely", "almost-certain"]
                .map(String::from)
                .to_vec(),
            impact: ["negligible", "minor", "moderate", "major", "severe"]
                .map(String::from)
                .to_vec(),
        }
    }
}

impl Scales {
    /// A position on a scale from its name or its number (from 1).
    pub fn parse(&self, which: &str, value: &str) -> Result<i64, Refused> {
        let scale = if which == "impact" {
            &self.impact
        } else {
            &self.likelihood
        };
        let v = value.trim().to_lowercase();
        if let Some(i) = scale.iter().position(|s| *s == v) {
            return Ok(i as i64 + 1);
        }
        match v.parse::<i64>() {
            Ok(n) if (1..=scale.len() as i64).contains(&n) => Ok(n),
            _ => Err(Refused(format!(
                "{which} {:?} is not on the scale: use 1-{} or one of {}",
                SafeText::new(value).as_str(),
                scale.len(),
                scale.join(", ")
            ))),
        }
    }

    pub fn name(&self, which: &str, n: i64) -> &str {
        let scale = if which == "impact" {
            &self.impact
        } else {
            &self.likelihood
        };
        scale
            .get((n - 1).max(0) as usize)
            .map(String::as_str)
            .unwrap_or("?")
    }

    /// low, medium, high or critical: the rating's place between the
    /// smallest and largest products of the two scales (on 5x5: up to 4 is
    /// low, 9 medium, 16 high, above that critical).
    pub fn level(&self, rating: i64) -> &'static str {
        let max = (self.likelihood.len() * self.impact.len()).max(1) as f64;
        match rating as f64 / max {
            f if f <= 0.16 => "low",
            f if f <= 0.36 => "medium",
            f if f <= 0.64 => "high",
            _ => "critical",
        }
    }
}

pub const TREATMENTS: &[&str] = &["mitigate", "accept", "transfer", "avoid"];

/// What a change sets; `None` leaves a field as it is.
#[derive(Debug, Clone, Default)]
pub struct RiskChange {
    pub asset: Option<String>,
    pub sources: Option<Vec<String>>,
    pub threat: Option<String>,
    pub vulnerability: Option<String>,
    pub likelihood: Option<String>,
    pub impact: Option<String>,
    pub residual_likelihood: Option<String>,
    pub residual_impact: Option<String>,
    /// Safeguards in place, added.
    pub safeguards: Vec<String>,
    /// Planned safeguards, added: text, owner, due date.
    pub planned: Vec<(String, Option<String>, Option<NaiveDate>)>,
    pub treatment: Option<String>,
    pub owner: Option<String>,
    pub next_review: Option<NaiveDate>,
    /// The one changing it accepts the residual risk.
    pub accept: bool,
}

fn apply_change(
    r: &mut Risk,
    c: &RiskChange,
    scales: &Scales,
    who: &Reviewer,
    now: DateTime<Utc>,
) -> Result<(), Refused> {
    let text = |what: &str, v: &Option<String>, into: &mut String| -> Result<(), Refused> {
        if let Some(v) = v {
            if v.trim().is_empty() {
                return Err(Refused(format!("{what} cannot be empty")));
            }
            *into = v.trim().to_owned();
        }
        Ok(())
    };
    text("asset", &c.asset, &mut r.asset)?;
    text("threat", &c.threat, &mut r.threat)?;
    text("vulnerability", &c.vulnerability, &mut r.vulnerability)?;
    if let Some(s) = &c.sources {
        r.sources = s.clone();
    }
    if let Some(v) = &c.likelihood {
        r.likelihood = scales.parse("likelihood", v)?;
    }
    if let Some(v) = &c.impact {
        r.impact = scales.parse("impact", v)?;
    }
    if let Some(v) = &c.residual_likelihood {
        r.residual_likelihood = Some(scales.parse("likelihood", v)?);
    }
    if let Some(v) = &c.residual_impact {
        r.residual_impact = Some(scales.parse("impact", v)?);
    }
    for s in &c.safeguards {
        r.safeguards.push(Safeguard {
            text: s.clone(),
            planned: false,
            owner: None,
            due: None,
        });
    }
    for (s, owner, due) in &c.planned {
        if owner.is_none() || due.is_none() {
            return Err(Refused(format!(
                "planned safeguard {:?} needs an owner and a due date",
                SafeText::new(s).as_str()
            )));
        }
        r.safeguards.push(Safeguard {
            text: s.clone(),
            planned: true,
            owner: owner.clone(),
            due: *due,
        });
    }
    if let Some(t) = &c.treatment {
        if !TREATMENTS.contains(&t.as_str()) {
            return Err(Refused(format!(
                "treatment {:?} is not one of {}",
                SafeText::new(t).as_str(),
                TREATMENTS.join(", ")
            )));
        }
        r.treatment = Some(t.clone());
    }
    if let Some(o) = &c.owner {
        r.owner = Some(o.clone());
    }
    if let Some(d) = c.next_review {
        r.next_review = Some(d);
    }
    if c.accept {
        if r.residual().is_none() {
            return Err(Refused(
                "assess the residual risk (--residual-likelihood, --residual-impact) before accepting it".into(),
            ));
        }
        r.accepted_by = Some(who.name.clone());
        r.accepted_on = Some(now.date_naive());
    }
    if r.treatment.as_deref() == Some("accept") && r.accepted_by.is_none() {
        return Err(Refused(
            "a risk treated by acceptance needs someone to accept it: add --accept".into(),
        ));
    }
    Ok(())
}

/// Adds a risk to the register; its first ledger entry is `risk.add`.
pub fn add(
    store: &mut dyn Store,
    scales: &Scales,
    who: &Reviewer,
    now: DateTime<Utc>,
    new: &RiskChange,
) -> Result<Risk> {
    for (what, v) in [
        ("--asset", &new.asset),
        ("--threat", &new.threat),
        ("--vulnerability", &new.vulnerability),
        ("--likelihood", &new.likelihood),
        ("--impact", &new.impact),
    ] {
        if v.as_deref().is_none_or(|v| v.trim().is_empty()) {
            return Err(Refused(format!("a new risk needs {what}")).into());
        }
    }
    let mut r = Risk {
        id: 0,
        asset: String::new(),
        sources: Vec::new(),
        threat: String::new(),
        vulnerability: String::new(),
        likelihood: 1,
        impact: 1,
        residual_likelihood: None,
        residual_impact: None,
        safeguards: Vec::new(),
        treatment: None,
        accepted_by: None,
        accepted_on: None,
        owner: None,
        next_review: None,
    };
    apply_change(&mut r, new, scales, who, now)?;
    let mut id = 0;
    store.review(&mut |tx| {
        id = tx.add_risk(&r, now)?;
        let stored = Risk { id, ..r.clone() };
        record(
            tx,
            who,
            now,
            "risk.add",
            Entity::Risk(id).to_string(),
            with_state(serde_json::to_value(&stored)?, &stored),
        )?;
        Ok(())
    })?;
    r.id = id;
    Ok(r)
}

/// Changes a risk; the ledger entry `risk.update` holds the whole entry.
pub fn update(
    store: &mut dyn Store,
    scales: &Scales,
    who: &Reviewer,
    now: DateTime<Utc>,
    id: i64,
    change: &RiskChange,
) -> Result<Risk> {
    let mut out = None;
    store.review(&mut |tx| {
        let Some(mut r) = tx.risk(id)? else {
            return Err(Refused(format!("no risk {id}")).into());
        };
        apply_change(&mut r, change, scales, who, now)?;
        tx.put_risk(&r, now)?;
        let action = if change.accept {
            "risk.accept"
        } else {
            "risk.update"
        };
        record(
            tx,
            who,
            now,
            action,
            Entity::Risk(id).to_string(),
            with_state(serde_json::to_value(&r)?, &r),
        )?;
        out = Some(r);
        Ok(())
    })?;
    Ok(out.expect("the transaction set it"))
}

/// The register as it stood at the end of `day` (UTC), from the ledger:
/// each risk's last entry on or before then; risks added later are absent.
pub fn as_of(store: &dyn Store, day: NaiveDate) -> Result<Vec<Risk>> {
    let end = vigil_domain::time::day_start(None, day + chrono::Duration::days(1));
    let mut out = Vec::new();
    for now in store.risks()? {
        let mut then = None;
        for e in store.ledger_for(&Entity::Risk(now.id).to_string())? {
            let at: DateTime<Utc> = match DateTime::parse_from_rfc3339(&e.at) {
                Ok(t) => t.with_timezone(&Utc),
                Err(_) => continue,
            };
            if at >= end {
                break;
            }
            if let Ok(mut r) = serde_json::from_str::<Risk>(&e.payload) {
                r.id = now.id;
                then = Some(r);
            }
        }
        out.extend(then);
    }
    Ok(out)
}

/// A row for listings: ratings worked out and named.
#[derive(Debug, Clone, Serialize)]
pub struct RiskRow {
    pub id: i64,
    pub asset: SafeText,
    pub sources: SafeText,
    pub threat: SafeText,
    pub likelihood: String,
    pub impact: String,
    pub inherent: String,
    pub residual: String,
    pub treatment: String,
    pub accepted: String,
    pub safeguards: String,
    pub owner: SafeText,
    pub next_review: String,
}

pub fn row(r: &Risk, scales: &Scales) -> RiskRow {
    let planned = r.safeguards.iter().filter(|s| s.planned).count();
    RiskRow {
        id: r.id,
        asset: SafeText::new(&r.asset),
        sources: SafeText::new(&r.sources.join(",")),
        threat: SafeText::new(&r.threat),
        likelihood: scales.name("likelihood", r.likelihood).to_owned(),
        impact: scales.name("impact", r.impact).to_owned(),
        inherent: format!("{} {}", r.inherent(), scales.level(r.inherent())),
        residual: r
            .residual()
            .map(|v| format!("{v} {}", scales.level(v)))
            .unwrap_or_else(|| "-".into()),
        treatment: r.treatment.clone().unwrap_or_else(|| "-".into()),
        accepted: match (&r.accepted_by, r.accepted_on) {
            (Some(by), Some(on)) => SafeText::new(&format!("{by} {on}")).into_string(),
            _ => "-".into(),
        },
        safeguards: format!(
            "{} in place, {planned} planned",
            r.safeguards.len() - planned
        ),
        owner: SafeText::new(r.owner.as_deref().unwrap_or("-")),
        next_review: r
            .next_review
            .map(|d| d.to_string())
            .unwrap_or_else(|| "-".into()),
    }
}
