//! Neighbour: the actor and the patient live on the same street (and not
//! at the same address, which `same-address` says). The street is the
//! normalized address with its house number and unit taken off.

use super::{Ctx, Finding, Rule, RuleEvent, hhmm};
use vigil_domain::Severity;

pub struct Neighbour(pub Severity);

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
        if p.employee_id.as_deref() == Some(person.id.as_str())
            || ctx.knowledge.same_address(i, &p.mrn)
        {
            return;
        }
        if let Some(street) = ctx.knowledge.same_street(i, &p.mrn) {
            out.push(Finding::of(
                self,
                e,
                self.0,
                format!(
                    "{actor} opened the chart of MRN {}, who lives on the same street ({street}), at {}",
                    p.mrn,
                    hhmm(ctx.local(e.occurred_at))
                ),
            ));
        }
    }
}
