//! PostgreSQL: the queue's counts, ledger reads and verification, and the event reads the rules and the detail pane ask for.

use super::*;

impl PgStore {
    pub(super) fn do_count_items(&self, filter: &Query) -> Result<u64> {
        let w = filter.to_sql(Target::Items, Dialect::Postgres, 1)?;
        let sql = format!(
            "SELECT count(*) FROM items i LEFT JOIN sources s ON s.id = i.source_id WHERE {}",
            w.clause
        );
        let values = bind(&w.params);
        self.read(|c| Ok(c.query_one(&sql, &refs(&values))?.get::<_, i64>(0) as u64))
    }

    pub(super) fn do_newest_item(&self) -> Result<i64> {
        let sql = "SELECT coalesce(max(id), 0)::bigint FROM items";
        self.read(|c| Ok(c.query_one(sql, &[])?.get::<_, i64>(0)))
    }

    pub(super) fn do_verify_ledger(&self) -> Result<Verification> {
        // Both sides are paged by key so the walk holds one page of each.
        let mut entries: std::vec::IntoIter<LedgerEntry> = Vec::new().into_iter();
        let mut last_seq = i64::MIN;
        let mut entries_done = false;
        let mut decisions: std::vec::IntoIter<DecisionRow> = Vec::new().into_iter();
        let mut last_d = (i64::MIN, String::new());
        let mut decisions_done = false;
        let (v, broken) = walk(
            &mut || {
                if let Some(e) = entries.next() {
                    return Ok(Some(e));
                }
                if entries_done {
                    return Ok(None);
                }
                let page: Vec<LedgerEntry> = self.read(|c| {
                    Ok(c.query(
                        &format!("SELECT {LEDGER_COLS} FROM ledger WHERE seq > $1 ORDER BY seq LIMIT {PAGE}"),
                        &[&last_seq],
                    )?
                    .iter()
                    .map(ledger_row)
                    .collect())
                })?;
                entries_done = (page.len() as i64) < PAGE;
                if let Some(l) = page.last() {
                    last_seq = l.seq;
                }
                entries = page.into_iter();
                Ok(entries.next())
            },
            &mut || {
                if let Some(d) = decisions.next() {
                    return Ok(Some(d));
                }
                if decisions_done {
                    return Ok(None);
                }
                let page: Vec<DecisionRow> = self.read(|c| {
                    Ok(c.query(
                        &format!("SELECT {DECISION_COLS} FROM decisions WHERE (ledger_seq, id) > ($1, $2) ORDER BY ledger_seq, id LIMIT {PAGE}"),
                        &[&last_d.0, &last_d.1],
                    )?
                    .iter()
                    .map(decision_row)
                    .collect())
                })?;
                decisions_done = (page.len() as i64) < PAGE;
                if let Some(l) = page.last() {
                    last_d = (l.ledger_seq, l.id.clone());
                }
                decisions = page.into_iter();
                Ok(decisions.next())
            },
        )?;
        crate::ledger::verification(v, broken, self)
    }

    pub(super) fn do_ledger_after(&self, seq: i64, limit: u64) -> Result<Vec<LedgerEntry>> {
        self.read(|c| {
            Ok(c.query(
                &format!("SELECT {LEDGER_COLS} FROM ledger WHERE seq > $1 ORDER BY seq LIMIT $2"),
                &[&seq, &(limit as i64)],
            )?
            .iter()
            .map(ledger_row)
            .collect())
        })
    }

    pub(super) fn do_for_each_item_review(
        &self,
        f: &mut dyn FnMut(ItemReview) -> Result<()>,
    ) -> Result<()> {
        let mut last = i64::MIN;
        loop {
            let page = self.read(|c| {
                Ok(c.query(
                    &format!(
                        "SELECT id, status, disposition, decision_id, approval FROM items WHERE id > $1 ORDER BY id LIMIT {PAGE}"
                    ),
                    &[&last],
                )?)
            })?;
            for r in &page {
                last = r.get(0);
                f(ItemReview {
                    id: last,
                    status: r.get(1),
                    disposition: r.get(2),
                    decision_id: r.get(3),
                    approval: r.get(4),
                })?;
            }
            if (page.len() as i64) < PAGE {
                return Ok(());
            }
        }
    }

