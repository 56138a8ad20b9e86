//! SQLite: clinical context (upserted by key with its ingest batch) and the
//! explanation of each patient access.

use super::*;
use vigil_domain::{Encounter, Explained, Explanation};

const CONTEXT_COLS: &str = "key, kind, patient, starts_at, ends_at, department, class, team";
/// An explanation read back with its event's source, time, actor and
/// patient (the row itself holds only what the event does not; schema v10).
const EXPLAINED_COLS: &str = "x.event_id, e.source_id, e.occurred_at, coalesce(a.name, ''), coalesce(e.subject, ''), x.kind, x.encounter, x.note";
const EXPLAINED_FROM: &str =
    "explanations x JOIN events e ON e.id = x.event_id LEFT JOIN actors a ON a.id = e.actor_id";

fn encounter_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<Encounter> {
    let team: String = r.get(7)?;
    Ok(Encounter {
        key: r.get(0)?,
        kind: r.get(1)?,
        patient: r.get(2)?,
        start: from_micros(r.get(3)?),
        end: r.get::<_, Option<i64>>(4)?.map(from_micros),
        department: r.get(5)?,
        class: r.get(6)?,
        team: team
            .split(';')
            .filter(|s| !s.is_empty())
            .map(String::from)
            .collect(),
        raw: Vec::new(),
        offset: 0,
    })
}

fn explained_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<Explained> {
    let kind: String = r.get(5)?;
    Ok(Explained {
        event_id: r.get(0)?,
        source_id: r.get(1)?,
        occurred_at: from_micros(r.get(2)?),
        actor: r.get(3)?,
        patient: r.get(4)?,
        kind: kind.parse().unwrap_or(Explanation::Unexplained),
        encounter: r.get(6)?,
        note: r.get(7)?,
    })
}

/// Writes a batch's context inside the batch's transaction. A later record
/// for a key adds to what is known (an HL7 discharge may carry only the
/// discharge time): the earliest start, and the latest non-empty end,
/// department, class and team.
pub(super) fn write_context(conn: &Connection, b: &Batch, now: i64) -> Result<()> {
    if b.context.is_empty() {
        return Ok(());
    }
    let mut st = conn.prepare_cached(
        "INSERT INTO context (source_id, key, kind, patient, starts_at, ends_at, department, class, team, stream_id, offset, raw, updated_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)
         ON CONFLICT (source_id, key) DO UPDATE SET kind = excluded.kind, patient = excluded.patient,
           starts_at = min(context.starts_at, excluded.starts_at), ends_at = coalesce(excluded.ends_at, context.ends_at),
           department = coalesce(excluded.department, context.department),
           class = coalesce(excluded.class, context.class),
           team = CASE WHEN excluded.team = '' THEN context.team ELSE excluded.team END, stream_id = excluded.stream_id,
           offset = excluded.offset, raw = excluded.raw, updated_at = excluded.updated_at",
    )?;
    for c in &b.context {
        st.execute(params![
            b.source_id,
            c.key,
            c.kind,
            c.patient,
            micros(c.start),
            c.end.map(micros),
            c.department,
            c.class,
            c.team.join(";"),
            b.stream.id,
            c.offset as i64,
            c.raw,
            now
        ])?;
    }
    Ok(())
}

/// Explanations one INSERT writes (6 parameters each, far under SQLite's
/// limit).
const ROWS_PER_INSERT: usize = 64;

