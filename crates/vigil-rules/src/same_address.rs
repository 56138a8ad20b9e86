//! Same address: the actor and the patient live at the same address.

use super::{Ctx, Finding, Rule, RuleEvent, hhmm};
use vigil_domain::Severity;

pub struct SameAddress(pub Severity);

impl Rule for SameAddress {
    fn id(&self) -> &'static str {
        "same-address"
    }
    fn title(&self) -> &'static str {
        "Same address as the patient"
    }
    fn check<'a>(&mut self, e: &RuleEvent<'a>, ctx: &Ctx<'_>, out: &mut Vec<Finding<'a>>) {
        let Some((actor, p, i, person)) = super::patient_access(e, ctx) else {
            return;
        };
        if p.employee_id.as_deref() == Some(person.id.as_str()) {
            return;
        }
        if ctx.knowledge.same_address(i, p) {
            out.push(Finding::of(
                self,
                e,
                self.0,
                format!(
                    "{actor} opened the chart of MRN {}, who lives at the same address as they do, at {}",
                    p.mrn,
                    hhmm(ctx.local(e.occurred_at))
                ),
            ));
        }
    }
}
