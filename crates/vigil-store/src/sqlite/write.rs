//! SQLite: Writing a parsed batch (events, the checkpoint, quarantine and gaps in one transaction) and the rules' items.

use super::*;

/// Events per row of `actor_runs`.
pub(super) const RUN: usize = 1_000;

impl SqliteStore {
    pub(super) fn do_write_batch_rows(&mut self, b: &Batch, commit: bool) -> Result<BatchOutcome> {
        let tx = &self.conn;
        let actors = &mut self.actor_ids;
        let actor_rows = &mut self.actor_rows;
        let ingest_events = &mut self.ingest_events;
        let patients = match self.patient_sources.get(&b.source_id) {
            Some(p) => *p,
            None => {
                let kind: String = tx
                    .prepare_cached("SELECT kind FROM sources WHERE id = ?1")?
                    .query_row([b.source_id], |r| r.get(0))?;
                let p = vigil_domain::is_patient_record_kind(&kind);
                self.patient_sources.insert(b.source_id, p);
                p
            }
        };
        let patient_rows = &mut self.patient_rows;
        let mut out = BatchOutcome::default();
        let now = micros(Utc::now());
        // (bound in place: see `bound`; prepared once a batch)
        let mut ins = super::bound::BoundInsert::prepare(
            tx,
            "INSERT INTO events (source_id, stream_id, offset, seq, occurred_at, time_basis, host, program, actor_id, subject, action, outcome, client, detail, raw)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15)",
        )?;
        for e in &b.events {
            use super::bound::Bind;
            let actor = match &e.actor {
                Some(a) => Some(intern_actor(tx, actors, a.as_str())?),
                None => None,
            };
            let n = ins.insert(&[
                Bind::Int(b.source_id),
                Bind::Int(b.stream.id),
                Bind::Int(e.offset as i64),
                Bind::Int(i64::from(e.seq)),
                Bind::Int(micros(e.occurred_at)),
                Bind::Int(e.time_basis.to_bits()),
                Bind::text(&e.host),
                Bind::text(&e.program),
                Bind::OptInt(actor),
                Bind::text(&e.subject),
                Bind::Text(Some(e.action.as_str())),
                Bind::Text(Some(e.outcome.as_str())),
                Bind::text(&e.client),
                Bind::text(&e.detail),
                Bind::Blob(&e.raw),
            ])?;
            if n == 1 {
                out.events += 1;
                let id = tx.last_insert_rowid();
                out.ids.push(id);
                if let Some(a) = actor {
                    actor_rows.push((a, micros(e.occurred_at), id));
                }
                if patients && let Some(s) = &e.subject {
                    patient_rows.push((patient_key(s.as_str()), micros(e.occurred_at), id));
                }
            } else {
                out.duplicates += 1;
            }
        }
        let mut q = tx.prepare_cached(
            "INSERT INTO quarantine (source_id, stream_id, offset, reason, raw, recorded_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        )?;
        for r in &b.quarantined {
            q.execute(params![
                b.source_id,
                b.stream.id,
                r.offset.map(|o| o as i64),
                r.reason,
                r.raw,
                now
            ])?;
            out.quarantined += 1;
        }
        super::context::write_context(tx, b, now)?;
        let mut g = tx.prepare_cached(
            "INSERT INTO gaps (source_id, stream_id, detected_at, offset, reason) VALUES (?1, ?2, ?3, ?4, ?5)",
        )?;
        for gap in &b.gaps {
            g.execute(params![
                b.source_id,
                gap.stream_id,
                now,
                gap.offset.map(|o| o as i64),
                gap.reason
            ])?;
        }
        if commit {
            actor_rows.sort_unstable();
            let mut ins = tx.prepare_cached(
                "INSERT INTO actor_runs (actor_id, first_at, last_at, times, ids) VALUES (?1, ?2, ?3, ?4, ?5)",
            )?;
            let (mut times, mut ids) = (String::new(), String::new());
            for run in actor_rows
                .chunk_by(|a, b| a.0 == b.0)
                .flat_map(|r| r.chunks(RUN))
            {
                json_array(&mut times, run.iter().map(|r| r.1));
                json_array(&mut ids, run.iter().map(|r| r.2));
                ins.execute(params![
                    run[0].0,
                    run[0].1,
                    run[run.len() - 1].1,
                    times,
                    ids
                ])?;
            }
            actor_rows.clear();
            patient_rows.sort_unstable();
            index_by_patient(tx, patient_rows)?;
            patient_rows.clear();
            tx.execute(
                "UPDATE sources SET events = events + ?1 WHERE id = ?2",
                params![*ingest_events + out.events as i64, b.source_id],
            )?;
            *ingest_events = 0;
            let s = &b.stream;
            let updated = tx.execute(
                "UPDATE streams SET path = ?1, dev = ?2, inode = ?3, head_len = ?4, head_hash = ?5, offset = ?6, records = ?7, parser_state = ?8, status = ?9, updated_at = ?10 WHERE id = ?11 AND offset = ?12",
                params![
                    s.path,
                    s.dev.map(|v| v as i64),
                    s.inode.map(|v| v as i64),
                    s.head_len as i64,
                    s.head_hash,
                    s.offset as i64,
                    s.records as i64,
                    s.parser_state,
                    s.status,
                    now,
                    s.id,
                    b.since as i64
                ],
            )?;
            if updated != 1 {
                return Err(CheckpointMoved { stream_id: s.id }.into());
            }
            tx.execute_batch("COMMIT")?;
        } else {
            *ingest_events += out.events as i64;
        }
        Ok(out)
    }

    /// Adds items, or for a key already stored: raises its severity and
    /// adds to its reasons and events, or with `replace` (a ticket's latest
    /// state) takes the new title, severity, actor, subject and reasons.
    pub(super) fn do_put_items(
        &mut self,
        items: &[crate::NewItem],
        replace: bool,
    ) -> Result<Vec<i64>> {
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        let now = micros(Utc::now());
        let mut ids = Vec::with_capacity(items.len());
        {
            let mut find = tx.prepare_cached("SELECT id FROM items WHERE group_key = ?1")?;
            let mut ins = tx.prepare_cached(
                "INSERT INTO items (kind, source_id, occurred_at, actor, subject, title, severity, group_key, created_at, updated_at, score, score_note) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?9, ?10, ?11)",
            )?;
            let mut bump = tx.prepare_cached(
                "UPDATE items SET severity = max(severity, ?1), title = ?2, updated_at = ?3,
                   score_note = CASE WHEN ?5 >= score THEN ?6 ELSE score_note END, score = max(score, ?5) WHERE id = ?4",
            )?;
            let mut replace_item = tx.prepare_cached(
                "UPDATE items SET severity = ?1, title = ?2, updated_at = ?3, actor = ?5, subject = ?6, version = version + 1, score = ?7, score_note = ?8 WHERE id = ?4",
            )?;
            let mut drop_rule =
                tx.prepare_cached("DELETE FROM item_rules WHERE item_id = ?1 AND rule = ?2")?;
            let mut rule = tx.prepare_cached(
                "INSERT OR IGNORE INTO item_rules (item_id, rule, reason) VALUES (?1, ?2, ?3)",
            )?;
            // A burst links hundreds of events: they go in as one list.
            let mut ev = tx.prepare_cached(
                "INSERT OR IGNORE INTO item_events (item_id, event_id) SELECT ?1, value FROM rarray(?2)",
            )?;
            for it in items {
                let existing: Option<i64> = match &it.group_key {
                    Some(k) => find.query_row([k], |r| r.get(0)).optional()?,
                    None => None,
                };
                let id = match existing {
                    Some(id) if replace => {
                        replace_item.execute(params![
                            it.severity.rank(),
                            it.title,
                            now,
                            id,
                            it.actor,
                            it.subject,
                            it.stored_score(),
                            it.score_note
                        ])?;
                        for (r, _) in &it.rules {
                            drop_rule.execute(params![id, r])?;
                        }
                        id
                    }
                    Some(id) => {
                        bump.execute(params![
                            it.severity.rank(),
                            it.title,
                            now,
                            id,
                            it.stored_score(),
                            it.score_note
                        ])?;
                        id
                    }
                    None => {
                        ins.execute(params![
                            it.kind.as_str(),
                            it.source_id,
                            micros(it.occurred_at),
                            it.actor,
                            it.subject,
                            it.title,
                            it.severity.rank(),
                            it.group_key,
                            now,
                            it.stored_score(),
                            it.score_note
                        ])?;
                        tx.last_insert_rowid()
                    }
                };
                for (r, reason) in &it.rules {
                    rule.execute(params![id, r, reason])?;
                }
                if !it.event_ids.is_empty() {
                    let ids: Vec<rusqlite::types::Value> = it
                        .event_ids
                        .iter()
                        .map(|e| rusqlite::types::Value::Integer(*e))
                        .collect();
                    ev.execute(params![id, std::rc::Rc::new(ids)])?;
                }
                ids.push(id);
            }
        }
        tx.commit()?;
        Ok(ids)
    }
}

/// Rows one statement adds to `patient_events`: a commit adds a row per
/// access, and stepping a statement costs SQLite more than such a row.
const PATIENT_ROWS_PER_INSERT: usize = 64;

/// Adds a commit's `(patient_key, occurred_at, event_id)` rows, in key
/// order, so each index page is visited once.
fn index_by_patient(tx: &Connection, rows: &[(i64, i64, i64)]) -> Result<()> {
    use super::bound::{Bind, BoundInsert};
    const INSERT: &str =
        "INSERT OR IGNORE INTO patient_events (patient_key, occurred_at, event_id) VALUES ";
    let mut chunks = rows.chunks_exact(PATIENT_ROWS_PER_INSERT);
    if rows.len() >= PATIENT_ROWS_PER_INSERT {
        let values = vec!["(?, ?, ?)"; PATIENT_ROWS_PER_INSERT].join(", ");
        let mut ins = BoundInsert::prepare(tx, &format!("{INSERT}{values}"))?;
        let mut binds = Vec::with_capacity(3 * PATIENT_ROWS_PER_INSERT);
        for chunk in &mut chunks {
            binds.clear();
            for &(p, t, id) in chunk {
                binds.extend([Bind::Int(p), Bind::Int(t), Bind::Int(id)]);
            }
            ins.insert(&binds)?;
        }
    }
    let mut one = tx.prepare_cached(&format!("{INSERT}(?1, ?2, ?3)"))?;
    for &(p, t, id) in chunks.remainder() {
        one.execute(params![p, t, id])?;
    }
    Ok(())
}

/// The key `patient_events` files a patient's MRN under: 64-bit FNV-1a of
/// its UTF-8 bytes. Stored, so it must never change; a read checks the
/// event's subject, so a collision costs a row read, not a wrong answer.
pub(super) fn patient_key(mrn: &str) -> i64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in mrn.bytes() {
        h = (h ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01b3);
    }
    h as i64
}

