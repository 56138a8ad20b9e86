//! What runs behind the review screen: each configured source pulled on its
//! interval (backing off while it fails), pending escalations pushed, due
//! checkpoints handed to the witness, and the coverage warnings worked out
//! again now and then. `Schedule` decides what is due from the times it is
//! given, so it is tested without threads or clocks; `run` is the loop that
//! feeds it the clock.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};

use crate::config::{Config, SourceConfig};
use vigil_sources::http::Retry;
use vigil_store::StoreUrl;

/// A source's background pull, as the status line shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Pull {
    Pulling,
    /// Finished at `at` (local HH:MM) with this many new events and items;
    /// `stale` when no success is as recent as the source's cadence wants.
    Ok {
        at: String,
        events: u64,
        items: u64,
        stale: bool,
    },
    /// Failed; tried again at `retry` (local HH:MM).
    Error {
        message: String,
        retry: String,
    },
}

/// What the background tells the screen.
#[derive(Debug, Clone, PartialEq)]
pub enum Report {
    Pull(String, Pull),
    /// Sources overdue, silent or down, and pushes that keep failing.
    Attention(Vec<(String, String)>),
}

/// When a source is next due: its interval after a success; after a
/// failure, twice the interval per failure in a row (at most 15 minutes), so
/// a source that is down is retried without hammering it.
pub fn next_pull(interval: Duration, failures: u32) -> Duration {
    if failures == 0 {
        return interval;
    }
    let backoff = interval.saturating_mul(1u32 << failures.min(10));
    backoff
        .min(Duration::from_secs(15 * 60))
        .max(interval.min(Duration::from_secs(15 * 60)))
}

/// How often the chores besides pulling come round.
pub const PUSH_EVERY: Duration = Duration::from_secs(30);
pub const CHECKPOINT_EVERY: Duration = Duration::from_secs(60);
/// Coverage reads a fortnight of events: worked out again every few
/// minutes, not after every pull.
pub const ATTENTION_EVERY: Duration = Duration::from_secs(300);

/// What is due when. Times are offsets on a monotonic clock (`Duration`
/// since the screen opened) plus the wall time for what the screen says.
#[derive(Debug, Default)]
pub struct Schedule {
    /// Per source: when it is next due, and its failures in a row.
    due: HashMap<String, (Duration, u32)>,
    /// Per source: the last wall time a pull brought something new (or the
    /// first pull, counted from when the screen opened).
    last_new: HashMap<String, DateTime<Utc>>,
    push_at: Option<Duration>,
    checkpoint_at: Option<Duration>,
    attention_at: Option<Duration>,
}

fn hhmm(t: DateTime<Utc>) -> String {
    t.with_timezone(&chrono::Local).format("%H:%M").to_string()
}

fn every(last: &mut Option<Duration>, period: Duration, now: Duration) -> bool {
    if last.is_none_or(|t| now >= t + period) {
        *last = Some(now);
        true
    } else {
        false
    }
}

impl Schedule {
    /// The sources due at `now`.
    pub fn due<'c>(&self, sources: &'c [SourceConfig], now: Duration) -> Vec<&'c SourceConfig> {
        sources
            .iter()
            .filter(|s| self.due.get(&s.name).is_none_or(|(at, _)| *at <= now))
            .collect()
    }

    /// A pull of `s` ended at `now` (`wall` on the wall clock): schedules
    /// the next and says what the status line shows.
    pub fn finished(
        &mut self,
        s: &SourceConfig,
        error: Option<String>,
        events: u64,
        items: u64,
        now: Duration,
        wall: DateTime<Utc>,
    ) -> Pull {
        let failures = self.due.get(&s.name).map_or(0, |(_, f)| *f);
        match error {
            None => {
                self.due
                    .insert(s.name.clone(), (now + next_pull(s.interval, 0), 0));
                let since = *self.last_new.entry(s.name.clone()).or_insert(wall);
                if events > 0 {
                    self.last_new.insert(s.name.clone(), wall);
                }
                let cadence = chrono::Duration::from_std(s.cadence.every()).unwrap_or_default();
                Pull::Ok {
                    at: hhmm(wall),
                    events,
                    items,
                    stale: events == 0 && wall - since > cadence,
                }
            }
            Some(message) => {
                let wait = next_pull(s.interval, failures + 1);
                self.due.insert(s.name.clone(), (now + wait, failures + 1));
                Pull::Error {
                    message,
                    retry: hhmm(wall + chrono::Duration::from_std(wait).unwrap_or_default()),
                }
            }
        }
    }

    /// Whether pending escalations are to be pushed at `now`.
    pub fn push_due(&mut self, now: Duration) -> bool {
        every(&mut self.push_at, PUSH_EVERY, now)
    }

    /// Whether a due checkpoint is to be handed to the witness at `now`.
    pub fn checkpoint_due(&mut self, now: Duration) -> bool {
        every(&mut self.checkpoint_at, CHECKPOINT_EVERY, now)
    }

    /// Whether the coverage warnings are to be worked out at `now`.
    pub fn attention_due(&mut self, now: Duration) -> bool {
        every(&mut self.attention_at, ATTENTION_EVERY, now)
    }

    /// Works the warnings out at the next chance (a push just failed).
    pub fn attention_soon(&mut self) {
        self.attention_at = None;
    }
}

