//! PostgreSQL: Writing a parsed batch (events, the checkpoint, quarantine and gaps in one transaction) and the rules' items.

use super::*;

impl PgStore {
    /// Ids of the actor names, interning new ones, in the open transaction.
    pub(super) fn intern_actors(&mut self, names: &[&str]) -> Result<()> {
        let mut missing: Vec<String> = names
            .iter()
            .filter(|n| !self.actor_ids.contains_key(**n))
            .map(|n| (*n).to_owned())
            .collect();
        if missing.is_empty() {
            return Ok(());
        }
        missing.sort_unstable();
        missing.dedup();
        let mut c = self.conn.borrow_mut();
        for r in c.query(
            "SELECT id, name FROM actors WHERE name = ANY($1)",
            &[&missing],
        )? {
            self.actor_ids.insert(r.get(1), r.get(0));
        }
        missing.retain(|n| !self.actor_ids.contains_key(n));
        if missing.is_empty() {
            return Ok(());
        }
        c.execute(
            "INSERT INTO actors (name) SELECT unnest($1::text[]) ORDER BY 1 ON CONFLICT (name) DO NOTHING",
            &[&missing],
        )?;
        for r in c.query(
            "SELECT id, name FROM actors WHERE name = ANY($1)",
            &[&missing],
        )? {
            self.actor_ids.insert(r.get(1), r.get(0));
        }
        Ok(())
    }

