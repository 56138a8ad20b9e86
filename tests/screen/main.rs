//! The review screen (through ratatui's TestBackend and under tmux) and the reports.
//!
//! One test binary per area (each file a module) so `cargo test` links
//! four binaries, not two dozen.

#[macro_use]
#[path = "../common/mod.rs"]
mod common;

mod report;
mod tui;
mod tui_snapshots;
