//! Logins for unknown accounts: sshd's "Invalid user", or (with a roster
//! loaded) a login by an account nobody on the roster holds. Scanners try
//! many names from one address, so those group by address.

use super::{Ctx, Finding, GroupBy, Rule, RuleEvent, Told, hhmm};
use vigil_domain::Severity;

pub struct UnknownAccount {
    severity: Severity,
    /// The local day each host's invalid-user item was last given a
    /// reason: the item keeps its first finding's reason, and a scan makes
    /// hundreds of thousands of them, so later ones write no sentence.
    told: Told,
}

impl UnknownAccount {
    pub fn new(severity: Severity) -> Self {
        UnknownAccount {
            severity,
            told: Told::default(),
        }
    }
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
            let host = e.host.unwrap_or("the host");
            let reason = if self.told.first(host, ctx.local(e.occurred_at).date()) {
                format!(
                    "login attempt for account {:?}, which does not exist on {host}{from}, at {at}",
                    e.actor.unwrap_or(""),
                    from = from(),
                    at = at()
                )
            } else {
                String::new()
            };
            let mut f = Finding::of(self, e, self.severity, reason);
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
                Severity::Medium.max(self.severity),
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
