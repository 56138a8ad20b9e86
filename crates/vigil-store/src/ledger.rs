//! The ledger: an append-only SHA-256 hash chain over every change to review
//! state. Each entry's hash covers the previous entry's hash and a canonical
//! encoding of the entry, so changing, deleting, inserting or reordering any
//! row behind vigil's back breaks the chain at that row.

use std::collections::HashMap;
use std::fmt;

use chrono::{DateTime, SecondsFormat, Utc};
use serde::Serialize;
use sha2::{Digest, Sha256};
use vigil_domain::ledger::Entity;

/// The `prev_hash` of the first entry.
pub const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// The action of entry 1, which every store's creation writes.
pub const GENESIS_ACTION: &str = "store.create";

/// The meta key holding the store's id, which the genesis entry names.
pub const STORE_ID_KEY: &str = "store_id";

/// The genesis entry for a new store with id `store`.
pub fn genesis_entry(store: &str, at: DateTime<Utc>) -> NewLedgerEntry {
    NewLedgerEntry {
        at,
        actor: "vigil".into(),
        action: GENESIS_ACTION.into(),
        entity: Entity::Store.to_string(),
        payload: serde_json::json!({ "store": store }),
    }
}

/// A review row whose whole state the ledger holds: the entry that changes
/// it carries `"state": digest`, and `verify` recomputes the digest from the
/// row as stored. Every field counts, so no edit behind vigil's back passes.
pub trait Recorded {
    /// The ledger entity, e.g. `incident:3`.
    fn entity(&self) -> String;
    /// The row's fields, canonically: times at microseconds (as stored),
    /// lists sorted.
    fn fields(&self) -> serde_json::Value;
    fn digest(&self) -> [u8; 32] {
        Sha256::digest(self.fields().to_string().as_bytes()).into()
    }
}

/// The tables whose rows the ledger holds whole.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RowKind {
    Item,
    Incident,
    Sanction,
    Suppression,
    Risk,
}

/// A review row: its table and id. Compact, as verify keeps one for every
/// item a million entries touched.
pub type RowKey = (RowKind, i64);

/// `item:5` to its row, if the entity is a review row.
pub fn row_key(entity: &str) -> Option<RowKey> {
    let (kind, id) = entity.split_once(':')?;
    let kind = match kind {
        "item" => RowKind::Item,
        "incident" => RowKind::Incident,
        "sanction" => RowKind::Sanction,
        "suppression" => RowKind::Suppression,
        "risk" => RowKind::Risk,
        _ => return None,
    };
    Some((kind, id.parse().ok()?))
}

/// A time as the stores keep it.
pub fn ts(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Micros, true)
}

/// `payload` with the row's state digest added.
pub fn with_state(mut payload: serde_json::Value, row: &dyn Recorded) -> serde_json::Value {
    if let Some(m) = payload.as_object_mut() {
        m.insert("state".into(), hex::encode(row.digest()).into());
    }
    payload
}

/// A change to record: who did what to which entity, with its details.
#[derive(Debug, Clone)]
pub struct NewLedgerEntry {
    pub at: DateTime<Utc>,
    pub actor: String,
    /// What happened, e.g. `decision`, `claim`, `sanction.add`.
    pub action: String,
    /// What it happened to, e.g. `item:42`.
    pub entity: String,
    pub payload: serde_json::Value,
}

/// A stored entry, exactly as it sits in the store.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LedgerEntry {
    pub seq: i64,
    pub at: String,
    pub actor: String,
    pub action: String,
    pub entity: String,
    pub payload: String,
    pub prev_hash: String,
    pub hash: String,
    /// `KEYID:SIGNATURE` of `hash` by the writer's ledger key, if it had
    /// one. Outside the hash: the chain says where an entry stands, the
    /// seal who wrote it.
    pub seal: Option<String>,
}

