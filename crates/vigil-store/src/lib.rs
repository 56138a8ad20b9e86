//! Where events, review state and the ledger live: one `Store` trait, with
//! SQLite for one host (and PostgreSQL for a team, behind the same trait).
//!
//! The trait is synchronous: the CLI calls it directly and the TUI calls it
//! from worker threads, never from the UI thread.

mod checkpointer;
pub mod error;
pub mod keys;
pub mod ledger;
pub mod pg_connect;
pub mod pg_grants;
mod postgres;
mod records;
mod sqlite;
mod sqlite_review;
pub mod watch;

use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};
use color_eyre::eyre::{Result, bail};
use serde::Serialize;

pub use error::StoreError;
pub use ledger::{Break, LedgerEntry, NewLedgerEntry};
pub use pg_connect::PgTarget;
pub use postgres::{PgStore, host_name};
pub use records::{
    DecisionRow, Incident, IncidentNote, IncidentStatus, ItemReview, ItemState, NewItem, Risk,
    Safeguard, Sanction, Seen, Suppression,
};
pub use sqlite::{SqliteStore, network_fs_name};
use vigil_domain::query::Query;
use vigil_domain::{Event, Item, NewEvent, SafeText};
pub use vigil_domain::{SourceId, Stream};

/// Events listed by the items about a time range, for `flagged_events`
/// (by the items' time index: no index from events back to items is kept).
const FLAGGED_SQL_SQLITE: &str =
    "SELECT ie.event_id FROM items i JOIN item_events ie ON ie.item_id = i.id
     WHERE i.occurred_at >= ?1 AND i.occurred_at < ?2";
const FLAGGED_SQL_PG: &str =
    "SELECT ie.event_id FROM items i JOIN item_events ie ON ie.item_id = i.id
     WHERE i.occurred_at >= $1 AND i.occurred_at < $2";

/// A source's activity in one quarter-hour: events stored, and items raised
/// (by the time they are about) with how many are decided or escalated.
/// Quarter-hours, so days can be cut in any time zone.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Activity15 {
    pub source: String,
    pub at: DateTime<Utc>,
    pub events: u64,
    pub items: u64,
    pub decided: u64,
}

impl Activity15 {
    pub fn empty(source: String, at: DateTime<Utc>) -> Self {
        Activity15 {
            source,
            at,
            events: 0,
            items: 0,
            decided: 0,
        }
    }
}

/// Review totals over the items about a period, for reports.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ReviewStats {
    /// Per rule: items, decided, decided false-positive.
    pub rules: Vec<(String, u64, u64, u64)>,
    pub dispositions: Vec<(String, u64)>,
    /// Per reviewer: review acts (decisions, reverts, approvals, …).
    pub reviewers: Vec<(String, u64)>,
    /// Per decided item: microseconds from its activity to its first decision.
    pub to_decision_us: Vec<i64>,
}

/// The queue's query: items matching `clause` (with `claimed` worked out
/// from the lease), most severe and oldest first, `limit` from `offset`
/// (0: all), highest risk score first. Both stores read its columns in this order.
fn items_sql(
    dialect: vigil_domain::query::Dialect,
    clause: &str,
    offset: u64,
    limit: u64,
) -> String {
    let now = dialect.now_us();
    let window = if limit > 0 {
        format!("LIMIT {limit} OFFSET {offset}")
    } else {
        String::new()
    };
    format!(
        "SELECT i.id, i.kind, s.name, i.occurred_at, i.actor, i.subject, i.title, i.severity,
                CASE WHEN i.status IN ('new', 'reopened') AND i.claimed_by IS NOT NULL AND i.claim_expires > {now} THEN 'claimed' ELSE i.status END,
                i.disposition,
                CASE WHEN i.claim_expires > {now} THEN i.claimed_by END,
                i.score, i.score_note
         FROM items i LEFT JOIN sources s ON s.id = i.source_id
         WHERE {clause} ORDER BY i.score DESC, i.occurred_at, i.id {window}"
    )
}

/// Microseconds in a quarter-hour.
const QUARTER_US: i64 = 900_000_000;

/// One event of an actor's: id, time, subject.
pub type Activity = (i64, DateTime<Utc>, Option<String>);

/// A record that could not be parsed, kept with its place and reason.
#[derive(Debug, Clone, PartialEq)]
pub struct Quarantined {
    pub offset: Option<u64>,
    pub reason: String,
    pub raw: Vec<u8>,
}

