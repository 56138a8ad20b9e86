//! Privileged activity: root logins, sudo or su to root, database DDL and
//! role changes, cloud IAM changes, and local account changes.

use super::{Ctx, Finding, Rule, RuleEvent, hhmm};
use vigil_domain::{Outcome, Severity};

pub struct Privileged {
    severity: Severity,
    told: super::Told,
}

impl Privileged {
    pub fn new(severity: Severity) -> Self {
        Privileged {
            severity,
            told: Default::default(),
        }
    }
}

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
        let interesting = matches!(e.action, "sudo" | "su" | "login")
            || vigil_domain::action::ACCOUNT_CHANGES.contains(&e.action)
            || e.action.eq_ignore_ascii_case("ddl")
            || e.action.eq_ignore_ascii_case("role")
            || is_iam_change(e.action);
        if !interesting {
            return;
        }
        let flagged = match e.action {
            "sudo" | "su" => e.subject == Some("root"),
            "login" => e.actor == Some("root"),
            _ => true,
        };
        if !flagged {
            return;
        }
        let local = ctx.local(e.occurred_at);
        // The day's item (by actor, or subject when there is none) keeps
        // its first reason: later findings only add their events.
        let group = e.actor.or(e.subject).unwrap_or("unknown");
        let reason = if self.told.first(group, local.date()) {
            reason(e, &hhmm(local))
        } else {
            String::new()
        };
        out.push(Finding::of(self, e, self.severity, reason));
    }
}

/// The sentence for a flagged privileged event.
fn reason(e: &RuleEvent<'_>, at: &str) -> String {
    let who = e.actor.unwrap_or("someone");
    let on = e.host.map(|h| format!(" on {h}")).unwrap_or_default();
    match e.action {
        "sudo" => format!(
            "{who} ran a command as root with sudo{on} at {at}: {}",
            e.detail.unwrap_or("")
        ),
        "su" => format!("{who} became root with su{on} at {at}"),
        "login" => format!(
            "direct root login{on}{} at {at}",
            e.client.map(|c| format!(" from {c}")).unwrap_or_default()
        ),
        a if vigil_domain::action::ACCOUNT_CHANGES.contains(&a) => format!(
            "account change ({a}{}){on} at {at}: {}",
            e.subject.map(|s| format!(" {s}")).unwrap_or_default(),
            e.detail.unwrap_or(e.action)
        ),
        a if a.eq_ignore_ascii_case("ddl") || a.eq_ignore_ascii_case("role") => format!(
            "{who} ran a {} statement{} at {at}",
            a.to_ascii_uppercase(),
            e.subject.map(|s| format!(" on {s}")).unwrap_or_default()
        ),
        a => format!(
            "{who} made an IAM change ({a}){} at {at}",
            e.subject.map(|s| format!(" to {s}")).unwrap_or_default()
        ),
    }
}
