//! A sliding window of failed authentications per account and per address,
//! shared by the burst rules.

use std::collections::{HashMap, VecDeque};
use std::time::Duration;

use chrono::{DateTime, Utc};

use super::RuleEvent;

/// Whether an event is a failed attempt to authenticate: one per attempt,
/// not per line (the parsers mark the lines that restate an attempt
/// already counted, and refused key offers).
pub fn is_auth_failure(e: &RuleEvent<'_>) -> bool {
    vigil_domain::action::is_failed_attempt(e.action, e.outcome, e.detail)
}

/// sshd said the account does not exist.
pub fn is_invalid_user(e: &RuleEvent<'_>) -> bool {
    static FINDER: std::sync::LazyLock<memchr::memmem::Finder<'static>> =
        std::sync::LazyLock::new(|| memchr::memmem::Finder::new("invalid user"));
    e.action == "invalid-user"
        || e.detail
            .is_some_and(|d| FINDER.find(d.as_bytes()).is_some())
}

/// Failures by key, sorted.
pub type Queues = HashMap<String, Queue, foldhash::fast::RandomState>;

/// Most account names remembered per address, for reasons.
const NAMES: usize = 6;

/// One key's failures: (time in microseconds, event id), and for an
/// address the first few accounts it tried (bounded: a scanner tries
/// thousands), as numbers into the windows' table of names, so noting a
/// name allocates nothing: a map churns through hundreds of thousands of
/// scanner addresses.
#[derive(Debug, Default)]
pub struct Queue {
    q: Times,
    names: [u32; NAMES],
    n: u8,
    more: bool,
}

impl Queue {
    fn note(&mut self, name: Option<&str>, table: &mut Names) {
        let Some(n) = name else { return };
        let Some(id) = table.id(n) else {
            self.more = true;
            return;
        };
        if self.names[..self.n as usize].contains(&id) {
            return;
        }
        if (self.n as usize) < NAMES {
            self.names[self.n as usize] = id;
            self.n += 1;
        } else {
            self.more = true;
        }
    }
}

/// A key's failures in time order: (time in microseconds, event id). The
/// first is kept inline and a queue is made on the second, because most
/// scanner addresses fail once and a map churns through hundreds of
/// thousands of them.
#[derive(Debug, Default)]
enum Times {
    #[default]
    Empty,
    One((i64, i64)),
    Many(VecDeque<(i64, i64)>),
}

impl Times {
    fn len(&self) -> usize {
        match self {
            Times::Empty => 0,
            Times::One(_) => 1,
            Times::Many(q) => q.len(),
        }
    }

    fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn get(&self, i: usize) -> Option<&(i64, i64)> {
        match self {
            Times::Empty => None,
            Times::One(x) => (i == 0).then_some(x),
            Times::Many(q) => q.get(i),
        }
    }

    fn front(&self) -> Option<&(i64, i64)> {
        self.get(0)
    }

    fn back(&self) -> Option<&(i64, i64)> {
        self.len().checked_sub(1).and_then(|i| self.get(i))
    }

    fn pop_front(&mut self) {
        match self {
            Times::Empty => {}
            Times::One(_) => *self = Times::Empty,
            Times::Many(q) => {
                q.pop_front();
            }
        }
    }

    fn insert(&mut self, at: usize, x: (i64, i64)) {
        match self {
            Times::Empty => *self = Times::One(x),
            Times::One(first) => {
                let mut q = VecDeque::with_capacity(4);
                q.push_back(*first);
                q.insert(at.min(1), x);
                *self = Times::Many(q);
            }
            Times::Many(q) => q.insert(at, x),
        }
    }

    fn push_back(&mut self, x: (i64, i64)) {
        let at = self.len();
        self.insert(at, x);
    }

    fn partition_point(&self, mut f: impl FnMut(&(i64, i64)) -> bool) -> usize {
        match self {
            Times::Empty => 0,
            Times::One(x) => usize::from(f(x)),
            Times::Many(q) => q.partition_point(f),
        }
    }

    /// The event ids of entries `lo..hi`.
    fn ids(&self, lo: usize, hi: usize) -> Vec<i64> {
        (lo..hi).filter_map(|i| self.get(i).map(|x| x.1)).collect()
    }
}

/// Account names the addresses tried, each stored once. Bounded: past
/// `MOST_NAMES` a new name is not remembered (the reason then says "or
/// more accounts").
#[derive(Debug, Default)]
pub struct Names {
    ids: HashMap<Box<str>, u32, foldhash::fast::RandomState>,
    names: Vec<Box<str>>,
}

const MOST_NAMES: usize = 100_000;

impl Names {
    fn id(&mut self, name: &str) -> Option<u32> {
        if let Some(id) = self.ids.get(name) {
            return Some(*id);
        }
        if self.names.len() >= MOST_NAMES {
            return None;
        }
        let id = self.names.len() as u32;
        self.names.push(name.into());
        self.ids.insert(name.into(), id);
        Some(id)
    }
}

