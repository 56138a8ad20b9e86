//! Deceased patient: the record was opened after the date of death.

use super::{Ctx, Finding, Rule, RuleEvent};
use vigil_domain::{Outcome, Severity};

pub struct Deceased(pub Severity);

impl Rule for Deceased {
    fn id(&self) -> &'static str {
        "deceased"
    }
    fn title(&self) -> &'static str {
        "Opened a deceased patient's record"
    }
    fn check<'a>(&mut self, e: &RuleEvent<'a>, ctx: &Ctx<'_>, out: &mut Vec<Finding<'a>>) {
        if e.outcome == Outcome::Failure {
            return;
        }
        let Some(p) = ctx.patient(e) else { return };
        let Some(died) = p.date_of_death else { return };
        let day = ctx.local(e.occurred_at).date();
        if day > died {
            out.push(Finding::of(
                self,
                e,
                self.0,
                format!(
                    "{} opened the record of MRN {} on {day}, {} days after the patient's death on {died}",
                    e.actor.unwrap_or("someone"),
                    p.mrn,
                    (day - died).num_days()
                ),
            ));
        }
    }
}
