//! The SQLite store: one file on one host, in WAL mode. Review state is written
//! with `synchronous=FULL`; ingest batches use `NORMAL` (a batch and its
//! checkpoint commit together, so nothing can double).

mod bound;
mod context;
mod fs;
mod knowledge;
mod reads;
mod status;
mod write;

pub use fs::network_fs_name;

use std::collections::HashMap;
use std::fs::OpenOptions;
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt};
use std::path::{Path, PathBuf};
use std::time::Duration;

use chrono::{DateTime, Utc};
use color_eyre::eyre::{Result, WrapErr, bail, eyre};
use rusqlite::config::DbConfig;
use rusqlite::types::Value;
use rusqlite::{Connection, OptionalExtension, TransactionBehavior, params, params_from_iter};

use super::checkpointer::Checkpointer;
use super::ledger::{LedgerEntry, NewLedgerEntry, walk};
use super::sqlite_review::{
    DECISION_COLS, INCIDENT_COLS, LEDGER_COLS, SANCTION_COLS, SqliteReviewTx, append_ledger,
    decision_row, from_micros, incident_links, incident_row, ledger_row, micros, sanction_row,
};
use super::{
    Batch, BatchOutcome, CheckpointMoved, Gap, GapRow, ItemReview, MigrationReport, QuarantineRow,
    SourceId, SourceStatus, Store, Stream, Verification,
};
use vigil_domain::query::{Dialect, Param, Query, Target};
use vigil_domain::{
    Disposition, Event, Item, ItemKind, ItemRule, Outcome, SafeText, Severity, Status, TimeBasis,
};

/// Page cache while ingesting: big enough to hold the pages a large
/// transaction dirties, so SQLite never spills them mid-transaction.
const INGEST_CACHE_KIB: u32 = 16 * 1024;

/// Schema migrations, in order; `PRAGMA user_version` is the last applied.
const MIGRATIONS: &[&str] = &[
    include_str!("migrations/sqlite/0001_init.sql"),
    include_str!("migrations/sqlite/0002_no_event_to_item_index.sql"),
    include_str!("migrations/sqlite/0003_risk_register.sql"),
    include_str!("migrations/sqlite/0004_ledger_seal.sql"),
    include_str!("migrations/sqlite/0005_context.sql"),
    include_str!("migrations/sqlite/0006_patient_events.sql"),
    include_str!("migrations/sqlite/0007_time_source_index.sql"),
    include_str!("migrations/sqlite/0008_locations.sql"),
    include_str!("migrations/sqlite/0009_explanations_by_event.sql"),
    include_str!("migrations/sqlite/0010_lean_explanations.sql"),
    include_str!("migrations/sqlite/0011_actor_runs.sql"),
    include_str!("migrations/sqlite/0012_patient_keys.sql"),
];

/// Actor name -> id (a fast hash: ingest asks once per event).
type ActorIds = HashMap<String, i64, foldhash::fast::RandomState>;

pub struct SqliteStore {
    conn: Connection,
    path: PathBuf,
    /// An ingest transaction spans several `write_batch` calls.
    ingest_open: bool,
    /// Actor name -> id, for names this connection has interned or seen.
    actor_ids: ActorIds,
    /// (actor, time, event) rows of the open ingest, written as runs into `actor_runs`.
    actor_rows: Vec<(i64, i64, i64)>,
    /// Per source id: whether its subjects are patients (`patient_events`).
    patient_sources: HashMap<i64, bool>,
    /// (patient key, time, event) rows of the open ingest, sorted into `patient_events`.
    patient_rows: Vec<(i64, i64, i64)>,
    /// Events inserted by the open ingest transaction.
    ingest_events: i64,
    /// Copies committed WAL pages into the database while ingest goes on.
    checkpointer: Option<Checkpointer>,
    /// The WAL length past which an ingest commit starts it over.
    wal_restart_bytes: i64,
}

impl std::fmt::Debug for SqliteStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SqliteStore")
            .field("path", &self.path)
            .finish()
    }
}

fn opt_text(s: Option<String>) -> Option<SafeText> {
    s.map(|s| SafeText::new(&s))
}

fn to_values(params: &[Param]) -> Vec<Value> {
    params
        .iter()
        .map(|p| match p {
            Param::Text(s) => Value::Text(s.clone()),
            Param::Int(i) => Value::Integer(*i),
        })
        .collect()
}

