//! Random samples of unflagged events, so quiet activity gets a look too.
//! Selection is a keyed hash of (seed, source, event id): incremental,
//! reproducible by anyone with the seed, and blind to the event's content.

use chrono::NaiveDate;
use color_eyre::eyre::Result;
use vigil_domain::rng::Rng;

/// A uniform number in [0, 1) for an event, from the seed.
pub fn draw(seed: u64, source_id: i64, event_id: i64) -> f64 {
    let mut r = Rng::new(seed ^ (source_id as u64).rotate_left(32) ^ event_id as u64);
    (r.next_u64() >> 11) as f64 / (1u64 << 53) as f64
}

/// Whether an unflagged event is in the sample.
pub fn chosen(seed: u64, rate: f64, source_id: i64, event_id: i64) -> bool {
    draw(seed, source_id, event_id) < rate
}

/// An event's draw, ordered by the draw and then the id.
#[derive(Debug, Clone, Copy, PartialEq)]
struct Drawn(f64, i64);

impl Eq for Drawn {}

impl PartialOrd for Drawn {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Drawn {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        self.0.total_cmp(&other.0).then(self.1.cmp(&other.1))
    }
}

/// The `limit` events with the lowest draws among those offered, and how
/// many drew under the rate, in memory for `limit` events however many
/// are offered.
pub struct Lowest {
    seed: u64,
    source_id: i64,
    limit: usize,
    rate: f64,
    heap: std::collections::BinaryHeap<Drawn>,
    pub below_rate: usize,
}

impl Lowest {
    pub fn new(seed: u64, source_id: i64, limit: usize, rate: f64) -> Lowest {
        Lowest {
            seed,
            source_id,
            limit,
            rate,
            heap: Default::default(),
            below_rate: 0,
        }
    }

    pub fn offer(&mut self, event_id: i64) {
        let d = Drawn(draw(self.seed, self.source_id, event_id), event_id);
        self.below_rate += usize::from(d.0 < self.rate);
        if self.heap.len() < self.limit {
            self.heap.push(d);
        } else if self.heap.peek().is_some_and(|top| d < *top) {
            self.heap.pop();
            self.heap.push(d);
        }
    }

    /// The kept events' ids, lowest draw first.
    pub fn into_ids(self) -> Vec<i64> {
        self.heap
            .into_sorted_vec()
            .into_iter()
            .map(|d| d.1)
            .collect()
    }
}

/// The events the items of the days around one day list, as `finish`
/// walks the days: each day's items are read once and kept while a day
/// next to it is sampled, instead of three days' being read for every
/// day (on a log of a few busy days, half of whose events items list,
/// that reading was most of a run's last second).
#[derive(Default)]
pub struct Flagged {
    /// Per day kept: the ids its items list.
    days: std::collections::BTreeMap<NaiveDate, Vec<i64>>,
    /// How many of the kept days list each id.
    count: std::collections::HashMap<i64, u32, foldhash::fast::RandomState>,
}

impl Flagged {
    /// Keeps `day` and the day either side, reading with `read` those not
    /// kept yet and letting go of the rest.
    pub fn around(
        &mut self,
        day: NaiveDate,
        mut read: impl FnMut(NaiveDate, &mut dyn FnMut(i64)) -> Result<()>,
    ) -> Result<()> {
        let want = day.pred_opt().unwrap_or(day)..=day.succ_opt().unwrap_or(day);
        let gone: Vec<NaiveDate> = self
            .days
            .keys()
            .filter(|d| !want.contains(d))
            .copied()
            .collect();
        for d in gone {
            for id in self.days.remove(&d).unwrap_or_default() {
                if let Some(n) = self.count.get_mut(&id) {
                    *n -= 1;
                    if *n == 0 {
                        self.count.remove(&id);
                    }
                }
            }
        }
        for d in want.start().iter_days().take_while(|d| d <= want.end()) {
            if self.days.contains_key(&d) {
                continue;
            }
            let mut ids = Vec::new();
            read(d, &mut |id| ids.push(id))?;
            for &id in &ids {
                *self.count.entry(id).or_default() += 1;
            }
            self.days.insert(d, ids);
        }
        Ok(())
    }

    /// Whether an item of the kept days lists the event.
    pub fn holds(&self, id: i64) -> bool {
        self.count.contains_key(&id)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_lowest_are_the_first_of_all_sorted_by_draw() {
        let ids: Vec<i64> = (0..20_000).map(|i| i * 7 + 3).collect();
        let mut all: Vec<(f64, i64)> = ids.iter().map(|&i| (draw(9, 2, i), i)).collect();
        all.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
        let mut lowest = Lowest::new(9, 2, 100, 0.01);
        // (offered in reverse: the order of arrival does not matter)
        for &i in ids.iter().rev() {
            lowest.offer(i);
        }
        assert_eq!(lowest.below_rate, all.iter().filter(|d| d.0 < 0.01).count());
        let want: Vec<i64> = all.iter().take(100).map(|d| d.1).collect();
        assert_eq!(lowest.into_ids(), want);
    }

    #[test]
    fn flagged_days_are_read_once_and_let_go_two_days_on() {
        let day = |d| NaiveDate::from_ymd_opt(2026, 10, d).unwrap();
        // day n's items list events 10n and 10n+1, and day n+1's list 10n+1 too
        let reads = std::cell::RefCell::new(Vec::new());
        let mut read = |d: NaiveDate, each: &mut dyn FnMut(i64)| {
            reads.borrow_mut().push(d);
            let n = i64::from(chrono::Datelike::day(&d));
            each(10 * n);
            each(10 * n + 1);
            each(10 * (n - 1) + 1);
            Ok(())
        };
        let mut f = Flagged::default();
        f.around(day(5), &mut read).unwrap();
        assert!(f.holds(40) && f.holds(50) && f.holds(60) && f.holds(61) && f.holds(31));
        assert!(!f.holds(70) && !f.holds(30));
        f.around(day(6), &mut read).unwrap();
        f.around(day(7), &mut read).unwrap();
        assert_eq!(*reads.borrow(), [4, 5, 6, 7, 8].map(day));
        // day 5 is still kept (beside 6), day 4's let go; 51 is listed
        // by days 5 and 6, and stays while either is kept
        assert!(!f.holds(40) && !f.holds(41) && f.holds(51) && f.holds(81));
        f.around(day(9), &mut read).unwrap();
        assert!(!f.holds(51) && !f.holds(60) && f.holds(71) && f.holds(100));
        // going back reads again what was let go
        f.around(day(5), &mut read).unwrap();
        assert_eq!(reads.borrow()[5..], [9, 10, 4, 5, 6].map(day));
        assert!(f.holds(40) && !f.holds(100));
    }

    #[test]
    fn the_draw_is_reproducible_and_about_uniform() {
        assert_eq!(draw(7, 1, 42), draw(7, 1, 42));
        let n = 100_000;
        let hits = (0..n).filter(|i| chosen(7, 0.01, 1, *i)).count();
        assert!((800..1200).contains(&hits), "{hits}");
    }
}
