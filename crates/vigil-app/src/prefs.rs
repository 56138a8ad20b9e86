//! What the review screen remembers between runs for the user who ran it:
//! the queue pane's share of the width (the detail pane has the rest). A
//! small file in the state folder; a missing or unreadable one means the
//! defaults, and nothing in it is a secret or a patient's.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ScreenPrefs {
    /// The queue pane's width in percent (25 to 80).
    pub split: Option<u16>,
}

/// `$XDG_STATE_HOME/vigil/screen.toml`.
pub fn file() -> PathBuf {
    crate::config::paths::state_dir().join("screen.toml")
}

impl ScreenPrefs {
    pub fn load(path: &Path) -> ScreenPrefs {
        std::fs::read_to_string(path)
            .ok()
            .and_then(|t| toml::from_str::<ScreenPrefs>(&t).ok())
            .map(|p| ScreenPrefs {
                split: p.split.filter(|s| (25..=80).contains(s)),
            })
            .unwrap_or_default()
    }

    /// Writes the file (0600, its folder made 0700 if need be).
    pub fn save(&self, path: &Path) -> std::io::Result<()> {
        let text = toml::to_string(self).map_err(std::io::Error::other)?;
        vigil_domain::perms::write_private(path, text.as_bytes())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_width_survives_a_save_and_nonsense_means_the_default() {
        let dir = tempfile::tempdir().unwrap();
        let f = dir.path().join("state/screen.toml");
        assert_eq!(ScreenPrefs::load(&f), ScreenPrefs::default());
        ScreenPrefs { split: Some(40) }.save(&f).unwrap();
        assert_eq!(ScreenPrefs::load(&f).split, Some(40));
        std::fs::write(&f, "split = 3\n").unwrap();
        assert_eq!(ScreenPrefs::load(&f).split, None);
        std::fs::write(&f, "not toml [").unwrap();
        assert_eq!(ScreenPrefs::load(&f), ScreenPrefs::default());
    }
}
