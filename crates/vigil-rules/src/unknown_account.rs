//! Logins for unknown accounts: sshd's "Invalid user", or (with a roster
//! loaded) a login by an account nobody on the roster holds. Scanners try
//! many names from one address, so those group by address.

use super::{Ctx, Finding, GroupBy, Rule, RuleEvent, hhmm};
use vigil_domain::Severity;

pub struct UnknownAccount(pub Severity);

/// The reason of an invalid-user finding, written only for the one that
/// opens its item: a scan makes hundreds of thousands of them, and the
/// item shows its first.
fn invalid_user(f: &Finding<'_>, zone: Option<chrono_tz::Tz>) -> String {
    format!(
        "login attempt for account {:?}, which does not exist on {}{}, at {}",
        f.actor.as_deref().unwrap_or(""),
        f.host.as_deref().unwrap_or("the host"),
        f.client
            .as_deref()
            .map(|c| format!(" from {c}"))
            .unwrap_or_default(),
        hhmm(super::local_in(zone, f.occurred_at))
    )
}

impl Rule for UnknownAccount {
    fn id(&self) -> &'static str {
        "unknown-account"
    }
    fn title(&self) -> &'static str {
        "Login for an unknown account"
    }
    fn check<'a>(&mut self, e: &RuleEvent<'a>, ctx: &Ctx<'_>, out: &mut Vec<Finding<'a>>) {
        let at = || hhmm(ctx.local(e.occurred_at));
        let from = || e.client.map(|c| format!(" from {c}")).unwrap_or_default();
        if e.action == "invalid-user" {
            let mut f = Finding::of(self, e, self.0, String::new());
            f.late_reason = Some(invalid_user);
            f.group_by = GroupBy::Host;
            out.push(f);
            return;
        }
        if e.action == "login"
            && !super::window::is_invalid_user(e)
            && ctx.knowledge.has_roster()
            && let Some(actor) = e.actor
            && ctx.person(e).is_none()
            && actor != "root"
        {
            out.push(Finding::of(
                self,
                e,
                Severity::Medium.max(self.0),
                format!(
                    "{} login for account {actor}{from} at {at}: no one on the workforce roster holds this account",
                    if e.outcome == vigil_domain::Outcome::Success { "successful" } else { "failed" },
                    from = from(),
                    at = at()
                ),
            ));
        }
    }
}
