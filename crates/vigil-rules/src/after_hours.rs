//! Access outside the actor's shift (from the roster, else the configured
//! default), or on a weekend for those on the default (office) hours.

use chrono::{Datelike, NaiveTime, Weekday};

use super::knowledge::{in_shift, parse_shift};
use super::{Ctx, Finding, Rule, RuleEvent, hhmm, is_access};
use vigil_domain::Severity;

pub struct AfterHours {
    severity: Severity,
    default: (NaiveTime, NaiveTime),
    weekends: bool,
    told: super::Told,
}

impl AfterHours {
    pub fn new(c: &crate::config::AfterHours) -> Self {
        let shift = format!("{}-{}", c.start, c.end);
        AfterHours {
            severity: c.severity.unwrap_or(Severity::Medium),
            default: parse_shift(&shift).unwrap_or((
                NaiveTime::from_hms_opt(7, 0, 0).expect("valid"),
                NaiveTime::from_hms_opt(19, 0, 0).expect("valid"),
            )),
            weekends: c.weekends,
            told: Default::default(),
        }
    }
}

fn doing(e: &RuleEvent<'_>) -> String {
    match (e.action, e.subject) {
        ("login", _) => format!(
            "logged in{}",
            e.client.map(|c| format!(" from {c}")).unwrap_or_default()
        ),
        (a, Some(s)) => format!("did {a} on {s}"),
        (a, None) => format!("did {a}"),
    }
}

impl Rule for AfterHours {
    fn id(&self) -> &'static str {
        "after-hours"
    }
    fn title(&self) -> &'static str {
        "Access outside working hours"
    }
    fn check<'a>(&mut self, e: &RuleEvent<'a>, ctx: &Ctx<'_>, out: &mut Vec<Finding<'a>>) {
        if !is_access(e) && ctx.patient(e).is_none() {
            return;
        }
        let Some(actor) = e.actor else { return };
        let local = ctx.local(e.occurred_at);
        // A shift from the roster is worked every day (wards run all week);
        // the default shift is office hours, so weekends count against it.
        let rostered = ctx.person(e).and_then(|(i, _)| ctx.knowledge.shift(i));
        let shift = rostered.unwrap_or(self.default);
        let weekend = matches!(local.weekday(), Weekday::Sat | Weekday::Sun);
        let outside = !in_shift(local.time(), shift);
        if outside || (self.weekends && weekend && rostered.is_none()) {
            // The day's item keeps its first reason; later findings only
            // add their events.
            if !self.told.first(actor, local.date()) {
                out.push(Finding::of(self, e, self.severity, String::new()));
                return;
            }
            let why = if outside {
                format!(
                    "outside shift {}-{}",
                    shift.0.format("%H:%M"),
                    shift.1.format("%H:%M")
                )
            } else {
                format!("on a {}", local.format("%A"))
            };
            out.push(Finding::of(
                self,
                e,
                self.severity,
                format!("{actor} {} at {}, {why}", doing(e), hhmm(local)),
            ));
        }
    }
}
