//! PostgreSQL: day partitions of the tables that grow with every event
//! (schema v7), made ahead of ingest, and retention by dropping whole days.
//! What items and incidents still list is moved to the `_kept` partitions
//! first, so a prune never takes evidence.

use std::collections::{BTreeMap, HashSet};

use super::*;

/// One partition per UTC day.
pub(super) const DAY_US: i64 = 86_400_000_000;

/// Days made ahead of ingest: yesterday (a log's last lines may be late),
/// today and the next week.
const AHEAD: std::ops::RangeInclusive<i64> = -1..=7;

/// Held while partitions are made or dropped, so two hosts never attach the
/// same day twice and a prune never races a day being made.
const PARTITION_LOCK: i32 = 0x7669_6702;

/// The tables partitioned by day, with the column each is partitioned on.
const TABLES: [(&str, &str); 4] = [
    ("events", "occurred_at"),
    ("explanations", "occurred_at"),
    ("patient_events", "occurred_at"),
    ("actor_runs", "first_at"),
];

/// What is known of the partitions: the day partitions that exist and the
/// start of the first day that is not in `_kept` (micros).
#[derive(Debug, Default)]
pub(super) struct Partitions {
    days: HashSet<i64>,
    kept_before: i64,
}

impl Partitions {
    fn load(c: &mut impl GenericClient) -> Result<Partitions> {
        Ok(Partitions {
            days: day_partitions(c, "events")?.into_keys().collect(),
            kept_before: kept_before(c)?,
        })
    }

    /// Whether `day` needs a partition made: a day before the kept bound
    /// never does, its events belong in `_kept`.
    fn lacks(&self, day: i64) -> bool {
        day * DAY_US >= self.kept_before && !self.days.contains(&day)
    }
}

const HELD: &str = "SELECT event_id FROM item_events UNION SELECT event_id FROM incident_events";

pub(super) fn day_of(micros: i64) -> i64 {
    micros.div_euclid(DAY_US)
}

/// The day a partition's name stands for (`events_p20261207`).
fn day_of_name(name: &str) -> Option<i64> {
    let (_, date) = name.rsplit_once("_p")?;
    let d = chrono::NaiveDate::parse_from_str(date, "%Y%m%d").ok()?;
    Some(day_of(micros(d.and_time(chrono::NaiveTime::MIN).and_utc())))
}

/// The day partitions of `table` that exist, by day, with their names.
fn day_partitions(c: &mut impl GenericClient, table: &str) -> Result<BTreeMap<i64, String>> {
    Ok(c.query(
        "SELECT k.relname::text FROM pg_inherits i JOIN pg_class k ON k.oid = i.inhrelid WHERE i.inhparent = to_regclass($1)",
        &[&table],
    )?
    .iter()
    .filter_map(|r| {
        let name: String = r.get(0);
        day_of_name(&name).map(|d| (d, name))
    })
    .collect())
}

fn kept_before(c: &mut impl GenericClient) -> Result<i64> {
    let v: Option<String> = c
        .query_opt(
            "SELECT value FROM meta WHERE key = 'events_kept_before'",
            &[],
        )?
        .map(|r| r.get(0));
    Ok(v.and_then(|v| v.parse().ok()).unwrap_or(0))
}

fn lock(c: &mut impl GenericClient) -> Result<()> {
    c.execute(
        "SELECT pg_advisory_xact_lock($1, hashtext(current_schema()))",
        &[&PARTITION_LOCK],
    )?;
    Ok(())
}

/// Makes the day partitions among `days` that are missing, in the caller's
/// transaction; `known` learns of them.
fn add_days(c: &mut impl GenericClient, known: &mut Partitions, days: &[i64]) -> Result<()> {
    let missing: Vec<i64> = days.iter().copied().filter(|d| known.lacks(*d)).collect();
    if missing.is_empty() {
        return Ok(());
    }
    lock(c)?;
    // Another host may have pruned or made days meanwhile: look again
    // under the lock.
    *known = Partitions::load(c)?;
    let missing: Vec<i64> = missing.into_iter().filter(|d| known.lacks(*d)).collect();
    c.execute(
        "SELECT vigil_add_day(d) FROM unnest($1::bigint[]) AS d ORDER BY d",
        &[&missing],
    )?;
    known.days.extend(missing);
    Ok(())
}

impl PgStore {
    fn partitions_known(&mut self) -> Result<&mut Partitions> {
        if self.partitions.is_none() {
            let known = Partitions::load(&mut *self.client()?)?;
            self.partitions = Some(known);
        }
        Ok(self.partitions.as_mut().expect("just loaded"))
    }

