//! The application: the only crate that knows the whole `Config`. It wires
//! sources, rules, the store and the review service together: the ingest
//! pipeline, pulls and the pure schedule that times them, escalation pushes
//! out, the demo workspace, the data each screen shows and acting on the
//! queue with retry. Front ends (the CLI and the TUI) call this crate.

pub mod background;
pub mod config;
pub mod demo;
pub mod desk;
pub mod escalation;
pub mod fhir_server;
pub mod ingest;
pub mod prefs;
pub mod pull;
pub mod rules;
pub mod screens;
pub mod tickets;

/// The store and review types the front ends pass around (they never open
/// or query a store themselves; `desk` and `screens` do).
pub mod model {
    pub use vigil_review::session::Session;
    pub use vigil_review::{Act, ActOutcome, IncidentChange, Reviewer};
    pub use vigil_store::{DecisionRow, IncidentStatus, LedgerEntry, StoreUrl};
}
