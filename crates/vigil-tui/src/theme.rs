//! Themes: semantic style names (`severity.critical`, `muted`, `selection`,
//! …) mapped to colours and attributes in `themes/*.toml`. The four in the
//! repository are built in; a file of the same name under
//! `$XDG_CONFIG_HOME/vigil/themes/` overrides one, or adds another.
//! `NO_COLOR` always selects `mono`.

use std::collections::BTreeMap;
use std::path::Path;

use ratatui::style::{Color, Modifier, Style};
use serde::Deserialize;

use vigil_domain::Severity;

/// The built-in themes, embedded from `themes/`.
pub const BUILTIN: &[(&str, &str)] = &[
    ("dark", include_str!("../../../themes/dark.toml")),
    ("light", include_str!("../../../themes/light.toml")),
    (
        "high-contrast",
        include_str!("../../../themes/high-contrast.toml"),
    ),
    ("mono", include_str!("../../../themes/mono.toml")),
];

/// Every name a theme must define.
pub const NAMES: &[&str] = &[
    "title",
    "muted",
    "error",
    "selection",
    "tab_active",
    "marked",
    "severity.critical",
    "severity.high",
    "severity.medium",
    "severity.low",
];

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    styles: BTreeMap<String, RawStyle>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawStyle {
    fg: Option<String>,
    bg: Option<String>,
    #[serde(default)]
    bold: bool,
    #[serde(default)]
    dim: bool,
    #[serde(default)]
    italic: bool,
    #[serde(default)]
    underlined: bool,
    #[serde(default)]
    reversed: bool,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Theme {
    pub name: String,
    styles: BTreeMap<String, Style>,
}

fn color(s: &str) -> Option<Color> {
    if let Some(hex) = s.strip_prefix('#')
        && hex.len() == 6
        && let Ok(v) = u32::from_str_radix(hex, 16)
    {
        return Some(Color::Rgb((v >> 16) as u8, (v >> 8) as u8, v as u8));
    }
    Some(match s.to_ascii_lowercase().as_str() {
        "black" => Color::Black,
        "red" => Color::Red,
        "green" => Color::Green,
        "yellow" => Color::Yellow,
        "blue" => Color::Blue,
        "magenta" => Color::Magenta,
        "cyan" => Color::Cyan,
        "gray" | "grey" => Color::Gray,
        "darkgray" | "darkgrey" => Color::DarkGray,
        "lightred" => Color::LightRed,
        "lightgreen" => Color::LightGreen,
        "lightyellow" => Color::LightYellow,
        "lightblue" => Color::LightBlue,
        "lightmagenta" => Color::LightMagenta,
        "lightcyan" => Color::LightCyan,
        "white" => Color::White,
        "reset" => Color::Reset,
        _ => return None,
    })
}

impl Theme {
    /// Parses a theme file's text; errors name the key and the fix.
    pub fn parse(name: &str, text: &str) -> Result<Theme, String> {
        let f: File = toml::from_str(text).map_err(|e| e.to_string())?;
        let mut styles = BTreeMap::new();
        for (key, raw) in f.styles {
            if !NAMES.contains(&key.as_str()) {
                return Err(format!(
                    "unknown style {key:?}; a theme defines: {}",
                    NAMES.join(", ")
                ));
            }
            let mut st = Style::default();
            for (which, value) in [("fg", &raw.fg), ("bg", &raw.bg)] {
                if let Some(v) = value {
                    let c = color(v).ok_or_else(|| {
                        format!(
                            "{key}.{which} = {v:?} is not a colour; use a name such as \"red\" or \"#rrggbb\""
                        )
                    })?;
                    st = if which == "fg" { st.fg(c) } else { st.bg(c) };
                }
            }
            for (on, m) in [
                (raw.bold, Modifier::BOLD),
                (raw.dim, Modifier::DIM),
                (raw.italic, Modifier::ITALIC),
                (raw.underlined, Modifier::UNDERLINED),
                (raw.reversed, Modifier::REVERSED),
            ] {
                if on {
                    st = st.add_modifier(m);
                }
            }
            styles.insert(key, st);
        }
        if let Some(missing) = NAMES.iter().find(|n| !styles.contains_key(**n)) {
            return Err(format!("style {missing:?} is missing"));
        }
        Ok(Theme {
            name: name.to_owned(),
            styles,
        })
    }

    /// A built-in theme by name.
    pub fn builtin(name: &str) -> Option<Theme> {
        BUILTIN
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(n, text)| Theme::parse(n, text).expect("built-in themes are valid"))
    }

    /// The theme to use: `NO_COLOR` wins; then `<config_dir>/themes/NAME.toml`;
    /// then the built-in of that name.
    pub fn load(name: &str, config_dir: Option<&Path>, no_color: bool) -> Result<Theme, String> {
        if no_color {
            return Ok(Theme::builtin("mono").expect("mono is built in"));
        }
        if let Some(dir) = config_dir {
            let path = dir.join("themes").join(format!("{name}.toml"));
            if path.exists() {
                let text = std::fs::read_to_string(&path)
                    .map_err(|e| format!("{}: {e}", path.display()))?;
                return Theme::parse(name, &text).map_err(|e| format!("{}: {e}", path.display()));
            }
        }
        Theme::builtin(name).ok_or_else(|| {
            let names: Vec<&str> = BUILTIN.iter().map(|(n, _)| *n).collect();
            format!(
                "[tui] theme {name:?} is neither built in ({}) nor a file in the config folder's themes/",
                names.join(", ")
            )
        })
    }

    pub fn style(&self, name: &str) -> Style {
        self.styles.get(name).copied().unwrap_or_default()
    }

    pub fn severity(&self, s: Severity) -> Style {
        self.style(match s {
            Severity::Critical => "severity.critical",
            Severity::High => "severity.high",
            Severity::Medium => "severity.medium",
            Severity::Low => "severity.low",
        })
    }

    pub fn title(&self) -> Style {
        self.style("title")
    }

    pub fn muted(&self) -> Style {
        self.style("muted")
    }

    pub fn error(&self) -> Style {
        self.style("error")
    }

    pub fn selection(&self) -> Style {
        self.style("selection")
    }

    pub fn tab_active(&self) -> Style {
        self.style("tab_active")
    }

    pub fn marked(&self) -> Style {
        self.style("marked")
    }
}