    /// Makes today's and the coming week's partitions, in a transaction of
    /// their own, before an ingest transaction starts: the ingest then
    /// takes no lock beyond its inserts' for the days it is most likely to
    /// write.
    pub(super) fn ensure_days_ahead(&mut self, now: DateTime<Utc>) -> Result<()> {
        let today = day_of(micros(now));
        let days: Vec<i64> = AHEAD.map(|d| today + d).collect();
        let mut known = std::mem::take(self.partitions_known()?);
        let missing = days.iter().any(|d| known.lacks(*d));
        let r = if missing {
            (|| {
                let mut c = self.client()?;
                let mut tx = c.transaction()?;
                add_days(&mut tx, &mut known, &days)?;
                tx.commit()?;
                Ok(())
            })()
        } else {
            Ok(())
        };
        self.partitions = Some(known);
        r
    }

    /// Forgets what is known of the partitions (after a rolled-back ingest
    /// whose transaction made some).
    pub(super) fn forget_partitions(&mut self) {
        self.partitions = None;
    }

    /// Drops the day partitions before `before` (a day's start), after
    /// moving the events items and incidents list, with their explanations
    /// and index rows, into the `_kept` partitions. Returns the number of
    /// events removed.
    pub(super) fn do_prune_events(&mut self, before: DateTime<Utc>) -> Result<u64> {
        let cut = day_of(micros(before)) * DAY_US;
        let r = self.write(|c| {
            let mut tx = c.transaction()?;
            lock(&mut tx)?;
            // No item or incident links an event while its day goes.
            tx.batch_execute("LOCK TABLE item_events, incident_events IN SHARE MODE")?;
            let kb = kept_before(&mut tx)?;
            let new_kb = kb.max(cut);
            // The rows to keep are read first, before the tables are locked
            // against readers.
            // Driven from the held ids (with their count known to the
            // planner): each is looked up by its key, rather than the days
            // being read whole. Explanations and index rows are then found
            // by event and time, in the event's own day.
            tx.batch_execute(&format!(
                "CREATE TEMP TABLE held_ids ON COMMIT DROP AS SELECT DISTINCT event_id AS id FROM ({HELD}) h;
                 ANALYZE held_ids;"
            ))?;
            // PostgreSQL prices a lookup in each of many day partitions too
            // low and reads the days whole instead (15 s against 2 s for
            // ten days of 1.7M events and 60,000 held ids): the lookups are
            // chosen here when they are cheaper, by the counts at hand.
            let held: i64 = tx.query_one("SELECT count(*) FROM held_ids", &[])?.get(0);
            let (rows, days): (i64, i64) = {
                let r = tx.query_one(
                    "SELECT coalesce(sum(events), 0)::bigint, count(DISTINCT day) FROM event_days WHERE day >= $1 AND day < $2",
                    &[&day_of(kb), &day_of(new_kb)],
                )?;
                (r.get(0), r.get(1))
            };
            let lookups = held.saturating_mul(days).saturating_mul(4) < rows;
            if lookups {
                tx.batch_execute("SET LOCAL enable_hashjoin = off; SET LOCAL enable_mergejoin = off")?;
            }
            tx.execute(
                "CREATE TEMP TABLE held_events ON COMMIT DROP AS
                 SELECT e.* FROM held_ids h JOIN events e ON e.id = h.id WHERE e.occurred_at >= $1 AND e.occurred_at < $2",
                &[&kb, &new_kb],
            )?;
            tx.batch_execute(
                "ANALYZE held_events;
                 CREATE TEMP TABLE held_explanations ON COMMIT DROP AS
                 SELECT x.* FROM held_events h JOIN explanations x ON x.event_id = h.id AND x.occurred_at = h.occurred_at;
                 CREATE TEMP TABLE held_patient_events ON COMMIT DROP AS
                 SELECT p.* FROM held_events h JOIN patient_events p
                   ON p.patient = h.subject AND p.occurred_at = h.occurred_at AND p.event_id = h.id;",
            )?;
            if lookups {
                tx.batch_execute("RESET enable_hashjoin; RESET enable_mergejoin")?;
            }
            // (a run of an actor's events never spans two days, so none
            // reaches past the cut)
            tx.batch_execute(
                "LOCK TABLE events, explanations, patient_events, actor_runs IN ACCESS EXCLUSIVE MODE",
            )?;
            let mut drop_names = Vec::new();
            for (table, _) in TABLES {
                for (day, name) in day_partitions(&mut tx, table)? {
                    if day * DAY_US < new_kb {
                        drop_names.push(name);
                    }
                }
                // (its bound goes with it, until it is attached again with
                // the new one)
                tx.batch_execute(&format!(
                    "ALTER TABLE {table} DETACH PARTITION {table}_kept;
                     ALTER TABLE {table}_kept DROP CONSTRAINT IF EXISTS {table}_kept_bound;"
                ))?;
            }
            // What the dropped days held, by source, for the counts below.
            tx.execute(
                "CREATE TEMP TABLE dropped_days ON COMMIT DROP AS
                 SELECT source_id, sum(events)::bigint AS events FROM event_days WHERE day < $1 GROUP BY 1",
                &[&day_of(new_kb)],
            )?;
            // Unheld events already in `_kept` (late arrivals for a pruned
            // day) go too; then the held ones come in.
            tx.execute(
                &format!("DELETE FROM events_kept WHERE occurred_at < $1 AND id NOT IN ({HELD})"),
                &[&cut],
            )?;
            tx.batch_execute(
                "INSERT INTO events_kept SELECT * FROM held_events;
                 DELETE FROM explanations_kept WHERE event_id NOT IN (SELECT id FROM events_kept);
                 INSERT INTO explanations_kept SELECT * FROM held_explanations;
                 DELETE FROM patient_events_kept WHERE event_id NOT IN (SELECT id FROM events_kept);
                 INSERT INTO patient_events_kept SELECT * FROM held_patient_events;
                 TRUNCATE actor_runs_kept;
                 INSERT INTO actor_runs_kept (actor_id, first_at, last_at, times, ids)
                   SELECT actor_id, min(occurred_at), max(occurred_at),
                          array_agg(occurred_at ORDER BY occurred_at, id), array_agg(id ORDER BY occurred_at, id)
                   FROM (SELECT actor_id, occurred_at, id,
                                (row_number() OVER (PARTITION BY actor_id ORDER BY occurred_at, id) - 1) / 1000 AS chunk
                         FROM events_kept WHERE actor_id IS NOT NULL) k
                   GROUP BY actor_id, chunk;",
            )?;
            for name in &drop_names {
                tx.batch_execute(&format!("DROP TABLE {name}"))?;
            }
            // Counts: what the dropped days held, less what stayed.
            tx.execute("DELETE FROM event_days WHERE day < $1", &[&day_of(new_kb)])?;
            tx.execute(
                "INSERT INTO event_days (day, source_id, events)
                 SELECT floor(occurred_at / 86400000000.0)::bigint, source_id, count(*) FROM events_kept GROUP BY 1, 2",
                &[],
            )?;
            // Each source loses what its dropped days held, less what stayed.
            let removed: i64 = tx
                .query(
                    "WITH gone AS (
                       SELECT d.source_id, d.events - coalesce((SELECT sum(k.events) FROM event_days k
                         WHERE k.source_id = d.source_id AND k.day < $1), 0)::bigint AS n
                       FROM dropped_days d)
                     UPDATE sources s SET events = s.events - g.n FROM gone g WHERE s.id = g.source_id RETURNING g.n",
                    &[&day_of(new_kb)],
                )?
                .iter()
                .map(|r| r.get::<_, i64>(0))
                .sum();
            for (table, col) in TABLES {
                // The bound as a constraint first, so attaching need not
                // scan to prove it. (An integer, formatted: DDL takes no
                // parameters.)
                tx.batch_execute(&format!(
                    "ALTER TABLE {table}_kept ADD CONSTRAINT {table}_kept_bound CHECK ({col} < {new_kb});
                     ALTER TABLE {table} ATTACH PARTITION {table}_kept FOR VALUES FROM (MINVALUE) TO ({new_kb});"
                ))?;
            }
            tx.execute(
                "UPDATE meta SET value = $1 WHERE key = 'events_kept_before'",
                &[&new_kb.to_string()],
            )?;
            tx.commit()?;
            Ok(removed as u64)
        });
        self.forget_partitions();
        r
    }
}

