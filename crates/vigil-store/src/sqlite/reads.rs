//! SQLite: the queue's counts, the reads of investigations and the report's largest scans: one person's and one patient's events, the items that hold events, the host summary's rows, decisions by when they were made.

use super::*;

impl SqliteStore {
    pub(super) fn do_count_items(&self, filter: &Query) -> Result<u64> {
        let w = filter.to_sql(Target::Items, Dialect::Sqlite, 1)?;
        // Cached: the rules count each case's actor's earlier violations,
        // one statement of the same shape per case.
        let n: i64 = self
            .conn
            .prepare_cached(&format!(
                "SELECT count(*) FROM items i LEFT JOIN sources s ON s.id = i.source_id WHERE {}",
                w.clause
            ))?
            .query_row(params_from_iter(to_values(&w.params)), |r| r.get(0))?;
        Ok(n as u64)
    }

    pub(super) fn do_newest_item(&self) -> Result<i64> {
        let sql = "SELECT coalesce(max(id), 0) FROM items";
        Ok(self.conn.query_row(sql, [], |r| r.get(0))?)
    }

    pub(super) fn do_for_each_host_row(
        &self,
        kinds: &[&str],
        from: DateTime<Utc>,
        to: DateTime<Utc>,
        actions: &[&str],
        failures: &[&str],
        f: &mut dyn FnMut(&crate::HostRow<'_>) -> Result<()>,
    ) -> Result<()> {
        // One pass over the period's rows by the time index, the columns
        // the summary reads and no raw bytes (most of a row): the report's
        // largest read, over every host event of the period.
        let text = |v: &[&str]| -> std::rc::Rc<Vec<rusqlite::types::Value>> {
            std::rc::Rc::new(
                v.iter()
                    .map(|s| rusqlite::types::Value::Text((*s).to_owned()))
                    .collect(),
            )
        };
        let mut sources: HashMap<i64, String> = HashMap::new();
        {
            let mut st = self.conn.prepare(
                "SELECT id, name FROM sources WHERE kind IN (SELECT value FROM rarray(?1))",
            )?;
            let rows = st.query_map([text(kinds)], |r| Ok((r.get(0)?, r.get(1)?)))?;
            for r in rows {
                let (id, name) = r?;
                sources.insert(id, name);
            }
        }
        if sources.is_empty() {
            return Ok(());
        }
        let actors: HashMap<i64, String> = self
            .conn
            .prepare("SELECT id, name FROM actors")?
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?
            .collect::<rusqlite::Result<_>>()?;
        // A placeholder per source and per skipped action: SQLite tests a
        // list of bound values by an index it builds once, where a table
        // function would be a lookup per row.
        let marks = |from: usize, n: usize| {
            (from..from + n)
                .map(|i| format!("?{i}"))
                .collect::<Vec<_>>()
                .join(",")
        };
        let ids: Vec<i64> = sources.keys().copied().collect();
        let sql = format!(
            "SELECT host, source_id, occurred_at, action, outcome, actor_id, client, subject, detail,
                    CASE WHEN action = ?3 THEN raw END
             FROM events
             WHERE occurred_at >= ?1 AND occurred_at < ?2
               AND source_id IN ({})
               AND (action IN ({}) OR (outcome = 'failure' AND action IN ({})))",
            marks(4, ids.len()),
            marks(4 + ids.len(), actions.len().max(1)),
            marks(4 + ids.len() + actions.len().max(1), failures.len().max(1))
        );
        let mut st = self.conn.prepare(&sql)?;
        let mut binds: Vec<rusqlite::types::Value> = vec![
            micros(from).into(),
            micros(to).into(),
            vigil_domain::action::OTHER.to_owned().into(),
        ];
        binds.extend(ids.iter().map(|i| rusqlite::types::Value::Integer(*i)));
        for list in [actions, failures] {
            if list.is_empty() {
                binds.push(rusqlite::types::Value::Null);
            }
            binds.extend(
                list.iter()
                    .map(|s| rusqlite::types::Value::Text((*s).to_owned())),
            );
        }
        let mut rows = st.query(rusqlite::params_from_iter(binds))?;
        while let Some(r) = rows.next()? {
            let s = |i: usize| -> rusqlite::Result<Option<&str>> {
                Ok(r.get_ref(i)?.as_str_or_null()?)
            };
            let raw = match r.get_ref(9)? {
                rusqlite::types::ValueRef::Blob(b) => Some(SafeText::from_bytes(b).into_string()),
                _ => None,
            };
            let actor: Option<i64> = r.get(5)?;
            f(&crate::HostRow {
                host: s(0)?,
                source: sources.get(&r.get::<_, i64>(1)?).map_or("", String::as_str),
                occurred_at: from_micros(r.get(2)?),
                action: s(3)?.unwrap_or_default(),
                outcome: s(4)?
                    .unwrap_or_default()
                    .parse()
                    .unwrap_or(Outcome::Unknown),
                actor: actor.and_then(|a| actors.get(&a)).map(String::as_str),
                client: s(6)?,
                subject: s(7)?,
                detail: s(8)?,
                raw: raw.as_deref(),
            })?;
        }
        Ok(())
    }

    pub(super) fn do_items_of_events(&self, event_ids: &[i64]) -> Result<Vec<(i64, i64)>> {
        if event_ids.is_empty() {
            return Ok(Vec::new());
        }
        let ids: Vec<rusqlite::types::Value> = event_ids
            .iter()
            .map(|e| rusqlite::types::Value::Integer(*e))
            .collect();
        // item_events has no by-event index (migration 2): it is small next
        // to events, and one pass over it answers the whole list.
        let mut st = self.conn.prepare_cached(
            "SELECT event_id, item_id FROM item_events WHERE event_id IN (SELECT value FROM rarray(?1))
             ORDER BY event_id, item_id",
        )?;
        let rows = st.query_map([std::rc::Rc::new(ids)], |r| Ok((r.get(0)?, r.get(1)?)))?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    pub(super) fn do_patient_event_ids(
        &self,
        patient: &str,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> Result<Vec<i64>> {
        let mut st = self.conn.prepare_cached(
            "SELECT pe.event_id FROM patient_events pe JOIN events e ON e.id = pe.event_id
             WHERE pe.patient_key = ?1 AND pe.occurred_at >= ?2 AND pe.occurred_at < ?3 AND e.subject = ?4
             ORDER BY pe.occurred_at, pe.event_id",
        )?;
        let key = super::write::patient_key(patient);
        let rows = st.query_map(params![key, micros(from), micros(to), patient], |r| {
            r.get(0)
        })?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    pub(super) fn do_flagged_events(
        &self,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
        each: &mut dyn FnMut(i64),
    ) -> Result<()> {
        let mut st = self.conn.prepare_cached(crate::FLAGGED_SQL_SQLITE)?;
        for id in st.query_map(params![micros(from), micros(to)], |r| r.get(0))? {
            each(id?);
        }
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
        // (in the time index's order: sorting a day's millions of ids
        // was most of an ingest's peak memory)
        let mut st = self.conn.prepare_cached(
            "SELECT e.id FROM events e WHERE e.occurred_at >= ?1 AND e.occurred_at < ?2 AND e.source_id = ?3",
        )?;
        let rows = st.query_map(params![micros(from), micros(to), source_id], |r| r.get(0))?;
        for id in rows {
            let id: i64 = id?;
            if !flagged(id) {
                each(id);
            }
        }
        Ok(())
    }

    pub(super) fn do_actor_activity(
        &self,
        actor: &str,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> Result<Vec<crate::Activity>> {
        let (from, to) = (micros(from), micros(to));
        let mut runs = self.conn.prepare_cached(
            "SELECT r.times, r.ids FROM actors an JOIN actor_runs r ON r.actor_id = an.id
             WHERE an.name = ?1 AND r.last_at >= ?2 AND r.first_at < ?3",
        )?;
        let mut found: Vec<(i64, i64)> = Vec::new();
        let mut rows = runs.query(params![actor, from, to])?;
        while let Some(r) = rows.next()? {
            let (times, ids): (String, String) = (r.get(0)?, r.get(1)?);
            for (t, id) in super::write::json_ints(&times).zip(super::write::json_ints(&ids)) {
                if t >= from && t < to {
                    found.push((t, id));
                }
            }
        }
        found.sort_unstable();
        let ids: Vec<rusqlite::types::Value> = found
            .iter()
            .map(|(_, id)| rusqlite::types::Value::Integer(*id))
            .collect();
        let mut subjects: HashMap<i64, Option<String>> = HashMap::new();
        let mut st = self
            .conn
            .prepare_cached("SELECT id, subject FROM events WHERE id IN rarray(?1)")?;
        let mut rows = st.query([std::rc::Rc::new(ids)])?;
        while let Some(r) = rows.next()? {
            subjects.insert(r.get(0)?, r.get(1)?);
        }
        // (an id the runs list whose event a prune took is left out)
        Ok(found
            .into_iter()
            .filter_map(|(t, id)| subjects.remove(&id).map(|s| (id, from_micros(t), s)))
            .collect())
    }

    pub(super) fn do_decisions_between(
        &self,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> Result<Vec<crate::DecisionRow>> {
        let mut st = self.conn.prepare_cached(&format!(
            "SELECT {DECISION_COLS} FROM decisions WHERE decided_at >= ?1 AND decided_at < ?2 ORDER BY decided_at, ledger_seq"
        ))?;
        let rows = st.query_map(params![micros(from), micros(to)], decision_row)?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }
}