    pub(super) fn do_ledger_entry(&self, seq: i64) -> Result<Option<LedgerEntry>> {
        self.read(|c| {
            Ok(c.query_opt(
                &format!("SELECT {LEDGER_COLS} FROM ledger WHERE seq = $1"),
                &[&seq],
            )?
            .as_ref()
            .map(ledger_row))
        })
    }

    pub(super) fn do_ledger_for(&self, entity: &str) -> Result<Vec<LedgerEntry>> {
        self.read(|c| {
            Ok(c.query(
                &format!("SELECT {LEDGER_COLS} FROM ledger WHERE entity = $1 ORDER BY seq"),
                &[&entity],
            )?
            .iter()
            .map(ledger_row)
            .collect())
        })
    }

    pub(super) fn do_events_after(
        &self,
        id: i64,
        since: Option<DateTime<Utc>>,
        limit: u64,
    ) -> Result<Vec<(i64, Event)>> {
        let since = since.map(micros).unwrap_or(i64::MIN);
        let limit = limit as i64;
        self.read(|c| {
            Ok(c.query(
                &format!(
                    "SELECT {EVENT_COLS}, e.source_id FROM {EVENT_FROM}
                     WHERE e.id > $1 AND e.occurred_at >= $2 ORDER BY e.id LIMIT $3"
                ),
                &[&id, &since, &limit],
            )?
            .iter()
            .map(|r| (r.get::<_, i64>(14), event_row(r).0))
            .collect())
        })
    }

