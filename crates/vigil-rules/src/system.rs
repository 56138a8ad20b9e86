//! Rules on what hosts say about their own safeguards: refused privilege
//! use (sudo refused, su failed, an account locked by a failure counter),
//! tampering with the audit trail (the audit daemon stopped or
//! reconfigured, SELinux or AppArmor loosened, an interface put into
//! promiscuous mode, a program crashed), and membership changes into the
//! groups that make someone an administrator.

use super::{Ctx, Finding, Rule, RuleEvent, Told, hhmm};
use vigil_domain::action as a;
use vigil_domain::{Outcome, Severity};

fn on(e: &RuleEvent<'_>) -> String {
    e.host.map(|h| format!(" on {h}")).unwrap_or_default()
}

/// The group a membership change names (`group sudo`, `group wheel
/// (gshadow)`).
fn group_of<'a>(e: &RuleEvent<'a>) -> Option<&'a str> {
    let d = e.detail?;
    let (_, r) = d.split_once("group ")?;
    let g = r.split([' ', ';', ',']).next().unwrap_or(r);
    let g = g.trim_matches(|c| c == '\'' || c == '"');
    (!g.is_empty()).then_some(g)
}

/// The reason for the first finding of an actor's (or subject's) day; later
/// ones get none and only add their events to the item.
fn once(
    told: &mut Told,
    e: &RuleEvent<'_>,
    ctx: &Ctx<'_>,
    reason: impl FnOnce(&str) -> String,
) -> String {
    let local = ctx.local(e.occurred_at);
    let key = e.actor.or(e.subject).or(e.host).unwrap_or("unknown");
    if told.first(key, local.date()) {
        reason(&hhmm(local))
    } else {
        String::new()
    }
}

pub struct PrivilegedGroup {
    severity: Severity,
    told: Told,
}

impl PrivilegedGroup {
    pub fn new(severity: Severity) -> Self {
        PrivilegedGroup {
            severity,
            told: Told::default(),
        }
    }
}

impl Rule for PrivilegedGroup {
    fn id(&self) -> &'static str {
        "privileged-group"
    }
    fn title(&self) -> &'static str {
        "Added to a privileged group"
    }
    fn check<'a>(&mut self, e: &RuleEvent<'a>, ctx: &Ctx<'_>, out: &mut Vec<Finding<'a>>) {
        if e.action != a::GROUP_MEMBER_ADD || e.outcome == Outcome::Failure {
            return;
        }
        let Some(group) = group_of(e).filter(|g| a::PRIVILEGED_GROUPS.contains(g)) else {
            return;
        };
        let sev = self.severity;
        let text = once(&mut self.told, e, ctx, |at| {
            format!(
                "{} was added to group {group}{} at {at}{}: members of {group} can act as an administrator",
                e.subject.unwrap_or("an account"),
                on(e),
                e.actor.map(|b| format!(" by {b}")).unwrap_or_default(),
            )
        });
        out.push(Finding::of(self, e, sev, text));
    }
}

pub struct RefusedPrivilege {
    severity: Severity,
    told: Told,
}

impl RefusedPrivilege {
    pub fn new(severity: Severity) -> Self {
        RefusedPrivilege {
            severity,
            told: Told::default(),
        }
    }
}

impl Rule for RefusedPrivilege {
    fn id(&self) -> &'static str {
        "refused-privilege"
    }
    fn title(&self) -> &'static str {
        "Refused privilege use"
    }
    fn check<'a>(&mut self, e: &RuleEvent<'a>, ctx: &Ctx<'_>, out: &mut Vec<Finding<'a>>) {
        let failed = e.outcome == Outcome::Failure && !a::not_an_attempt(e.detail);
        let what = match e.action {
            a::SUDO if failed => "sudo refused",
            a::SU if failed => "su failed",
            a::ACCOUNT_LOCK if e.outcome != Outcome::Failure => "account locked",
            _ => return,
        };
        let sev = self.severity;
        let text = once(&mut self.told, e, ctx, |at| match what {
            "account locked" => format!(
                "account {} was locked{} at {at}: {}",
                e.actor.or(e.subject).unwrap_or("?"),
                on(e),
                e.detail.unwrap_or("")
            ),
            _ => format!(
                "{what}: {} tried to act as {}{} at {at} ({})",
                e.actor.unwrap_or("someone"),
                e.subject.unwrap_or("root"),
                on(e),
                e.detail.unwrap_or("no detail")
            ),
        });
        out.push(Finding::of(self, e, sev, text));
    }
}

pub struct AuditTampering {
    severity: Severity,
    told: Told,
}

impl AuditTampering {
    pub fn new(severity: Severity) -> Self {
        AuditTampering {
            severity,
            told: Told::default(),
        }
    }
}

/// What an event did to the safeguards, if anything worth a look.
fn tampering(e: &RuleEvent<'_>) -> Option<(&'static str, bool)> {
    let d = e.detail.unwrap_or("");
    match e.action {
        a::AUDIT_STOP => Some(("the audit daemon stopped", true)),
        a::AUDIT_CONFIG
            if d.contains("audit_enabled=0")
                || d.contains("remove_rule")
                || d.contains("del_rule")
                || d.contains("auditing disabled") =>
        {
            Some(("the audit rules were loosened", true))
        }
        a::MAC_MODE
            if d.contains("permissive") || d.contains("enforcing=0") || d.contains("removed") =>
        {
            Some(("mandatory access control was loosened", true))
        }
        a::PROMISCUOUS if d.contains("entered") => {
            Some(("a network interface entered promiscuous mode", true))
        }
        a::CRASH => Some(("a program ended abnormally", false)),
        _ => None,
    }
}

impl Rule for AuditTampering {
    fn id(&self) -> &'static str {
        "audit-tampering"
    }
    fn title(&self) -> &'static str {
        "Safeguard tampering"
    }
    fn check<'a>(&mut self, e: &RuleEvent<'a>, ctx: &Ctx<'_>, out: &mut Vec<Finding<'a>>) {
        let Some((what, serious)) = tampering(e) else {
            return;
        };
        let sev = if serious {
            self.severity
        } else {
            Severity::Low
        };
        let text = once(&mut self.told, e, ctx, |at| {
            format!(
                "{what}{} at {at}{}: {}",
                on(e),
                e.actor.map(|b| format!(" (by {b})")).unwrap_or_default(),
                e.detail.unwrap_or("")
            )
        });
        out.push(Finding::of(self, e, sev, text));
    }
}