impl NewLedgerEntry {
    /// Seals the entry as number `seq` after `prev_hash`.
    pub fn seal(&self, seq: i64, prev_hash: &str) -> LedgerEntry {
        let at = self.at.to_rfc3339_opts(SecondsFormat::Micros, true);
        // serde_json's Map is a BTreeMap here, so keys come out sorted: the
        // same value always encodes to the same text.
        let payload = self.payload.to_string();
        let hash = entry_hash(
            prev_hash,
            seq,
            &at,
            &self.actor,
            &self.action,
            &self.entity,
            &payload,
        );
        LedgerEntry {
            seq,
            at,
            actor: self.actor.clone(),
            action: self.action.clone(),
            entity: self.entity.clone(),
            payload,
            prev_hash: prev_hash.to_owned(),
            seal: super::keys::sealer().map(|k| k.seal(&hash)),
            hash,
        }
    }
}

/// SHA-256 over the previous hash and the canonical encoding of an entry: a
/// JSON array, so no field can bleed into the next.
pub fn entry_hash(
    prev_hash: &str,
    seq: i64,
    at: &str,
    actor: &str,
    action: &str,
    entity: &str,
    payload: &str,
) -> String {
    hex::encode(entry_digest(
        prev_hash, seq, at, actor, action, entity, payload,
    ))
}

/// `entry_hash` as bytes.
fn entry_digest(
    prev_hash: &str,
    seq: i64,
    at: &str,
    actor: &str,
    action: &str,
    entity: &str,
    payload: &str,
) -> [u8; 32] {
    // The same bytes as `json!([seq, at, actor, action, entity, payload])`,
    // written straight into one buffer: verify hashes a million of these.
    let mut buf = Vec::with_capacity(96 + at.len() + actor.len() + entity.len() + payload.len());
    buf.push(b'[');
    buf.extend_from_slice(seq.to_string().as_bytes());
    for field in [at, actor, action, entity, payload] {
        buf.push(b',');
        serde_json::to_writer(&mut buf, field).expect("writing to a Vec cannot fail");
    }
    buf.push(b']');
    let mut h = Sha256::new();
    h.update(prev_hash.as_bytes());
    h.update(b"\n");
    h.update(&buf);
    h.finalize().into()
}

/// Why the chain is broken at an entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Break {
    /// The entry's own hash does not match its contents.
    Altered { seq: i64 },
    /// The entry does not point at the hash of the entry before it.
    Unlinked { seq: i64 },
    /// Sequence numbers skip or go backwards.
    Sequence { expected: i64, found: i64 },
    /// The ledger no longer reaches a head that was checkpointed.
    MissingHead { seq: i64, hash: String },
    /// A table disagrees with what this entry recorded.
    Mismatch { seq: i64, what: String },
    /// Review state exists that no entry recorded.
    Unrecorded { what: String },
    /// The ledger does not begin with the entry that created this store.
    Genesis { what: String },
    /// A checkpoint kept outside the store no longer matches the ledger.
    Witnessed { seq: i64, what: String },
}

impl Break {
    pub fn seq(&self) -> i64 {
        match self {
            Break::Altered { seq }
            | Break::Unlinked { seq }
            | Break::MissingHead { seq, .. }
            | Break::Mismatch { seq, .. }
            | Break::Witnessed { seq, .. } => *seq,
            Break::Sequence { found, .. } => *found,
            Break::Unrecorded { .. } => 0,
            Break::Genesis { .. } => 1,
        }
    }
}

impl fmt::Display for Break {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Break::Altered { seq } => write!(
                f,
                "ledger entry {seq} was changed after it was written (its hash does not match its contents)"
            ),
            Break::Unlinked { seq } => write!(
                f,
                "ledger entry {seq} does not follow the entry before it (an entry was changed, removed, inserted or reordered)"
            ),
            Break::Sequence { expected, found } if found > expected => write!(
                f,
                "ledger entry {expected} is missing (next entry found is {found}): entries were deleted"
            ),
            Break::Sequence { expected, found } => write!(
                f,
                "ledger entry {found} appears where entry {expected} belongs: entries were inserted or reordered"
            ),
            Break::Mismatch { seq, what } => write!(
                f,
                "ledger entry {seq} no longer matches the review record: {what}"
            ),
            Break::Unrecorded { what } => {
                write!(f, "review record changed behind the ledger's back: {what}")
            }
            Break::Genesis { what } => write!(f, "ledger has lost its beginning: {what}"),
            Break::Witnessed { seq, what } => write!(
                f,
                "the witnessed checkpoint at entry {seq} no longer matches the ledger: {what}"
            ),
            Break::MissingHead { seq, hash } => write!(
                f,
                "ledger no longer holds checkpointed entry {seq} with hash {hash}: the tail was truncated or rewritten"
            ),
        }
    }
}