/// A stretch of a source that may never have been read.
#[derive(Debug, Clone, PartialEq)]
pub struct Gap {
    pub stream_id: Option<i64>,
    pub offset: Option<u64>,
    pub reason: String,
}

/// Everything one read of a stream produced, committed in one transaction
/// together with the stream's new checkpoint: a crash never loses or doubles
/// a record.
#[derive(Debug, Clone)]
pub struct Batch {
    pub source_id: SourceId,
    /// The checkpoint to write on commit.
    pub stream: Stream,
    /// The stream's offset as last committed: the commit only succeeds if it
    /// is still that, so two readers of one file never both store it.
    pub since: u64,
    pub events: Vec<NewEvent>,
    /// Clinical context (encounters…) the batch's records held: upserted by
    /// key, apart from the events.
    pub context: Vec<vigil_domain::Encounter>,
    pub quarantined: Vec<Quarantined>,
    pub gaps: Vec<Gap>,
}

/// Another reader moved a stream's checkpoint while this one was reading:
/// its records are in the store, and this read was rolled back.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckpointMoved {
    pub stream_id: i64,
}

impl std::fmt::Display for CheckpointMoved {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "another vigil read this file at the same time (stream {}); its records were kept and this read was dropped",
            self.stream_id
        )
    }
}

impl std::error::Error for CheckpointMoved {}

/// What `write_batch` stored.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct BatchOutcome {
    /// The ids the batch's events were stored under, in order.
    pub ids: Vec<i64>,
    pub events: u64,
    /// Events whose dedupe key was already stored.
    pub duplicates: u64,
    pub quarantined: u64,
}

/// What the per-host daily summary reads of one event (text already
/// neutralized, as stored).
#[derive(Debug, Clone, Copy)]
pub struct HostRow<'a> {
    pub host: Option<&'a str>,
    pub source: &'a str,
    pub occurred_at: DateTime<Utc>,
    pub action: &'a str,
    pub outcome: vigil_domain::Outcome,
    pub actor: Option<&'a str>,
    pub client: Option<&'a str>,
    pub subject: Option<&'a str>,
    pub detail: Option<&'a str>,
    /// The record, only for what no parser understood.
    pub raw: Option<&'a str>,
}

/// How a source is doing, for `vigil sources` and the TUI.
#[derive(Debug, Clone, Serialize)]
pub struct SourceStatus {
    pub name: SafeText,
    /// The host that pulls it into a shared store (empty on SQLite).
    pub collector: SafeText,
    pub kind: SafeText,
    pub last_pull_at: Option<DateTime<Utc>>,
    pub last_success_at: Option<DateTime<Utc>>,
    pub last_error: Option<SafeText>,
    pub events: u64,
    pub quarantined: u64,
    pub gaps: u64,
    pub streams: Vec<Stream>,
}

/// A quarantined record as listed back to the user.
#[derive(Debug, Clone, Serialize)]
pub struct QuarantineRow {
    pub source: SafeText,
    pub path: Option<SafeText>,
    pub offset: Option<u64>,
    pub reason: SafeText,
    pub raw: SafeText,
}

/// A gap as listed back to the user.
#[derive(Debug, Clone, Serialize)]
pub struct GapRow {
    pub source: SafeText,
    pub path: Option<SafeText>,
    pub detected_at: DateTime<Utc>,
    pub offset: Option<u64>,
    pub reason: SafeText,
}

/// The result of walking the ledger.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verification {
    pub entries: u64,
    pub head_seq: i64,
    pub head_hash: String,
    pub broken: Option<Break>,
}

/// The migrations that exist and which ran.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MigrationReport {
    pub from: i64,
    pub to: i64,
}

pub trait Store: Send {
    /// Applies pending migrations; refuses a schema newer than this binary.
    fn migrate(&mut self) -> Result<MigrationReport>;
    fn schema_version(&self) -> Result<i64>;

