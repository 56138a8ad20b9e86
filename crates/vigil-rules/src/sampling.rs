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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_draw_is_reproducible_and_about_uniform() {
        assert_eq!(draw(7, 1, 42), draw(7, 1, 42));
        let n = 100_000;
        let hits = (0..n).filter(|i| chosen(7, 0.01, 1, *i)).count();
        assert!((800..1200).contains(&hits), "{hits}");
    }
}