/// Walks a chain entry by entry, in sequence order.
#[derive(Debug)]
pub struct Verifier {
    next_seq: i64,
    prev_hash: String,
    pub count: u64,
    /// Items' recorded states in ledger order: (item, seq, digest prefix).
    /// A flat list sorted once is a third of a map's memory at a million.
    pub items: Vec<(i64, i64, u128)>,
    /// The other rows' last recorded state: (seq, digest).
    pub states: HashMap<RowKey, (i64, [u8; 32])>,
    /// The store id entry 1 says it created, if entry 1 is the genesis.
    pub genesis: Option<String>,
}

impl Default for Verifier {
    fn default() -> Self {
        Verifier {
            next_seq: 1,
            prev_hash: GENESIS.to_owned(),
            count: 0,
            items: Vec::new(),
            states: HashMap::new(),
            genesis: None,
        }
    }
}

impl Verifier {
    /// Notes that entry `seq` leaves the row `entity` with this state digest.
    fn record_state(&mut self, seq: i64, entity: &str, state: &str) {
        let mut digest = [0u8; 32];
        if hex::decode_to_slice(state, &mut digest).is_err() {
            return;
        }
        match row_key(entity) {
            Some((RowKind::Item, id)) => self.items.push((id, seq, prefix(&digest))),
            Some(key) => {
                self.states.insert(key, (seq, digest));
            }
            None => {}
        }
    }

    /// Goes on from an entry already trusted (a witnessed checkpoint).
    pub fn resume(seq: i64, hash: &str) -> Verifier {
        Verifier {
            next_seq: seq + 1,
            prev_hash: hash.to_owned(),
            ..Verifier::default()
        }
    }

    pub fn check(&mut self, e: &LedgerEntry) -> Result<(), Break> {
        if e.seq != self.next_seq {
            return Err(Break::Sequence {
                expected: self.next_seq,
                found: e.seq,
            });
        }
        if e.prev_hash != self.prev_hash {
            return Err(Break::Unlinked { seq: e.seq });
        }
        let d = entry_digest(
            &e.prev_hash,
            e.seq,
            &e.at,
            &e.actor,
            &e.action,
            &e.entity,
            &e.payload,
        );
        // Compared as hex without allocating: this runs a million times.
        let mut hex = [0u8; 64];
        hex::encode_to_slice(d, &mut hex).expect("64 bytes hold 32 in hex");
        if hex[..] != *e.hash.as_bytes() {
            return Err(Break::Altered { seq: e.seq });
        }
        self.next_seq += 1;
        self.prev_hash.clear();
        self.prev_hash.push_str(&e.hash);
        self.count += 1;
        if e.seq == 1 && e.action == GENESIS_ACTION {
            self.genesis = serde_json::from_str::<serde_json::Value>(&e.payload)
                .ok()
                .and_then(|p| p.get("store")?.as_str().map(str::to_owned));
        }
        Ok(())
    }

    /// The last verified entry's sequence number and hash.
    pub fn head(&self) -> (i64, &str) {
        (self.next_seq - 1, &self.prev_hash)
    }
}

/// What a walk found, as `verify_ledger` reports it: the chain's own break,
/// or else what `reconcile` finds (review tables that disagree with it).
pub fn verification(
    mut v: Verifier,
    broken: Option<Break>,
    store: &dyn super::Store,
) -> color_eyre::Result<super::Verification> {
    let broken = match broken {
        Some(b) => Some(b),
        None => reconcile(store, &mut v)?,
    };
    let (head_seq, head_hash) = v.head();
    Ok(super::Verification {
        entries: v.count,
        head_seq,
        head_hash: head_hash.to_owned(),
        broken,
    })
}