    /// The id of a configured source, registering it on first use.
    fn ensure_source(&mut self, name: &str, kind: &str) -> Result<SourceId>;
    fn streams(&self, source: SourceId) -> Result<Vec<Stream>>;
    /// Registers a newly seen file with an empty checkpoint; if another
    /// reader registered the same content first, returns that stream.
    fn add_stream(&mut self, stream: &Stream) -> Result<Stream>;
    /// Marks a stream (truncated, say) and records a gap, in one transaction.
    fn mark_stream(&mut self, stream_id: i64, status: &str, gap: &Gap) -> Result<()>;
    /// Marks a stream whose file is read whole and never grows (a gzip
    /// delivery file) as finished, so it is not read again.
    fn mark_done(&mut self, stream_id: i64) -> Result<()>;
    /// Writes a batch of records. With `commit` false the transaction stays
    /// open for the next batch: fewer, larger transactions make index upkeep
    /// far cheaper. With `commit` true the stream's checkpoint is written and
    /// everything since the last commit becomes durable together, so a crash
    /// never loses or doubles a record. An error rolls the transaction back.
    fn write_batch(&mut self, batch: &Batch, commit: bool) -> Result<BatchOutcome>;
    /// Records when a source was pulled and whether it failed.
    fn record_pull(
        &mut self,
        source: SourceId,
        at: DateTime<Utc>,
        error: Option<&str>,
    ) -> Result<()>;