/// Retries of one push from the review screen: a destination that is down
/// holds the background thread for seconds, not minutes.
const PUSH_RETRY: Retry = Retry {
    max_attempts: 2,
    max_total: Duration::from_secs(10),
    base: Duration::from_millis(500),
    cap: Duration::from_secs(5),
};

/// Runs the background on its own store connection until `send` answers
/// `false` (the screen is gone). Pulls run one at a time, so a pull still
/// running is never started twice.
pub fn run(url: StoreUrl, config: Config, mut send: impl FnMut(Report) -> bool) {
    let Ok(mut store) = url.open() else {
        return; // the screen's own connection reports the store unavailable
    };
    let started = Instant::now();
    let mut schedule = Schedule::default();
    loop {
        let due = schedule.due(&config.sources, started.elapsed());
        for s in &due {
            if !send(Report::Pull(s.name.clone(), Pull::Pulling)) {
                return;
            }
        }
        let mut gone = false;
        let mut report = |schedule: &mut Schedule, s: &SourceConfig, error, events, items| {
            let p = schedule.finished(s, error, events, items, started.elapsed(), Utc::now());
            send(Report::Pull(s.name.clone(), p))
        };
        let round = if due.is_empty() {
            Ok(())
        } else {
            // One engine for the round: the rules' knowledge is loaded
            // once, not per source.
            crate::pull::pull_sources(store.as_mut(), &config, &due, Utc::now(), |s, r| {
                gone |= !report(&mut schedule, s, r.error, r.events, r.items);
                Ok(())
            })
        };
        if let Err(e) = round {
            // The rules could not be prepared (a roster file gone, say):
            // every source of the round is reported and retried.
            for s in &due {
                gone |= !report(&mut schedule, s, Some(format!("{e:#}")), 0, 0);
            }
        }
        if gone {
            return;
        }
        let now = started.elapsed();
        // Incidents opened here or elsewhere go out to the configured
        // destinations; a failing push is retried on its own schedule.
        if !config.escalations.is_empty() && schedule.push_due(now) {
            let pushed = crate::escalation::push_pending(
                store.as_mut(),
                &config.escalations,
                Utc::now(),
                |d| crate::escalation::client(d, PUSH_RETRY),
            );
            if pushed.is_ok_and(|r| r.iter().any(|p| p.error.is_some())) {
                schedule.attention_soon();
            }
        }
        // The day's decisions reach the witness while the screen is open.
        if config.ledger.enabled()
            && schedule.checkpoint_due(now)
            && let Err(e) =
                vigil_review::witness::maybe_checkpoint(store.as_ref(), &config.ledger, Utc::now())
        {
            tracing::error!("checkpoint: {e:#}");
        }
        if schedule.attention_due(now)
            && !send(Report::Attention(crate::screens::attention(
                store.as_ref(),
                &config,
            )))
        {
            return;
        }
        std::thread::sleep(Duration::from_secs(1));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn source(name: &str, interval: u64) -> SourceConfig {
        let text = format!(
            "[[source]]\nname = \"{name}\"\nkind = \"syslog\"\npath = \"/var/log/auth.log\"\ninterval = \"{interval}s\"\ncadence = \"daily\"\n"
        );
        let c = Config::parse(&text, None, std::path::Path::new("/")).expect("config");
        c.sources[0].clone()
    }

    const S: fn(u64) -> Duration = Duration::from_secs;

    #[test]
    fn a_source_is_due_at_once_then_on_its_interval() {
        let (a, b) = (source("a", 60), source("b", 300));
        let all = [a.clone(), b.clone()];
        let mut s = Schedule::default();
        let wall: DateTime<Utc> = "2026-01-05T10:00:00Z".parse().unwrap();
        assert_eq!(s.due(&all, S(0)).len(), 2, "never pulled: both due");
        s.finished(&a, None, 3, 1, S(0), wall);
        s.finished(&b, None, 0, 0, S(0), wall);
        assert!(s.due(&all, S(59)).is_empty());
        let due: Vec<&str> = s.due(&all, S(60)).iter().map(|c| c.name.as_str()).collect();
        assert_eq!(due, ["a"]);
        assert_eq!(s.due(&all, S(300)).len(), 2);
    }

    #[test]
    fn a_failing_source_backs_off_and_a_success_resets_it() {
        let a = source("a", 60);
        let all = [a.clone()];
        let mut s = Schedule::default();
        let wall: DateTime<Utc> = "2026-01-05T10:00:00Z".parse().unwrap();
        let p = s.finished(&a, Some("refused".into()), 0, 0, S(0), wall);
        assert!(matches!(p, Pull::Error { ref message, .. } if message == "refused"));
        assert!(
            s.due(&all, S(119)).is_empty(),
            "first failure: twice the interval"
        );
        assert_eq!(s.due(&all, S(120)).len(), 1);
        s.finished(&a, Some("refused".into()), 0, 0, S(120), wall);
        assert!(s.due(&all, S(120 + 239)).is_empty(), "second: four times");
        assert_eq!(s.due(&all, S(360)).len(), 1);
        s.finished(&a, None, 1, 0, S(360), wall);
        assert!(s.due(&all, S(419)).is_empty());
        assert_eq!(s.due(&all, S(420)).len(), 1, "back on its interval");
    }

    #[test]
    fn a_source_with_nothing_new_for_longer_than_its_cadence_is_stale() {
        let a = source("a", 60);
        let mut s = Schedule::default();
        let t0: DateTime<Utc> = "2026-01-05T10:00:00Z".parse().unwrap();
        let stale = |p: Pull| matches!(p, Pull::Ok { stale: true, .. });
        assert!(!stale(s.finished(&a, None, 0, 0, S(0), t0)));
        let later = t0 + chrono::Duration::hours(23);
        assert!(!stale(s.finished(&a, None, 0, 0, S(60), later)));
        let past = t0 + chrono::Duration::hours(25);
        assert!(stale(s.finished(&a, None, 0, 0, S(120), past)));
        assert!(
            !stale(s.finished(&a, None, 5, 2, S(180), past)),
            "new events"
        );
    }

    #[test]
    fn chores_come_round_on_their_periods() {
        let mut s = Schedule::default();
        assert!(s.push_due(S(0)) && s.checkpoint_due(S(0)) && s.attention_due(S(0)));
        assert!(!s.push_due(S(29)) && !s.checkpoint_due(S(59)) && !s.attention_due(S(299)));
        assert!(s.push_due(S(30)) && s.checkpoint_due(S(60)) && s.attention_due(S(300)));
        assert!(!s.attention_due(S(301)));
        s.attention_soon();
        assert!(
            s.attention_due(S(302)),
            "a failed push asks for the warnings again"
        );
    }

    #[test]
    fn backoff_is_capped_at_fifteen_minutes() {
        let i = S(60);
        assert_eq!(next_pull(i, 0), i);
        assert_eq!(next_pull(i, 1), S(120));
        assert_eq!(next_pull(i, 3), S(480));
        assert_eq!(next_pull(i, 10), S(900));
        assert_eq!(
            next_pull(S(3600), 2),
            S(900),
            "an hourly source still retries within 15 minutes"
        );
    }
}