/// Holds every review table to the chain: the genesis entry must name this
/// store, and each item, incident, sanction, suppression and risk must be
/// exactly what the last entry about it recorded. A row no entry recorded
/// (other than an item as the rules raised it), or a recorded row that is
/// gone, is a break too.
fn reconcile(store: &dyn super::Store, v: &mut Verifier) -> color_eyre::Result<Option<Break>> {
    let id = store.meta(STORE_ID_KEY)?;
    match (&v.genesis, &id) {
        _ if v.count == 0 => {
            return Ok(Some(Break::Genesis {
                what: "the ledger is empty, but every store's first entry records its creation"
                    .into(),
            }));
        }
        (None, _) => {
            return Ok(Some(Break::Genesis {
                what: "entry 1 is not the entry that created this store".into(),
            }));
        }
        (Some(g), Some(id)) if g == id => {}
        (Some(g), _) => {
            return Ok(Some(Break::Genesis {
                what: format!(
                    "entry 1 created store {g}, but this store's id is {}",
                    id.as_deref().unwrap_or("missing")
                ),
            }));
        }
    }
    let mut states = std::mem::take(&mut v.states);
    let mut check = |row: &dyn Recorded, untouched: bool| -> Option<Break> {
        let entity = row.entity();
        let key = row_key(&entity)?;
        match states.remove(&key) {
            Some((seq, digest)) if digest != row.digest() => Some(Break::Mismatch {
                seq,
                what: format!(
                    "{} differs from what this entry recorded",
                    describe(&entity)
                ),
            }),
            Some(_) => None,
            None if untouched => None,
            None => Some(Break::Unrecorded {
                what: format!(
                    "{} has review state no ledger entry recorded",
                    describe(&entity)
                ),
            }),
        }
    };
    // Items: the last recorded state of each, sorted by item, against the
    // table read in id order, in step.
    let mut items = std::mem::take(&mut v.items);
    items.sort_unstable_by_key(|&(id, seq, _)| (id, seq));
    let mut last: Vec<(i64, i64, u128)> = Vec::with_capacity(items.len());
    for x in items {
        match last.last_mut() {
            Some(l) if l.0 == x.0 => *l = x,
            _ => last.push(x),
        }
    }
    let mut next = last.iter().peekable();
    let mut found = None;
    store.for_each_item_review(&mut |r| {
        if found.is_some() {
            return Ok(());
        }
        if let Some(&&(id, seq, _)) = next.peek()
            && id < r.id
        {
            found = Some(gone("item", id, seq));
            return Ok(());
        }
        let recorded = next.next_if(|x| x.0 == r.id);
        found = match recorded {
            Some(&(_, seq, d)) if d != prefix(&r.digest()) => Some(Break::Mismatch {
                seq,
                what: format!("item {} differs from what this entry recorded", r.id),
            }),
            Some(_) => None,
            None if r.untouched() => None,
            None => Some(Break::Unrecorded {
                what: format!("item {} has review state no ledger entry recorded", r.id),
            }),
        };
        Ok(())
    })?;
    if found.is_none()
        && let Some(&(id, seq, _)) = next.next()
    {
        found = Some(gone("item", id, seq));
    }
    // The registers are small: read whole, one table after another.
    fn first<T: Recorded>(
        rows: Vec<T>,
        check: &mut impl FnMut(&dyn Recorded, bool) -> Option<Break>,
    ) -> Option<Break> {
        rows.iter().find_map(|r| check(r, false))
    }
    if found.is_none() {
        found = first(store.incidents()?, &mut check);
    }
    if found.is_none() {
        found = first(store.sanctions()?, &mut check);
    }
    if found.is_none() {
        found = first(store.suppressions()?, &mut check);
    }
    if found.is_none() {
        found = first(store.risks()?, &mut check);
    }
    if found.is_some() {
        return Ok(found);
    }
    // What is left was recorded and is no longer there.
    Ok(states
        .into_iter()
        .min_by_key(|(_, (seq, _))| *seq)
        .map(|((kind, id), (seq, _))| gone(&format!("{kind:?}").to_lowercase(), id, seq)))
}

/// A row entry `seq` recorded that the table no longer has.
fn gone(kind: &str, id: i64, seq: i64) -> Break {
    Break::Mismatch {
        seq,
        what: format!("{kind} {id} this entry recorded is missing"),
    }
}

/// `item:5` as `item 5`.
fn describe(entity: &str) -> String {
    entity.replacen(':', " ", 1)
}