/// The accounts an address tried, for a reason: `root, admin and test`,
/// `root, admin, … (6 or more accounts)`.
pub fn tried(w: &Windows, key: &str) -> Option<String> {
    let q = w.by_client.get(key)?;
    let n: Vec<&str> = q.names[..q.n as usize]
        .iter()
        .map(|i| &*w.names.names[*i as usize])
        .collect();
    Some(match n.len() {
        0 => return None,
        1 => n[0].to_string(),
        _ if q.more => format!("{}, … ({} or more accounts)", n.join(", "), n.len() + 1),
        k => format!("{} and {}", n[..k - 1].join(", "), n[k - 1]),
    })
}

/// An hour, in microseconds: the margin kept for late arrivals.
const HOUR_US: i64 = 3_600_000_000;

/// Most keys one map keeps. Time alone bounds a map by the addresses that
/// fail within a window and its hour of margin, which a scan from across
/// the whole address space (or a botnet) makes as large as it likes.
/// Past this, `shed` keeps half: first it drops what has left the window
/// (late arrivals lose their margin), then addresses with one failure,
/// then the longest quiet. The cost: in a flood of more than 10,000
/// addresses failing within one window, an address's single earlier
/// failure may be forgotten, so its burst counts from its second.
pub const MOST_KEYS: usize = 20_000;

/// One set of windows for every burst rule: the failures are the same
/// whichever rule asks, so each is counted once (a bastion's log is mostly
/// failures, and counting each twice was a large share of the rules' time).
pub type Shared = std::sync::Arc<std::sync::Mutex<Windows>>;

/// The shared windows, whoever holds them (a rule that panicked left
/// nothing half-written that the others cannot read).
pub fn lock(w: &Shared) -> std::sync::MutexGuard<'_, Windows> {
    w.lock().unwrap_or_else(|p| p.into_inner())
}

#[derive(Debug, Default)]
pub struct Windows {
    /// The window `add` counts in, in microseconds: times are compared as
    /// integers here, as the store keeps them, which costs far less than
    /// date arithmetic at a million failures.
    window_us: i64,
    /// The longest window any rule asks about: what is kept.
    keep_us: i64,
    /// The last event added and its counts: every burst rule adds each
    /// failure, and the second time costs nothing.
    last: Option<(i64, (usize, usize))>,
    // A seeded hash: keys are user names and addresses from the logs.
    pub by_actor: Queues,
    pub by_client: Queues,
    names: Names,
    seen: u64,
}

