//! Success after a burst of failures: a login that worked right after
//! repeated failures for the same account or from the same address (a
//! guessed password looks exactly like this).

use super::window::{Shared, Windows, is_auth_failure, lock};
use super::{Ctx, Finding, Rule, RuleEvent, hhmm};
use crate::config::Burst;
use vigil_domain::{Outcome, Severity};

pub struct SuccessAfterFailures {
    severity: Severity,
    threshold: usize,
    window: chrono::Duration,
    /// Shared with the other burst rules (which may count in a shorter
    /// window: this rule asks with its own).
    w: Shared,
}

impl SuccessAfterFailures {
    pub fn new(c: &Burst, w: Shared) -> Self {
        SuccessAfterFailures {
            severity: c.severity.unwrap_or(Severity::Critical),
            threshold: c.threshold.max(1),
            window: chrono::Duration::from_std(c.window).unwrap_or(chrono::Duration::minutes(30)),
            w,
        }
    }
}

impl Rule for SuccessAfterFailures {
    fn id(&self) -> &'static str {
        "success-after-failures"
    }
    fn title(&self) -> &'static str {
        "Login after repeated failures"
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
        if is_auth_failure(e) {
            lock(&self.w).add(e);
            return;
        }
        if e.outcome != Outcome::Success || e.action != "login" {
            return;
        }
        let lock = lock(&self.w);
        let w = self.window;
        let by_actor = e
            .actor
            .map(|a| Windows::recent(&lock.by_actor, a, e.occurred_at, w))
            .unwrap_or_default();
        let by_client = e
            .client
            .map(|c| Windows::recent(&lock.by_client, c, e.occurred_at, w))
            .unwrap_or_default();
        let (failures, whose) = if by_actor.len() >= by_client.len() {
            (by_actor, "for this account".to_owned())
        } else {
            let tried = e
                .client
                .and_then(|c| super::window::tried(&lock, c))
                .map(|t| format!(" (accounts tried: {t})"))
                .unwrap_or_default();
            (by_client, format!("from this address{tried}"))
        };
        if failures.len() < self.threshold {
            return;
        }
        let mut f = Finding::of(
            self,
            e,
            self.severity,
            format!(
                "{} logged in{} at {} after {} failed attempts {whose} in the previous {} minutes",
                e.actor.unwrap_or("someone"),
                e.client.map(|c| format!(" from {c}")).unwrap_or_default(),
                hhmm(ctx.local(e.occurred_at)),
                failures.len(),
                w.num_minutes()
            ),
        );
        f.event_ids.extend(failures);
        out.push(f);
    }
}
