//! Same surname: the actor and the patient share a surname (case, accents
//! and hyphenated parts normalized), and they are not the same person.

use super::{Ctx, Finding, Rule, RuleEvent, hhmm};
use vigil_domain::Severity;

pub struct SameSurname(pub Severity);

impl Rule for SameSurname {
    fn id(&self) -> &'static str {
        "same-surname"
    }
    fn title(&self) -> &'static str {
        "Same surname as the patient"
    }
    fn check<'a>(&mut self, e: &RuleEvent<'a>, ctx: &Ctx<'_>, out: &mut Vec<Finding<'a>>) {
        let Some((actor, p, i, person)) = super::patient_access(e, ctx) else {
            return;
        };
        if p.employee_id.as_deref() == Some(person.id.as_str()) {
            return; // self-access says it better
        }
        if let Some(name) = ctx.knowledge.shared_surname(i, p) {
            out.push(Finding::of(
                self,
                e,
                self.0,
                format!(
                    "{actor} opened the chart of MRN {}, who shares the surname {}, at {}",
                    p.mrn,
                    capitalize(name),
                    hhmm(ctx.local(e.occurred_at))
                ),
            ));
        }
    }
}

fn capitalize(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(f) => f.to_uppercase().chain(c).collect(),
        None => String::new(),
    }
}
