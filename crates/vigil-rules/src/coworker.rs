//! Co-worker: the patient is on the workforce roster too.

use super::{Ctx, Finding, Rule, RuleEvent, hhmm};
use vigil_domain::{Outcome, Severity};

pub struct Coworker(pub Severity);

impl Rule for Coworker {
    fn id(&self) -> &'static str {
        "coworker"
    }
    fn title(&self) -> &'static str {
        "Opened a co-worker's record"
    }
    fn check<'a>(&mut self, e: &RuleEvent<'a>, ctx: &Ctx<'_>, out: &mut Vec<Finding<'a>>) {
        if e.outcome == Outcome::Failure {
            return;
        }
        let (Some(actor), Some(p)) = (e.actor, ctx.patient(e)) else {
            return;
        };
        let Some(emp) = p.employee_id.as_deref() else {
            return;
        };
        if ctx.person(e).is_some_and(|(_, me)| me.id == emp) {
            return; // their own record: self-access
        }
        let dept = ctx
            .knowledge
            .person(emp)
            .and_then(|(_, p)| p.department.clone())
            .map(|d| format!(" in {d}"))
            .unwrap_or_default();
        out.push(Finding::of(
            self,
            e,
            self.0,
            format!(
                "{actor} opened the chart of MRN {}, who is employee {emp}{dept}, at {}",
                p.mrn,
                hhmm(ctx.local(e.occurred_at))
            ),
        ));
    }
}
