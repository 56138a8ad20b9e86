//! The PostgreSQL store: one database shared by a team of reviewers on
//! several hosts. Same tables and meaning as the SQLite store; ingest goes
//! in by binary COPY; review transactions serialize on one advisory lock so
//! the ledger stays one chain; a dropped connection is reopened and a review
//! transaction whose COMMIT was lost is run again, which its client-made
//! decision ids make land exactly once.

mod context;
mod knowledge;
mod partitions;
mod reads;
mod status;
mod write;

mod review;

use std::cell::{RefCell, RefMut};
use std::collections::HashMap;
use std::time::Duration;

use chrono::{DateTime, Utc};
use color_eyre::eyre::{Result, WrapErr, bail};
use postgres::binary_copy::BinaryCopyInWriter;
use postgres::types::{ToSql, Type};
use postgres::{Client, GenericClient, Row};

use super::ledger::{GENESIS, LedgerEntry, NewLedgerEntry, walk};
use super::pg_connect::{Connector, PgTarget};
// The column lists are the schema's, the same on both stores.
use super::sqlite::EVENT_COLS;
use super::sqlite_review::{
    DECISION_COLS, INCIDENT_COLS, LEDGER_COLS, SANCTION_COLS, from_micros, micros,
};
use super::{
    Batch, BatchOutcome, CheckpointMoved, DecisionRow, Gap, GapRow, Incident, IncidentNote,
    IncidentStatus, ItemReview, MigrationReport, NewItem, QuarantineRow, ReviewTx, Sanction, Seen,
    SourceId, SourceStatus, Store, Stream, Suppression, Verification,
};
use review::PgReviewTx;
use vigil_domain::query::{Dialect, Param, Query, Target};
use vigil_domain::{
    Disposition, Event, Item, ItemKind, ItemRule, Outcome, SafeText, Severity, Status, TimeBasis,
};

/// Schema migrations, in order; `vigil_schema` records the last applied.
const MIGRATIONS: &[&str] = &[
    include_str!("../migrations/postgres/0001_init.sql"),
    include_str!("../migrations/postgres/0002_ledger_seal.sql"),
    include_str!("../migrations/postgres/0003_context.sql"),
    include_str!("../migrations/postgres/0004_patient_events.sql"),
    include_str!("../migrations/postgres/0005_locations.sql"),
    include_str!("../migrations/postgres/0006_explanations_by_event.sql"),
    include_str!("../migrations/postgres/0007_partitions.sql"),
];

/// The advisory lock every review transaction and ledger append holds: the
/// ledger is one chain, so its appends are serialized, and taking the lock
/// first (before any row lock) means review transactions cannot deadlock.
/// The lock is keyed by schema as well, so stores in two schemas of one
/// database (a test run's, say) do not wait on each other.
const LEDGER_LOCK: i32 = 0x7669_6700; // "vig\0"
/// Held while migrating, so two hosts never migrate at once.
const MIGRATE_LOCK: i32 = 0x7669_6701;

/// Event ids come from `events_id_seq` in blocks this size (its INCREMENT):
/// one `nextval` per block instead of one per event.
const ID_BLOCK: i64 = 1024;

/// Events per row of `actor_runs`.
const RUN: usize = 1_000;

/// Rows fetched per round trip when walking large results.
const PAGE: i64 = 5_000;

/// How often a review transaction is tried when the server goes away or
/// reports a serialization failure, and the first pause between tries.
const REVIEW_TRIES: u32 = 8;
const FIRST_PAUSE: Duration = Duration::from_millis(100);

pub struct PgStore {
    conn: RefCell<Client>,
    connector: Connector,
    /// The host that collects: part of a source's identity.
    collector: String,
    ingest_open: bool,
    actor_ids: HashMap<String, i64>,
    actor_rows: Vec<(i64, i64, i64)>,
    /// Per source id: whether its subjects are patients (`patient_events`).
    patient_sources: HashMap<i64, bool>,
    /// (patient, time, event) rows of the open ingest, copied at commit.
    patient_rows: Vec<(String, i64, i64)>,
    ingest_events: i64,
    /// Event ids of this connection's sequence blocks not used yet.
    id_pool: std::collections::VecDeque<std::ops::Range<i64>>,
    /// The day partitions known to exist, loaded on first need.
    partitions: Option<partitions::Partitions>,
    /// The open ingest's events by (day, source), for `event_days`.
    day_counts: HashMap<(i64, i64), i64>,
}