/// Makes the partitions a batch's events need, inside the open ingest
/// transaction (an old log brings days that were not made ahead).
pub(super) fn ensure_days(known: &mut Option<Partitions>, c: &mut Client, b: &Batch) -> Result<()> {
    // (a batch holds one day or a few: a short list, not a sort of every
    // event's day)
    let mut days: Vec<i64> = Vec::new();
    for e in &b.events {
        let d = day_of(micros(e.occurred_at));
        if !days.contains(&d) {
            days.push(d);
        }
    }
    let known = match known {
        Some(k) => k,
        None => known.insert(Partitions::load(c)?),
    };
    add_days(c, known, &days)
}

/// Adds a commit's events, counted by (day, source), to `event_days`.
pub(super) fn flush_day_counts(
    counts: &mut HashMap<(i64, i64), i64>,
    c: &mut Client,
) -> Result<()> {
    if counts.is_empty() {
        return Ok(());
    }
    let (mut days, mut sources, mut ns) = (Vec::new(), Vec::new(), Vec::new());
    for ((day, source), n) in counts.drain() {
        days.push(day);
        sources.push(source);
        ns.push(n);
    }
    c.execute(
        "INSERT INTO event_days (day, source_id, events) SELECT * FROM unnest($1::bigint[], $2::bigint[], $3::bigint[])
         ON CONFLICT (day, source_id) DO UPDATE SET events = event_days.events + EXCLUDED.events",
        &[&days, &sources, &ns],
    )?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_partition_name_gives_its_day() {
        assert_eq!(day_of_name("events_p19700101"), Some(0));
        assert_eq!(day_of_name("actor_runs_p19700102"), Some(1));
        assert_eq!(day_of_name("patient_events_p20261207"), Some(20_794));
        assert_eq!(day_of_name("events_kept"), None);
        assert_eq!(day_of(-1), -1, "a time before 1970 is in the day before");
    }
}
