//! Privileged activity: root logins, sudo or su to root, database DDL and
//! role changes, cloud IAM changes, and local account changes.

use super::{Ctx, Finding, Rule, RuleEvent, hhmm};
use crate::domain::{Outcome, Severity};

pub struct Privileged(pub Severity);

/// CloudTrail event names that change who can do what.
fn is_iam_change(action: &str) -> bool {
    let verbs = [
        "Create", "Delete", "Attach", "Detach", "Put", "Update", "Add", "Remove",
    ];
    let nouns = [
        "User",
        "Role",
        "Policy",
        "Group",
        "AccessKey",
        "LoginProfile",
        "MFA",
    ];
    verbs.iter().any(|v| action.starts_with(v)) && nouns.iter().any(|n| action.contains(n))
}

impl Rule for Privileged {
    fn id(&self) -> &'static str {
        "privileged"
    }
    fn title(&self) -> &'static str {
        "Privileged activity"
    }
    fn check<'a>(&mut self, e: &RuleEvent<'a>, ctx: &Ctx<'_>, out: &mut Vec<Finding<'a>>) {
        if e.outcome != Outcome::Success {
            return;
        }
        let interesting = matches!(e.action, "sudo" | "su" | "login" | "account")
            || e.action.eq_ignore_ascii_case("ddl")
            || e.action.eq_ignore_ascii_case("role")
            || is_iam_change(e.action);
        if !interesting {
            return;
        }
        let who = e.actor.unwrap_or("someone");
        let at = hhmm(ctx.local(e.occurred_at));
        let on = e.host.map(|h| format!(" on {h}")).unwrap_or_default();
        let reason = match e.action {
            "sudo" if e.subject == Some("root") => Some(format!(
                "{who} ran a command as root with sudo{on} at {at}: {}",
                e.detail.unwrap_or("")
            )),
            "su" if e.subject == Some("root") => {
                Some(format!("{who} became root with su{on} at {at}"))
            }
            "login" if e.actor == Some("root") => Some(format!(
                "direct root login{on}{} at {at}",
                e.client.map(|c| format!(" from {c}")).unwrap_or_default()
            )),
            "account" => Some(format!(
                "account change{on} at {at}: {}",
                e.detail.unwrap_or(e.action)
            )),
            a if a.eq_ignore_ascii_case("ddl") || a.eq_ignore_ascii_case("role") => Some(format!(
                "{who} ran a {} statement{} at {at}",
                a.to_ascii_uppercase(),
                e.subject.map(|s| format!(" on {s}")).unwrap_or_default()
            )),
            a if is_iam_change(a) => Some(format!(
                "{who} made an IAM change ({a}){} at {at}",
                e.subject.map(|s| format!(" to {s}")).unwrap_or_default()
            )),
            _ => None,
        };
        if let Some(r) = reason {
            out.push(Finding::of(self, e, self.0, r));
        }
    }
}
