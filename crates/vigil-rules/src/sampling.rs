//! Random samples of unflagged events, so quiet activity gets a look too.
//! Selection is a keyed hash of (seed, source, event id): incremental,
//! reproducible by anyone with the seed, and blind to the event's content.

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
    fn the_draw_is_reproducible_and_about_uniform() {
        assert_eq!(draw(7, 1, 42), draw(7, 1, 42));
        let n = 100_000;
        let hits = (0..n).filter(|i| chosen(7, 0.01, 1, *i)).count();
        assert!((800..1200).contains(&hits), "{hits}");
    }
}