impl Drop for SqliteStore {
    fn drop(&mut self) {
        if self.checkpointer.take().is_some() {
            // Leave a short WAL behind for the next reader.
            let _ = self
                .conn
                .query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |_| Ok(()));
        }
    }
}

/// SQLite's write-ahead log beside the store: it holds recent rows too.
fn wal_path(path: &Path) -> PathBuf {
    let mut p = path.as_os_str().to_owned();
    p.push("-wal");
    PathBuf::from(p)
}

impl SqliteStore {
    /// Opens (creating if needed) the store file, refusing one that others
    /// could read or write. Does not migrate.
    pub fn open(path: &Path) -> Result<SqliteStore> {
        let dir = match path.parent() {
            Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
            _ => PathBuf::from("."),
        };
        if !dir.exists() {
            std::fs::DirBuilder::new()
                .recursive(true)
                .mode(0o700)
                .create(&dir)
                .wrap_err_with(|| format!("cannot create the store directory {}", dir.display()))?;
        }
        if let Some(fs) = network_fs_name(&dir) {
            bail!(
                "refusing to keep the store {} on a {fs} filesystem: SQLite's locking is not reliable there and decisions could be lost. Put it on a local disk, or use a PostgreSQL store for a shared one",
                path.display()
            );
        }
        if path.exists() {
            // The store holds ePHI and the ledger: as private as a key file.
            for p in [path.to_path_buf(), wal_path(path)] {
                if p.exists() {
                    vigil_domain::perms::check_private(&p, "store").map_err(|m| eyre!(m))?;
                }
            }
        } else {
            // The store holds ePHI: only its owner may read it.
            OpenOptions::new()
                .write(true)
                .create_new(true)
                .mode(0o600)
                .open(path)
                .wrap_err_with(|| format!("cannot create the store {}", path.display()))?;
        }
        let conn = Connection::open(path)
            .wrap_err_with(|| format!("cannot open the store {}", path.display()))?;
        conn.busy_timeout(Duration::from_secs(10))?;
        // Ingest, the rules and the screens each keep a dozen statements
        // cached; the default 16 would have them push each other out.
        conn.set_prepared_statement_cache_capacity(64);
        // Plans that do not depend on bound values: else SQLite prepares a
        // cached statement again whenever an `=` parameter takes a new value.
        conn.set_db_config(DbConfig::SQLITE_DBCONFIG_ENABLE_QPSG, true)?;
        // Larger pages mean fewer splits in the event table and its indexes
        // and fewer WAL frames per row: ingest on a million-line log took
        // 1.95 s at 8 KiB pages and 1.7 s at 32 KiB. 64 KiB gained little
        // more and doubles what a one-row review commit writes. This only
        // takes effect on a new, empty database.
        conn.execute_batch("PRAGMA page_size = 32768")?;
        let mode: String = conn.query_row("PRAGMA journal_mode = WAL", [], |r| r.get(0))?;
        if !mode.eq_ignore_ascii_case("wal") {
            bail!(
                "the store {} cannot use write-ahead logging (journal mode {mode})",
                path.display()
            );
        }
        conn.execute_batch(
            "PRAGMA synchronous = FULL; PRAGMA foreign_keys = ON; PRAGMA temp_store = MEMORY;",
        )?;
        // `rarray(?)`: a list of ids bound as one parameter.
        rusqlite::vtab::array::load_module(&conn)?;
        Ok(SqliteStore {
            conn,
            path: path.to_path_buf(),
            ingest_open: false,
            actor_ids: ActorIds::default(),
            actor_rows: Vec::new(),
            patient_sources: HashMap::new(),
            patient_rows: Vec::new(),
            ingest_events: 0,
            checkpointer: None,
            wal_restart_bytes: super::checkpointer::WAL_RESTART_BYTES,
        })
    }

    /// Direct access for tests that play the attacker behind vigil's back.
    pub fn connection(&self) -> &Connection {
        &self.conn
    }

    /// Each item's disposition must be that of the decision in force.
    fn items_where(&self, clause: &str, params: &[Param], limit: u64) -> Result<Vec<Item>> {
        self.items_window(clause, params, 0, limit)
    }

