//! Family or household: the patient is listed as a relative of the actor in
//! the roster.

use super::{Ctx, Finding, Rule, RuleEvent, hhmm};
use vigil_domain::Severity;

pub struct Family(pub Severity);

impl Rule for Family {
    fn id(&self) -> &'static str {
        "family"
    }
    fn title(&self) -> &'static str {
        "Opened a relative's record"
    }
    fn check<'a>(&mut self, e: &RuleEvent<'a>, ctx: &Ctx<'_>, out: &mut Vec<Finding<'a>>) {
        let Some((actor, p, _, person)) = super::patient_access(e, ctx) else {
            return;
        };
        if person.relatives.iter().any(|r| r == &p.mrn) {
            out.push(Finding::of(
                self,
                e,
                self.0,
                format!(
                    "{actor} opened the record of MRN {}, listed in the roster as a family member of theirs, at {}",
                    p.mrn,
                    hhmm(ctx.local(e.occurred_at))
                ),
            ));
        }
    }
}