/// Walks the chain and, alongside it in ledger order, the decisions table:
/// each review act must be the row its entry recorded, and no row may lack
/// an entry; the row states entries record are collected for `reconcile`.
/// `entries` and `decisions` yield rows in `seq` and `ledger_seq` order.
///
/// Two threads, as verify at a million entries is worth two cores: this
/// one reads the rows and matches decisions; the other recomputes every
/// hash, in order. A break in the chain wins over what the tables say.
pub fn walk(
    entries: &mut dyn FnMut() -> color_eyre::Result<Option<LedgerEntry>>,
    decisions: &mut dyn FnMut() -> color_eyre::Result<Option<super::DecisionRow>>,
) -> color_eyre::Result<(Verifier, Option<Break>)> {
    const BATCH: usize = 512;
    std::thread::scope(|scope| {
        let (tx, rx) = std::sync::mpsc::sync_channel::<Vec<LedgerEntry>>(8);
        let hasher = scope.spawn(move || {
            let mut chain = Verifier::default();
            for batch in rx {
                for e in &batch {
                    if let Err(b) = chain.check(e) {
                        return (chain, Some(b));
                    }
                }
            }
            (chain, None)
        });
        let mut tables = Verifier::default();
        let mut batch = Vec::with_capacity(BATCH);
        let mut found = None;
        let mut read = 0u64;
        let result = (|| -> color_eyre::Result<()> {
            let mut next_decision = decisions()?;
            while let Some(e) = entries()? {
                read += 1;
                if let Err(b) = reconcile_entry(&mut tables, &e, &mut next_decision, decisions)? {
                    found = Some(b);
                    batch.push(e);
                    return Ok(());
                }
                batch.push(e);
                if batch.len() == BATCH
                    && tx
                        .send(std::mem::replace(&mut batch, Vec::with_capacity(BATCH)))
                        .is_err()
                {
                    // the chain broke: nothing more to read
                    return Ok(());
                }
            }
            found = next_decision.map(|d| Break::Unrecorded {
                what: format!(
                    "decision {} on item {} has no ledger entry",
                    d.id, d.item_id
                ),
            });
            Ok(())
        })();
        if !batch.is_empty() {
            let _ = tx.send(batch);
        }
        drop(tx);
        let (chain, broken) = hasher.join().expect("the hashing thread does not panic");
        result?;
        let mut v = Verifier {
            items: tables.items,
            states: tables.states,
            ..chain
        };
        Ok(match (broken, found) {
            (Some(b), _) => (v, Some(b)),
            (None, Some(b)) => {
                v.count = v.count.min(read.saturating_sub(1));
                (v, Some(b))
            }
            (None, None) => (v, None),
        })
    })
}

/// Holds one entry to the decisions table and notes the row state it
/// records; the chain itself is checked elsewhere.
fn reconcile_entry(
    v: &mut Verifier,
    e: &LedgerEntry,
    next_decision: &mut Option<super::DecisionRow>,
    decisions: &mut dyn FnMut() -> color_eyre::Result<Option<super::DecisionRow>>,
) -> color_eyre::Result<Result<(), Break>> {
    #[derive(serde::Deserialize)]
    struct State<'a> {
        #[serde(borrow)]
        state: &'a str,
    }
    if !matches!(
        e.action.as_str(),
        "decide" | "revert" | "approve" | "reject" | "reopen"
    ) {
        // Most entries record no row state; the byte search skips them.
        if memchr::memmem::find(e.payload.as_bytes(), b"\"state\":\"").is_some()
            && let Ok(p) = serde_json::from_str::<State<'_>>(&e.payload)
        {
            v.record_state(e.seq, &e.entity, p.state);
        }
        return Ok(Ok(()));
    }
    if let Some(d) = next_decision.as_ref().filter(|d| d.ledger_seq < e.seq) {
        let what = format!(
            "decision {} on item {} has no ledger entry",
            d.id, d.item_id
        );
        return Ok(Err(Break::Unrecorded { what }));
    }
    match next_decision.take() {
        Some(d) if d.ledger_seq == e.seq => {
            let Some(state) = decision_matches(&d, e) else {
                let what = format!(
                    "decision {} on item {} differs from its ledger entry",
                    d.id, d.item_id
                );
                return Ok(Err(Break::Mismatch { seq: e.seq, what }));
            };
            if let Some(state) = state {
                v.record_state(e.seq, &e.entity, &state);
            }
            *next_decision = decisions()?;
            Ok(Ok(()))
        }
        _ => {
            let what = "the decision this entry records is missing from the decisions table".into();
            Ok(Err(Break::Mismatch { seq: e.seq, what }))
        }
    }
}

