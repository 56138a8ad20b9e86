//! VIP or watch-listed patient.

use super::{Ctx, Finding, Rule, RuleEvent, hhmm};
use vigil_domain::{Outcome, Severity};

pub struct Vip(pub Severity);

impl Rule for Vip {
    fn id(&self) -> &'static str {
        "vip"
    }
    fn title(&self) -> &'static str {
        "Opened a VIP or watch-listed record"
    }
    fn check<'a>(&mut self, e: &RuleEvent<'a>, ctx: &Ctx<'_>, out: &mut Vec<Finding<'a>>) {
        if e.outcome == Outcome::Failure {
            return;
        }
        let Some(subject) = e.subject else { return };
        let vip = ctx.patient(e).is_some_and(|p| p.vip);
        let watched = ctx.knowledge.watch.contains(subject);
        if vip || watched {
            let what = if vip {
                "a VIP patient"
            } else {
                "a watch-listed patient"
            };
            out.push(Finding::of(
                self,
                e,
                self.0,
                format!(
                    "{} opened the chart of MRN {subject}, {what}, at {}",
                    e.actor.unwrap_or("someone"),
                    hhmm(ctx.local(e.occurred_at))
                ),
            ));
        }
    }
}
