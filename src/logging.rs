//! Logging to `$XDG_STATE_HOME/vigil/vigil.log`, never to the screen: the
//! TUI owns the terminal, and log lines may quote untrusted text.

use std::fs::OpenOptions;
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt};
use std::sync::Mutex;

use tracing_subscriber::EnvFilter;

use vigil_app::config::paths;

/// Starts file logging at the level in `VIGIL_LOG` (default `info`). A log
/// file that cannot be opened leaves logging off rather than failing.
pub fn init() {
    let dir = paths::state_dir();
    if std::fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(&dir)
        .is_err()
    {
        return;
    }
    let Ok(file) = OpenOptions::new()
        .create(true)
        .append(true)
        .mode(0o600)
        .open(dir.join("vigil.log"))
    else {
        return;
    };
    let filter = EnvFilter::try_from_env("VIGIL_LOG").unwrap_or_else(|_| EnvFilter::new("info"));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(false)
        .with_writer(Mutex::new(file))
        .try_init();
}