    fn items_window(
        &self,
        clause: &str,
        params: &[Param],
        offset: u64,
        limit: u64,
    ) -> Result<Vec<Item>> {
        // Cached: the rules look items up by key one at a time, thousands
        // per run. The window is bound rather than written into the text, so
        // paging the queue reuses one statement instead of filling the cache
        // with one per page.
        let mut sql = super::items_sql(Dialect::Sqlite, clause, 0, 0);
        let mut values = to_values(params);
        if limit > 0 {
            let n = values.len();
            sql.push_str(&format!(" LIMIT ?{} OFFSET ?{}", n + 1, n + 2));
            values.push(Value::Integer(limit.min(i64::MAX as u64) as i64));
            values.push(Value::Integer(offset.min(i64::MAX as u64) as i64));
        }
        let mut st = self.conn.prepare_cached(&sql)?;
        let mut items = st
            .query_map(params_from_iter(values), |r| {
                let kind: String = r.get(1)?;
                let status: String = r.get(8)?;
                let disposition: Option<String> = r.get(9)?;
                let sev: i64 = r.get(7)?;
                Ok(Item {
                    id: r.get(0)?,
                    kind: kind.parse().unwrap_or(ItemKind::Finding),
                    source: opt_text(r.get(2)?),
                    occurred_at: from_micros(r.get(3)?),
                    actor: opt_text(r.get(4)?),
                    subject: opt_text(r.get(5)?),
                    title: SafeText::new(&r.get::<_, String>(6)?),
                    severity: Severity::ALL
                        .get(sev.clamp(0, 3) as usize)
                        .copied()
                        .unwrap_or(Severity::Low),
                    rules: Vec::new(),
                    status: status.parse().unwrap_or(Status::New),
                    disposition: disposition.and_then(|d| d.parse::<Disposition>().ok()),
                    claimed_by: opt_text(r.get(10)?),
                    event_ids: Vec::new(),
                    score: r.get(11)?,
                    score_note: opt_text(r.get(12)?),
                })
            })?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        let mut rules = self.conn.prepare_cached(
            "SELECT rule, reason FROM item_rules WHERE item_id = ?1 ORDER BY rule",
        )?;
        let mut evs = self.conn.prepare_cached(
            "SELECT event_id FROM item_events WHERE item_id = ?1 ORDER BY event_id",
        )?;
        for item in &mut items {
            item.rules = rules
                .query_map([item.id], |r| {
                    Ok(ItemRule {
                        rule: r.get(0)?,
                        reason: SafeText::new(&r.get::<_, String>(1)?),
                    })
                })?
                .collect::<rusqlite::Result<_>>()?;
            item.event_ids = evs
                .query_map([item.id], |r| r.get(0))?
                .collect::<rusqlite::Result<_>>()?;
        }
        Ok(items)
    }

    fn stream_from_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<Stream> {
        Ok(Stream {
            id: r.get(0)?,
            source_id: r.get(1)?,
            path: r.get(2)?,
            dev: r.get::<_, Option<i64>>(3)?.map(|v| v as u64),
            inode: r.get::<_, Option<i64>>(4)?.map(|v| v as u64),
            head_len: r.get::<_, i64>(5)? as u64,
            head_hash: r.get(6)?,
            offset: r.get::<_, i64>(7)? as u64,
            records: r.get::<_, i64>(8)? as u64,
            parser_state: r.get(9)?,
            status: r.get(10)?,
        })
    }

    fn write_batch_rows(&mut self, b: &Batch, commit: bool) -> Result<BatchOutcome> {
        self.do_write_batch_rows(b, commit)
    }
}

/// An event row (in the column order of the event queries) and its raw bytes.
fn event_from_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<(Event, Vec<u8>)> {
    let outcome: String = r.get(8)?;
    let raw: Vec<u8> = r.get(10)?;
    Ok((
        Event {
            id: r.get(0)?,
            source: SafeText::new(&r.get::<_, String>(1)?),
            kind: SafeText::new(&r.get::<_, String>(2)?),
            occurred_at: from_micros(r.get(3)?),
            host: opt_text(r.get(4)?),
            actor: opt_text(r.get(5)?),
            subject: opt_text(r.get(6)?),
            action: SafeText::new(&r.get::<_, String>(7)?),
            outcome: outcome.parse().unwrap_or(Outcome::Unknown),
            client: opt_text(r.get(9)?),
            raw: SafeText::from_bytes(&raw),
            program: opt_text(r.get(11)?),
            detail: opt_text(r.get(12)?),
            time_basis: TimeBasis::from_bits(r.get(13)?).describe(),
        },
        raw,
    ))
}

/// The event columns `event_from_row` reads, in its order.
pub(super) const EVENT_COLS: &str = "e.id, s.name, s.kind, e.occurred_at, e.host, a.name, e.subject, e.action, e.outcome, e.client, e.raw, e.program, e.detail, e.time_basis";

