//! SQLite: Source health, quarantine, gaps and the activity and review counts coverage and reports read; pruning old events.

use super::*;

impl SqliteStore {
    pub(super) fn do_events_after(
        &self,
        id: i64,
        since: Option<DateTime<Utc>>,
        limit: u64,
    ) -> Result<Vec<(i64, Event)>> {
        let mut st = self.conn.prepare_cached(&format!(
            "SELECT {EVENT_COLS}, e.source_id FROM events e JOIN sources s ON s.id = e.source_id LEFT JOIN actors a ON a.id = e.actor_id
             WHERE e.id > ?1 AND e.occurred_at >= ?2 ORDER BY e.id LIMIT ?3"
        ))?;
        let rows = st.query_map(
            params![id, since.map(micros).unwrap_or(i64::MIN), limit as i64],
            |r| Ok((r.get::<_, i64>(14)?, event_from_row(r)?.0)),
        )?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    pub(super) fn do_activity(
        &self,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> Result<Vec<crate::Activity15>> {
        let q = crate::QUARTER_US;
        let mut out: std::collections::BTreeMap<(String, i64), crate::Activity15> =
            Default::default();
        // Counted here while the rows stream by in time order: a GROUP BY
        // over millions of events would sort them all in memory first.
        let names: HashMap<i64, String> = self
            .conn
            .prepare("SELECT id, name FROM sources")?
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?
            .collect::<rusqlite::Result<_>>()?;
        let mut counts: HashMap<(i64, i64), u64> = HashMap::new();
        let mut st = self.conn.prepare(
            "SELECT e.source_id, e.occurred_at FROM events e WHERE e.occurred_at >= ?1 AND e.occurred_at < ?2",
        )?;
        let mut rows = st.query(params![micros(from), micros(to)])?;
        while let Some(r) = rows.next()? {
            let (src, t): (i64, i64) = (r.get(0)?, r.get(1)?);
            *counts.entry((src, t.div_euclid(q))).or_default() += 1;
        }
        for ((src, b), n) in counts {
            let name = names.get(&src).cloned().unwrap_or_default();
            out.entry((name.clone(), b))
                .or_insert_with(|| crate::Activity15::empty(name, from_micros(b * q)))
                .events += n;
        }
        let mut st = self.conn.prepare(
            "SELECT s.name, i.occurred_at / ?3, count(*), coalesce(sum(i.status NOT IN ('new', 'reopened')), 0)
             FROM items i JOIN sources s ON s.id = i.source_id
             WHERE i.occurred_at >= ?1 AND i.occurred_at < ?2 GROUP BY 1, 2",
        )?;
        let mut rows = st.query(params![micros(from), micros(to), q])?;
        while let Some(r) = rows.next()? {
            let (name, b, n, d): (String, i64, i64, i64) =
                (r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?);
            let a = out
                .entry((name.clone(), b))
                .or_insert_with(|| crate::Activity15::empty(name, from_micros(b * q)));
            a.items = n as u64;
            a.decided = d as u64;
        }
        Ok(out.into_values().collect())
    }

    pub(super) fn do_review_stats(
        &self,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> Result<crate::ReviewStats> {
        let range = params![micros(from), micros(to)];
        let mut out = crate::ReviewStats::default();
        let mut st = self.conn.prepare(
            "SELECT r.rule, count(*), coalesce(sum(i.disposition IS NOT NULL), 0), coalesce(sum(i.disposition = 'false-positive'), 0)
             FROM items i JOIN item_rules r ON r.item_id = i.id
             WHERE i.occurred_at >= ?1 AND i.occurred_at < ?2 GROUP BY r.rule ORDER BY r.rule",
        )?;
        let mut rows = st.query(range)?;
        while let Some(r) = rows.next()? {
            out.rules.push((
                r.get(0)?,
                r.get::<_, i64>(1)? as u64,
                r.get::<_, i64>(2)? as u64,
                r.get::<_, i64>(3)? as u64,
            ));
        }
        for (sql, into) in [
            (
                "SELECT disposition, count(*) FROM items WHERE occurred_at >= ?1 AND occurred_at < ?2 AND disposition IS NOT NULL GROUP BY 1 ORDER BY 1",
                &mut out.dispositions,
            ),
            (
                "SELECT d.reviewer, count(*) FROM decisions d JOIN items i ON i.id = d.item_id WHERE i.occurred_at >= ?1 AND i.occurred_at < ?2 GROUP BY 1 ORDER BY 1",
                &mut out.reviewers,
            ),
        ] {
            let mut st = self.conn.prepare(sql)?;
            let mut rows = st.query(range)?;
            while let Some(r) = rows.next()? {
                into.push((r.get(0)?, r.get::<_, i64>(1)? as u64));
            }
        }
        let mut st = self.conn.prepare(
            "SELECT min(d.decided_at) - i.occurred_at FROM decisions d JOIN items i ON i.id = d.item_id
             WHERE d.kind = 'decide' AND i.occurred_at >= ?1 AND i.occurred_at < ?2 GROUP BY i.id",
        )?;
        let mut rows = st.query(range)?;
        while let Some(r) = rows.next()? {
            out.to_decision_us.push(r.get(0)?);
        }
        Ok(out)
    }

    pub(super) fn do_prune_events(&mut self, before: DateTime<Utc>) -> Result<u64> {
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        // (explanations first: without a time index they are found by the
        // events they explain, which this then deletes)
        tx.execute(
            "DELETE FROM explanations WHERE event_id IN (SELECT id FROM events WHERE occurred_at < ?1
             AND id NOT IN (SELECT event_id FROM item_events)
             AND id NOT IN (SELECT event_id FROM incident_events))",
            [micros(before)],
        )?;
        let n = tx.execute(
            "DELETE FROM events WHERE occurred_at < ?1
             AND id NOT IN (SELECT event_id FROM item_events)
             AND id NOT IN (SELECT event_id FROM incident_events)",
            [micros(before)],
        )?;
        // The runs that reach back before the cut keep the events that stay.
        let runs: Vec<(i64, String, String)> = tx
            .prepare("SELECT rowid, times, ids FROM actor_runs WHERE first_at < ?1")?
            .query_map([micros(before)], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?
            .collect::<rusqlite::Result<_>>()?;
        {
            let mut alive = tx.prepare_cached("SELECT id FROM events WHERE id IN rarray(?1)")?;
            let mut update = tx.prepare_cached(
                "UPDATE actor_runs SET first_at = ?2, last_at = ?3, times = ?4, ids = ?5 WHERE rowid = ?1",
            )?;
            let mut delete = tx.prepare_cached("DELETE FROM actor_runs WHERE rowid = ?1")?;
            for (rowid, times, ids) in runs {
                let pairs: Vec<(i64, i64)> = super::write::json_ints(&times)
                    .zip(super::write::json_ints(&ids))
                    .collect();
                let listed: Vec<rusqlite::types::Value> = pairs
                    .iter()
                    .map(|p| rusqlite::types::Value::Integer(p.1))
                    .collect();
                let kept: std::collections::HashSet<i64> = alive
                    .query_map([std::rc::Rc::new(listed)], |r| r.get(0))?
                    .collect::<rusqlite::Result<_>>()?;
                let left: Vec<(i64, i64)> =
                    pairs.into_iter().filter(|p| kept.contains(&p.1)).collect();
                match (left.first(), left.last()) {
                    (Some(first), Some(last)) => {
                        let (mut t, mut i) = (String::new(), String::new());
                        super::write::json_array(&mut t, left.iter().map(|p| p.0));
                        super::write::json_array(&mut i, left.iter().map(|p| p.1));
                        update.execute(params![rowid, first.0, last.0, t, i])?;
                    }
                    _ => {
                        delete.execute([rowid])?;
                    }
                }
            }
        }
        tx.execute(
            "DELETE FROM patient_events WHERE occurred_at < ?1 AND event_id NOT IN (SELECT id FROM events)",
            [micros(before)],
        )?;
        tx.execute_batch(
            "UPDATE sources SET events = (SELECT count(*) FROM events e WHERE e.source_id = sources.id)",
        )?;
        tx.commit()?;
        Ok(n as u64)
    }

    pub(super) fn do_source_status(&self) -> Result<Vec<SourceStatus>> {
        let mut st = self.conn.prepare(
            "SELECT s.id, s.name, s.kind, s.last_pull_at, s.last_success_at, s.last_error,
                    s.events,
                    (SELECT count(*) FROM quarantine q WHERE q.source_id = s.id),
                    (SELECT count(*) FROM gaps g WHERE g.source_id = s.id)
             FROM sources s ORDER BY s.name",
        )?;
        let rows = st
            .query_map([], |r| {
                Ok((
                    r.get::<_, i64>(0)?,
                    SourceStatus {
                        name: SafeText::new(&r.get::<_, String>(1)?),
                        collector: SafeText::new(""),
                        kind: SafeText::new(&r.get::<_, String>(2)?),
                        last_pull_at: r.get::<_, Option<i64>>(3)?.map(from_micros),
                        last_success_at: r.get::<_, Option<i64>>(4)?.map(from_micros),
                        last_error: opt_text(r.get(5)?),
                        events: r.get::<_, i64>(6)? as u64,
                        quarantined: r.get::<_, i64>(7)? as u64,
                        gaps: r.get::<_, i64>(8)? as u64,
                        streams: Vec::new(),
                    },
                ))
            })?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        rows.into_iter()
            .map(|(id, mut s)| {
                s.streams = self.streams(id)?;
                Ok(s)
            })
            .collect()
    }

    /// Quarantined records in `order` (a fixed ORDER BY, never user text).
    pub(super) fn do_quarantine(
        &self,
        source: Option<&str>,
        limit: u64,
        order: &'static str,
    ) -> Result<Vec<QuarantineRow>> {
        let mut st = self.conn.prepare(&format!(
            "SELECT s.name, t.path, q.offset, q.reason, q.raw
             FROM quarantine q JOIN sources s ON s.id = q.source_id LEFT JOIN streams t ON t.id = q.stream_id
             WHERE (?1 IS NULL OR s.name = ?1) ORDER BY {order} LIMIT ?2"
        ))?;
        let limit = if limit == 0 { -1 } else { limit as i64 };
        let rows = st.query_map(params![source, limit], |r| {
            Ok(QuarantineRow {
                source: SafeText::new(&r.get::<_, String>(0)?),
                path: opt_text(r.get(1)?),
                offset: r.get::<_, Option<i64>>(2)?.map(|o| o as u64),
                reason: SafeText::new(&r.get::<_, String>(3)?),
                raw: SafeText::from_bytes(&r.get::<_, Vec<u8>>(4)?),
            })
        })?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    pub(super) fn do_gaps(&self, source: Option<&str>) -> Result<Vec<GapRow>> {
        let mut st = self.conn.prepare(
            "SELECT s.name, t.path, g.detected_at, g.offset, g.reason
             FROM gaps g JOIN sources s ON s.id = g.source_id LEFT JOIN streams t ON t.id = g.stream_id
             WHERE (?1 IS NULL OR s.name = ?1) ORDER BY g.id",
        )?;
        let rows = st.query_map(params![source], |r| {
            Ok(GapRow {
                source: SafeText::new(&r.get::<_, String>(0)?),
                path: opt_text(r.get(1)?),
                detected_at: from_micros(r.get(2)?),
                offset: r.get::<_, Option<i64>>(3)?.map(|o| o as u64),
                reason: SafeText::new(&r.get::<_, String>(4)?),
            })
        })?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// See `Store::items_covered`.
    pub(super) fn do_items_covered(&self, s: &crate::Suppression) -> Result<(u64, u64)> {
        let (open, past): (i64, i64) = self.conn.query_row(
            "SELECT coalesce(sum(i.status IN ('new', 'reopened')), 0), coalesce(sum(i.status NOT IN ('new', 'reopened')), 0)
             FROM items i WHERE i.actor = ?1 AND (?2 IS NULL OR i.subject = ?2) AND i.occurred_at < ?4
             AND (?3 IS NULL OR EXISTS (SELECT 1 FROM item_rules r WHERE r.item_id = i.id AND r.rule = ?3))",
            params![s.actor, s.subject, s.rule, micros(s.until)],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )?;
        Ok((open as u64, past as u64))
    }
}
