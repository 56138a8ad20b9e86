//! Break-the-glass: emergency access that bypassed the usual checks. Every
//! use is reviewed.

use super::{Ctx, Finding, Rule, RuleEvent, hhmm};
use vigil_domain::Severity;

pub struct BreakGlass(pub Severity);

/// Whether the source marked the event as emergency access.
pub fn is_break_glass(e: &RuleEvent<'_>) -> bool {
    e.action == "break-glass"
        || e.detail.is_some_and(|d| {
            // (every event with a detail passes here: no lowercased copy)
            super::contains_ci(d, "break-glass")
                || super::contains_ci(d, "break the glass")
                || super::contains_ci(d, "btg")
        })
}

impl Rule for BreakGlass {
    fn id(&self) -> &'static str {
        "break-glass"
    }
    fn title(&self) -> &'static str {
        "Break-the-glass access"
    }
    fn check<'a>(&mut self, e: &RuleEvent<'a>, ctx: &Ctx<'_>, out: &mut Vec<Finding<'a>>) {
        if !is_break_glass(e) {
            return;
        }
        out.push(Finding::of(
            self,
            e,
            self.0,
            format!(
                "{} used break-the-glass emergency access{} at {}{}",
                e.actor.unwrap_or("someone"),
                e.subject.map(|s| format!(" to {s}")).unwrap_or_default(),
                hhmm(ctx.local(e.occurred_at)),
                e.detail.map(|d| format!(" (\"{d}\")")).unwrap_or_default()
            ),
        ));
    }
}
