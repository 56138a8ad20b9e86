//! PostgreSQL: Source health, quarantine, gaps and the activity and review counts coverage and reports read.

use super::*;

impl PgStore {
    pub(super) fn do_activity(
        &self,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> Result<Vec<crate::Activity15>> {
        let q = crate::QUARTER_US;
        let (events, items) = self.read(|c| {
            let events = c.query(
                "SELECT s.name, e.occurred_at / $3, count(*) FROM events e JOIN sources s ON s.id = e.source_id
                 WHERE e.occurred_at >= $1 AND e.occurred_at < $2 GROUP BY 1, 2",
                &[&micros(from), &micros(to), &q],
            )?;
            let items = c.query(
                "SELECT s.name, i.occurred_at / $3, count(*), count(*) FILTER (WHERE i.status NOT IN ('new', 'reopened'))
                 FROM items i JOIN sources s ON s.id = i.source_id
                 WHERE i.occurred_at >= $1 AND i.occurred_at < $2 GROUP BY 1, 2",
                &[&micros(from), &micros(to), &q],
            )?;
            Ok((events, items))
        })?;
        let mut out: std::collections::BTreeMap<(String, i64), crate::Activity15> =
            Default::default();
        for r in &events {
            let (name, b): (String, i64) = (r.get(0), r.get(1));
            out.entry((name.clone(), b))
                .or_insert_with(|| crate::Activity15::empty(name, from_micros(b * q)))
                .events = r.get::<_, i64>(2) as u64;
        }
        for r in &items {
            let (name, b): (String, i64) = (r.get(0), r.get(1));
            let a = out
                .entry((name.clone(), b))
                .or_insert_with(|| crate::Activity15::empty(name, from_micros(b * q)));
            a.items = r.get::<_, i64>(2) as u64;
            a.decided = r.get::<_, i64>(3) as u64;
        }
        Ok(out.into_values().collect())
    }

    pub(super) fn do_review_stats(
        &self,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> Result<crate::ReviewStats> {
        let (from, to) = (micros(from), micros(to));
        self.read(|c| {
            let mut out = crate::ReviewStats::default();
            for r in c.query(
                "SELECT r.rule, count(*), count(*) FILTER (WHERE i.disposition IS NOT NULL), count(*) FILTER (WHERE i.disposition = 'false-positive')
                 FROM items i JOIN item_rules r ON r.item_id = i.id
                 WHERE i.occurred_at >= $1 AND i.occurred_at < $2 GROUP BY r.rule ORDER BY r.rule",
                &[&from, &to],
            )? {
                out.rules.push((r.get(0), r.get::<_, i64>(1) as u64, r.get::<_, i64>(2) as u64, r.get::<_, i64>(3) as u64));
            }
            for r in c.query(
                "SELECT disposition, count(*) FROM items WHERE occurred_at >= $1 AND occurred_at < $2 AND disposition IS NOT NULL GROUP BY 1 ORDER BY 1",
                &[&from, &to],
            )? {
                out.dispositions.push((r.get(0), r.get::<_, i64>(1) as u64));
            }
            for r in c.query(
                "SELECT d.reviewer, count(*) FROM decisions d JOIN items i ON i.id = d.item_id WHERE i.occurred_at >= $1 AND i.occurred_at < $2 GROUP BY 1 ORDER BY 1",
                &[&from, &to],
            )? {
                out.reviewers.push((r.get(0), r.get::<_, i64>(1) as u64));
            }
            for r in c.query(
                "SELECT min(d.decided_at) - i.occurred_at FROM decisions d JOIN items i ON i.id = d.item_id
                 WHERE d.kind = 'decide' AND i.occurred_at >= $1 AND i.occurred_at < $2 GROUP BY i.id, i.occurred_at",
                &[&from, &to],
            )? {
                out.to_decision_us.push(r.get(0));
            }
            Ok(out)
        })
    }

    pub(super) fn do_source_status(&self) -> Result<Vec<SourceStatus>> {
        let rows = self.read(|c| {
            Ok(c.query(
                "SELECT s.id, s.name, s.kind, s.last_pull_at, s.last_success_at, s.last_error, s.events,
                        (SELECT count(*) FROM quarantine q WHERE q.source_id = s.id),
                        (SELECT count(*) FROM gaps g WHERE g.source_id = s.id), s.collector
                 FROM sources s ORDER BY s.name, s.collector",
                &[],
            )?)
        })?;
        rows.iter()
            .map(|r| {
                Ok(SourceStatus {
                    name: SafeText::new(r.get::<_, &str>(1)),
                    collector: SafeText::new(r.get::<_, &str>(9)),
                    kind: SafeText::new(r.get::<_, &str>(2)),
                    last_pull_at: r.get::<_, Option<i64>>(3).map(from_micros),
                    last_success_at: r.get::<_, Option<i64>>(4).map(from_micros),
                    last_error: opt_text(r.get(5)),
                    events: r.get::<_, i64>(6) as u64,
                    quarantined: r.get::<_, i64>(7) as u64,
                    gaps: r.get::<_, i64>(8) as u64,
                    streams: self.streams(r.get(0))?,
                })
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
        let limit = if limit == 0 { None } else { Some(limit as i64) };
        self.read(|c| {
            Ok(c.query(
                &format!(
                    "SELECT s.name, t.path, q.\"offset\", q.reason, q.raw
                     FROM quarantine q JOIN sources s ON s.id = q.source_id LEFT JOIN streams t ON t.id = q.stream_id
                     WHERE ($1::text IS NULL OR s.name = $1) ORDER BY {order} LIMIT $2"
                ),
                &[&source, &limit],
            )?
            .iter()
            .map(|r| QuarantineRow {
                source: SafeText::new(r.get::<_, &str>(0)),
                path: opt_text(r.get(1)),
                offset: r.get::<_, Option<i64>>(2).map(|o| o as u64),
                reason: SafeText::new(r.get::<_, &str>(3)),
                raw: SafeText::from_bytes(r.get::<_, &[u8]>(4)),
            })
            .collect())
        })
    }

    pub(super) fn do_gaps(&self, source: Option<&str>) -> Result<Vec<GapRow>> {
        self.read(|c| {
            Ok(c.query(
                "SELECT s.name, t.path, g.detected_at, g.\"offset\", g.reason
                 FROM gaps g JOIN sources s ON s.id = g.source_id LEFT JOIN streams t ON t.id = g.stream_id
                 WHERE ($1::text IS NULL OR s.name = $1) ORDER BY g.id",
                &[&source],
            )?
            .iter()
            .map(|r| GapRow {
                source: SafeText::new(r.get::<_, &str>(0)),
                path: opt_text(r.get(1)),
                detected_at: from_micros(r.get(2)),
                offset: r.get::<_, Option<i64>>(3).map(|o| o as u64),
                reason: SafeText::new(r.get::<_, &str>(4)),
            })
            .collect())
        })
    }
}
