//! The stores and what writes to them: the ledger, review actions, the rules, filters, teams of reviewers and ingest, on SQLite and PostgreSQL.
//!
//! One test binary per area (each file a module) so `cargo test` links
//! four binaries, not two dozen.

#[macro_use]
#[path = "../common/mod.rs"]
mod common;

mod explanations;
mod ingest;
mod investigate;
mod ledger;
mod partitions;
mod review;
mod rules;
mod store_filters;
mod team;