const STREAM_COLS: &str =
    "id, source_id, path, dev, inode, head_len, head_hash, offset, records, parser_state, status";

impl SqliteStore {
    /// Adds items, or for a key already stored: raises its severity and
    /// adds to its reasons and events, or with `replace` (a ticket's latest
    /// state) takes the new title, severity, actor, subject and reasons.
    fn put_items(&mut self, items: &[super::NewItem], replace: bool) -> Result<Vec<i64>> {
        self.do_put_items(items, replace)
    }
}

impl Store for SqliteStore {
    fn schema_version(&self) -> Result<i64> {
        Ok(self
            .conn
            .query_row("PRAGMA user_version", [], |r| r.get(0))?)
    }

    fn migrate(&mut self) -> Result<MigrationReport> {
        let from = self.schema_version()?;
        let known = MIGRATIONS.len() as i64;
        if from > known {
            bail!(
                "the store {} has schema version {from}, newer than this vigil knows ({known}): upgrade vigil before using this store",
                self.path.display()
            );
        }
        if from == known {
            return Ok(MigrationReport { from, to: known });
        }
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        // Re-read under the write lock: another process may have migrated.
        let current: i64 = tx.query_row("PRAGMA user_version", [], |r| r.get(0))?;
        write::register_patient_key(&tx)?;
        for (i, sql) in MIGRATIONS.iter().enumerate().skip(current as usize) {
            tx.execute_batch(sql)
                .wrap_err_with(|| format!("migration {} failed", i + 1))?;
            tx.pragma_update(None, "user_version", (i + 1) as i64)?;
        }
        if current == 0 {
            // A new store: its id and the ledger's first entry, together.
            let id = uuid::Uuid::new_v4().to_string();
            tx.execute(
                "INSERT INTO meta (key, value) VALUES (?1, ?2)",
                params![super::ledger::STORE_ID_KEY, id],
            )?;
            append_ledger(&tx, &super::ledger::genesis_entry(&id, Utc::now()))?;
        }
        tx.commit()?;
        Ok(MigrationReport { from, to: known })
    }

