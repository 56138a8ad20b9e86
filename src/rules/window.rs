//! A sliding window of failed authentications per account and per address,
//! shared by the burst rules.

use std::collections::{HashMap, VecDeque};
use std::time::Duration;

use chrono::{DateTime, Utc};

use super::RuleEvent;
use crate::domain::Outcome;

/// Whether an event is a failed attempt to authenticate.
pub fn is_auth_failure(e: &RuleEvent<'_>) -> bool {
    e.outcome == Outcome::Failure && matches!(e.action, "login" | "auth" | "invalid-user")
}

/// sshd said the account does not exist.
pub fn is_invalid_user(e: &RuleEvent<'_>) -> bool {
    e.action == "invalid-user" || e.detail.is_some_and(|d| d.contains("invalid user"))
}

#[derive(Debug, Default)]
pub struct Windows {
    window: chrono::Duration,
    pub by_actor: HashMap<String, VecDeque<(DateTime<Utc>, i64)>>,
    pub by_client: HashMap<String, VecDeque<(DateTime<Utc>, i64)>>,
    seen: u64,
}

fn push(
    map: &mut HashMap<String, VecDeque<(DateTime<Utc>, i64)>>,
    key: &str,
    t: DateTime<Utc>,
    id: i64,
    window: chrono::Duration,
) -> usize {
    let q = match map.get_mut(key) {
        Some(q) => q,
        None => map.entry(key.to_owned()).or_default(),
    };
    // Kept sorted by time: sources are read one after another, so events
    // do not always arrive in time order. Ids stay unique: an event
    // remembered from history may come again.
    if q.back().is_none_or(|last| *last < (t, id)) {
        // The common case, in time order: no search, and what has left the
        // window (with `prune`'s hour of margin) goes now, so a scanner's
        // queue stays short.
        q.push_back((t, id));
        let horizon = t - window - chrono::Duration::hours(1);
        while q.front().is_some_and(|(ft, _)| *ft < horizon) {
            q.pop_front();
        }
        let lo = q.partition_point(|(ft, _)| *ft <= t - window);
        return q.len() - lo;
    } else {
        let at = q.partition_point(|e| *e < (t, id));
        if q.get(at) != Some(&(t, id)) {
            q.insert(at, (t, id));
        }
    }
    count_in(q, t - window, t)
}

/// Entries with time in (from, to]: two binary searches.
fn count_in(q: &VecDeque<(DateTime<Utc>, i64)>, from: DateTime<Utc>, to: DateTime<Utc>) -> usize {
    let lo = q.partition_point(|(ft, _)| *ft <= from);
    let hi = q.partition_point(|(ft, _)| *ft <= to);
    hi.saturating_sub(lo)
}

impl Windows {
    pub fn new(window: Duration) -> Self {
        Windows {
            window: chrono::Duration::from_std(window).unwrap_or(chrono::Duration::minutes(10)),
            ..Windows::default()
        }
    }

    /// Adds a failure; returns how many failures the account and the
    /// address have within the window, this one included.
    pub fn add(&mut self, e: &RuleEvent<'_>) -> (usize, usize) {
        self.seen += 1;
        if self.seen.is_multiple_of(50_000) {
            self.prune(e.occurred_at);
        }
        // A name that does not exist is no one's account under attack: such
        // failures count for their address only.
        let a = e
            .actor
            .filter(|_| !is_invalid_user(e))
            .map(|k| push(&mut self.by_actor, k, e.occurred_at, e.id, self.window))
            .unwrap_or(0);
        let c = e
            .client
            .map(|k| push(&mut self.by_client, k, e.occurred_at, e.id, self.window))
            .unwrap_or(0);
        (a, c)
    }

    /// Failures within the window before `t` for a key.
    pub fn recent(
        map: &HashMap<String, VecDeque<(DateTime<Utc>, i64)>>,
        key: &str,
        t: DateTime<Utc>,
        window: chrono::Duration,
    ) -> Vec<i64> {
        let from = t - window;
        map.get(key)
            .map(|q| {
                let lo = q.partition_point(|(ft, _)| *ft <= from);
                let hi = q.partition_point(|(ft, _)| *ft <= t);
                q.range(lo..hi).map(|(_, id)| *id).collect()
            })
            .unwrap_or_default()
    }

    pub fn window(&self) -> chrono::Duration {
        self.window
    }

    /// Forgets what has left the window: memory stays flat on a long run.
    /// (An hour's margin is kept for events that arrive a little late.)
    fn prune(&mut self, now: DateTime<Utc>) {
        let horizon = now - self.window - chrono::Duration::hours(1);
        for map in [&mut self.by_actor, &mut self.by_client] {
            map.retain(|_, q| {
                while q.front().is_some_and(|(t, _)| *t < horizon) {
                    q.pop_front();
                }
                !q.is_empty()
            });
        }
    }
}