/// Whether a decision row says what its ledger entry recorded.
/// Every field counts: the reviewer is the entry's actor and the time its
/// time, so crediting another reviewer or backdating is a mismatch. On a
/// match, the item state the entry recorded, if any.
fn decision_matches(d: &super::DecisionRow, e: &LedgerEntry) -> Option<Option<String>> {
    #[derive(serde::Deserialize)]
    struct Decision<'a> {
        decision: &'a str,
        item: i64,
        kind: &'a str,
        disposition: Option<&'a str>,
        note: Option<String>,
        reverts: Option<String>,
        session: Option<String>,
        prior_status: Option<&'a str>,
        state: Option<String>,
    }
    let p = serde_json::from_str::<Decision<'_>>(&e.payload).ok()?;
    let matches = p.decision == d.id
        && p.item == d.item_id
        && p.kind == d.kind
        && p.disposition == d.disposition.map(|x| x.as_str())
        && p.note == d.note
        && p.reverts == d.reverts
        && p.session == d.session
        && p.prior_status == d.prior_status.map(|s| s.as_str())
        && e.actor == d.reviewer
        && e.at == ts(d.decided_at);
    matches.then_some(p.state)
}

/// The first 16 bytes of a digest: enough to tell states apart.
fn prefix(d: &[u8; 32]) -> u128 {
    u128::from_be_bytes(d[..16].try_into().expect("16 of 32 bytes"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(n: i64) -> NewLedgerEntry {
        NewLedgerEntry {
            at: DateTime::from_timestamp(1_700_000_000 + n, 0).unwrap(),
            actor: "alice".into(),
            action: "decision".into(),
            entity: Entity::Item(n).to_string(),
            payload: serde_json::json!({"z": 1, "a": n}),
        }
    }

    fn chain(n: i64) -> Vec<LedgerEntry> {
        let mut prev = GENESIS.to_owned();
        (1..=n)
            .map(|i| {
                let e = entry(i).seal(i, &prev);
                prev = e.hash.clone();
                e
            })
            .collect()
    }

    fn verify(entries: &[LedgerEntry]) -> Result<u64, Break> {
        let mut v = Verifier::default();
        for e in entries {
            v.check(e)?;
        }
        Ok(v.count)
    }

    #[test]
    fn the_encoding_is_the_json_array_of_the_fields() {
        let fields = (
            "2026-11-26T00:00:00Z",
            "al\"ice",
            "decide",
            "item:1",
            r#"{"a":"\u0001"}"#,
        );
        let canonical =
            serde_json::json!([7, fields.0, fields.1, fields.2, fields.3, fields.4]).to_string();
        let mut h = Sha256::new();
        h.update(GENESIS.as_bytes());
        h.update(b"\n");
        h.update(canonical.as_bytes());
        assert_eq!(
            entry_hash(GENESIS, 7, fields.0, fields.1, fields.2, fields.3, fields.4),
            hex::encode(h.finalize())
        );
    }

    #[test]
    fn intact_chain_verifies_and_payload_is_canonical() {
        let c = chain(5);
        assert_eq!(verify(&c), Ok(5));
        assert_eq!(c[0].payload, r#"{"a":1,"z":1}"#);
    }

    #[test]
    fn each_kind_of_tampering_names_the_entry() {
        let mut c = chain(5);
        c[2].payload = r#"{"a":99,"z":1}"#.into();
        assert_eq!(verify(&c), Err(Break::Altered { seq: 3 }));

        let mut c = chain(5);
        c.remove(2);
        assert_eq!(
            verify(&c),
            Err(Break::Sequence {
                expected: 3,
                found: 4
            })
        );

        let mut c = chain(5);
        c.swap(1, 2);
        let (a, b) = (c[1].seq, c[2].seq);
        c[1].seq = b;
        c[2].seq = a;
        assert_eq!(verify(&c), Err(Break::Unlinked { seq: 2 }));
    }
}
