//! Every source kind against real sample data and local servers speaking the real APIs.
//!
//! One test binary per area (each file a module) so `cargo test` links
//! four binaries, not two dozen.

#[macro_use]
#[path = "../common/mod.rs"]
mod common;

mod auth_families;
mod corpus_sources;
mod corpus_syslog;
mod escalation;
mod fhir_server;
mod http;
mod parsers_fuzz;
mod pgaudit_prefix;
mod tickets;
mod tickets_variants;
