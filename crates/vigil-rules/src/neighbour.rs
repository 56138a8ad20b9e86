//! Neighbour: the actor and the patient live on the same street (and not
//! at the same address, which `same-address` says), or, where the roster
//! and the demographics give coordinates, within a short distance of each
//! other (the house across a corner is on another street). The street is
//! the normalized address with its house number and unit taken off.

use super::{Ctx, Finding, Rule, RuleEvent, hhmm};
use vigil_domain::Severity;

pub struct Neighbour {
    pub severity: Severity,
    /// Metres; 0: no distance check.
    pub within_m: f64,
}

impl Rule for Neighbour {
    fn id(&self) -> &'static str {
        "neighbour"
    }
    fn title(&self) -> &'static str {
        "Opened a neighbour's record"
    }
    fn check<'a>(&mut self, e: &RuleEvent<'a>, ctx: &Ctx<'_>, out: &mut Vec<Finding<'a>>) {
        let Some((actor, p, i, person)) = super::patient_access(e, ctx) else {
            return;
        };
        if p.employee_id.as_deref() == Some(person.id.as_str()) || ctx.knowledge.same_address(i, p)
        {
            return;
        }
        let why = if let Some(street) = ctx.knowledge.same_street(i, p) {
            format!("who lives on the same street ({street})")
        } else {
            match ctx.knowledge.metres_apart(i, p) {
                Some(m) if self.within_m > 0.0 && m <= self.within_m => {
                    format!("who lives {:.0} m away", m.max(1.0))
                }
                _ => return,
            }
        };
        out.push(Finding::of(
            self,
            e,
            self.severity,
            format!(
                "{actor} opened the chart of MRN {}, {why}, at {}",
                p.mrn,
                hhmm(ctx.local(e.occurred_at))
            ),
        ));
    }
}