    pub(super) fn do_write_batch_rows(&mut self, b: &Batch, commit: bool) -> Result<BatchOutcome> {
        let mut out = BatchOutcome::default();
        let now = micros(Utc::now());
        let names: Vec<&str> = b
            .events
            .iter()
            .filter_map(|e| e.actor.as_ref().map(SafeText::as_str))
            .collect();
        self.intern_actors(&names)?;
        let mut c = self.conn.borrow_mut();
        let patients = match self.patient_sources.get(&b.source_id) {
            Some(p) => *p,
            None => {
                let kind: String = c
                    .query_one("SELECT kind FROM sources WHERE id = $1", &[&b.source_id])?
                    .get(0);
                let p = vigil_domain::is_patient_record_kind(&kind);
                self.patient_sources.insert(b.source_id, p);
                p
            }
        };
        if !b.events.is_empty() {
            partitions::ensure_days(&mut self.partitions, &mut c, b)?;
            let n = b.events.len() as i64;
            // Ids from this connection's blocks of the sequence; new blocks
            // (one nextval per ID_BLOCK ids) only when they run out: a round
            // trip every few batches, and ids in order within a session.
            let have: i64 = self.id_pool.iter().map(|r| r.end - r.start).sum();
            if have < n {
                let blocks = ((n - have) as u64).div_ceil(ID_BLOCK as u64) as i64;
                for r in c.query(
                    "SELECT nextval('events_id_seq') FROM generate_series(1, $1::bigint)",
                    &[&blocks],
                )? {
                    let start: i64 = r.get(0);
                    match self.id_pool.back_mut() {
                        Some(last) if last.end == start => last.end += ID_BLOCK,
                        _ => self.id_pool.push_back(start..start + ID_BLOCK),
                    }
                }
            }
            let mut ids: Vec<i64> = Vec::with_capacity(n as usize);
            while ids.len() < n as usize {
                let Some(r) = self.id_pool.front_mut() else {
                    bail!("the event id sequence handed out too few ids");
                };
                let take = (n as usize - ids.len()).min((r.end - r.start) as usize) as i64;
                ids.extend(r.start..r.start + take);
                r.start += take;
                if r.start == r.end {
                    self.id_pool.pop_front();
                }
            }
            let sink = c.copy_in(
                "COPY events (id, source_id, stream_id, \"offset\", seq, occurred_at, time_basis, host, program, actor_id, subject, action, outcome, client, detail, raw) FROM STDIN (FORMAT binary)",
            )?;
            let types = [
                Type::INT8,
                Type::INT8,
                Type::INT8,
                Type::INT8,
                Type::INT8,
                Type::INT8,
                Type::INT8,
                Type::TEXT,
                Type::TEXT,
                Type::INT8,
                Type::TEXT,
                Type::TEXT,
                Type::TEXT,
                Type::TEXT,
                Type::TEXT,
                Type::BYTEA,
            ];
            let mut w = BinaryCopyInWriter::new(sink, &types);
            for (e, id) in b.events.iter().zip(&ids) {
                let actor = e
                    .actor
                    .as_ref()
                    .and_then(|a| self.actor_ids.get(a.as_str()).copied());
                let at = micros(e.occurred_at);
                *self
                    .day_counts
                    .entry((partitions::day_of(at), b.source_id))
                    .or_default() += 1;
                let offset = e.offset as i64;
                let seq = i64::from(e.seq);
                w.write(&[
                    id,
                    &b.source_id,
                    &b.stream.id,
                    &offset,
                    &seq,
                    &at,
                    &e.time_basis.to_bits(),
                    &e.host.as_ref().map(SafeText::as_str),
                    &e.program.as_ref().map(SafeText::as_str),
                    &actor,
                    &e.subject.as_ref().map(SafeText::as_str),
                    &e.action.as_str(),
                    &e.outcome.as_str(),
                    &e.client.as_ref().map(SafeText::as_str),
                    &e.detail.as_ref().map(SafeText::as_str),
                    &e.raw,
                ])?;
                if let Some(a) = actor {
                    self.actor_rows.push((a, at, *id));
                }
                if patients && let Some(s) = &e.subject {
                    self.patient_rows.push((s.as_str().to_owned(), at, *id));
                }
            }
            w.finish()?;
            out.events = ids.len() as u64;
            out.ids = ids;
        }
        for r in &b.quarantined {
            c.execute(
                "INSERT INTO quarantine (source_id, stream_id, \"offset\", reason, raw, recorded_at) VALUES ($1, $2, $3, $4, $5, $6)",
                &[
                    &b.source_id,
                    &b.stream.id,
                    &r.offset.map(|o| o as i64),
                    &r.reason,
                    &r.raw,
                    &now,
                ],
            )?;
            out.quarantined += 1;
        }
        super::context::write_context(&mut c, b, now)?;
        for gap in &b.gaps {
            c.execute(
                "INSERT INTO gaps (source_id, stream_id, detected_at, \"offset\", reason) VALUES ($1, $2, $3, $4, $5)",
                &[
                    &b.source_id,
                    &gap.stream_id,
                    &now,
                    &gap.offset.map(|o| o as i64),
                    &gap.reason,
                ],
            )?;
        }
        if !commit {
            self.ingest_events += out.events as i64;
            return Ok(out);
        }
        if !self.actor_rows.is_empty() {
            // One row per actor's run of events in this commit (at most
            // RUN events each), not one per event: the by-actor index costs
            // a few thousand rows per commit instead of a row per event.
            self.actor_rows.sort_unstable();
            let sink = c.copy_in(
                "COPY actor_runs (actor_id, first_at, last_at, times, ids) FROM STDIN (FORMAT binary)",
            )?;
            let mut w = BinaryCopyInWriter::new(
                sink,
                &[
                    Type::INT8,
                    Type::INT8,
                    Type::INT8,
                    Type::INT8_ARRAY,
                    Type::INT8_ARRAY,
                ],
            );
            for run in self
                .actor_rows
                // (a run never spans two days, so a prune, which drops
                // whole days, never cuts one)
                .chunk_by(|a, b| a.0 == b.0 && partitions::day_of(a.1) == partitions::day_of(b.1))
                .flat_map(|r| r.chunks(RUN))
            {
                let times: Vec<i64> = run.iter().map(|r| r.1).collect();
                let ids: Vec<i64> = run.iter().map(|r| r.2).collect();
                let (first, last) = (times[0], times[times.len() - 1]);
                w.write(&[&run[0].0, &first, &last, &times, &ids])?;
            }
            w.finish()?;
            self.actor_rows.clear();
        }
        if !self.patient_rows.is_empty() {
            let sink = c.copy_in(
                "COPY patient_events (patient, occurred_at, event_id) FROM STDIN (FORMAT binary)",
            )?;
            let mut w = BinaryCopyInWriter::new(sink, &[Type::TEXT, Type::INT8, Type::INT8]);
            for (p, t, id) in self.patient_rows.drain(..) {
                w.write(&[&p, &t, &id])?;
            }
            w.finish()?;
        }
        partitions::flush_day_counts(&mut self.day_counts, &mut c)?;
        c.execute(
            "UPDATE sources SET events = events + $1 WHERE id = $2",
            &[&(self.ingest_events + out.events as i64), &b.source_id],
        )?;
        self.ingest_events = 0;
        let s = &b.stream;
        let updated = c.execute(
            "UPDATE streams SET path = $1, dev = $2, inode = $3, head_len = $4, head_hash = $5, \"offset\" = $6, records = $7, parser_state = $8, status = $9, updated_at = $10 WHERE id = $11 AND \"offset\" = $12",
            &[
                &s.path,
                &s.dev.map(|v| v as i64),
                &s.inode.map(|v| v as i64),
                &(s.head_len as i64),
                &s.head_hash,
                &(s.offset as i64),
                &(s.records as i64),
                &s.parser_state,
                &s.status,
                &now,
                &s.id,
                &(b.since as i64),
            ],
        )?;
        if updated != 1 {
            return Err(CheckpointMoved { stream_id: s.id }.into());
        }
        c.batch_execute("COMMIT")?;
        Ok(out)
    }

