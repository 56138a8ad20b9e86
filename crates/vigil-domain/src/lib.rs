//! The vocabulary every other vigil crate speaks: events, items, the states
//! a review moves through, `SafeText`, the filter language, time in review
//! terms and the seeded random-number generator. It depends on no database,
//! HTTP, terminal or async crate (`tests/architecture.rs` holds it to that);
//! the only system calls are the account lookup and the permission checks
//! every layer shares.

mod context;
/// Reasons' wording for clinical context: an encounter's description and
/// the local times in it.
pub mod context_text {
    pub use super::context::{describe, local};
}
mod event;
mod item;
pub mod people;
mod safetext;
mod vocab;

pub mod action;
pub mod identity;
pub mod ledger;
pub mod perms;
pub mod progress;
pub mod query;
pub mod rng;
pub mod time;

pub use context::{
    Encounter, Explained, Explanation, TEMPLATE_APPROVE, TEMPLATE_REVOKE, Template,
    templates_in_force,
};
pub use event::{Event, NewEvent, TimeBasis, ZoneBasis};
pub use item::{Item, ItemRule};
pub use people::{Patient, Person};
pub use safetext::{NEWLINE_MARK, SafeText};
pub use vocab::{
    Disposition, ItemKind, Outcome, Severity, Status, UnknownValue, is_patient_record_kind,
};

/// Database id of a configured source.
pub type SourceId = i64;

/// The checkpoint of one file (by content identity) of a source.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Stream {
    pub id: i64,
    pub source_id: SourceId,
    pub path: String,
    pub dev: Option<u64>,
    pub inode: Option<u64>,
    /// How many leading bytes `head_hash` covers.
    pub head_len: u64,
    pub head_hash: String,
    /// Offset just after the last complete record stored.
    pub offset: u64,
    pub records: u64,
    /// Parser state needed to resume mid-file (the inferred year, say).
    pub parser_state: String,
    /// `active`, or `truncated` once the file shrank under its checkpoint.
    pub status: String,
}
