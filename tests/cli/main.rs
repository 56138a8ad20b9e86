//! The real binary end to end: commands, their output, error texts and exit codes, and the crates' boundaries.
//!
//! One test binary per area (each file a module) so `cargo test` links
//! four binaries, not two dozen.

#[macro_use]
#[path = "../common/mod.rs"]
mod common;

mod architecture;
mod cli;
mod cli_review;
mod coverage;
mod explain;
mod pg_roles;
mod retention;
mod risks;