    fn ensure_source(&mut self, name: &str, kind: &str) -> Result<SourceId> {
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        let existing: Option<(i64, String)> = tx
            .query_row(
                "SELECT id, kind FROM sources WHERE name = ?1 AND collector = ''",
                [name],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .optional()?;
        let id = match existing {
            Some((id, k)) if k == kind => id,
            Some((id, _)) => {
                tx.execute(
                    "UPDATE sources SET kind = ?1 WHERE id = ?2",
                    params![kind, id],
                )?;
                id
            }
            None => {
                tx.execute(
                    "INSERT INTO sources (name, kind, created_at) VALUES (?1, ?2, ?3)",
                    params![name, kind, micros(Utc::now())],
                )?;
                tx.last_insert_rowid()
            }
        };
        tx.commit()?;
        Ok(id)
    }

    fn streams(&self, source: SourceId) -> Result<Vec<Stream>> {
        let mut st = self.conn.prepare_cached(&format!(
            "SELECT {STREAM_COLS} FROM streams WHERE source_id = ?1 ORDER BY id"
        ))?;
        let rows = st.query_map([source], Self::stream_from_row)?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    fn add_stream(&mut self, s: &Stream) -> Result<Stream> {
        let now = micros(Utc::now());
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        tx.execute(
            "INSERT INTO streams (source_id, path, dev, inode, head_len, head_hash, offset, records, parser_state, status, first_seen, updated_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?11)
             ON CONFLICT (source_id, head_len, head_hash) WHERE status = 'active' DO NOTHING",
            params![
                s.source_id,
                s.path,
                s.dev.map(|v| v as i64),
                s.inode.map(|v| v as i64),
                s.head_len as i64,
                s.head_hash,
                s.offset as i64,
                s.records as i64,
                s.parser_state,
                s.status,
                now
            ],
        )?;
        let stored = tx.query_row(
            &format!(
                "SELECT {STREAM_COLS} FROM streams WHERE source_id = ?1 AND head_len = ?2 AND head_hash = ?3 AND status = 'active'"
            ),
            params![s.source_id, s.head_len as i64, s.head_hash],
            Self::stream_from_row,
        )?;
        tx.commit()?;
        Ok(stored)
    }

    fn mark_done(&mut self, stream_id: i64) -> Result<()> {
        self.conn.execute(
            "UPDATE streams SET status = 'done', updated_at = ?1 WHERE id = ?2",
            params![micros(Utc::now()), stream_id],
        )?;
        Ok(())
    }

    fn mark_stream(&mut self, stream_id: i64, status: &str, gap: &Gap) -> Result<()> {
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        let source_id: i64 = tx.query_row(
            "SELECT source_id FROM streams WHERE id = ?1",
            [stream_id],
            |r| r.get(0),
        )?;
        let now = micros(Utc::now());
        tx.execute(
            "UPDATE streams SET status = ?1, dev = NULL, inode = NULL, updated_at = ?2 WHERE id = ?3",
            params![status, now, stream_id],
        )?;
        tx.execute(
            "INSERT INTO gaps (source_id, stream_id, detected_at, offset, reason) VALUES (?1, ?2, ?3, ?4, ?5)",
            params![source_id, gap.stream_id, now, gap.offset.map(|o| o as i64), gap.reason],
        )?;
        tx.commit()?;
        Ok(())
    }

    fn write_batch(&mut self, b: &Batch, commit: bool) -> Result<BatchOutcome> {
        if !self.ingest_open {
            // Ingest is replayable from the source, and the checkpoint commits
            // with the rows, so it does not need an fsync per commit.
            self.conn
                .execute_batch(&format!(
                    "PRAGMA synchronous = NORMAL; PRAGMA cache_size = -{INGEST_CACHE_KIB}; BEGIN IMMEDIATE"
                ))?;
            self.ingest_open = true;
            if self.checkpointer.is_none() {
                // The background thread checkpoints instead of the writer.
                self.checkpointer = Checkpointer::start(
                    &mut self.conn,
                    &self.path,
                    &wal_path(&self.path),
                    self.wal_restart_bytes,
                )
                .ok();
            }
        }
        let result = self.write_batch_rows(b, commit);
        if result.is_err() || commit {
            if result.is_err() {
                let _ = self.conn.execute_batch("ROLLBACK");
                // Names interned in the rolled-back transaction are gone.
                self.actor_ids.clear();
                self.actor_rows.clear();
                self.patient_rows.clear();
                self.ingest_events = 0;
            }
            self.ingest_open = false;
            // The larger cache stays for the rest of the command: the rules
            // read back what was just written.
            self.conn.execute_batch("PRAGMA synchronous = FULL")?;
            // After the commit and the review writes' durability are back:
            // a copy that fails leaves the WAL longer, not the batch
            // unstored, so it is said and the ingest goes on.
            if result.is_ok()
                && let Some(c) = &self.checkpointer
                && let Err(e) = c.restart_if_long(&self.conn)
            {
                tracing::warn!("could not start the WAL over after an ingest commit: {e}");
            }
        }
        result
    }

    fn record_pull(
        &mut self,
        source: SourceId,
        at: DateTime<Utc>,
        error: Option<&str>,
    ) -> Result<()> {
        let at = micros(at);
        match error {
            None => self.conn.execute(
                "UPDATE sources SET last_pull_at = ?1, last_success_at = ?1 WHERE id = ?2",
                params![at, source],
            )?,
            Some(e) => self.conn.execute(
                "UPDATE sources SET last_pull_at = ?1, last_error = ?2, last_error_at = ?1 WHERE id = ?3",
                params![at, SafeText::new(e).as_str(), source],
            )?,
        };
        Ok(())
    }

    fn for_each_event(
        &self,
        filter: &Query,
        limit: u64,
        f: &mut dyn FnMut(Event) -> Result<()>,
    ) -> Result<()> {
        let w = filter.to_sql(Target::Events, Dialect::Sqlite, 1)?;
        let limit_sql = if limit > 0 {
            format!("LIMIT {limit}")
        } else {
            String::new()
        };
        let sql = format!(
            "SELECT e.id, s.name, s.kind, e.occurred_at, e.host, a.name, e.subject, e.action, e.outcome, e.client, e.raw, e.program, e.detail, e.time_basis
             FROM events e JOIN sources s ON s.id = e.source_id LEFT JOIN actors a ON a.id = e.actor_id
             WHERE {} ORDER BY e.occurred_at, e.id {limit_sql}",
            w.clause
        );
        let mut st = self.conn.prepare(&sql)?;
        let mut rows = st.query(params_from_iter(to_values(&w.params)))?;
        while let Some(r) = rows.next()? {
            f(event_from_row(r)?.0)?;
        }
        Ok(())
    }

    fn count_events(&self, filter: &Query) -> Result<u64> {
        let w = filter.to_sql(Target::Events, Dialect::Sqlite, 1)?;
        let sql = format!(
            "SELECT count(*) FROM events e JOIN sources s ON s.id = e.source_id LEFT JOIN actors a ON a.id = e.actor_id WHERE {}",
            w.clause
        );
        let n: i64 = self
            .conn
            .query_row(&sql, params_from_iter(to_values(&w.params)), |r| r.get(0))?;
        Ok(n as u64)
    }

    fn item(&self, id: i64) -> Result<Option<Item>> {
        Ok(self
            .items_where("i.id = ?1", &[Param::Int(id)], 1)?
            .into_iter()
            .next())
    }

    fn items_page(&self, filter: &Query, offset: u64, limit: u64) -> Result<Vec<Item>> {
        let w = filter.to_sql(Target::Items, Dialect::Sqlite, 1)?;
        self.items_window(&w.clause, &w.params, offset, limit.max(1))
    }

    fn count_items(&self, filter: &Query) -> Result<u64> {
        self.do_count_items(filter)
    }

    fn newest_item(&self) -> Result<i64> {
        self.do_newest_item()
    }

    fn item_by_key(&self, key: &str) -> Result<Option<Item>> {
        Ok(self
            .items_where("i.group_key = ?1", &[Param::Text(key.to_owned())], 1)?
            .into_iter()
            .next())
    }

    fn items(&self, filter: &Query, limit: u64) -> Result<Vec<Item>> {
        let w = filter.to_sql(Target::Items, Dialect::Sqlite, 1)?;
        self.items_where(&w.clause, &w.params, limit)
    }

    fn source_status(&self) -> Result<Vec<SourceStatus>> {
        self.do_source_status()
    }

    fn quarantine(&self, source: Option<&str>, limit: u64) -> Result<Vec<QuarantineRow>> {
        self.do_quarantine(source, limit, "q.id")
    }

    fn latest_quarantine(&self, source: &str, limit: u64) -> Result<Vec<QuarantineRow>> {
        self.do_quarantine(Some(source), limit, "q.id DESC")
    }

    fn gaps(&self, source: Option<&str>) -> Result<Vec<GapRow>> {
        self.do_gaps(source)
    }

    fn append_ledger(&mut self, entry: &NewLedgerEntry) -> Result<LedgerEntry> {
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        let sealed = append_ledger(&tx, entry)?;
        tx.commit()?;
        Ok(sealed)
    }

    fn verify_ledger(&self) -> Result<Verification> {
        let mut st = self
            .conn
            .prepare(&format!("SELECT {LEDGER_COLS} FROM ledger ORDER BY seq"))?;
        let mut rows = st.query([])?;
        let mut dst = self.conn.prepare(&format!(
            "SELECT {DECISION_COLS} FROM decisions ORDER BY ledger_seq"
        ))?;
        let mut drows = dst.query([])?;
        let (v, broken) = walk(
            &mut || Ok(rows.next()?.map(ledger_row).transpose()?),
            &mut || Ok(drows.next()?.map(decision_row).transpose()?),
        )?;
        super::ledger::verification(v, broken, self)
    }

    fn ledger_after(&self, seq: i64, limit: u64) -> Result<Vec<LedgerEntry>> {
        let mut st = self.conn.prepare_cached(&format!(
            "SELECT {LEDGER_COLS} FROM ledger WHERE seq > ?1 ORDER BY seq LIMIT ?2"
        ))?;
        let rows = st.query_map(params![seq, limit as i64], ledger_row)?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    fn for_each_item_review(&self, f: &mut dyn FnMut(ItemReview) -> Result<()>) -> Result<()> {
        let mut st = self.conn.prepare(
            "SELECT id, status, disposition, decision_id, approval FROM items ORDER BY id",
        )?;
        let mut rows = st.query([])?;
        while let Some(r) = rows.next()? {
            f(ItemReview {
                id: r.get(0)?,
                status: r.get(1)?,
                disposition: r.get(2)?,
                decision_id: r.get(3)?,
                approval: r.get(4)?,
            })?;
        }
        Ok(())
    }

    fn ledger_entry(&self, seq: i64) -> Result<Option<LedgerEntry>> {
        Ok(self
            .conn
            .query_row(
                &format!("SELECT {LEDGER_COLS} FROM ledger WHERE seq = ?1"),
                [seq],
                ledger_row,
            )
            .optional()?)
    }

    fn ledger_for(&self, entity: &str) -> Result<Vec<LedgerEntry>> {
        let mut st = self.conn.prepare_cached(&format!(
            "SELECT {LEDGER_COLS} FROM ledger WHERE entity = ?1 ORDER BY seq"
        ))?;
        let rows = st.query_map([entity], ledger_row)?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    fn review(&mut self, f: &mut dyn FnMut(&mut dyn super::ReviewTx) -> Result<()>) -> Result<()> {
        // synchronous=FULL is this connection's default: a decision reported
        // as saved is on disk.
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        f(&mut SqliteReviewTx { conn: &tx })?;
        tx.commit()?;
        Ok(())
    }

    fn add_items(&mut self, items: &[super::NewItem]) -> Result<Vec<i64>> {
        self.put_items(items, false)
    }

    fn replayable(&mut self, f: &mut dyn FnMut(&mut dyn Store) -> Result<()>) -> Result<()> {
        // WAL keeps commits in order: losing these to a power cut loses
        // everything after them too, the rules' cursor included.
        if self.ingest_open {
            return f(self);
        }
        self.conn.execute_batch("PRAGMA synchronous = NORMAL")?;
        let r = f(self);
        self.conn.execute_batch("PRAGMA synchronous = FULL")?;
        r
    }

    fn refresh_items(&mut self, items: &[super::NewItem]) -> Result<Vec<i64>> {
        self.put_items(items, true)
    }

    fn decisions(&self, item: i64) -> Result<Vec<super::DecisionRow>> {
        let mut st = self.conn.prepare_cached(&format!(
            "SELECT {DECISION_COLS} FROM decisions WHERE item_id = ?1 ORDER BY ledger_seq"
        ))?;
        let rows = st.query_map([item], decision_row)?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    fn decisions_by(
        &self,
        reviewer: &str,
        since: DateTime<Utc>,
    ) -> Result<Vec<super::DecisionRow>> {
        let mut st = self.conn.prepare_cached(&format!(
            "SELECT {DECISION_COLS} FROM decisions WHERE reviewer = ?1 AND decided_at >= ?2 ORDER BY ledger_seq DESC"
        ))?;
        let rows = st.query_map(params![reviewer, micros(since)], decision_row)?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    fn decisions_between(
        &self,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> Result<Vec<super::DecisionRow>> {
        self.do_decisions_between(from, to)
    }

    fn incidents(&self) -> Result<Vec<super::Incident>> {
        let mut st = self.conn.prepare(&format!(
            "SELECT {INCIDENT_COLS} FROM incidents ORDER BY id"
        ))?;
        let mut out: Vec<super::Incident> = st
            .query_map([], incident_row)?
            .collect::<rusqlite::Result<_>>()?;
        for i in &mut out {
            incident_links(&self.conn, i)?;
        }
        Ok(out)
    }

    fn incident_notes(&self, id: i64) -> Result<Vec<super::IncidentNote>> {
        let mut st = self.conn.prepare_cached(
            "SELECT author, at, note FROM incident_notes WHERE incident_id = ?1 ORDER BY id",
        )?;
        let rows = st.query_map([id], |r| {
            Ok(super::IncidentNote {
                author: r.get(0)?,
                at: from_micros(r.get(1)?),
                note: r.get(2)?,
            })
        })?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    fn sanctions(&self) -> Result<Vec<super::Sanction>> {
        let mut st = self.conn.prepare(&format!(
            "SELECT {SANCTION_COLS} FROM sanctions ORDER BY id"
        ))?;
        let rows = st.query_map([], sanction_row)?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    fn activity(&self, from: DateTime<Utc>, to: DateTime<Utc>) -> Result<Vec<super::Activity15>> {
        self.do_activity(from, to)
    }

    fn review_stats(&self, from: DateTime<Utc>, to: DateTime<Utc>) -> Result<super::ReviewStats> {
        self.do_review_stats(from, to)
    }

    fn prune_events(&mut self, before: DateTime<Utc>) -> Result<u64> {
        self.do_prune_events(before)
    }

    fn risks(&self) -> Result<Vec<super::Risk>> {
        self.do_risks()
    }

    fn events_after(
        &self,
        id: i64,
        since: Option<DateTime<Utc>>,
        limit: u64,
    ) -> Result<Vec<(i64, Event)>> {
        self.do_events_after(id, since, limit)
    }

    fn actor_activity(
        &self,
        actor: &str,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> Result<Vec<super::Activity>> {
        self.do_actor_activity(actor, from, to)
    }

    fn reader(&self) -> Result<Option<Box<dyn Store + Send>>> {
        Ok(Some(Box::new(SqliteStore::open(&self.path)?)))
    }

    fn for_each_host_row(
        &self,
        kinds: &[&str],
        from: DateTime<Utc>,
        to: DateTime<Utc>,
        actions: &[&str],
        failures: &[&str],
        f: &mut dyn FnMut(&super::HostRow<'_>) -> Result<()>,
    ) -> Result<()> {
        self.do_for_each_host_row(kinds, from, to, actions, failures, f)
    }

    fn patient_event_ids(
        &self,
        patient: &str,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> Result<Vec<i64>> {
        self.do_patient_event_ids(patient, from, to)
    }

    fn items_of_events(&self, event_ids: &[i64]) -> Result<Vec<(i64, i64)>> {
        self.do_items_of_events(event_ids)
    }

    fn flagged_events(
        &self,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
        each: &mut dyn FnMut(i64),
    ) -> Result<()> {
        self.do_flagged_events(from, to, each)
    }

    fn unflagged_events(
        &self,
        source_id: i64,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
        flagged: &dyn Fn(i64) -> bool,
        each: &mut dyn FnMut(i64),
    ) -> Result<()> {
        self.do_unflagged_events(source_id, from, to, flagged, each)
    }

    fn meta(&self, key: &str) -> Result<Option<String>> {
        Ok(self
            .conn
            .query_row("SELECT value FROM meta WHERE key = ?1", [key], |r| r.get(0))
            .optional()?)
    }

    fn set_meta(&mut self, key: &str, value: &str) -> Result<()> {
        self.conn.execute(
            "INSERT INTO meta (key, value) VALUES (?1, ?2) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            params![key, value],
        )?;
        Ok(())
    }

    fn seen(&self) -> Result<Vec<super::Seen>> {
        self.do_seen()
    }

    fn add_seen(&mut self, rows: &[super::Seen]) -> Result<()> {
        self.do_add_seen(rows)
    }

    fn replace_people(&mut self, people: &[vigil_domain::Person]) -> Result<()> {
        self.do_replace_people(people)
    }

    fn replace_patients(&mut self, patients: &[vigil_domain::Patient]) -> Result<()> {
        self.do_replace_patients(patients)
    }

    fn people(&self) -> Result<Vec<vigil_domain::Person>> {
        self.do_people()
    }

    fn patients(&self) -> Result<Vec<vigil_domain::Patient>> {
        self.do_patients()
    }

    fn context(&self) -> Result<Vec<vigil_domain::Encounter>> {
        self.do_context(None)
    }

    fn context_of(&self, patient: &str) -> Result<Vec<vigil_domain::Encounter>> {
        self.do_context(Some(patient))
    }

    fn put_explanations(&mut self, rows: &[vigil_domain::Explained]) -> Result<()> {
        self.do_put_explanations(rows)
    }

    fn explanations(&self, ids: &[i64]) -> Result<Vec<vigil_domain::Explained>> {
        self.do_explanations(ids)
    }

    fn unexplained(
        &self,
        patient: Option<&str>,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> Result<Vec<vigil_domain::Explained>> {
        self.do_unexplained(patient, from, to)
    }

    fn recent_explanations(
        &self,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
        limit: usize,
    ) -> Result<Vec<vigil_domain::Explained>> {
        self.do_recent_explanations(from, to, limit)
    }

    fn explanation_counts(
        &self,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> Result<Vec<(String, vigil_domain::Explanation, u64)>> {
        self.do_explanation_counts(from, to)
    }

    fn suppressions(&self) -> Result<Vec<super::Suppression>> {
        self.do_suppressions()
    }
    fn items_covered(&self, s: &super::Suppression) -> Result<(u64, u64)> {
        self.do_items_covered(s)
    }

    fn events_by_id(&self, ids: &[i64]) -> Result<Vec<(Event, Vec<u8>)>> {
        let mut st = self.conn.prepare_cached(
            "SELECT e.id, s.name, s.kind, e.occurred_at, e.host, a.name, e.subject, e.action, e.outcome, e.client, e.raw, e.program, e.detail, e.time_basis
             FROM events e JOIN sources s ON s.id = e.source_id LEFT JOIN actors a ON a.id = e.actor_id WHERE e.id = ?1",
        )?;
        let mut out = Vec::with_capacity(ids.len());
        for id in ids {
            if let Some(pair) = st.query_row([id], event_from_row).optional()? {
                out.push(pair);
            }
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests;