    /// See `SqliteStore::put_items`.
    pub(super) fn do_put_items(&mut self, items: &[NewItem], replace: bool) -> Result<Vec<i64>> {
        let now = micros(Utc::now());
        self.write(|c| {
            let mut tx = c.transaction()?;
            // Set-wise, a few round trips whatever the count: which keys
            // exist, ids for the new items, then one insert per table.
            let keys: Vec<&str> = items.iter().filter_map(|i| i.group_key.as_deref()).collect();
            let mut by_key: HashMap<String, i64> = tx
                .query("SELECT group_key, id FROM items WHERE group_key = ANY($1)", &[&keys])?
                .iter()
                .map(|r| (r.get(0), r.get(1)))
                .collect();
            let fresh = items
                .iter()
                .filter(|i| i.group_key.as_ref().is_none_or(|k| !by_key.contains_key(k)))
                .count() as i64;
            let mut new_ids = tx
                .query(
                    "SELECT nextval(pg_get_serial_sequence('items', 'id')) FROM generate_series(1, $1::bigint)",
                    &[&fresh],
                )?
                .iter()
                .map(|r| r.get::<_, i64>(0))
                .collect::<Vec<_>>()
                .into_iter();
            let mut ids = Vec::with_capacity(items.len());
            let mut inserted: Vec<(i64, &NewItem)> = Vec::new();
            // existing id -> (highest severity, latest title, highest score and its note)
            let mut bumped: HashMap<i64, (i64, &str, i64, Option<&str>)> = HashMap::new();
            // existing id -> the item that replaces what it shows
            let mut replaced: HashMap<i64, &NewItem> = HashMap::new();
            let mut rules: (Vec<i64>, Vec<&str>, Vec<&str>) = Default::default();
            let mut links: (Vec<i64>, Vec<i64>) = Default::default();
            for it in items {
                let known = it.group_key.as_ref().and_then(|k| by_key.get(k).copied());
                let id = match known {
                    Some(id) if replace => {
                        replaced.insert(id, it);
                        id
                    }
                    Some(id) => {
                        let score = it.stored_score();
                        let note = it.score_note.as_deref();
                        let e = bumped.entry(id).or_insert((it.severity.rank(), &it.title, score, note));
                        let (s, n) = if score >= e.2 { (score, note) } else { (e.2, e.3) };
                        *e = (e.0.max(it.severity.rank()), &it.title, s, n);
                        id
                    }
                    None => {
                        let id = new_ids.next().ok_or_else(|| color_eyre::eyre::eyre!("item ids ran out"))?;
                        if let Some(k) = &it.group_key {
                            by_key.insert(k.clone(), id);
                        }
                        inserted.push((id, it));
                        id
                    }
                };
                for (r, reason) in &it.rules {
                    rules.0.push(id);
                    rules.1.push(r);
                    rules.2.push(reason);
                }
                for e in &it.event_ids {
                    links.0.push(id);
                    links.1.push(*e);
                }
                ids.push(id);
            }
            if !inserted.is_empty() {
                let col = |f: &dyn Fn(&NewItem) -> Option<String>| -> Vec<Option<String>> {
                    inserted.iter().map(|(_, i)| f(i)).collect()
                };
                let item_ids: Vec<i64> = inserted.iter().map(|(id, _)| *id).collect();
                let kinds = col(&|i| Some(i.kind.as_str().to_owned()));
                let sources: Vec<Option<i64>> = inserted.iter().map(|(_, i)| i.source_id).collect();
                let times: Vec<i64> = inserted.iter().map(|(_, i)| micros(i.occurred_at)).collect();
                let actors = col(&|i| i.actor.clone());
                let subjects = col(&|i| i.subject.clone());
                let titles = col(&|i| Some(i.title.clone()));
                let sevs: Vec<i64> = inserted.iter().map(|(_, i)| i.severity.rank()).collect();
                let keys = col(&|i| i.group_key.clone());
                let scores: Vec<i64> = inserted.iter().map(|(_, i)| i.stored_score()).collect();
                let notes = col(&|i| i.score_note.clone());
                tx.execute(
                    "INSERT INTO items (id, kind, source_id, occurred_at, actor, subject, title, severity, group_key, score, score_note, created_at, updated_at)
                     SELECT v.*, $12, $12 FROM unnest($1::bigint[], $2::text[], $3::bigint[], $4::bigint[], $5::text[], $6::text[], $7::text[], $8::bigint[], $9::text[], $10::bigint[], $11::text[]) AS v",
                    &[&item_ids, &kinds, &sources, &times, &actors, &subjects, &titles, &sevs, &keys, &scores, &notes, &now],
                )?;
            }
            if !bumped.is_empty() {
                let mut ids_b = Vec::new();
                let (mut sevs, mut titles, mut scores, mut notes) = (Vec::new(), Vec::new(), Vec::new(), Vec::new());
                for (id, (sev, title, score, note)) in bumped {
                    ids_b.push(id);
                    sevs.push(sev);
                    titles.push(title);
                    scores.push(score);
                    notes.push(note);
                }
                tx.execute(
                    "UPDATE items SET severity = GREATEST(items.severity, v.sev), title = v.title, updated_at = $4,
                       score_note = CASE WHEN v.score >= items.score THEN v.note ELSE items.score_note END,
                       score = GREATEST(items.score, v.score)
                     FROM unnest($1::bigint[], $2::bigint[], $3::text[], $5::bigint[], $6::text[]) AS v(id, sev, title, score, note) WHERE items.id = v.id",
                    &[&ids_b, &sevs, &titles, &now, &scores, &notes],
                )?;
            }
            for (id, it) in &replaced {
                tx.execute(
                    "UPDATE items SET severity = $2, title = $3, actor = $4, subject = $5, updated_at = $6, version = version + 1, score = $7, score_note = $8 WHERE id = $1",
                    &[id, &it.severity.rank(), &it.title, &it.actor, &it.subject, &now, &it.stored_score(), &it.score_note],
                )?;
                let names: Vec<&str> = it.rules.iter().map(|(r, _)| r.as_str()).collect();
                tx.execute(
                    "DELETE FROM item_rules WHERE item_id = $1 AND rule = ANY($2)",
                    &[id, &names],
                )?;
            }
            // Links go in as arrays: a burst links thousands of events.
            tx.execute(
                "INSERT INTO item_rules (item_id, rule, reason) SELECT * FROM unnest($1::bigint[], $2::text[], $3::text[]) ON CONFLICT DO NOTHING",
                &[&rules.0, &rules.1, &rules.2],
            )?;
            tx.execute(
                "INSERT INTO item_events (item_id, event_id) SELECT * FROM unnest($1::bigint[], $2::bigint[]) ON CONFLICT DO NOTHING",
                &[&links.0, &links.1],
            )?;
            tx.commit()?;
            Ok(ids)
        })
    }
}