impl std::fmt::Debug for PgStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PgStore")
            .field("url", &self.connector.display)
            .finish()
    }
}

fn opt_text(s: Option<String>) -> Option<SafeText> {
    s.map(|s| SafeText::new(&s))
}

fn bind(params: &[Param]) -> Vec<Box<dyn ToSql + Sync>> {
    params
        .iter()
        .map(|p| -> Box<dyn ToSql + Sync> {
            match p {
                Param::Text(s) => Box::new(s.clone()),
                Param::Int(i) => Box::new(*i),
            }
        })
        .collect()
}

fn refs(b: &[Box<dyn ToSql + Sync>]) -> Vec<&(dyn ToSql + Sync)> {
    b.iter().map(|b| b.as_ref()).collect()
}

/// Whether an error means "try the transaction again": the connection went
/// away, the server is restarting, or PostgreSQL chose this transaction as a
/// serialization or deadlock victim.
pub(crate) fn is_transient(e: &color_eyre::Report) -> bool {
    let Some(pg) = e.chain().find_map(|c| c.downcast_ref::<postgres::Error>()) else {
        return false;
    };
    if pg.is_closed() {
        return true;
    }
    if let Some(code) = pg.code() {
        let c = code.code();
        return c.starts_with("08") // connection exceptions
            || c == "40001" // serialization_failure
            || c == "40P01" // deadlock_detected
            || c.starts_with("57P"); // admin shutdown, crash shutdown, cannot connect now
    }
    // No SQLSTATE: the network. A refused, reset or timed-out socket is
    // worth another try; a certificate that does not verify (an I/O error
    // of kind InvalidData from the TLS layer) is not.
    use std::io::ErrorKind::*;
    let mut source: Option<&(dyn std::error::Error + 'static)> = Some(pg);
    while let Some(s) = source {
        if let Some(io) = s.downcast_ref::<std::io::Error>() {
            return matches!(
                io.kind(),
                ConnectionRefused
                    | ConnectionReset
                    | ConnectionAborted
                    | NotConnected
                    | BrokenPipe
                    | TimedOut
                    | UnexpectedEof
                    | AddrNotAvailable
                    | HostUnreachable
                    | NetworkUnreachable
            );
        }
        source = s.source();
    }
    pg.as_db_error().is_none()
}

/// This host's name, which tells the sources of several collectors apart.
pub fn host_name() -> String {
    let mut buf = [0u8; 256];
    // SAFETY: the buffer is writable and its length is passed.
    let rc = unsafe { libc::gethostname(buf.as_mut_ptr().cast(), buf.len()) };
    if rc != 0 {
        return String::new();
    }
    let end = buf.iter().position(|b| *b == 0).unwrap_or(buf.len());
    String::from_utf8_lossy(&buf[..end]).into_owned()
}

mod rows;
pub(crate) use rows::*;

/// Seals and inserts one entry after the current head; the caller holds
/// `LEDGER_LOCK` in the same transaction.
fn append_ledger(c: &mut impl GenericClient, entry: &NewLedgerEntry) -> Result<LedgerEntry> {
    let (seq, prev) = match c.query_opt(
        "SELECT seq, hash FROM ledger ORDER BY seq DESC LIMIT 1",
        &[],
    )? {
        Some(r) => (r.get::<_, i64>(0), r.get::<_, String>(1)),
        None => (0, GENESIS.to_owned()),
    };
    let sealed = entry.seal(seq + 1, &prev);
    c.execute(
        "INSERT INTO ledger (seq, at, actor, action, entity, payload, prev_hash, hash, seal) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
        &[
            &sealed.seq,
            &sealed.at,
            &sealed.actor,
            &sealed.action,
            &sealed.entity,
            &sealed.payload,
            &sealed.prev_hash,
            &sealed.hash,
            &sealed.seal,
        ],
    )?;
    Ok(sealed)
}

impl PgStore {
    /// Connects; does not migrate.
    pub fn open(target: &PgTarget) -> Result<PgStore> {
        let connector = Connector::new(target)?;
        let client = connector.connect()?;
        Ok(PgStore {
            conn: RefCell::new(client),
            connector,
            collector: host_name(),
            ingest_open: false,
            actor_ids: HashMap::new(),
            actor_rows: Vec::new(),
            patient_sources: HashMap::new(),
            patient_rows: Vec::new(),
            ingest_events: 0,
            id_pool: Default::default(),
            partitions: None,
            day_counts: HashMap::new(),
        })
    }

    /// The collector name sources are registered under (the host name).
    pub fn with_collector(mut self, collector: &str) -> PgStore {
        self.collector = collector.to_owned();
        self
    }

    /// The connection, reopened first if the server dropped it.
    fn client(&self) -> Result<RefMut<'_, Client>> {
        let mut c = self.conn.borrow_mut();
        if c.is_closed() {
            *c = self.connector.connect()?;
        }
        Ok(c)
    }

    /// Runs a read; if the connection turns out to be gone, reconnects and
    /// runs it once more (a read is safe to repeat).
    fn read<T>(&self, mut f: impl FnMut(&mut Client) -> Result<T>) -> Result<T> {
        let first = {
            let mut c = self.client()?;
            f(&mut c)
        };
        match first {
            Err(e) if is_transient(&e) => {
                let mut c = self.conn.borrow_mut();
                *c = self.connector.connect()?;
                f(&mut c)
            }
            other => other,
        }
    }

    /// Runs `f` in one transaction holding the ledger lock, trying again
    /// (with a new connection when needed) while the failure is transient.
    fn write_tx<T>(
        &self,
        mut f: impl FnMut(&mut postgres::Transaction<'_>) -> Result<T>,
    ) -> Result<T> {
        let mut pause = FIRST_PAUSE;
        let mut tries = 0;
        loop {
            tries += 1;
            let r = (|| {
                let mut c = self.client()?;
                let mut tx = c.transaction()?;
                tx.execute(
                    "SELECT pg_advisory_xact_lock($1, hashtext(current_schema()))",
                    &[&LEDGER_LOCK],
                )?;
                let out = f(&mut tx)?;
                tx.commit()?;
                Ok(out)
            })();
            match r {
                Err(e) if is_transient(&e) && tries < REVIEW_TRIES => {
                    tracing::warn!("store unavailable, trying again: {e}");
                    std::thread::sleep(pause);
                    pause = (pause * 2).min(Duration::from_secs(2));
                    let mut c = self.conn.borrow_mut();
                    if let Ok(n) = self.connector.connect() {
                        *c = n;
                    }
                }
                Err(e) if is_transient(&e) => {
                    return Err(e.wrap_err("store unavailable: the change was not saved"));
                }
                other => return other,
            }
        }
    }

    /// A short write that needs no ledger lock, run once more on a new
    /// connection if the first one turns out to be gone.
    fn write<T>(&self, f: impl FnMut(&mut Client) -> Result<T>) -> Result<T> {
        self.read(f)
    }

    fn items_window(
        &self,
        clause: &str,
        params: &[Param],
        offset: u64,
        limit: u64,
    ) -> Result<Vec<Item>> {
        let sql = super::items_sql(Dialect::Postgres, clause, offset, limit);
        let values = bind(params);
        self.read(|c| {
            let rows = c.query(&sql, &refs(&values))?;
            let mut items: Vec<Item> = rows
                .iter()
                .map(|r| {
                    let kind: String = r.get(1);
                    let status: String = r.get(8);
                    let disposition: Option<String> = r.get(9);
                    let sev: i64 = r.get(7);
                    Item {
                        id: r.get(0),
                        kind: kind.parse().unwrap_or(ItemKind::Finding),
                        source: opt_text(r.get(2)),
                        occurred_at: from_micros(r.get(3)),
                        actor: opt_text(r.get(4)),
                        subject: opt_text(r.get(5)),
                        title: SafeText::new(r.get::<_, &str>(6)),
                        severity: Severity::ALL
                            .get(sev.clamp(0, 3) as usize)
                            .copied()
                            .unwrap_or(Severity::Low),
                        rules: Vec::new(),
                        status: status.parse().unwrap_or(Status::New),
                        disposition: disposition.and_then(|d| d.parse::<Disposition>().ok()),
                        claimed_by: opt_text(r.get(10)),
                        event_ids: Vec::new(),
                        score: r.get(11),
                        score_note: opt_text(r.get(12)),
                    }
                })
                .collect();
            if items.is_empty() {
                return Ok(items);
            }
            let ids: Vec<i64> = items.iter().map(|i| i.id).collect();
            let mut rules: HashMap<i64, Vec<ItemRule>> = HashMap::new();
            for r in c.query(
                "SELECT item_id, rule, reason FROM item_rules WHERE item_id = ANY($1) ORDER BY item_id, rule",
                &[&ids],
            )? {
                rules.entry(r.get(0)).or_default().push(ItemRule {
                    rule: r.get(1),
                    reason: SafeText::new(r.get::<_, &str>(2)),
                });
            }
            let mut events: HashMap<i64, Vec<i64>> = HashMap::new();
            for r in c.query(
                "SELECT item_id, event_id FROM item_events WHERE item_id = ANY($1) ORDER BY item_id, event_id",
                &[&ids],
            )? {
                events.entry(r.get(0)).or_default().push(r.get(1));
            }
            for item in &mut items {
                item.rules = rules.remove(&item.id).unwrap_or_default();
                item.event_ids = events.remove(&item.id).unwrap_or_default();
            }
            Ok(items)
        })
    }

    fn write_batch_rows(&mut self, b: &Batch, commit: bool) -> Result<BatchOutcome> {
        self.do_write_batch_rows(b, commit)
    }

    /// Each item's disposition must be that of the decision in force.
    /// The schema version, 0 before any migration.
    fn version_of(c: &mut impl GenericClient) -> Result<i64> {
        let exists: bool = c
            .query_one("SELECT to_regclass('vigil_schema') IS NOT NULL", &[])?
            .get(0);
        if !exists {
            return Ok(0);
        }
        Ok(
            c.query_one("SELECT coalesce(max(version), 0) FROM vigil_schema", &[])?
                .get::<_, i32>(0) as i64,
        )
    }
}

impl PgStore {
    /// See `SqliteStore::put_items`.
    fn put_items(&mut self, items: &[NewItem], replace: bool) -> Result<Vec<i64>> {
        self.do_put_items(items, replace)
    }
}

impl Store for PgStore {
    fn migrate(&mut self) -> Result<MigrationReport> {
        let known = MIGRATIONS.len() as i64;
        let display = self.connector.display.clone();
        let mut c = self.client()?;
        let from = Self::version_of(&mut *c)?;
        if from > known {
            bail!(
                "the store {display} has schema version {from}, newer than this vigil knows ({known}): upgrade vigil before using this store"
            );
        }
        if from == known {
            return Ok(MigrationReport { from, to: known });
        }
        let mut tx = c.transaction()?;
        tx.execute(
            "SELECT pg_advisory_xact_lock($1, hashtext(current_schema()))",
            &[&MIGRATE_LOCK],
        )?;
        tx.batch_execute(
            "CREATE TABLE IF NOT EXISTS vigil_schema (version INTEGER PRIMARY KEY, applied_at TIMESTAMPTZ NOT NULL DEFAULT now())",
        )?;
        // Re-read under the lock: another host may have migrated meanwhile.
        let current = Self::version_of(&mut tx)?;
        for (i, sql) in MIGRATIONS.iter().enumerate().skip(current as usize) {
            tx.batch_execute(sql)
                .wrap_err_with(|| format!("migration {} failed", i + 1))?;
            tx.execute(
                "INSERT INTO vigil_schema (version) VALUES ($1)",
                &[&((i + 1) as i32)],
            )?;
        }
        if current == 0 {
            // A new store: its id and the ledger's first entry, together.
            let id = uuid::Uuid::new_v4().to_string();
            tx.execute(
                "INSERT INTO meta (key, value) VALUES ($1, $2)",
                &[&crate::ledger::STORE_ID_KEY, &id],
            )?;
            append_ledger(&mut tx, &crate::ledger::genesis_entry(&id, Utc::now()))?;
        }
        tx.commit()?;
        Ok(MigrationReport { from, to: known })
    }

    fn schema_version(&self) -> Result<i64> {
        self.read(Self::version_of)
    }

    fn ensure_source(&mut self, name: &str, kind: &str) -> Result<SourceId> {
        let collector = self.collector.clone();
        self.write(|c| {
            let row = c.query_one(
                "INSERT INTO sources (name, kind, collector, created_at) VALUES ($1, $2, $3, $4)
                 ON CONFLICT (name, collector) DO UPDATE SET kind = EXCLUDED.kind RETURNING id",
                &[&name, &kind, &collector, &micros(Utc::now())],
            )?;
            Ok(row.get(0))
        })
    }

    fn streams(&self, source: SourceId) -> Result<Vec<Stream>> {
        self.read(|c| {
            Ok(c.query(
                &format!("SELECT {STREAM_COLS} FROM streams WHERE source_id = $1 ORDER BY id"),
                &[&source],
            )?
            .iter()
            .map(stream_row)
            .collect())
        })
    }

    fn add_stream(&mut self, s: &Stream) -> Result<Stream> {
        let now = micros(Utc::now());
        self.write(|c| {
            c.execute(
                "INSERT INTO streams (source_id, path, dev, inode, head_len, head_hash, \"offset\", records, parser_state, status, first_seen, updated_at)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $11)
                 ON CONFLICT (source_id, head_len, head_hash) WHERE status = 'active' DO NOTHING",
                &[
                    &s.source_id,
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
                ],
            )?;
            let r = c.query_one(
                &format!(
                    "SELECT {STREAM_COLS} FROM streams WHERE source_id = $1 AND head_len = $2 AND head_hash = $3 AND status = 'active'"
                ),
                &[&s.source_id, &(s.head_len as i64), &s.head_hash],
            )?;
            Ok(stream_row(&r))
        })
    }

    fn mark_stream(&mut self, stream_id: i64, status: &str, gap: &Gap) -> Result<()> {
        let now = micros(Utc::now());
        self.write(|c| {
            let mut tx = c.transaction()?;
            let source_id: i64 = tx
                .query_one("SELECT source_id FROM streams WHERE id = $1", &[&stream_id])?
                .get(0);
            tx.execute(
                "UPDATE streams SET status = $1, dev = NULL, inode = NULL, updated_at = $2 WHERE id = $3",
                &[&status, &now, &stream_id],
            )?;
            tx.execute(
                "INSERT INTO gaps (source_id, stream_id, detected_at, \"offset\", reason) VALUES ($1, $2, $3, $4, $5)",
                &[&source_id, &gap.stream_id, &now, &gap.offset.map(|o| o as i64), &gap.reason],
            )?;
            tx.commit()?;
            Ok(())
        })
    }

    fn mark_done(&mut self, stream_id: i64) -> Result<()> {
        self.write(|c| {
            c.execute(
                "UPDATE streams SET status = 'done', updated_at = $1 WHERE id = $2",
                &[&micros(Utc::now()), &stream_id],
            )?;
            Ok(())
        })
    }

    fn write_batch(&mut self, b: &Batch, commit: bool) -> Result<BatchOutcome> {
        if !self.ingest_open {
            self.ensure_days_ahead(Utc::now())?;
            let mut c = self.client()?;
            // Ingest is replayable from the source and its checkpoint commits
            // with the rows, so a commit need not wait for the WAL flush: a
            // crash loses rows and checkpoint together, and they are re-read.
            c.batch_execute("BEGIN; SET LOCAL synchronous_commit = off")?;
            drop(c);
            self.ingest_open = true;
        }
        let result = self.write_batch_rows(b, commit);
        if result.is_err() || commit {
            if result.is_err() {
                if let Ok(mut c) = self.conn.try_borrow_mut()
                    && !c.is_closed()
                {
                    let _ = c.batch_execute("ROLLBACK");
                }
                self.actor_ids.clear();
                self.actor_rows.clear();
                self.patient_rows.clear();
                self.ingest_events = 0;
                self.day_counts.clear();
                self.forget_partitions();
            }
            self.ingest_open = false;
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
        self.write(|c| {
            match error {
                None => c.execute(
                    "UPDATE sources SET last_pull_at = $1, last_success_at = $1 WHERE id = $2",
                    &[&at, &source],
                )?,
                Some(e) => c.execute(
                    "UPDATE sources SET last_pull_at = $1, last_error = $2, last_error_at = $1 WHERE id = $3",
                    &[&at, &SafeText::new(e).as_str(), &source],
                )?,
            };
            Ok(())
        })
    }

    fn for_each_event(
        &self,
        filter: &Query,
        limit: u64,
        f: &mut dyn FnMut(Event) -> Result<()>,
    ) -> Result<()> {
        self.do_for_each_event(filter, limit, f)
    }

    fn count_events(&self, filter: &Query) -> Result<u64> {
        let w = filter.to_sql(Target::Events, Dialect::Postgres, 1)?;
        let sql = format!("SELECT count(*) FROM {EVENT_FROM} WHERE {}", w.clause);
        let values = bind(&w.params);
        self.read(|c| Ok(c.query_one(&sql, &refs(&values))?.get::<_, i64>(0) as u64))
    }

    fn items(&self, filter: &Query, limit: u64) -> Result<Vec<Item>> {
        let w = filter.to_sql(Target::Items, Dialect::Postgres, 1)?;
        self.items_window(&w.clause, &w.params, 0, limit)
    }

    fn items_page(&self, filter: &Query, offset: u64, limit: u64) -> Result<Vec<Item>> {
        let w = filter.to_sql(Target::Items, Dialect::Postgres, 1)?;
        self.items_window(&w.clause, &w.params, offset, limit.max(1))
    }

    fn count_items(&self, filter: &Query) -> Result<u64> {
        self.do_count_items(filter)
    }

    fn newest_item(&self) -> Result<i64> {
        self.do_newest_item()
    }

    fn item(&self, id: i64) -> Result<Option<Item>> {
        Ok(self
            .items_window("i.id = $1", &[Param::Int(id)], 0, 1)?
            .into_iter()
            .next())
    }

    fn item_by_key(&self, key: &str) -> Result<Option<Item>> {
        Ok(self
            .items_window("i.group_key = $1", &[Param::Text(key.to_owned())], 0, 1)?
            .into_iter()
            .next())
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
        self.write_tx(|tx| append_ledger(tx, entry))
    }

    fn verify_ledger(&self) -> Result<Verification> {
        self.do_verify_ledger()
    }

    fn ledger_after(&self, seq: i64, limit: u64) -> Result<Vec<LedgerEntry>> {
        self.do_ledger_after(seq, limit)
    }

    fn for_each_item_review(&self, f: &mut dyn FnMut(ItemReview) -> Result<()>) -> Result<()> {
        self.do_for_each_item_review(f)
    }

    fn ledger_entry(&self, seq: i64) -> Result<Option<LedgerEntry>> {
        self.do_ledger_entry(seq)
    }

    fn ledger_for(&self, entity: &str) -> Result<Vec<LedgerEntry>> {
        self.do_ledger_for(entity)
    }

    fn review(&mut self, f: &mut dyn FnMut(&mut dyn ReviewTx) -> Result<()>) -> Result<()> {
        self.write_tx(|tx| {
            let mut rtx = PgReviewTx::new(tx);
            f(&mut rtx)?;
            rtx.flush()
        })
    }

    fn add_items(&mut self, items: &[NewItem]) -> Result<Vec<i64>> {
        self.put_items(items, false)
    }

    fn replayable(&mut self, f: &mut dyn FnMut(&mut dyn Store) -> Result<()>) -> Result<()> {
        // The server's WAL keeps commits in order, as SQLite's does.
        if self.ingest_open {
            return f(self);
        }
        self.client()?
            .batch_execute("SET synchronous_commit = off")?;
        let r = f(self);
        // (a connection made afresh meanwhile has the default already)
        if let Ok(mut c) = self.client() {
            let _ = c.batch_execute("SET synchronous_commit = on");
        }
        r
    }

    fn refresh_items(&mut self, items: &[NewItem]) -> Result<Vec<i64>> {
        self.put_items(items, true)
    }

    fn decisions(&self, item: i64) -> Result<Vec<DecisionRow>> {
        self.read(|c| {
            Ok(c.query(
                &format!(
                    "SELECT {DECISION_COLS} FROM decisions WHERE item_id = $1 ORDER BY ledger_seq"
                ),
                &[&item],
            )?
            .iter()
            .map(decision_row)
            .collect())
        })
    }

    fn decisions_by(&self, reviewer: &str, since: DateTime<Utc>) -> Result<Vec<DecisionRow>> {
        self.read(|c| {
            Ok(c.query(
                &format!("SELECT {DECISION_COLS} FROM decisions WHERE reviewer = $1 AND decided_at >= $2 ORDER BY ledger_seq DESC"),
                &[&reviewer, &micros(since)],
            )?
            .iter()
            .map(decision_row)
            .collect())
        })
    }

    fn decisions_between(
        &self,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> Result<Vec<DecisionRow>> {
        self.do_decisions_between(from, to)
    }

    fn incidents(&self) -> Result<Vec<Incident>> {
        self.read(|c| {
            let mut out: Vec<Incident> = c
                .query(
                    &format!("SELECT {INCIDENT_COLS} FROM incidents ORDER BY id"),
                    &[],
                )?
                .iter()
                .map(incident_row)
                .collect();
            for i in &mut out {
                incident_links(c, i)?;
            }
            Ok(out)
        })
    }

    fn incident_notes(&self, id: i64) -> Result<Vec<IncidentNote>> {
        self.read(|c| {
            Ok(c.query(
                "SELECT author, at, note FROM incident_notes WHERE incident_id = $1 ORDER BY id",
                &[&id],
            )?
            .iter()
            .map(|r| IncidentNote {
                author: r.get(0),
                at: from_micros(r.get(1)),
                note: r.get(2),
            })
            .collect())
        })
    }

    fn sanctions(&self) -> Result<Vec<Sanction>> {
        self.read(|c| {
            Ok(c.query(
                &format!("SELECT {SANCTION_COLS} FROM sanctions ORDER BY id"),
                &[],
            )?
            .iter()
            .map(sanction_row)
            .collect())
        })
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
        let rows = self.read(|c| Ok(c.query("SELECT id, data FROM risks ORDER BY id", &[])?))?;
        rows.iter()
            .map(|r| {
                let mut risk: super::Risk = serde_json::from_str(r.get::<_, &str>(1))?;
                risk.id = r.get(0);
                Ok(risk)
            })
            .collect()
    }

    fn events_by_id(&self, ids: &[i64]) -> Result<Vec<(Event, Vec<u8>)>> {
        self.do_events_by_id(ids)
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
        self.read(|c| {
            Ok(
                c.query_opt("SELECT value FROM meta WHERE key = $1", &[&key])?
                    .map(|r| r.get(0)),
            )
        })
    }

    fn set_meta(&mut self, key: &str, value: &str) -> Result<()> {
        self.write(|c| {
            c.execute(
                "INSERT INTO meta (key, value) VALUES ($1, $2) ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value",
                &[&key, &value],
            )?;
            Ok(())
        })
    }

    fn seen(&self) -> Result<Vec<Seen>> {
        self.do_seen()
    }

    fn add_seen(&mut self, rows: &[Seen]) -> Result<()> {
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

    fn suppressions(&self) -> Result<Vec<Suppression>> {
        self.do_suppressions()
    }

    fn items_covered(&self, s: &Suppression) -> Result<(u64, u64)> {
        self.read(|c| {
            let r = c.query_one(
                "SELECT count(*) FILTER (WHERE i.status IN ('new', 'reopened')), count(*) FILTER (WHERE i.status NOT IN ('new', 'reopened'))
                 FROM items i WHERE i.actor = $1 AND ($2::text IS NULL OR i.subject = $2) AND i.occurred_at < $4
                 AND ($3::text IS NULL OR EXISTS (SELECT 1 FROM item_rules r WHERE r.item_id = i.id AND r.rule = $3))",
                &[&s.actor, &s.subject, &s.rule, &micros(s.until)],
            )?;
            Ok((r.get::<_, i64>(0) as u64, r.get::<_, i64>(1) as u64))
        })
    }
}

/// Direct access for tests and `vigil store` commands.
impl PgStore {
    pub fn execute_sql(&self, sql: &str) -> Result<()> {
        self.write(|c| Ok(c.batch_execute(sql)?))
    }

    /// A second connection to the same database, for listening.
    pub fn connect_again(&self) -> Result<Client> {
        self.connector.connect()
    }
}
