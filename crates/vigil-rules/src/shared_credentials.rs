//! Shared credentials: one account logs in from two different addresses
//! (or workstations) within minutes, which one person cannot do: the
//! password is shared, or stolen.

use std::collections::HashMap;

use chrono::{DateTime, Duration, Utc};

use super::{Ctx, Finding, Rule, RuleEvent, hhmm};
use vigil_domain::{Outcome, Severity};

pub struct SharedCredentials {
    severity: Severity,
    window: Duration,
    /// Each account's last login: when and from where.
    last: HashMap<String, (DateTime<Utc>, String, i64)>,
}

impl SharedCredentials {
    pub fn new(severity: Severity, window: std::time::Duration) -> Self {
        SharedCredentials {
            severity,
            window: Duration::from_std(window).unwrap_or(Duration::minutes(2)),
            last: HashMap::new(),
        }
    }
}

impl Rule for SharedCredentials {
    fn id(&self) -> &'static str {
        "shared-credentials"
    }
    fn title(&self) -> &'static str {
        "One account in two places at once"
    }
    fn check<'a>(&mut self, e: &RuleEvent<'a>, ctx: &Ctx<'_>, out: &mut Vec<Finding<'a>>) {
        if e.outcome != Outcome::Success || e.action != "login" {
            return;
        }
        let (Some(actor), Some(client)) = (e.actor, e.client) else {
            return;
        };
        let prev = self
            .last
            .insert(actor.to_owned(), (e.occurred_at, client.to_owned(), e.id));
        if let Some((at, from, id)) = prev
            && from != client
            && e.occurred_at >= at
            && e.occurred_at - at <= self.window
        {
            let mut f = Finding::of(
                self,
                e,
                self.severity,
                format!(
                    "{actor} logged in from {client} at {} and from {from} {} seconds before: one person cannot be in both places",
                    hhmm(ctx.local(e.occurred_at)),
                    (e.occurred_at - at).num_seconds()
                ),
            );
            f.event_ids = vec![id, e.id];
            out.push(f);
        }
    }
}
