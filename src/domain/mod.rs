//! The review domain: events, items, the states a review moves through, and
//! `SafeText`. No I/O and no terminal types live here.

mod event;
mod item;
mod people;
mod safetext;
mod vocab;

pub use event::{Event, NewEvent, TimeBasis, ZoneBasis};
pub use item::{Item, ItemRule};
pub use people::{Patient, Person};
pub use safetext::{NEWLINE_MARK, SafeText};
pub use vocab::{Disposition, ItemKind, Outcome, Severity, Status, UnknownValue};
