//! Self-access: the actor opened their own record (they are the patient).

use super::{Ctx, Finding, Rule, RuleEvent, hhmm};
use vigil_domain::Severity;

pub struct SelfAccess(pub Severity);

impl Rule for SelfAccess {
    fn id(&self) -> &'static str {
        "self-access"
    }
    fn title(&self) -> &'static str {
        "Opened own record"
    }
    fn check<'a>(&mut self, e: &RuleEvent<'a>, ctx: &Ctx<'_>, out: &mut Vec<Finding<'a>>) {
        let Some((actor, p, _, person)) = super::patient_access(e, ctx) else {
            return;
        };
        if p.employee_id.as_deref() == Some(person.id.as_str()) {
            out.push(Finding::of(
                self,
                e,
                self.0,
                format!(
                    "{actor} opened the record of MRN {}, which is their own (employee {}), at {}",
                    p.mrn,
                    person.id,
                    hhmm(ctx.local(e.occurred_at))
                ),
            ));
        }
    }
}
