//! Failed-login burst: N failures for one account, or from one address,
//! within a window. Grouped per account (or address) and day.

use super::window::{Shared, Windows, is_auth_failure, lock};
use super::{Ctx, Finding, GroupBy, Rule, RuleEvent, Told, hhmm};
use crate::config::Burst;
use vigil_domain::Severity;

pub struct FailedBurst {
    severity: Severity,
    threshold: usize,
    window: chrono::Duration,
    /// Shared with the other burst rules, counting in this rule's window.
    w: Shared,
    /// The local day each account's (and address's) burst was last given
    /// a reason: later failures that day only add themselves to the item,
    /// whose reason is the one written when the burst began, so no sentence
    /// is written for each of a scanner's hundred thousand failures.
    told_actor: Told,
    told_client: Told,
}

impl FailedBurst {
    pub fn new(c: &Burst, w: Shared) -> Self {
        FailedBurst {
            severity: c.severity.unwrap_or(Severity::High),
            threshold: c.threshold.max(1),
            window: chrono::Duration::from_std(c.window).unwrap_or(chrono::Duration::minutes(10)),
            w,
            told_actor: Told::default(),
            told_client: Told::default(),
        }
    }
}

impl Rule for FailedBurst {
    fn id(&self) -> &'static str {
        "failed-burst"
    }
    fn title(&self) -> &'static str {
        "Failed-login burst"
    }
    fn window(&self) -> Option<std::time::Duration> {
        self.window.to_std().ok()
    }
    fn remember(&mut self, e: &RuleEvent<'_>) {
        if is_auth_failure(e) {
            lock(&self.w).add(e);
        }
    }
    fn check<'a>(&mut self, e: &RuleEvent<'a>, ctx: &Ctx<'_>, out: &mut Vec<Finding<'a>>) {
        if !is_auth_failure(e) {
            return;
        }
        let mut w = lock(&self.w);
        let (by_actor, by_client) = w.add(e);
        if by_actor < self.threshold && by_client < self.threshold {
            return;
        }
        let minutes = self.window.num_minutes();
        let local = ctx.local(e.occurred_at);
        let day = local.date();
        let at = || hhmm(local);
        if let Some(actor) = e.actor
            && by_actor >= self.threshold
        {
            // The burst's earlier failures are listed once, when it starts;
            // later ones add only themselves.
            let ids = if by_actor == self.threshold {
                Windows::recent(&w.by_actor, actor, e.occurred_at, self.window)
            } else {
                vec![e.id]
            };
            // (`|`, not `||`: the day is recorded either way)
            let reason = if self.told_actor.first(actor, day) | (by_actor == self.threshold) {
                format!(
                    "{by_actor} failed login attempts for account {actor} within {minutes} minutes, the latest at {}{}",
                    at(),
                    e.client.map(|c| format!(" from {c}")).unwrap_or_default()
                )
            } else {
                String::new()
            };
            let mut f = Finding::of(self, e, self.severity, reason);
            f.event_ids = ids;
            out.push(f);
        }
        if let Some(client) = e.client
            && by_client >= self.threshold
        {
            let ids = if by_client == self.threshold {
                Windows::recent(&w.by_client, client, e.occurred_at, self.window)
            } else {
                vec![e.id]
            };
            let reason = if self.told_client.first(client, day) | (by_client == self.threshold) {
                format!(
                    "{by_client} failed login attempts from {client} within {minutes} minutes, the latest at {}; accounts tried: {}",
                    at(),
                    super::window::tried(&w, client).unwrap_or_else(|| "none named".to_owned())
                )
            } else {
                String::new()
            };
            let mut f = Finding::of(self, e, self.severity, reason);
            f.event_ids = ids;
            f.group_by = GroupBy::Client;
            out.push(f);
        }
    }
}