    /// Events matching a filter, oldest first, at most `limit` (0 = all).
    fn for_each_event(
        &self,
        filter: &Query,
        limit: u64,
        f: &mut dyn FnMut(Event) -> Result<()>,
    ) -> Result<()>;
    fn count_events(&self, filter: &Query) -> Result<u64>;
    /// Another connection to the same store, for a long read to run on a
    /// second thread beside this one; `None` where a store offers none.
    fn reader(&self) -> Result<Option<Box<dyn Store + Send>>> {
        Ok(None)
    }
    /// The fields the per-host daily summary reads, of the events in
    /// [from, to) from sources of `kinds` whose action is one of `actions`,
    /// or one of `failures` and failed: no raw bytes, except of what no
    /// parser understood. A store may answer it with a narrower read than
    /// `for_each_event`'s.
    fn for_each_host_row(
        &self,
        kinds: &[&str],
        from: DateTime<Utc>,
        to: DateTime<Utc>,
        actions: &[&str],
        failures: &[&str],
        f: &mut dyn FnMut(&HostRow<'_>) -> Result<()>,
    ) -> Result<()> {
        for kind in kinds {
            // The filter's dates are UTC days: a day either side, the
            // times held exactly below.
            let day = |t: DateTime<Utc>| t.date_naive();
            let q = Query::parse(&format!(
                "kind:{kind} after:{} before:{}",
                day(from) - chrono::Duration::days(1),
                day(to) + chrono::Duration::days(1),
            ))
            .map_err(|e| color_eyre::eyre::eyre!("{e}"))?;
            self.for_each_event(&q, 0, &mut |e| {
                let action = e.action.as_str();
                if e.occurred_at < from
                    || e.occurred_at >= to
                    || !(actions.contains(&action)
                        || e.outcome == vigil_domain::Outcome::Failure
                            && failures.contains(&action))
                {
                    return Ok(());
                }
                fn s(t: &Option<SafeText>) -> Option<&str> {
                    t.as_ref().map(SafeText::as_str)
                }
                f(&HostRow {
                    host: s(&e.host),
                    source: e.source.as_str(),
                    occurred_at: e.occurred_at,
                    action: e.action.as_str(),
                    outcome: e.outcome,
                    actor: s(&e.actor),
                    client: s(&e.client),
                    subject: s(&e.subject),
                    detail: s(&e.detail),
                    raw: (e.action.as_str() == vigil_domain::action::OTHER)
                        .then_some(e.raw.as_str()),
                })
            })?;
        }
        Ok(())
    }
    /// Review items matching a filter, most severe and oldest first.
    fn items(&self, filter: &Query, limit: u64) -> Result<Vec<Item>>;
    /// One page of the queue: items matching a filter from `offset` on.
    fn items_page(&self, filter: &Query, offset: u64, limit: u64) -> Result<Vec<Item>>;
    fn count_items(&self, filter: &Query) -> Result<u64>;
    /// The newest item's id, 0 with none.
    fn newest_item(&self) -> Result<i64>;
    /// One item by id, with its rules and events.
    fn item(&self, id: i64) -> Result<Option<Item>>;
    /// The item with this group key, if any.
    fn item_by_key(&self, key: &str) -> Result<Option<Item>>;

    fn source_status(&self) -> Result<Vec<SourceStatus>>;
    fn quarantine(&self, source: Option<&str>, limit: u64) -> Result<Vec<QuarantineRow>>;
    /// One source's most recently quarantined records, newest first.
    fn latest_quarantine(&self, source: &str, limit: u64) -> Result<Vec<QuarantineRow>>;
    fn gaps(&self, source: Option<&str>) -> Result<Vec<GapRow>>;

    /// Appends one entry to the ledger and returns it sealed.
    fn append_ledger(&mut self, entry: &NewLedgerEntry) -> Result<LedgerEntry>;
    /// Walks the whole chain and holds every review table to it; stops at
    /// the first break.
    fn verify_ledger(&self) -> Result<Verification>;
    /// Up to `limit` entries after `seq`, in order (a tail, page by page).
    fn ledger_after(&self, seq: i64, limit: u64) -> Result<Vec<LedgerEntry>>;
    /// Every item's review columns, in id order (verify reads them all).
    fn for_each_item_review(&self, f: &mut dyn FnMut(ItemReview) -> Result<()>) -> Result<()>;
    /// The entry with this sequence number, if it exists.
    fn ledger_entry(&self, seq: i64) -> Result<Option<LedgerEntry>>;
    /// Ledger entries about one entity (`item:42`), oldest first.
    fn ledger_for(&self, entity: &str) -> Result<Vec<LedgerEntry>>;

    /// Runs `f` in one write transaction with durable commit: everything it
    /// does lands together or not at all. The review service's only door.
    fn review(&mut self, f: &mut dyn FnMut(&mut dyn ReviewTx) -> Result<()>) -> Result<()>;

    /// Adds review items; an item whose group key exists already gets the
    /// new rules and events merged into it. Returns the item ids.
    fn add_items(&mut self, items: &[NewItem]) -> Result<Vec<i64>>;
    /// Runs `f`, whose writes can be recomputed from stored events (the
    /// rules' items and memory, before the rules' cursor moves past them):
    /// they need not wait for the disk at each commit, since a crash loses
    /// them together with the cursor, in order, and the rules catch up.
    fn replayable(&mut self, f: &mut dyn FnMut(&mut dyn Store) -> Result<()>) -> Result<()>;
    /// As `add_items`, but an item whose key is stored takes the new title,
    /// severity, actor, subject and reasons (rule by rule) rather than
    /// keeping the first: a ticket shown as it stands now.
    fn refresh_items(&mut self, items: &[NewItem]) -> Result<Vec<i64>>;
    fn decisions(&self, item: i64) -> Result<Vec<DecisionRow>>;
    /// A reviewer's acts since a time, newest first.
    fn decisions_by(&self, reviewer: &str, since: DateTime<Utc>) -> Result<Vec<DecisionRow>>;
    /// Every review act made in [from, to), by when it was made.
    fn decisions_between(&self, from: DateTime<Utc>, to: DateTime<Utc>)
    -> Result<Vec<DecisionRow>>;
    fn incidents(&self) -> Result<Vec<Incident>>;
    fn incident_notes(&self, id: i64) -> Result<Vec<IncidentNote>>;
    fn sanctions(&self) -> Result<Vec<Sanction>>;
    /// The risk register as it is now, by id.
    fn risks(&self) -> Result<Vec<Risk>>;
    /// Deletes raw events older than `before` that no item or incident
    /// lists (those are evidence, kept with the documentation), with their
    /// by-actor index entries; returns how many went. Never touches review
    /// state or the ledger.
    fn prune_events(&mut self, before: DateTime<Utc>) -> Result<u64>;
    /// Review totals over the items about [from, to), counted in the store.
    fn review_stats(&self, from: DateTime<Utc>, to: DateTime<Utc>) -> Result<ReviewStats>;
    /// Each source's activity by quarter-hour in [from, to).
    fn activity(&self, from: DateTime<Utc>, to: DateTime<Utc>) -> Result<Vec<Activity15>>;
    /// Events by id, for evidence.
    fn events_by_id(&self, ids: &[i64]) -> Result<Vec<(Event, Vec<u8>)>>;

    /// Events stored after `id` (by id), with their source ids: how the
    /// rules catch up after a crash or rerun over old events.
    fn events_after(
        &self,
        id: i64,
        since: Option<DateTime<Utc>>,
        limit: u64,
    ) -> Result<Vec<(i64, Event)>>;
    /// An actor's events in a time range, by the by-actor index: (id, time,
    /// subject).
    fn actor_activity(
        &self,
        actor: &str,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> Result<Vec<Activity>>;
    /// Ids of the accesses to one patient's record in [from, to), in time
    /// order, by the by-patient index (sources whose subject is a patient).
    fn patient_event_ids(
        &self,
        patient: &str,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> Result<Vec<i64>>;
    /// (event id, item id) for each review item that holds one of these
    /// events.
    fn items_of_events(&self, event_ids: &[i64]) -> Result<Vec<(i64, i64)>>;
    /// Ids of the events that the items about [from, to) list, handed to
    /// `each` (an id two items list comes twice). Items are grouped per
    /// day and list events of their own day or one either side, so the
    /// sampler reads each day's once and keeps three days of them.
    fn flagged_events(
        &self,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
        each: &mut dyn FnMut(i64),
    ) -> Result<()>;
    /// Ids of a source's events in a time range that `flagged` does not
    /// hold, handed to `each` one by one in no particular order (a busy
    /// day has millions: the sampler keeps only the few it draws).
    fn unflagged_events(
        &self,
        source_id: i64,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
        flagged: &dyn Fn(i64) -> bool,
        each: &mut dyn FnMut(i64),
    ) -> Result<()>;
    /// A small named value the engine keeps (the rules cursor, say).
    fn meta(&self, key: &str) -> Result<Option<String>>;
    fn set_meta(&mut self, key: &str, value: &str) -> Result<()>;
    fn seen(&self) -> Result<Vec<Seen>>;
    fn add_seen(&mut self, rows: &[Seen]) -> Result<()>;
    /// Replaces the roster and the patient demographics.
    fn replace_people(&mut self, people: &[vigil_domain::Person]) -> Result<()>;
    fn replace_patients(&mut self, patients: &[vigil_domain::Patient]) -> Result<()>;
    fn people(&self) -> Result<Vec<vigil_domain::Person>>;
    fn patients(&self) -> Result<Vec<vigil_domain::Patient>>;
    fn suppressions(&self) -> Result<Vec<Suppression>>;
    /// All stored clinical context, for explaining accesses.
    fn context(&self) -> Result<Vec<vigil_domain::Encounter>>;
    /// One patient's clinical context (for the sentences of explanations).
    fn context_of(&self, patient: &str) -> Result<Vec<vigil_domain::Encounter>>;
    /// Records (or replaces) the explanations of accesses.
    fn put_explanations(&mut self, rows: &[vigil_domain::Explained]) -> Result<()>;
    /// The explanations of these events (those that have one).
    fn explanations(&self, event_ids: &[i64]) -> Result<Vec<vigil_domain::Explained>>;
    /// Unexplained accesses (to one patient's record, or to any) between
    /// two times.
    fn unexplained(
        &self,
        patient: Option<&str>,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> Result<Vec<vigil_domain::Explained>>;
    /// The latest `limit` explanations between two times, newest first and
    /// without their notes: what the rules remember across runs (repeats,
    /// first contacts, sweeps, who was caring for whom).
    fn recent_explanations(
        &self,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
        limit: usize,
    ) -> Result<Vec<vigil_domain::Explained>>;
    /// How many accesses each explanation kind covers, per source (by
    /// name), between two times.
    fn explanation_counts(
        &self,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> Result<Vec<(String, vigil_domain::Explanation, u64)>>;
    /// Open and decided items a suppression would hide.
    fn items_covered(&self, s: &Suppression) -> Result<(u64, u64)>;
}

/// What the review service may do inside one transaction.
pub trait ReviewTx {
    fn item(&mut self, id: i64) -> Result<Option<ItemState>>;
    /// Writes status, disposition, decision, approval and claim; bumps version.
    fn put_item(&mut self, item: &ItemState) -> Result<()>;
    fn item_event_ids(&mut self, id: i64) -> Result<Vec<i64>>;
    fn decision(&mut self, id: &str) -> Result<Option<DecisionRow>>;
    fn add_decision(&mut self, d: &DecisionRow) -> Result<()>;
    /// Appends to the ledger inside this transaction.
    fn ledger(&mut self, e: &NewLedgerEntry) -> Result<LedgerEntry>;
    /// Person ids an account belongs to, from the roster.
    fn people_of(&mut self, account: &str) -> Result<Vec<String>>;
    /// Says which items and decision ids the transaction is about to use,
    /// so a store across a network can fetch (and lock) them in one round
    /// trip rather than one per item.
    fn prefetch(&mut self, _items: &[i64], _decisions: &[String]) -> Result<()> {
        Ok(())
    }
    fn add_incident(&mut self, i: &Incident) -> Result<i64>;
    fn incident(&mut self, id: i64) -> Result<Option<Incident>>;
    fn put_incident(&mut self, i: &Incident) -> Result<()>;
    fn add_incident_note(&mut self, id: i64, note: &IncidentNote) -> Result<()>;
    fn add_sanction(&mut self, s: &Sanction, at: DateTime<Utc>) -> Result<i64>;
    fn add_suppression(&mut self, s: &Suppression, at: DateTime<Utc>) -> Result<i64>;
    fn risk(&mut self, id: i64) -> Result<Option<Risk>>;
    /// Adds a risk (its `id` is ignored) and returns its id.
    fn add_risk(&mut self, r: &Risk, at: DateTime<Utc>) -> Result<i64>;
    fn put_risk(&mut self, r: &Risk, at: DateTime<Utc>) -> Result<()>;
}

/// Where a store lives, as given by `--store`, `VIGIL_STORE` or the config.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StoreUrl {
    Sqlite(PathBuf),
    Postgres(PgTarget),
}

impl StoreUrl {
    /// `sqlite:PATH`, `postgres://…`, or a plain path.
    pub fn parse(s: &str, relative_to: Option<&Path>) -> Result<StoreUrl> {
        if s.starts_with("postgres://") || s.starts_with("postgresql://") {
            return Ok(StoreUrl::Postgres(PgTarget {
                url: s.to_owned(),
                password_env: None,
                password_file: None,
            }));
        }
        let path = s.strip_prefix("sqlite:").unwrap_or(s);
        let path = path.strip_prefix("//").unwrap_or(path);
        if path.is_empty() {
            bail!("store URL {s:?} names no file: write sqlite:/path/to/vigil.db");
        }
        if path.contains("://") {
            bail!(
                "store URL {s:?} is not understood: use sqlite:PATH, a plain path, or postgres://…"
            );
        }
        let p = PathBuf::from(path);
        Ok(StoreUrl::Sqlite(match relative_to {
            Some(base) if p.is_relative() => base.join(p),
            _ => p,
        }))
    }

    /// Where a PostgreSQL store's password is kept (`[store] password_env`
    /// and `password_file`); a SQLite store has none.
    pub fn with_password(self, env: Option<&str>, file: Option<&Path>) -> StoreUrl {
        match self {
            StoreUrl::Postgres(mut t) => {
                t.password_env = env.map(str::to_owned);
                t.password_file = file.map(Path::to_path_buf);
                StoreUrl::Postgres(t)
            }
            other => other,
        }
    }

    /// Opens the store and brings its schema up to date.
    pub fn open(&self) -> Result<Box<dyn Store>> {
        let mut s = self.connect()?;
        s.migrate()?;
        Ok(s)
    }

    /// Opens the store as it is, without migrating.
    pub fn connect(&self) -> Result<Box<dyn Store>> {
        match self {
            StoreUrl::Sqlite(path) => Ok(Box::new(SqliteStore::open(path)?)),
            StoreUrl::Postgres(t) => Ok(Box::new(PgStore::open(t)?)),
        }
    }
}

impl std::fmt::Display for StoreUrl {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            StoreUrl::Sqlite(p) => write!(f, "sqlite:{}", p.display()),
            // never print a password that may sit in the URL
            StoreUrl::Postgres(t) => f.write_str(&pg_connect::redact(&t.url)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn store_urls() {
        assert_eq!(
            StoreUrl::parse("sqlite:/var/lib/vigil.db", None).unwrap(),
            StoreUrl::Sqlite("/var/lib/vigil.db".into())
        );
        assert_eq!(
            StoreUrl::parse("vigil.db", Some(Path::new("/etc/vigil"))).unwrap(),
            StoreUrl::Sqlite("/etc/vigil/vigil.db".into())
        );
        assert!(StoreUrl::parse("sqlite:", None).is_err());
        assert!(StoreUrl::parse("mysql://x", None).is_err());
        let pg = StoreUrl::parse("postgres://vigil:s3cret@db/vigil", None).unwrap();
        assert!(!pg.to_string().contains("s3cret"), "{pg}");
    }
}