impl SqliteStore {
    pub(super) fn do_context(&self, patient: Option<&str>) -> Result<Vec<Encounter>> {
        let which = if patient.is_some() {
            "patient = ?1"
        } else {
            "?1 IS NULL"
        };
        let mut st = self.conn.prepare_cached(&format!(
            "SELECT {CONTEXT_COLS} FROM context WHERE {which} ORDER BY patient, starts_at, key"
        ))?;
        let rows = st.query_map([patient], encounter_row)?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    pub(super) fn do_put_explanations(&mut self, rows: &[Explained]) -> Result<()> {
        if rows.is_empty() {
            return Ok(());
        }
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        // Many rows a statement: a run writes one row per access, and a
        // statement's own cost (step, reset, the conflict check's setup)
        // was most of a row's.
        for chunk in rows.chunks(ROWS_PER_INSERT) {
            let sql = format!(
                "INSERT INTO explanations (event_id, kind, encounter, note, patient, occurred_at) VALUES {}
                 ON CONFLICT (event_id) DO UPDATE SET kind = excluded.kind, encounter = excluded.encounter,
                 note = excluded.note, patient = excluded.patient, occurred_at = excluded.occurred_at",
                vec!["(?, ?, ?, ?, ?, ?)"; chunk.len()].join(", ")
            );
            let mut st = tx.prepare_cached(&sql)?;
            for (i, e) in chunk.iter().enumerate() {
                let at = i * 6;
                // (patient and time only where the by-patient index wants
                // them: the event holds them for every row)
                let unexplained = !e.is_explained();
                st.raw_bind_parameter(at + 1, e.event_id)?;
                st.raw_bind_parameter(at + 2, e.kind.as_str())?;
                st.raw_bind_parameter(at + 3, e.encounter.as_deref())?;
                st.raw_bind_parameter(at + 4, e.note.as_str())?;
                st.raw_bind_parameter(at + 5, unexplained.then_some(e.patient.as_str()))?;
                st.raw_bind_parameter(at + 6, unexplained.then(|| micros(e.occurred_at)))?;
            }
            st.raw_execute()?;
        }
        tx.commit()?;
        Ok(())
    }

    pub(super) fn do_explanations(&self, ids: &[i64]) -> Result<Vec<Explained>> {
        let mut st = self.conn.prepare_cached(&format!(
            "SELECT {EXPLAINED_COLS} FROM {EXPLAINED_FROM} WHERE x.event_id IN rarray(?1) ORDER BY x.event_id"
        ))?;
        let ids: Vec<Value> = ids.iter().map(|i| Value::Integer(*i)).collect();
        let rows = st.query_map([std::rc::Rc::new(ids)], explained_row)?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    pub(super) fn do_unexplained(
        &self,
        patient: Option<&str>,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> Result<Vec<Explained>> {
        // (two statements: the one for a patient uses its index)
        let which = if patient.is_some() {
            "x.patient = ?1"
        } else {
            "?1 IS NULL"
        };
        let mut st = self.conn.prepare_cached(&format!(
            "SELECT {EXPLAINED_COLS} FROM {EXPLAINED_FROM}
             WHERE x.kind = 'unexplained' AND {which} AND x.occurred_at >= ?2 AND x.occurred_at < ?3
             ORDER BY x.occurred_at, x.event_id"
        ))?;
        let rows = st.query_map(params![patient, micros(from), micros(to)], explained_row)?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    pub(super) fn do_recent_explanations(
        &self,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
        limit: usize,
    ) -> Result<Vec<Explained>> {
        let mut st = self.conn.prepare_cached(
            "SELECT x.event_id, e.source_id, e.occurred_at, coalesce(a.name, ''), coalesce(e.subject, ''), x.kind, x.encounter, ''
             FROM events e JOIN explanations x ON x.event_id = e.id LEFT JOIN actors a ON a.id = e.actor_id
             WHERE e.occurred_at >= ?1 AND e.occurred_at < ?2 ORDER BY e.occurred_at DESC LIMIT ?3",
        )?;
        let rows = st.query_map(
            params![micros(from), micros(to), limit as i64],
            explained_row,
        )?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    pub(super) fn do_explanation_counts(
        &self,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> Result<Vec<(String, Explanation, u64)>> {
        let mut st = self.conn.prepare_cached(
            "SELECT s.name, x.kind, count(*) FROM events e JOIN explanations x ON x.event_id = e.id
             JOIN sources s ON s.id = e.source_id
             WHERE e.occurred_at >= ?1 AND e.occurred_at < ?2 GROUP BY s.name, x.kind ORDER BY s.name, x.kind",
        )?;
        let rows = st.query_map(params![micros(from), micros(to)], |r| {
            let kind: String = r.get(1)?;
            Ok((
                r.get(0)?,
                kind.parse().unwrap_or(Explanation::Unexplained),
                r.get::<_, i64>(2)? as u64,
            ))
        })?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }
}
