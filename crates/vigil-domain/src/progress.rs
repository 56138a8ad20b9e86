//! How far a long job has got: what it is on, how much of how much it has
//! done. Process-wide counters that the ingest, the pulls and a rules rerun
//! advance (a relaxed add per chunk, never per line) and that a front end
//! may read to draw a bar; nothing here draws or decides whether to.

use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};

/// What the counted units are.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unit {
    Bytes,
    Events,
}

static WHAT: Mutex<String> = Mutex::new(String::new());
static UNIT: AtomicU64 = AtomicU64::new(0);
static DONE: AtomicU64 = AtomicU64::new(0);
static TOTAL: AtomicU64 = AtomicU64::new(0);

/// Starts counting a step afresh: `what` it is, in `unit`s, of an unknown
/// total (files add theirs as they are opened).
pub fn start(what: &str, unit: Unit) {
    if let Ok(mut w) = WHAT.lock() {
        what.clone_into(&mut w);
    }
    UNIT.store(matches!(unit, Unit::Events) as u64, Ordering::Relaxed);
    DONE.store(0, Ordering::Relaxed);
    TOTAL.store(0, Ordering::Relaxed);
}

/// More work is known to be ahead (a file's unread bytes).
pub fn expect(n: u64) {
    TOTAL.fetch_add(n, Ordering::Relaxed);
}

/// `n` more units are done.
pub fn advance(n: u64) {
    DONE.fetch_add(n, Ordering::Relaxed);
}

/// What a front end draws.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Snapshot {
    pub what: String,
    pub unit: Unit,
    pub done: u64,
    /// 0 when nothing says how much there is.
    pub total: u64,
}

pub fn snapshot() -> Snapshot {
    Snapshot {
        what: WHAT.lock().map(|w| w.clone()).unwrap_or_default(),
        unit: if UNIT.load(Ordering::Relaxed) == 1 {
            Unit::Events
        } else {
            Unit::Bytes
        },
        done: DONE.load(Ordering::Relaxed),
        total: TOTAL.load(Ordering::Relaxed),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_step_counts_from_nothing_and_files_add_their_size() {
        start("pulling a", Unit::Bytes);
        expect(100);
        advance(40);
        expect(50);
        advance(10);
        let s = snapshot();
        assert_eq!(
            (s.what.as_str(), s.unit, s.done, s.total),
            ("pulling a", Unit::Bytes, 50, 150)
        );
        start("rules", Unit::Events);
        let s = snapshot();
        assert_eq!((s.unit, s.done, s.total), (Unit::Events, 0, 0));
    }
}
