//! `SafeText`: text that came from a source, neutralized once so it can never
//! drive the terminal it is shown on.
//!
//! Everything read from a log, a CSV or an API is untrusted: an attacker picks
//! the user name in `Invalid user X from …`. Control characters become visible
//! marks in caret notation (`^[` for ESC, as `cat -v` shows them), C1 controls
//! (including the 8-bit CSI U+009B), bidi overrides and line separators become
//! `<U+XXXX>`, and a newline inside a field becomes `⏎`. Every replacement is
//! printable, so neutralizing is idempotent: text read back from the store can
//! be passed through again at no risk.

use std::borrow::Cow;
use std::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// Untrusted text made safe for a terminal, a log file or an export.
#[derive(Clone, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct SafeText(Cow<'static, str>);

/// The mark shown where a field held a line feed.
pub const NEWLINE_MARK: char = '⏎';

impl SafeText {
    /// Neutralizes untrusted text.
    pub fn new(untrusted: &str) -> Self {
        if all_harmless(untrusted) {
            return SafeText(Cow::Owned(untrusted.to_owned()));
        }
        let mut out = String::with_capacity(untrusted.len() + 8);
        push_neutralized(&mut out, untrusted);
        SafeText(Cow::Owned(out))
    }

    /// Neutralizes untrusted text the caller already owns, keeping its
    /// allocation when nothing needs replacing (the common case).
    pub fn from_string(untrusted: String) -> Self {
        if all_harmless(&untrusted) {
            return SafeText(Cow::Owned(untrusted));
        }
        Self::new(&untrusted)
    }

    /// Neutralizes untrusted bytes; invalid UTF-8 becomes U+FFFD.
    pub fn from_bytes(untrusted: &[u8]) -> Self {
        Self::new(&String::from_utf8_lossy(untrusted))
    }

