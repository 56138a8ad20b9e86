//! Key bindings: every binding names a command and says what it does, and
//! the help screen is generated from these descriptions.

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use serde::Deserialize;

/// A key press as the reducer sees it.
pub type Key = KeyEvent;

/// What a key can do. Names are the ones a config file would use.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Command {
    Down,
    Up,
    Top,
    Bottom,
    PageDown,
    PageUp,
    HalfDown,
    HalfUp,
    ToggleDetail,
    Filter,
    Help,
    Mark,
    MarkAll,
    DecideBenign,
    DecideViolation,
    DecideFalsePositive,
    DecideFollowUp,
    DecideDuplicate,
    Escalate,
    Reveal,
    NextScreen,
    PrevScreen,
    /// Screen number n (1-based).
    Screen(u8),
    Claim,
    Undo,
    Repeat,
    Quit,
}

/// One binding: keys, the command, and its description for `?`.
#[derive(Debug, Clone)]
pub struct Binding {
    pub keys: &'static str,
    pub command: Command,
    pub description: &'static str,
}

pub const DEFAULT: &[Binding] = &[
    Binding {
        keys: "j / Down",
        command: Command::Down,
        description: "next item",
    },
    Binding {
        keys: "k / Up",
        command: Command::Up,
        description: "previous item",
    },
    Binding {
        keys: "g / Home",
        command: Command::Top,
        description: "first item",
    },
    Binding {
        keys: "G / End",
        command: Command::Bottom,
        description: "last item",
    },
    Binding {
        keys: "PageDown",
        command: Command::PageDown,
        description: "one screen down",
    },
    Binding {
        keys: "PageUp",
        command: Command::PageUp,
        description: "one screen up",
    },
    Binding {
        keys: "Ctrl-d",
        command: Command::HalfDown,
        description: "half a screen down",
    },
    Binding {
        keys: "Ctrl-u",
        command: Command::HalfUp,
        description: "half a screen up",
    },
    Binding {
        keys: "Tab / Enter",
        command: Command::ToggleDetail,
        description: "show or hide the detail pane",
    },
    Binding {
        keys: "/",
        command: Command::Filter,
        description: "filter the queue (actor:x severity>=high …)",
    },
    Binding {
        keys: "Space",
        command: Command::Mark,
        description: "mark or unmark the item",
    },
    Binding {
        keys: "*",
        command: Command::MarkAll,
        description: "mark every loaded item matching the filter",
    },
    Binding {
        keys: "a",
        command: Command::DecideBenign,
        description: "decide: benign / expected",
    },
    Binding {
        keys: "x",
        command: Command::DecideViolation,
        description: "decide: policy violation (asks for a note)",
    },
    Binding {
        keys: "f",
        command: Command::DecideFalsePositive,
        description: "decide: false positive",
    },
    Binding {
        keys: "F",
        command: Command::DecideFollowUp,
        description: "decide: needs follow-up (asks for a note)",
    },
    Binding {
        keys: "D",
        command: Command::DecideDuplicate,
        description: "decide: duplicate",
    },
    Binding {
        keys: "C",
        command: Command::Claim,
        description: "claim the item(s) for review",
    },
    Binding {
        keys: "u",
        command: Command::Undo,
        description: "undo your last decision on the item(s)",
    },
    Binding {
        keys: ".",
        command: Command::Repeat,
        description: "repeat the last action on the marked items",
    },
    Binding {
        keys: "?",
        command: Command::Help,
        description: "this help",
    },
    Binding {
        keys: "q / Esc",
        command: Command::Quit,
        description: "quit",
    },
];

/// The command a key press means in the queue.
pub fn command(k: &Key) -> Option<Command> {
    let ctrl = k.modifiers.contains(KeyModifiers::CONTROL);
    Some(match k.code {
        KeyCode::Char('d') if ctrl => Command::HalfDown,
        KeyCode::Char('u') if ctrl => Command::HalfUp,
        KeyCode::Char('c') if ctrl => Command::Quit,
        _ if ctrl => return None,
        KeyCode::Char('j') | KeyCode::Down => Command::Down,
        KeyCode::Char('k') | KeyCode::Up => Command::Up,
        KeyCode::Char('g') | KeyCode::Home => Command::Top,
        KeyCode::Char('G') | KeyCode::End => Command::Bottom,
        KeyCode::PageDown => Command::PageDown,
        KeyCode::PageUp => Command::PageUp,
        KeyCode::Tab | KeyCode::Enter => Command::ToggleDetail,
        KeyCode::Char('/') => Command::Filter,
        KeyCode::Char(' ') => Command::Mark,
        KeyCode::Char('*') => Command::MarkAll,
        KeyCode::Char('a') => Command::DecideBenign,
        KeyCode::Char('x') => Command::DecideViolation,
        KeyCode::Char('f') => Command::DecideFalsePositive,
        KeyCode::Char('F') => Command::DecideFollowUp,
        KeyCode::Char('D') => Command::DecideDuplicate,
        KeyCode::Char('e') => Command::Escalate,
        KeyCode::Char('r') => Command::Reveal,
        KeyCode::Char(']') => Command::NextScreen,
        KeyCode::Char('[') => Command::PrevScreen,
        KeyCode::Char(c @ '1'..='6') => Command::Screen(c as u8 - b'0'),
        KeyCode::Char('C') => Command::Claim,
        KeyCode::Char('u') => Command::Undo,
        KeyCode::Char('.') => Command::Repeat,
        KeyCode::Char('?') => Command::Help,
        KeyCode::Char('q') | KeyCode::Esc => Command::Quit,
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_bound_command_has_a_description_and_a_key() {
        for b in DEFAULT {
            assert!(!b.description.is_empty());
            assert!(!b.keys.is_empty());
        }
        let k = |c| KeyEvent::new(KeyCode::Char(c), KeyModifiers::NONE);
        assert_eq!(command(&k('j')), Some(Command::Down));
        assert_eq!(
            command(&KeyEvent::new(KeyCode::Char('d'), KeyModifiers::CONTROL)),
            Some(Command::HalfDown)
        );
        assert_eq!(command(&k('z')), None);
    }
}
