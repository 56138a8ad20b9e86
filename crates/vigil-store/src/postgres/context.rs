//! PostgreSQL: clinical context (upserted by key with its ingest batch) and
//! the explanation of each patient access.

use super::*;
use vigil_domain::{Encounter, Explained, Explanation};

const EXPLAINED_COLS: &str =
    "event_id, source_id, occurred_at, actor, patient, kind, encounter, note";

fn explained_row(r: &postgres::Row) -> Explained {
    let kind: String = r.get(5);
    Explained {
        event_id: r.get(0),
        source_id: r.get(1),
        occurred_at: from_micros(r.get(2)),
        actor: r.get(3),
        patient: r.get(4),
        kind: kind.parse().unwrap_or(Explanation::Unexplained),
        encounter: r.get(6),
        note: r.get(7),
    }
}

/// Writes a batch's context inside the batch's transaction. A later record
/// for a key adds to what is known (an HL7 discharge may carry only the
/// discharge time): the earliest start, and the latest non-empty end,
/// department, class and team.
pub(super) fn write_context(c: &mut postgres::Client, b: &Batch, now: i64) -> Result<()> {
    if b.context.is_empty() {
        return Ok(());
    }
    let st = c.prepare(
        "INSERT INTO context (source_id, key, kind, patient, starts_at, ends_at, department, class, team, stream_id, \"offset\", raw, updated_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)
         ON CONFLICT (source_id, key) DO UPDATE SET kind = EXCLUDED.kind, patient = EXCLUDED.patient,
           starts_at = LEAST(context.starts_at, EXCLUDED.starts_at), ends_at = COALESCE(EXCLUDED.ends_at, context.ends_at),
           department = COALESCE(EXCLUDED.department, context.department),
           class = COALESCE(EXCLUDED.class, context.class),
           team = CASE WHEN EXCLUDED.team = '' THEN context.team ELSE EXCLUDED.team END, stream_id = EXCLUDED.stream_id,
           \"offset\" = EXCLUDED.\"offset\", raw = EXCLUDED.raw, updated_at = EXCLUDED.updated_at",
    )?;
    for e in &b.context {
        c.execute(
            &st,
            &[
                &b.source_id,
                &e.key,
                &e.kind,
                &e.patient,
                &micros(e.start),
                &e.end.map(micros),
                &e.department,
                &e.class,
                &e.team.join(";"),
                &b.stream.id,
                &(e.offset as i64),
                &e.raw,
                &now,
            ],
        )?;
    }
    Ok(())
}

impl PgStore {
    pub(super) fn do_context(&self, patient: Option<&str>) -> Result<Vec<Encounter>> {
        let which = if patient.is_some() {
            "patient = $1"
        } else {
            "$1::text IS NULL"
        };
        let sql = format!(
            "SELECT key, kind, patient, starts_at, ends_at, department, class, team FROM context WHERE {which} ORDER BY patient, starts_at, key"
        );
        self.read(|c| {
            Ok(c.query(&sql, &[&patient])?
                .iter()
                .map(|r| {
                    let team: String = r.get(7);
                    Encounter {
                        key: r.get(0),
                        kind: r.get(1),
                        patient: r.get(2),
                        start: from_micros(r.get(3)),
                        end: r.get::<_, Option<i64>>(4).map(from_micros),
                        department: r.get(5),
                        class: r.get(6),
                        team: team
                            .split(';')
                            .filter(|s| !s.is_empty())
                            .map(String::from)
                            .collect(),
                        raw: Vec::new(),
                        offset: 0,
                    }
                })
                .collect())
        })
    }