impl Default for Theme {
    fn default() -> Self {
        Theme::builtin("dark").expect("dark is built in")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn built_ins_parse_and_define_every_name() {
        for (n, _) in BUILTIN {
            let t = Theme::builtin(n).unwrap();
            for name in NAMES {
                assert!(t.styles.contains_key(*name), "{n}: {name}");
            }
        }
        let mono = Theme::builtin("mono").unwrap();
        for name in NAMES {
            let s = mono.style(name);
            assert!(s.fg.is_none() && s.bg.is_none(), "mono {name} has a colour");
        }
    }

    #[test]
    fn bad_themes_say_what_to_fix() {
        let e = Theme::parse("x", "[styles]\ncolour = {}\n").unwrap_err();
        assert!(e.contains("unknown style \"colour\""), "{e}");
        let e = Theme::parse("x", "[styles]\ntitle = { fg = \"rouge\" }\n").unwrap_err();
        assert!(e.contains("title.fg = \"rouge\" is not a colour"), "{e}");
        let e = Theme::parse("x", "[styles]\ntitle = { fg = \"red\" }\n").unwrap_err();
        assert!(e.contains("is missing"), "{e}");
        assert!(
            Theme::load("nope", None, false)
                .unwrap_err()
                .contains("neither built in")
        );
        assert_eq!(Theme::load("dark", None, true).unwrap().name, "mono");
    }

    #[test]
    fn a_file_in_the_config_folder_overrides_a_built_in() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join("themes")).unwrap();
        let text = include_str!("../../../themes/dark.toml").replace(
            "title = { fg = \"cyan\", bold = true }",
            "title = { fg = \"#123456\" }",
        );
        std::fs::write(dir.path().join("themes/dark.toml"), text).unwrap();
        let t = Theme::load("dark", Some(dir.path()), false).unwrap();
        assert_eq!(t.title().fg, Some(Color::Rgb(0x12, 0x34, 0x56)));
    }
}
