//! What went wrong in a store, in terms a caller acts on: try again
//! (transient), tell the user someone else got there first (conflict), say
//! the store was changed outside vigil (corrupt), or the thing is gone. The
//! drivers' errors stay inside this crate; callers match `StoreError::of`.

use std::fmt;

/// The kind of a store failure a caller can act on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StoreError {
    /// The row asked for is not there.
    NotFound,
    /// Another writer changed the row first (a unique key, a version).
    Conflict,
    /// The store did not answer (a server restarting, a network drop, a
    /// lock held elsewhere): the same request may succeed later.
    Transient,
    /// A row holds a value vigil never writes.
    Corrupt,
}

impl StoreError {
    /// Classifies an error a store method returned; `None` for anything
    /// else (a refused review act, a bad filter).
    pub fn of(e: &color_eyre::Report) -> Option<StoreError> {
        if crate::postgres::is_transient(e) {
            return Some(StoreError::Transient);
        }
        for c in e.chain() {
            if c.is::<Corrupt>() {
                return Some(StoreError::Corrupt);
            }
            if let Some(s) = c.downcast_ref::<rusqlite::Error>() {
                return match s {
                    rusqlite::Error::QueryReturnedNoRows => Some(StoreError::NotFound),
                    rusqlite::Error::SqliteFailure(f, _) => match f.code {
                        rusqlite::ErrorCode::DatabaseBusy | rusqlite::ErrorCode::DatabaseLocked => {
                            Some(StoreError::Transient)
                        }
                        rusqlite::ErrorCode::ConstraintViolation => Some(StoreError::Conflict),
                        rusqlite::ErrorCode::DatabaseCorrupt
                        | rusqlite::ErrorCode::NotADatabase => Some(StoreError::Corrupt),
                        _ => None,
                    },
                    _ => None,
                };
            }
            if let Some(p) = c.downcast_ref::<postgres::Error>() {
                return match p.code().map(|c| c.code()) {
                    Some("23505") => Some(StoreError::Conflict),
                    _ => None,
                };
            }
        }
        None
    }

    /// Whether trying the same request again may succeed.
    pub fn is_transient(e: &color_eyre::Report) -> bool {
        StoreError::of(e) == Some(StoreError::Transient)
    }
}

impl fmt::Display for StoreError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            StoreError::NotFound => "not found",
            StoreError::Conflict => "changed by another writer",
            StoreError::Transient => "the store did not answer",
            StoreError::Corrupt => "changed outside vigil",
        })
    }
}

/// A row that holds a value vigil never writes; its message names the row.
#[derive(Debug)]
pub struct Corrupt(pub String);

impl fmt::Display for Corrupt {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for Corrupt {}
