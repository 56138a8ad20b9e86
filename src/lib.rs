//! Vigil: HIPAA information system activity review in the terminal.
//!
//! This is the `vigil` binary's own crate: the command line (`cli`, one
//! file per command and the output renderers) and logging. Everything else
//! lives in the workspace's crates, layered so each can only reach down:
//! `vigil-domain` <- `vigil-store` <- `vigil-sources`, `vigil-rules`,
//! `vigil-review` <- `vigil-app` <- `vigil-tui` <- this crate.
//! `ARCHITECTURE.md` is the map.

pub mod cli;
pub mod logging;
