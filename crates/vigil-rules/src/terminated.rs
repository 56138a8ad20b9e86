//! Terminated or suspended account: activity by an account the roster says
//! is gone (after its termination date) or suspended.

use super::{Ctx, Finding, Rule, RuleEvent, hhmm};
use vigil_domain::{Outcome, Severity};

pub struct Terminated(pub Severity);

impl Rule for Terminated {
    fn id(&self) -> &'static str {
        "terminated"
    }
    fn title(&self) -> &'static str {
        "Activity by a terminated or suspended account"
    }
    fn check<'a>(&mut self, e: &RuleEvent<'a>, ctx: &Ctx<'_>, out: &mut Vec<Finding<'a>>) {
        if e.outcome != Outcome::Success {
            return;
        }
        let Some(actor) = e.actor else { return };
        let Some((_, p)) = ctx.person(e) else {
            return;
        };
        let local = ctx.local(e.occurred_at);
        let why = match p.status.as_str() {
            "suspended" => Some("whose account is suspended".to_owned()),
            "terminated" => match p.terminated_on {
                Some(d) if local.date() > d => Some(format!("terminated on {d}")),
                Some(_) => None,
                None => Some("marked terminated".to_owned()),
            },
            _ => None,
        };
        if let Some(why) = why {
            out.push(Finding::of(
                self,
                e,
                self.0,
                format!(
                    "{actor} ({}, {why}) did {} on {} at {}",
                    p.name,
                    e.action,
                    local.date(),
                    hhmm(local)
                ),
            ));
        }
    }
}