fn push(
    map: &mut Queues,
    key: &str,
    (t, id): (i64, i64),
    (window, keep): (i64, i64),
    name: Option<(&str, &mut Names)>,
) -> usize {
    let entry = match map.get_mut(key) {
        Some(q) => q,
        None => map.entry(key.to_owned()).or_default(),
    };
    if let Some((n, table)) = name {
        entry.note(Some(n), table);
    }
    let q = &mut entry.q;
    // Kept sorted by time: sources are read one after another, so events
    // do not always arrive in time order. Ids stay unique: an event
    // remembered from history may come again.
    if q.back().is_none_or(|last| *last < (t, id)) {
        // The common case, in time order: no search, and what has left the
        // window (with `prune`'s hour of margin) goes now, so a scanner's
        // queue stays short.
        q.push_back((t, id));
        let horizon = t - keep - HOUR_US;
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
fn count_in(q: &Times, from: i64, to: i64) -> usize {
    let lo = q.partition_point(|(ft, _)| *ft <= from);
    let hi = q.partition_point(|(ft, _)| *ft <= to);
    hi.saturating_sub(lo)
}

impl Windows {
    /// Windows that count in `window` and keep what `keep` (the longest
    /// any rule asks about) needs.
    pub fn new(window: Duration, keep: Duration) -> Self {
        let us = |d: Duration| i64::try_from(d.as_micros()).unwrap_or(i64::MAX / 4);
        Windows {
            window_us: us(window),
            keep_us: us(window.max(keep)),
            ..Windows::default()
        }
    }

    pub fn shared(window: Duration, keep: Duration) -> Shared {
        std::sync::Arc::new(std::sync::Mutex::new(Windows::new(window, keep)))
    }

    /// Adds a failure; returns how many failures the account and the
    /// address have within the counting window, this one included.
    pub fn add(&mut self, e: &RuleEvent<'_>) -> (usize, usize) {
        if let Some((id, counts)) = self.last
            && id == e.id
        {
            return counts;
        }
        let counts = self.add_new(e);
        self.last = Some((e.id, counts));
        counts
    }

    fn add_new(&mut self, e: &RuleEvent<'_>) -> (usize, usize) {
        self.seen += 1;
        let t = e.occurred_at.timestamp_micros();
        if self.seen.is_multiple_of(50_000) {
            self.prune(t);
        }
        // A name that does not exist is no one's account under attack: such
        // failures count for their address only.
        let spans = (self.window_us, self.keep_us);
        let a = e
            .actor
            .filter(|_| !is_invalid_user(e))
            .map(|k| push(&mut self.by_actor, k, (t, e.id), spans, None))
            .unwrap_or(0);
        let c = e
            .client
            .map(|k| {
                let name = e.actor.map(|a| (a, &mut self.names));
                push(&mut self.by_client, k, (t, e.id), spans, name)
            })
            .unwrap_or(0);
        if self.by_client.len() > MOST_KEYS || self.by_actor.len() > MOST_KEYS {
            self.shed(t);
        }
        (a, c)
    }

    /// How many keys the windows hold (what `MOST_KEYS` bounds).
    #[cfg(test)]
    pub fn kept(&self) -> usize {
        self.by_actor.len() + self.by_client.len()
    }

    /// Brings an overfull map down to half of `MOST_KEYS` (see there).
    fn shed(&mut self, now: i64) {
        self.prune(now);
        let in_window = now - self.keep_us;
        let rank = |q: &Queue| (q.q.len() > 1, q.q.back().map_or(i64::MIN, |x| x.0));
        for map in [&mut self.by_actor, &mut self.by_client] {
            if map.len() <= MOST_KEYS {
                continue;
            }
            map.retain(|_, q| q.q.back().is_some_and(|(t, _)| *t > in_window));
            if map.len() <= MOST_KEYS / 2 {
                continue;
            }
            let mut ranks: Vec<(bool, i64)> = map.values().map(rank).collect();
            let drop = map.len() - MOST_KEYS / 2;
            let (_, cut, _) = ranks.select_nth_unstable(drop - 1);
            let cut = *cut;
            map.retain(|_, q| rank(q) > cut);
        }
    }

    /// Failures within the window before `t` for a key.
    pub fn recent(map: &Queues, key: &str, t: DateTime<Utc>, window: chrono::Duration) -> Vec<i64> {
        let t = t.timestamp_micros();
        let from = t - window.num_microseconds().unwrap_or(i64::MAX / 4);
        map.get(key)
            .map(|q| {
                let q = &q.q;
                let lo = q.partition_point(|(ft, _)| *ft <= from);
                let hi = q.partition_point(|(ft, _)| *ft <= t);
                q.ids(lo, hi)
            })
            .unwrap_or_default()
    }

    /// Forgets what has left the window and its margin: memory stays flat
    /// on a long run.
    /// (An hour's margin is kept for events that arrive a little late.)
    fn prune(&mut self, now: i64) {
        let horizon = now - self.keep_us - HOUR_US;
        for map in [&mut self.by_actor, &mut self.by_client] {
            map.retain(|_, q| {
                while q.q.front().is_some_and(|(t, _)| *t < horizon) {
                    q.q.pop_front();
                }
                !q.q.is_empty()
            });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn failure<'a>(id: i64, t: DateTime<Utc>, client: &'a str) -> RuleEvent<'a> {
        RuleEvent {
            id,
            source_id: 1,
            occurred_at: t,
            actor: Some("root"),
            subject: None,
            action: "login",
            outcome: vigil_domain::Outcome::Failure,
            client: Some(client),
            host: Some("bastion"),
            detail: None,
        }
    }

    /// A million addresses failing once each within one window keep the
    /// maps bounded, while a scanner failing again and again among them
    /// keeps its whole count.
    #[test]
    fn a_key_keeps_its_failures_in_order_whether_inline_or_queued() {
        let mut q = Times::default();
        assert!(q.is_empty());
        q.push_back((10, 1));
        assert!(matches!(q, Times::One(_)), "one failure is inline");
        // a late arrival goes before it, then one after both
        let at = q.partition_point(|e| *e < (5, 2));
        q.insert(at, (5, 2));
        q.push_back((20, 3));
        assert_eq!(q.len(), 3);
        assert_eq!((q.front(), q.back()), (Some(&(5, 2)), Some(&(20, 3))));
        assert_eq!(count_in(&q, 5, 20), 2, "(5, 20] holds 10 and 20");
        assert_eq!(q.ids(0, 3), [2, 1, 3]);
        q.pop_front();
        q.pop_front();
        assert_eq!(q.ids(0, q.len()), [3]);
        q.pop_front();
        assert!(q.is_empty());
        // an inline failure after which one earlier arrives
        let mut q = Times::default();
        q.push_back((10, 1));
        q.insert(0, (3, 9));
        assert_eq!(q.ids(0, 2), [9, 1]);
    }

    #[test]
    fn a_million_distinct_addresses_within_one_window_stay_bounded() {
        let mut w = Windows::new(Duration::from_secs(600), Duration::from_secs(600));
        let start: DateTime<Utc> = "2026-11-01T00:00:00Z".parse().unwrap();
        let mut most = 0;
        let mut scanner = 0;
        for i in 0..1_000_000i64 {
            // all within five minutes
            let t = start + chrono::Duration::microseconds(i * 300);
            let a = std::net::Ipv4Addr::from(0x0b00_0000u32 + i as u32).to_string();
            w.add(&failure(i, t, &a));
            if i % 1000 == 0 {
                scanner = w.add(&failure(2_000_000 + i, t, "203.0.113.9")).1;
            }
            most = most.max(w.kept());
        }
        assert!(most <= MOST_KEYS + 2, "{most}");
        assert_eq!(scanner, 1000, "the scanner's failures all counted");
    }
}