    pub(super) fn do_actor_activity(
        &self,
        actor: &str,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> Result<Vec<crate::Activity>> {
        self.read(|c| {
            Ok(c.query(
                "SELECT e.id, u.at, e.subject FROM actors an
                 JOIN actor_runs r ON r.actor_id = an.id AND r.last_at >= $2 AND r.first_at < $3
                 CROSS JOIN LATERAL unnest(r.times, r.ids) AS u(at, event_id)
                 JOIN events e ON e.id = u.event_id AND e.occurred_at = u.at
                 WHERE an.name = $1 AND u.at >= $2 AND u.at < $3 AND e.occurred_at >= $2 AND e.occurred_at < $3
                 ORDER BY u.at, u.event_id",
                &[&actor, &micros(from), &micros(to)],
            )?
            .iter()
            .map(|r| (r.get(0), from_micros(r.get(1)), r.get(2)))
            .collect())
        })
    }

    pub(super) fn do_flagged_events(
        &self,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
        each: &mut dyn FnMut(i64),
    ) -> Result<()> {
        // (collected first: a read retried after a dropped connection must
        // not hand an id over twice)
        let ids: Vec<i64> = self.read(|c| {
            Ok(
                c.query(crate::FLAGGED_SQL_PG, &[&micros(from), &micros(to)])?
                    .iter()
                    .map(|r| r.get(0))
                    .collect(),
            )
        })?;
        ids.into_iter().for_each(each);
        Ok(())
    }

    pub(super) fn do_unflagged_events(
        &self,
        source_id: i64,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
        flagged: &dyn Fn(i64) -> bool,
        each: &mut dyn FnMut(i64),
    ) -> Result<()> {
        // (collected first, as `do_flagged_events` is)
        let ids: Vec<i64> = self.read(|c| {
            Ok(c.query(
                "SELECT e.id FROM events e WHERE e.occurred_at >= $1 AND e.occurred_at < $2 AND e.source_id = $3",
                &[&micros(from), &micros(to), &source_id],
            )?
            .iter()
            .map(|r| r.get::<_, i64>(0))
            .filter(|id| !flagged(*id))
            .collect())
        })?;
        ids.into_iter().for_each(each);
        Ok(())
    }

    pub(super) fn do_events_by_id(&self, ids: &[i64]) -> Result<Vec<(Event, Vec<u8>)>> {
        let rows = self.read(|c| {
            Ok(c.query(
                &format!("SELECT {EVENT_COLS} FROM {EVENT_FROM} WHERE e.id = ANY($1)"),
                &[&ids],
            )?)
        })?;
        let mut by_id: HashMap<i64, (Event, Vec<u8>)> = rows
            .iter()
            .map(|r| (r.get::<_, i64>(0), event_row(r)))
            .collect();
        // In the order asked for, as the SQLite store returns them.
        Ok(ids.iter().filter_map(|id| by_id.remove(id)).collect())
    }
}

/// What the investigations and the report read.
impl PgStore {
    pub(super) fn do_decisions_between(
        &self,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> Result<Vec<DecisionRow>> {
        self.read(|c| {
            Ok(c.query(
                &format!("SELECT {DECISION_COLS} FROM decisions WHERE decided_at >= $1 AND decided_at < $2 ORDER BY decided_at, ledger_seq"),
                &[&micros(from), &micros(to)],
            )?
            .iter()
            .map(decision_row)
            .collect())
        })
    }

    pub(super) fn do_patient_event_ids(
        &self,
        patient: &str,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> Result<Vec<i64>> {
        self.read(|c| {
            Ok(c.query(
                "SELECT event_id FROM patient_events WHERE patient = $1 AND occurred_at >= $2 AND occurred_at < $3
                 ORDER BY occurred_at, event_id",
                &[&patient, &micros(from), &micros(to)],
            )?
            .iter()
            .map(|r| r.get(0))
            .collect())
        })
    }

    pub(super) fn do_items_of_events(&self, event_ids: &[i64]) -> Result<Vec<(i64, i64)>> {
        if event_ids.is_empty() {
            return Ok(Vec::new());
        }
        self.read(|c| {
            Ok(c.query(
                "SELECT event_id, item_id FROM item_events WHERE event_id = ANY($1) ORDER BY event_id, item_id",
                &[&event_ids],
            )?
            .iter()
            .map(|r| (r.get(0), r.get(1)))
            .collect())
        })
    }
}

/// Filtered event listings and the suppressions in force.
impl PgStore {
    pub(super) fn do_for_each_event(
        &self,
        filter: &Query,
        limit: u64,
        f: &mut dyn FnMut(Event) -> Result<()>,
    ) -> Result<()> {
        let w = filter.to_sql(Target::Events, Dialect::Postgres, 3)?;
        // Pages by (time, id) so no connection is held while `f` runs.
        let sql = format!(
            "SELECT {EVENT_COLS} FROM {EVENT_FROM}
             WHERE (e.occurred_at, e.id) > ($1, $2) AND ({}) ORDER BY e.occurred_at, e.id LIMIT {PAGE}",
            w.clause
        );
        let mut after = (i64::MIN, i64::MIN);
        let mut left = if limit == 0 { u64::MAX } else { limit };
        loop {
            let mut values: Vec<Box<dyn ToSql + Sync>> = vec![Box::new(after.0), Box::new(after.1)];
            values.extend(bind(&w.params));
            let rows = self.read(|c| Ok(c.query(&sql, &refs(&values))?))?;
            let n = rows.len();
            for r in &rows {
                if left == 0 {
                    return Ok(());
                }
                after = (r.get(3), r.get(0));
                f(event_row(r).0)?;
                left -= 1;
            }
            if (n as i64) < PAGE || left == 0 {
                return Ok(());
            }
        }
    }

    pub(super) fn do_suppressions(&self) -> Result<Vec<Suppression>> {
        self.read(|c| {
            Ok(c.query(
                "SELECT id, actor, subject, rule, until, reason, owner FROM suppressions ORDER BY id",
                &[],
            )?
            .iter()
            .map(|r| Suppression {
                id: r.get(0),
                actor: r.get(1),
                subject: r.get(2),
                rule: r.get(3),
                until: from_micros(r.get(4)),
                reason: r.get(5),
                owner: r.get(6),
            })
            .collect())
        })
    }
}