/// `vigil_patient_key(text)`, for the migration that rekeyed `patient_events`.
pub(super) fn register_patient_key(conn: &Connection) -> rusqlite::Result<()> {
    use rusqlite::functions::FunctionFlags;
    conn.create_scalar_function(
        "vigil_patient_key",
        1,
        FunctionFlags::SQLITE_UTF8 | FunctionFlags::SQLITE_DETERMINISTIC,
        |ctx| Ok(patient_key(&ctx.get::<String>(0)?)),
    )
}

/// The id of an actor name, adding it on first sight.
pub(super) fn intern_actor(
    conn: &Connection,
    cache: &mut super::ActorIds,
    name: &str,
) -> Result<i64> {
    if let Some(id) = cache.get(name) {
        return Ok(*id);
    }
    let id = match conn
        .prepare_cached("SELECT id FROM actors WHERE name = ?1")?
        .query_row([name], |r| r.get(0))
        .optional()?
    {
        Some(id) => id,
        None => {
            conn.prepare_cached("INSERT INTO actors (name) VALUES (?1)")?
                .execute([name])?;
            conn.last_insert_rowid()
        }
    };
    cache.insert(name.to_owned(), id);
    Ok(id)
}

/// `[1,2,3]`, into `out`.
pub(super) fn json_array(out: &mut String, values: impl Iterator<Item = i64>) {
    use std::fmt::Write;
    out.clear();
    out.push('[');
    for (i, v) in values.enumerate() {
        if i > 0 {
            out.push(',');
        }
        let _ = write!(out, "{v}");
    }
    out.push(']');
}

/// The integers of a JSON array of integers as `actor_runs` holds them.
pub(super) fn json_ints(s: &str) -> impl Iterator<Item = i64> + '_ {
    s.trim_matches(|c| c == '[' || c == ']')
        .split(',')
        .filter_map(|v| v.trim().parse().ok())
}