    pub(super) fn do_put_explanations(&mut self, rows: &[Explained]) -> Result<()> {
        if rows.is_empty() {
            return Ok(());
        }
        let ids: Vec<i64> = rows.iter().map(|e| e.event_id).collect();
        let sources: Vec<i64> = rows.iter().map(|e| e.source_id).collect();
        let times: Vec<i64> = rows.iter().map(|e| micros(e.occurred_at)).collect();
        let actors: Vec<&str> = rows.iter().map(|e| e.actor.as_str()).collect();
        let patients: Vec<&str> = rows.iter().map(|e| e.patient.as_str()).collect();
        let kinds: Vec<&str> = rows.iter().map(|e| e.kind.as_str()).collect();
        let encounters: Vec<Option<&str>> = rows.iter().map(|e| e.encounter.as_deref()).collect();
        let notes: Vec<&str> = rows.iter().map(|e| e.note.as_str()).collect();
        self.write(|c| {
            c.execute(
                &format!(
                    "INSERT INTO explanations ({EXPLAINED_COLS})
                     SELECT * FROM unnest($1::bigint[], $2::bigint[], $3::bigint[], $4::text[], $5::text[], $6::text[], $7::text[], $8::text[])
                     ON CONFLICT (event_id, occurred_at) DO UPDATE SET kind = EXCLUDED.kind, encounter = EXCLUDED.encounter, note = EXCLUDED.note"
                ),
                &[&ids, &sources, &times, &actors, &patients, &kinds, &encounters, &notes],
            )?;
            Ok(())
        })
    }

    pub(super) fn do_explanations(&self, ids: &[i64]) -> Result<Vec<Explained>> {
        self.read(|c| {
            Ok(c
                .query(
                    &format!(
                        "SELECT {EXPLAINED_COLS} FROM explanations WHERE event_id = ANY($1) ORDER BY event_id"
                    ),
                    &[&ids],
                )?
                .iter()
                .map(explained_row)
                .collect())
        })
    }

    pub(super) fn do_unexplained(
        &self,
        patient: Option<&str>,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> Result<Vec<Explained>> {
        // (two statements: the one for a patient uses its index)
        let which = if patient.is_some() {
            "patient = $1"
        } else {
            "$1::text IS NULL"
        };
        let sql = format!(
            "SELECT {EXPLAINED_COLS} FROM explanations
             WHERE kind = 'unexplained' AND {which} AND occurred_at >= $2 AND occurred_at < $3
             ORDER BY occurred_at, event_id"
        );
        self.read(|c| {
            Ok(c.query(&sql, &[&patient, &micros(from), &micros(to)])?
                .iter()
                .map(explained_row)
                .collect())
        })
    }

    pub(super) fn do_recent_explanations(
        &self,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
        limit: usize,
    ) -> Result<Vec<Explained>> {
        self.read(|c| {
            Ok(c.query(
                "SELECT x.event_id, x.source_id, x.occurred_at, x.actor, x.patient, x.kind, x.encounter, ''
                 FROM events e JOIN explanations x ON x.event_id = e.id AND x.occurred_at = e.occurred_at
                 WHERE e.occurred_at >= $1 AND e.occurred_at < $2 AND x.occurred_at >= $1 AND x.occurred_at < $2
                 ORDER BY e.occurred_at DESC LIMIT $3",
                &[&micros(from), &micros(to), &(limit as i64)],
            )?
            .iter()
            .map(explained_row)
            .collect())
        })
    }

    pub(super) fn do_explanation_counts(
        &self,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> Result<Vec<(String, Explanation, u64)>> {
        self.read(|c| {
            Ok(c
                .query(
                    "SELECT s.name, x.kind, count(*) FROM events e JOIN explanations x ON x.event_id = e.id AND x.occurred_at = e.occurred_at
                     JOIN sources s ON s.id = e.source_id
                     WHERE e.occurred_at >= $1 AND e.occurred_at < $2 AND x.occurred_at >= $1 AND x.occurred_at < $2 GROUP BY s.name, x.kind ORDER BY s.name, x.kind",
                    &[&micros(from), &micros(to)],
                )?
                .iter()
                .map(|r| {
                    let kind: String = r.get(1);
                    (
                        r.get(0),
                        kind.parse().unwrap_or(Explanation::Unexplained),
                        r.get::<_, i64>(2) as u64,
                    )
                })
                .collect())
        })
    }
}
