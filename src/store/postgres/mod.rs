//! The PostgreSQL store: one database shared by a team of reviewers on
//! several hosts. Same tables and meaning as the SQLite store; ingest goes
//! in by binary COPY; review transactions serialize on one advisory lock so
//! the ledger stays one chain; a dropped connection is reopened and a review
//! transaction whose COMMIT was lost is run again, which its client-made
//! decision ids make land exactly once.

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
use crate::domain::{
    Disposition, Event, Item, ItemKind, ItemRule, Outcome, SafeText, Severity, Status, TimeBasis,
};
use crate::query::{Dialect, Param, Query, Target};
use review::PgReviewTx;

/// Schema migrations, in order; `vigil_schema` records the last applied.
const MIGRATIONS: &[&str] = &[
    include_str!("../migrations/postgres/0001_init.sql"),
    include_str!("../migrations/postgres/0002_ledger_seal.sql"),
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
    ingest_events: i64,
    /// Event ids of this connection's sequence blocks not used yet.
    id_pool: std::collections::VecDeque<std::ops::Range<i64>>,
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
pub fn is_transient(e: &color_eyre::Report) -> bool {
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

const EVENT_FROM: &str =
    "events e JOIN sources s ON s.id = e.source_id LEFT JOIN actors a ON a.id = e.actor_id";
const STREAM_COLS: &str = "id, source_id, path, dev, inode, head_len, head_hash, \"offset\", records, parser_state, status";

fn event_row(r: &Row) -> (Event, Vec<u8>) {
    let outcome: String = r.get(8);
    let raw: Vec<u8> = r.get(10);
    (
        Event {
            id: r.get(0),
            source: SafeText::new(r.get::<_, &str>(1)),
            kind: SafeText::new(r.get::<_, &str>(2)),
            occurred_at: from_micros(r.get(3)),
            host: opt_text(r.get(4)),
            actor: opt_text(r.get(5)),
            subject: opt_text(r.get(6)),
            action: SafeText::new(r.get::<_, &str>(7)),
            outcome: outcome.parse().unwrap_or(Outcome::Unknown),
            client: opt_text(r.get(9)),
            raw: SafeText::from_bytes(&raw),
            program: opt_text(r.get(11)),
            detail: opt_text(r.get(12)),
            time_basis: TimeBasis::from_bits(r.get(13)).describe(),
        },
        raw,
    )
}

fn stream_row(r: &Row) -> Stream {
    Stream {
        id: r.get(0),
        source_id: r.get(1),
        path: r.get(2),
        dev: r.get::<_, Option<i64>>(3).map(|v| v as u64),
        inode: r.get::<_, Option<i64>>(4).map(|v| v as u64),
        head_len: r.get::<_, i64>(5) as u64,
        head_hash: r.get(6),
        offset: r.get::<_, i64>(7) as u64,
        records: r.get::<_, i64>(8) as u64,
        parser_state: r.get(9),
        status: r.get(10),
    }
}

fn ledger_row(r: &Row) -> LedgerEntry {
    LedgerEntry {
        seq: r.get(0),
        at: r.get(1),
        actor: r.get(2),
        action: r.get(3),
        entity: r.get(4),
        payload: r.get(5),
        prev_hash: r.get(6),
        hash: r.get(7),
        seal: r.get(8),
    }
}

pub(super) fn decision_row(r: &Row) -> DecisionRow {
    let disposition: Option<String> = r.get(5);
    DecisionRow {
        id: r.get(0),
        item_id: r.get(1),
        kind: r.get(2),
        reviewer: r.get(3),
        decided_at: from_micros(r.get(4)),
        disposition: disposition.and_then(|d| d.parse().ok()),
        note: r.get(6),
        reverts: r.get(7),
        session: r.get(8),
        ledger_seq: r.get(9),
        prior_status: r.get::<_, Option<String>>(10).and_then(|s| s.parse().ok()),
    }
}

pub(super) fn incident_row(r: &Row) -> Incident {
    let status: String = r.get(3);
    Incident {
        id: r.get(0),
        title: r.get(1),
        severity: r.get(2),
        status: IncidentStatus::parse(&status).unwrap_or(IncidentStatus::Open),
        assignee: r.get(4),
        outcome: r.get(5),
        opened_by: r.get(6),
        opened_at: from_micros(r.get(7)),
        closed_at: r.get::<_, Option<i64>>(8).map(from_micros),
        risk_update_needed: r.get(9),
        remote_key: r.get(10),
        item_ids: Vec::new(),
        event_ids: Vec::new(),
    }
}

pub(super) fn sanction_row(r: &Row) -> Sanction {
    let ids: String = r.get(8);
    Sanction {
        id: r.get(0),
        member: r.get(1),
        category: r.get(2),
        tier: r.get(3),
        sanction: r.get(4),
        decided_by: r.get(5),
        decided_on: r.get(6),
        incident_id: r.get(7),
        decision_ids: serde_json::from_str(&ids).unwrap_or_default(),
        notice_sent: r.get(9),
        note: r.get(10),
    }
}

pub(super) fn incident_links(c: &mut impl GenericClient, i: &mut Incident) -> Result<()> {
    i.item_ids = c
        .query(
            "SELECT item_id FROM incident_items WHERE incident_id = $1 ORDER BY item_id",
            &[&i.id],
        )?
        .iter()
        .map(|r| r.get(0))
        .collect();
    i.event_ids = c
        .query(
            "SELECT event_id FROM incident_events WHERE incident_id = $1 ORDER BY event_id",
            &[&i.id],
        )?
        .iter()
        .map(|r| r.get(0))
        .collect();
    Ok(())
}

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
            ingest_events: 0,
            id_pool: Default::default(),
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

    /// Ids of the actor names, interning new ones, in the open transaction.
    fn intern_actors(&mut self, names: &[&str]) -> Result<()> {
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

    fn write_batch_rows(&mut self, b: &Batch, commit: bool) -> Result<BatchOutcome> {
        let mut out = BatchOutcome::default();
        let now = micros(Utc::now());
        let names: Vec<&str> = b
            .events
            .iter()
            .filter_map(|e| e.actor.as_ref().map(SafeText::as_str))
            .collect();
        self.intern_actors(&names)?;
        let mut c = self.conn.borrow_mut();
        if !b.events.is_empty() {
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
                .chunk_by(|a, b| a.0 == b.0)
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
            // existing id -> (highest severity, latest title)
            let mut bumped: HashMap<i64, (i64, &str)> = HashMap::new();
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
                        let e = bumped.entry(id).or_insert((it.severity.rank(), &it.title));
                        *e = (e.0.max(it.severity.rank()), &it.title);
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
                tx.execute(
                    "INSERT INTO items (id, kind, source_id, occurred_at, actor, subject, title, severity, group_key, created_at, updated_at)
                     SELECT v.*, $10, $10 FROM unnest($1::bigint[], $2::text[], $3::bigint[], $4::bigint[], $5::text[], $6::text[], $7::text[], $8::bigint[], $9::text[]) AS v",
                    &[&item_ids, &kinds, &sources, &times, &actors, &subjects, &titles, &sevs, &keys, &now],
                )?;
            }
            if !bumped.is_empty() {
                let (ids_b, rest): (Vec<i64>, Vec<(i64, &str)>) = bumped.into_iter().unzip();
                let (sevs, titles): (Vec<i64>, Vec<&str>) = rest.into_iter().unzip();
                tx.execute(
                    "UPDATE items SET severity = GREATEST(items.severity, v.sev), title = v.title, updated_at = $4
                     FROM unnest($1::bigint[], $2::bigint[], $3::text[]) AS v(id, sev, title) WHERE items.id = v.id",
                    &[&ids_b, &sevs, &titles, &now],
                )?;
            }
            for (id, it) in &replaced {
                tx.execute(
                    "UPDATE items SET severity = $2, title = $3, actor = $4, subject = $5, updated_at = $6, version = version + 1 WHERE id = $1",
                    &[id, &it.severity.rank(), &it.title, &it.actor, &it.subject, &now],
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
                &[&crate::store::ledger::STORE_ID_KEY, &id],
            )?;
            append_ledger(
                &mut tx,
                &crate::store::ledger::genesis_entry(&id, Utc::now()),
            )?;
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
                self.ingest_events = 0;
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
        let w = filter.to_sql(Target::Items, Dialect::Postgres, 1)?;
        let sql = format!(
            "SELECT count(*) FROM items i LEFT JOIN sources s ON s.id = i.source_id WHERE {}",
            w.clause
        );
        let values = bind(&w.params);
        self.read(|c| Ok(c.query_one(&sql, &refs(&values))?.get::<_, i64>(0) as u64))
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

    fn quarantine(&self, source: Option<&str>, limit: u64) -> Result<Vec<QuarantineRow>> {
        let limit = if limit == 0 { None } else { Some(limit as i64) };
        self.read(|c| {
            Ok(c.query(
                "SELECT s.name, t.path, q.\"offset\", q.reason, q.raw
                 FROM quarantine q JOIN sources s ON s.id = q.source_id LEFT JOIN streams t ON t.id = q.stream_id
                 WHERE ($1::text IS NULL OR s.name = $1) ORDER BY q.id LIMIT $2",
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

    fn gaps(&self, source: Option<&str>) -> Result<Vec<GapRow>> {
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

    fn append_ledger(&mut self, entry: &NewLedgerEntry) -> Result<LedgerEntry> {
        self.write_tx(|tx| append_ledger(tx, entry))
    }

    fn verify_ledger(&self) -> Result<Verification> {
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
        crate::store::ledger::verification(v, broken, self)
    }

    fn ledger_after(&self, seq: i64, limit: u64) -> Result<Vec<LedgerEntry>> {
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

    fn for_each_item_review(&self, f: &mut dyn FnMut(ItemReview) -> Result<()>) -> Result<()> {
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

    fn ledger_entry(&self, seq: i64) -> Result<Option<LedgerEntry>> {
        self.read(|c| {
            Ok(c.query_opt(
                &format!("SELECT {LEDGER_COLS} FROM ledger WHERE seq = $1"),
                &[&seq],
            )?
            .as_ref()
            .map(ledger_row))
        })
    }

    fn ledger_for(&self, entity: &str) -> Result<Vec<LedgerEntry>> {
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
        let q = super::QUARTER_US;
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
        let mut out: std::collections::BTreeMap<(String, i64), super::Activity15> =
            Default::default();
        for r in &events {
            let (name, b): (String, i64) = (r.get(0), r.get(1));
            out.entry((name.clone(), b))
                .or_insert_with(|| super::Activity15::empty(name, from_micros(b * q)))
                .events = r.get::<_, i64>(2) as u64;
        }
        for r in &items {
            let (name, b): (String, i64) = (r.get(0), r.get(1));
            let a = out
                .entry((name.clone(), b))
                .or_insert_with(|| super::Activity15::empty(name, from_micros(b * q)));
            a.items = r.get::<_, i64>(2) as u64;
            a.decided = r.get::<_, i64>(3) as u64;
        }
        Ok(out.into_values().collect())
    }

    fn review_stats(&self, from: DateTime<Utc>, to: DateTime<Utc>) -> Result<super::ReviewStats> {
        let (from, to) = (micros(from), micros(to));
        self.read(|c| {
            let mut out = super::ReviewStats::default();
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

    fn prune_events(&mut self, before: DateTime<Utc>) -> Result<u64> {
        let before = micros(before);
        self.write(|c| {
            let mut tx = c.transaction()?;
            let n = tx.execute(
                "DELETE FROM events e WHERE e.occurred_at < $1
                 AND NOT EXISTS (SELECT 1 FROM item_events ie WHERE ie.event_id = e.id)
                 AND NOT EXISTS (SELECT 1 FROM incident_events x WHERE x.event_id = e.id)",
                &[&before],
            )?;
            // The runs that reach back before the cut are rebuilt from the
            // events that stay.
            let cut: Option<i64> = tx
                .query_one(
                    "SELECT min(first_at) FROM actor_runs WHERE first_at < $1",
                    &[&before],
                )?
                .get(0);
            if let Some(from) = cut {
                tx.execute("DELETE FROM actor_runs WHERE first_at < $1", &[&before])?;
                tx.execute(
                    "INSERT INTO actor_runs (actor_id, first_at, last_at, times, ids)
                     SELECT u.actor_id, min(u.occurred_at), max(u.occurred_at), array_agg(u.occurred_at ORDER BY u.occurred_at, u.event_id), array_agg(u.event_id ORDER BY u.occurred_at, u.event_id)
                     FROM (SELECT actor_id, occurred_at, id AS event_id FROM events
                           WHERE actor_id IS NOT NULL AND occurred_at >= $1
                           AND id NOT IN (SELECT event_id FROM actor_events)) u
                     GROUP BY u.actor_id",
                    &[&from],
                )?;
            }
            tx.execute(
                "UPDATE sources SET events = (SELECT count(*) FROM events e WHERE e.source_id = sources.id)",
                &[],
            )?;
            tx.commit()?;
            Ok(n)
        })
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

    fn events_after(
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

    fn actor_activity(
        &self,
        actor: &str,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> Result<Vec<super::Activity>> {
        self.read(|c| {
            Ok(c.query(
                "SELECT e.id, u.at, e.subject FROM actors an
                 JOIN actor_runs r ON r.actor_id = an.id AND r.last_at >= $2 AND r.first_at < $3
                 CROSS JOIN LATERAL unnest(r.times, r.ids) AS u(at, event_id)
                 JOIN events e ON e.id = u.event_id
                 WHERE an.name = $1 AND u.at >= $2 AND u.at < $3 ORDER BY u.at, u.event_id",
                &[&actor, &micros(from), &micros(to)],
            )?
            .iter()
            .map(|r| (r.get(0), from_micros(r.get(1)), r.get(2)))
            .collect())
        })
    }

    fn unflagged_events(
        &self,
        source_id: i64,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> Result<Vec<i64>> {
        self.read(|c| {
            let flagged: std::collections::HashSet<i64> = c
                .query(super::FLAGGED_SQL_PG, &[&micros(from), &micros(to)])?
                .iter()
                .map(|r| r.get(0))
                .collect();
            Ok(c.query(
                "SELECT e.id FROM events e WHERE e.occurred_at >= $1 AND e.occurred_at < $2 AND e.source_id = $3 ORDER BY e.id",
                &[&micros(from), &micros(to), &source_id],
            )?
            .iter()
            .map(|r| r.get::<_, i64>(0))
            .filter(|id| !flagged.contains(id))
            .collect())
        })
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
        self.read(|c| {
            Ok(
                c.query("SELECT actor, what, value, first_at FROM seen", &[])?
                    .iter()
                    .map(|r| Seen {
                        actor: r.get(0),
                        what: r.get(1),
                        value: r.get(2),
                        first_at: from_micros(r.get(3)),
                    })
                    .collect(),
            )
        })
    }

    fn add_seen(&mut self, rows: &[Seen]) -> Result<()> {
        if rows.is_empty() {
            return Ok(());
        }
        let actors: Vec<&str> = rows.iter().map(|s| s.actor.as_str()).collect();
        let whats: Vec<&str> = rows.iter().map(|s| s.what.as_str()).collect();
        let values: Vec<&str> = rows.iter().map(|s| s.value.as_str()).collect();
        let firsts: Vec<i64> = rows.iter().map(|s| micros(s.first_at)).collect();
        self.write(|c| {
            c.execute(
                "INSERT INTO seen (actor, what, value, first_at) SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::bigint[]) ON CONFLICT DO NOTHING",
                &[&actors, &whats, &values, &firsts],
            )?;
            Ok(())
        })
    }

    fn replace_people(&mut self, people: &[crate::domain::Person]) -> Result<()> {
        self.write(|c| {
            let mut tx = c.transaction()?;
            tx.batch_execute("DELETE FROM person_accounts; DELETE FROM people;")?;
            let p = tx.prepare(
                "INSERT INTO people (id, name, department, status, terminated_on, address, supervisor, shift, relatives) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
                 ON CONFLICT (id) DO UPDATE SET name = EXCLUDED.name, department = EXCLUDED.department, status = EXCLUDED.status, terminated_on = EXCLUDED.terminated_on, address = EXCLUDED.address, supervisor = EXCLUDED.supervisor, shift = EXCLUDED.shift, relatives = EXCLUDED.relatives",
            )?;
            let a = tx.prepare(
                "INSERT INTO person_accounts (account, person_id) VALUES ($1, $2) ON CONFLICT (account) DO UPDATE SET person_id = EXCLUDED.person_id",
            )?;
            for x in people {
                tx.execute(
                    &p,
                    &[
                        &x.id,
                        &x.name,
                        &x.department,
                        &x.status,
                        &x.terminated_on.map(|d| d.to_string()),
                        &x.address,
                        &x.supervisor,
                        &x.shift,
                        &serde_json::to_string(&x.relatives)?,
                    ],
                )?;
                for acct in &x.accounts {
                    tx.execute(&a, &[acct, &x.id])?;
                }
            }
            tx.commit()?;
            Ok(())
        })
    }

    fn replace_patients(&mut self, patients: &[crate::domain::Patient]) -> Result<()> {
        self.write(|c| {
            let mut tx = c.transaction()?;
            tx.execute("DELETE FROM patients", &[])?;
            let sink = tx.copy_in(
                "COPY patients (mrn, name, address, date_of_death, vip, employee_id) FROM STDIN (FORMAT binary)",
            )?;
            let mut w = BinaryCopyInWriter::new(
                sink,
                &[Type::TEXT, Type::TEXT, Type::TEXT, Type::TEXT, Type::BOOL, Type::TEXT],
            );
            // Later rows win for a repeated MRN, as INSERT OR REPLACE does.
            let mut last: HashMap<&str, usize> = HashMap::new();
            for (i, p) in patients.iter().enumerate() {
                last.insert(p.mrn.as_str(), i);
            }
            for (i, p) in patients.iter().enumerate() {
                if last.get(p.mrn.as_str()) != Some(&i) {
                    continue;
                }
                w.write(&[
                    &p.mrn,
                    &p.name,
                    &p.address,
                    &p.date_of_death.map(|d| d.to_string()),
                    &p.vip,
                    &p.employee_id,
                ])?;
            }
            w.finish()?;
            tx.commit()?;
            Ok(())
        })
    }

    fn people(&self) -> Result<Vec<crate::domain::Person>> {
        self.read(|c| {
            let mut accounts: HashMap<String, Vec<String>> = HashMap::new();
            for r in c.query(
                "SELECT account, person_id FROM person_accounts ORDER BY account",
                &[],
            )? {
                accounts.entry(r.get(1)).or_default().push(r.get(0));
            }
            Ok(c.query(
                "SELECT id, name, department, status, terminated_on, address, supervisor, shift, relatives FROM people ORDER BY id",
                &[],
            )?
            .iter()
            .map(|r| {
                let id: String = r.get(0);
                let relatives: String = r.get(8);
                crate::domain::Person {
                    accounts: accounts.get(&id).cloned().unwrap_or_default(),
                    id,
                    name: r.get(1),
                    department: r.get(2),
                    status: r.get(3),
                    terminated_on: r.get::<_, Option<String>>(4).and_then(|d| d.parse().ok()),
                    address: r.get(5),
                    supervisor: r.get(6),
                    shift: r.get(7),
                    relatives: serde_json::from_str(&relatives).unwrap_or_default(),
                }
            })
            .collect())
        })
    }

    fn patients(&self) -> Result<Vec<crate::domain::Patient>> {
        self.read(|c| {
            Ok(c.query(
                "SELECT mrn, name, address, date_of_death, vip, employee_id FROM patients",
                &[],
            )?
            .iter()
            .map(|r| crate::domain::Patient {
                mrn: r.get(0),
                name: r.get(1),
                address: r.get(2),
                date_of_death: r.get::<_, Option<String>>(3).and_then(|d| d.parse().ok()),
                vip: r.get(4),
                employee_id: r.get(5),
            })
            .collect())
        })
    }

    fn suppressions(&self) -> Result<Vec<Suppression>> {
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
