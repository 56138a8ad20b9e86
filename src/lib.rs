//! Vigil: HIPAA information system activity review in the terminal.
//!
//! Data flows one way: sources -> normalize -> rules -> store <- review
//! service <- TUI / CLI. See DESIGN.md for the map.

pub mod cli;
pub mod config;
pub mod demo;
pub mod domain;
pub mod identity;
pub mod logging;
pub mod query;
pub mod review;
pub mod rules;
pub mod sources;
pub mod store;
pub mod tui;