    /// A constant of this program's (an action name, say), kept without a
    /// copy; neutralized like any other text if it ever needs it.
    pub fn from_static(text: &'static str) -> Self {
        if text.chars().all(is_harmless) {
            SafeText(Cow::Borrowed(text))
        } else {
            Self::new(text)
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn into_string(self) -> String {
        self.0.into_owned()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Cuts to at most `max` characters, marking the cut with `…`.
    pub fn truncated(&self, max: usize) -> SafeText {
        if self.0.chars().count() <= max {
            return self.clone();
        }
        let mut s: String = self.0.chars().take(max.saturating_sub(1)).collect();
        s.push('…');
        SafeText(Cow::Owned(s))
    }
}

/// Whether the text passes through unchanged. Printable ASCII, nearly
/// every field of every log, is settled a byte at a time without decoding.
fn all_harmless(s: &str) -> bool {
    s.bytes().all(|b| (0x20..0x7f).contains(&b)) || s.chars().all(is_harmless)
}

/// Characters that pass through unchanged.
fn is_harmless(c: char) -> bool {
    !(c.is_control() || is_format_hazard(c))
}

/// Printable-looking code points that still change how a terminal lays out
/// text: bidi embeddings, overrides and isolates, marks, and the Unicode line
/// and paragraph separators.
fn is_format_hazard(c: char) -> bool {
    matches!(
        c,
        '\u{061C}'
            | '\u{200E}'
            | '\u{200F}'
            | '\u{202A}'..='\u{202E}'
            | '\u{2066}'..='\u{2069}'
            | '\u{2028}'
            | '\u{2029}'
    )
}

fn push_neutralized(out: &mut String, s: &str) {
    for c in s.chars() {
        match c {
            '\n' => out.push(NEWLINE_MARK),
            c if (c as u32) < 0x20 => {
                out.push('^');
                out.push(char::from(b'@' + c as u8));
            }
            '\u{7F}' => out.push_str("^?"),
            c if c.is_control() || is_format_hazard(c) => {
                out.push_str(&format!("<U+{:04X}>", c as u32));
            }
            c => out.push(c),
        }
    }
}

impl fmt::Display for SafeText {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl fmt::Debug for SafeText {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self.as_str(), f)
    }
}

impl From<&str> for SafeText {
    fn from(s: &str) -> Self {
        SafeText::new(s)
    }
}

impl AsRef<str> for SafeText {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

impl Serialize for SafeText {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for SafeText {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        Ok(SafeText::new(&s))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Hostile strings an attacker can put in a user name or a log message.
    const HOSTILE: &[(&str, &str)] = &[
        ("osc0 title", "\x1b]0;owned\x07"),
        ("osc2 title", "\x1b]2;owned\x1b\\"),
        ("osc8 link", "\x1b]8;;http://evil/\x1b\\click\x1b]8;;\x1b\\"),
        ("osc52 clipboard", "\x1b]52;c;cm0gLXJmIH4=\x07"),
        ("csi clear", "\x1b[2J\x1b[H"),
        ("8-bit csi", "\u{9B}2J"),
        ("8-bit osc", "\u{9D}0;x\u{9C}"),
        ("lone cr", "root\rfake-user"),
        ("backspace", "roo\x08\x08\x08admin"),
        ("nul", "a\0b"),
        ("del", "a\x7fb"),
        ("rlo", "\u{202E}gnp.exe"),
        ("isolates", "\u{2066}a\u{2067}b\u{2068}c\u{2069}"),
        ("lrm rlm", "\u{200E}\u{200F}"),
        ("line separator", "a\u{2028}b"),
        ("newline", "line1\nline2"),
        ("tab", "a\tb"),
    ];

    fn is_dangerous(c: char) -> bool {
        c.is_control() || is_format_hazard(c)
    }

    #[test]
    fn no_hostile_string_survives_as_a_control() {
        for (name, s) in HOSTILE {
            let safe = SafeText::new(s);
            assert_eq!(safe, SafeText::from_string(s.to_string()), "{name}");
            assert!(
                !safe.as_str().chars().any(is_dangerous),
                "{name}: {:?} still holds a control character",
                safe.as_str()
            );
            assert_ne!(safe.as_str(), *s, "{name}: nothing was made visible");
        }
    }

    #[test]
    fn each_control_is_visible_as_an_escape() {
        assert_eq!(SafeText::new("\x1b[2J").as_str(), "^[[2J");
        assert_eq!(SafeText::new("\u{9B}2J").as_str(), "<U+009B>2J");
        assert_eq!(SafeText::new("a\rb").as_str(), "a^Mb");
        assert_eq!(SafeText::new("a\x08b").as_str(), "a^Hb");
        assert_eq!(SafeText::new("a\0b").as_str(), "a^@b");
        assert_eq!(SafeText::new("a\x7fb").as_str(), "a^?b");
        assert_eq!(SafeText::new("\u{202E}x").as_str(), "<U+202E>x");
        assert_eq!(SafeText::new("\u{2066}x").as_str(), "<U+2066>x");
        assert_eq!(SafeText::new("a\nb").as_str(), "a⏎b");
        assert_eq!(
            SafeText::new("\x1b]52;c;eA==\x07").as_str(),
            "^[]52;c;eA==^G"
        );
    }

    #[test]
    fn plain_text_is_unchanged_and_neutralizing_is_idempotent() {
        let plain = "Accepted password for jsmith from 10.0.0.5 port 22 ssh2 — Müller 日本";
        assert_eq!(SafeText::new(plain).as_str(), plain);
        assert_eq!(SafeText::from_string(plain.to_owned()).as_str(), plain);
        // (the ASCII fast path ends at DEL, which is a control)
        assert_eq!(SafeText::from_string("a\x7fb".to_owned()).as_str(), "a^?b");
        for (_, s) in HOSTILE {
            let once = SafeText::new(s);
            let twice = SafeText::new(once.as_str());
            assert_eq!(once, twice);
        }
    }

    #[test]
    fn invalid_utf8_is_replaced() {
        let safe = SafeText::from_bytes(b"user \xff\xfe\x1b[31m");
        assert_eq!(safe.as_str(), "user \u{FFFD}\u{FFFD}^[[31m");
    }

    #[test]
    fn truncation_marks_the_cut() {
        assert_eq!(SafeText::new("abcdef").truncated(4).as_str(), "abc…");
        assert_eq!(SafeText::new("abc").truncated(4).as_str(), "abc");
    }
}
