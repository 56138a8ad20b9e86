//! Where vigil keeps things: XDG base directories with the usual fallbacks.

use std::env;
use std::path::PathBuf;

fn xdg(var: &str, fallback: &str) -> PathBuf {
    match env::var_os(var) {
        Some(v) if !v.is_empty() && PathBuf::from(&v).is_absolute() => PathBuf::from(v),
        _ => home().join(fallback),
    }
}

fn home() -> PathBuf {
    env::var_os("HOME")
        .filter(|h| !h.is_empty())
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("/"))
}

/// `$VIGIL_CONFIG`, else `$XDG_CONFIG_HOME/vigil/config.toml`.
pub fn config_file() -> PathBuf {
    match env::var_os("VIGIL_CONFIG") {
        Some(v) if !v.is_empty() => PathBuf::from(v),
        _ => xdg("XDG_CONFIG_HOME", ".config")
            .join("vigil")
            .join("config.toml"),
    }
}

/// `$XDG_DATA_HOME/vigil`: the default store and the demo workspace.
pub fn data_dir() -> PathBuf {
    xdg("XDG_DATA_HOME", ".local/share").join("vigil")
}

/// `$XDG_STATE_HOME/vigil`: the log file.
pub fn state_dir() -> PathBuf {
    xdg("XDG_STATE_HOME", ".local/state").join("vigil")
}
