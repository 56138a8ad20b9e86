//! Key bindings: every command has a name (what a config's `[keys]` table
//! uses), default keys and a description; the help screen is generated from
//! the keymap in force, so a rebound key shows up there too.

use std::collections::HashMap;

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

/// A key press as the reducer sees it.
pub type Key = KeyEvent;

/// What a key can do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
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
    FocusDetail,
    Filter,
    Help,
    Mark,
    MarkRange,
    MarkAll,
    DecideBenign,
    DecideViolation,
    DecideFalsePositive,
    DecideFollowUp,
    DecideDuplicate,
    Escalate,
    Reveal,
    /// Every access to the item's patient's record (asks why).
    AccessReport,
    /// The item's actor's timeline across every system (asks why).
    Activity,
    NextScreen,
    PrevScreen,
    /// Screen number n (1-based).
    Screen(u8),
    Claim,
    Undo,
    Repeat,
    Palette,
    Note,
    NextNew,
    PrevNew,
    Wider,
    Narrower,
    /// Esc: leaves the detail pane, another screen or the marks, one step
    /// at a time; it never quits.
    Back,
    Quit,
}

/// Each command: its config name, default keys, and what it does.
pub const COMMANDS: &[(Command, &str, &[&str], &str)] = &[
    (Command::Down, "down", &["j", "Down"], "next item"),
    (Command::Up, "up", &["k", "Up"], "previous item"),
    (Command::Top, "top", &["g", "Home"], "first item"),
    (Command::Bottom, "bottom", &["G", "End"], "last item"),
    (
        Command::PageDown,
        "page_down",
        &["PageDown"],
        "one screen down",
    ),
    (Command::PageUp, "page_up", &["PageUp"], "one screen up"),
    (
        Command::HalfDown,
        "half_down",
        &["Ctrl-d"],
        "half a screen down",
    ),
    (Command::HalfUp, "half_up", &["Ctrl-u"], "half a screen up"),
    (
        Command::ToggleDetail,
        "toggle_detail",
        &["Enter"],
        "toggle the detail pane",
    ),
    (
        Command::FocusDetail,
        "focus",
        &["Tab"],
        "switch pane (j/k scroll)",
    ),
    (Command::Filter, "filter", &["/"], "filter the queue"),
    (Command::Mark, "mark", &["Space"], "mark or unmark the item"),
    (
        Command::MarkRange,
        "mark_range",
        &["V"],
        "mark range from last mark",
    ),
    (
        Command::MarkAll,
        "mark_all",
        &["*"],
        "mark all loaded items",
    ),
    (
        Command::DecideBenign,
        "decide_benign",
        &["a"],
        "decide: benign / expected",
    ),
    (
        Command::DecideViolation,
        "decide_violation",
        &["x"],
        "decide: violation (note)",
    ),
    (
        Command::DecideFalsePositive,
        "decide_false_positive",
        &["f"],
        "decide: false positive",
    ),
    (
        Command::DecideFollowUp,
        "decide_follow_up",
        &["F"],
        "decide: follow-up (note)",
    ),
    (
        Command::DecideDuplicate,
        "decide_duplicate",
        &["D"],
        "decide: duplicate",
    ),
    (
        Command::Escalate,
        "escalate",
        &["e"],
        "escalate to an incident",
    ),
    (
        Command::Reveal,
        "reveal",
        &["r"],
        "reveal patient ids (why?)",
    ),
    (
        Command::AccessReport,
        "access_report",
        &["P"],
        "who opened this patient",
    ),
    (Command::Activity, "activity", &["W"], "what the actor did"),
    (Command::Claim, "claim", &["C"], "claim / release"),
    (Command::Undo, "undo", &["u"], "undo last (bulk) decision"),
    (Command::Repeat, "repeat", &["."], "repeat the last action"),
    (Command::Palette, "palette", &[":"], "command palette"),
    (Command::Note, "note", &["c"], "add a note to the history"),
    (Command::NextNew, "next_new", &["n"], "next undecided item"),
    (
        Command::PrevNew,
        "prev_new",
        &["N"],
        "previous undecided item",
    ),
    (Command::Wider, "wider", &[">"], "widen the queue pane"),
    (
        Command::Narrower,
        "narrower",
        &["<"],
        "widen the detail pane",
    ),
    (Command::NextScreen, "next_screen", &["]"], "next screen"),
    (
        Command::PrevScreen,
        "prev_screen",
        &["["],
        "previous screen",
    ),
    (Command::Screen(1), "screen_1", &["1"], "screen 1: queue"),
    (
        Command::Screen(2),
        "screen_2",
        &["2"],
        "screen 2: incidents",
    ),
    (Command::Screen(3), "screen_3", &["3"], "screen 3: sources"),
    (
        Command::Screen(4),
        "screen_4",
        &["4"],
        "screen 4: sanctions",
    ),
    (Command::Screen(5), "screen_5", &["5"], "screen 5: coverage"),
    (Command::Screen(6), "screen_6", &["6"], "screen 6: risks"),
    (
        Command::Screen(7),
        "screen_7",
        &["7"],
        "screen 7: dashboard",
    ),
    (Command::Screen(8), "screen_8", &["8"], "screen 8: hosts"),
    (Command::Help, "help", &["?"], "this help"),
    (Command::Back, "back", &["Esc"], "back (never quits)"),
    (Command::Quit, "quit", &["q"], "quit"),
];

/// The help's sections, in order.
pub const SECTIONS: [&str; 6] = ["move", "queue", "decide", "look closer", "screens", "other"];

impl Command {
    /// Which of the help's `SECTIONS` the command is listed under.
    pub fn section(self) -> &'static str {
        use Command::*;
        match self {
            Down | Up | Top | Bottom | PageDown | PageUp | HalfDown | HalfUp | NextNew
            | PrevNew => "move",
            ToggleDetail | FocusDetail | Filter | Mark | MarkRange | MarkAll | Wider | Narrower => {
                "queue"
            }
            DecideBenign | DecideViolation | DecideFalsePositive | DecideFollowUp
            | DecideDuplicate | Undo | Repeat | Claim | Note | Escalate => "decide",
            Reveal | AccessReport | Activity => "look closer",
            NextScreen | PrevScreen | Screen(_) => "screens",
            Palette | Help | Back | Quit => "other",
        }
    }

    pub fn name(self) -> &'static str {
        COMMANDS
            .iter()
            .find(|(c, ..)| *c == self)
            .map(|(_, n, ..)| *n)
            .unwrap_or("?")
    }

    pub fn from_name(name: &str) -> Option<Command> {
        COMMANDS
            .iter()
            .find(|(_, n, ..)| *n == name)
            .map(|(c, ..)| *c)
    }
}

/// One line of help: the keys in force, the command, its description.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Binding {
    pub keys: String,
    pub command: Command,
    pub description: &'static str,
}

/// Key presses to commands, with the help lines that describe them.
#[derive(Debug, Clone, PartialEq)]
pub struct Keymap {
    map: HashMap<(KeyCode, KeyModifiers), Command>,
    pub bindings: Vec<Binding>,
}

/// `j`, `G`, `Ctrl-d`, `Space`, `PageDown`, `F5`… to a key.
pub fn parse_key(spec: &str) -> Option<(KeyCode, KeyModifiers)> {
    let (mods, rest) = match spec.strip_prefix("Ctrl-") {
        Some(r) => (KeyModifiers::CONTROL, r),
        None => match spec.strip_prefix("Alt-") {
            Some(r) => (KeyModifiers::ALT, r),
            None => (KeyModifiers::NONE, spec),
        },
    };
    let code = match rest {
        "Space" => KeyCode::Char(' '),
        "Tab" => KeyCode::Tab,
        "Enter" => KeyCode::Enter,
        "Esc" => KeyCode::Esc,
        "Up" => KeyCode::Up,
        "Down" => KeyCode::Down,
        "Left" => KeyCode::Left,
        "Right" => KeyCode::Right,
        "Home" => KeyCode::Home,
        "End" => KeyCode::End,
        "PageUp" => KeyCode::PageUp,
        "PageDown" => KeyCode::PageDown,
        "Backspace" => KeyCode::Backspace,
        "Delete" => KeyCode::Delete,
        f if f.len() > 1 && f.starts_with('F') && f[1..].parse::<u8>().is_ok() => {
            KeyCode::F(f[1..].parse().ok()?)
        }
        c if c.chars().count() == 1 => {
            let ch = c.chars().next()?;
            if mods == KeyModifiers::CONTROL {
                KeyCode::Char(ch.to_ascii_lowercase())
            } else {
                KeyCode::Char(ch)
            }
        }
        _ => return None,
    };
    Some((code, mods))
}

impl Default for Keymap {
    fn default() -> Self {
        Keymap::with(&HashMap::new()).expect("the default keys do not clash")
    }
}

impl Keymap {
    /// The defaults with `overrides` (command name → keys) applied: a
    /// command named there gets exactly those keys. Errors say which name or
    /// key is wrong, and which commands a key would serve twice.
    pub fn with(overrides: &HashMap<String, Vec<String>>) -> Result<Keymap, String> {
        for name in overrides.keys() {
            if Command::from_name(name).is_none() {
                let names: Vec<&str> = COMMANDS.iter().map(|(_, n, ..)| *n).collect();
                return Err(format!(
                    "[keys] {name:?} is not a command; commands: {}",
                    names.join(", ")
                ));
            }
        }
        let mut map = HashMap::new();
        let mut bindings = Vec::new();
        for (cmd, name, defaults, description) in COMMANDS {
            let keys: Vec<String> = match overrides.get(*name) {
                Some(k) => k.clone(),
                None => defaults.iter().map(|k| (*k).to_owned()).collect(),
            };
            for k in &keys {
                let key = parse_key(k).ok_or_else(|| {
                    format!(
                        "[keys] {name} = {k:?} is not a key; write e.g. \"a\", \"G\", \"Ctrl-d\", \"Space\", \"PageDown\", \"F5\""
                    )
                })?;
                if let Some(other) = map.insert(key, *cmd)
                    && other != *cmd
                {
                    return Err(format!(
                        "[keys] {k:?} is bound to both {} and {name}; give one of them another key",
                        other.name()
                    ));
                }
            }
            bindings.push(Binding {
                keys: keys.join(" / "),
                command: *cmd,
                description,
            });
        }
        // Ctrl-c always quits, whatever the config says.
        map.insert((KeyCode::Char('c'), KeyModifiers::CONTROL), Command::Quit);
        Ok(Keymap { map, bindings })
    }

    /// The command a key press means in the queue.
    pub fn command(&self, k: &Key) -> Option<Command> {
        // Terminals report Shift with upper-case letters; the letter says it.
        let mods = k.modifiers - KeyModifiers::SHIFT;
        self.map.get(&(k.code, mods)).copied()
    }

    /// The bindings the palette offers for `query`, best first: a fuzzy
    /// match over each command's name, description and keys in force, so
    /// "benign", "dec b" or "undo" all find their command. An empty query
    /// offers every command in the help's order.
    pub fn find(&self, query: &str) -> Vec<&Binding> {
        let query = query.trim();
        if query.is_empty() {
            return self.bindings.iter().collect();
        }
        // An exact command name or key comes first, whatever the scores
        // say (fuzzy matching ignores case, and `G` is not `g`).
        if let Some(b) = self
            .bindings
            .iter()
            .find(|b| b.command.name() == query || b.keys.split(" / ").any(|k| k == query))
        {
            let mut out = vec![b];
            out.extend(
                self.find_fuzzy(query)
                    .into_iter()
                    .filter(|x| x.command != b.command),
            );
            return out;
        }
        self.find_fuzzy(query)
    }

    fn find_fuzzy(&self, query: &str) -> Vec<&Binding> {
        use nucleo_matcher::pattern::{CaseMatching, Normalization, Pattern};
        let pattern = Pattern::parse(query, CaseMatching::Ignore, Normalization::Smart);
        let mut matcher = nucleo_matcher::Matcher::new(nucleo_matcher::Config::DEFAULT);
        let hay: Vec<(usize, String)> = self
            .bindings
            .iter()
            .enumerate()
            .map(|(i, b)| {
                (
                    i,
                    format!("{} {} {}", b.command.name(), b.description, b.keys),
                )
            })
            .collect();
        let mut scored: Vec<(u32, usize)> = Vec::new();
        let mut buf = Vec::new();
        for (i, h) in &hay {
            if let Some(score) =
                pattern.score(nucleo_matcher::Utf32Str::new(h, &mut buf), &mut matcher)
            {
                scored.push((score, *i));
            }
        }
        // best first; equals in the help's order
        scored.sort_by_key(|&(score, i)| (std::cmp::Reverse(score), i));
        scored.into_iter().map(|(_, i)| &self.bindings[i]).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn k(c: char) -> KeyEvent {
        KeyEvent::new(KeyCode::Char(c), KeyModifiers::NONE)
    }

    #[test]
    fn defaults_cover_every_command_with_a_description() {
        let m = Keymap::default();
        assert_eq!(m.bindings.len(), COMMANDS.len());
        for b in &m.bindings {
            assert!(!b.description.is_empty() && !b.keys.is_empty());
            // two columns of help fit 80 columns
            assert!(b.description.chars().count() <= 25, "{}", b.description);
        }
        assert_eq!(m.command(&k('j')), Some(Command::Down));
        assert_eq!(
            m.command(&KeyEvent::new(KeyCode::Char('d'), KeyModifiers::CONTROL)),
            Some(Command::HalfDown)
        );
        assert_eq!(
            m.command(&KeyEvent::new(KeyCode::Char('G'), KeyModifiers::SHIFT)),
            Some(Command::Bottom)
        );
        assert_eq!(m.command(&k('z')), None);
    }

    #[test]
    fn overrides_rebind_and_clashes_are_refused() {
        let mut o = HashMap::new();
        o.insert("decide_benign".to_owned(), vec!["b".to_owned()]);
        let m = Keymap::with(&o).unwrap();
        assert_eq!(m.command(&k('b')), Some(Command::DecideBenign));
        assert_eq!(m.command(&k('a')), None);
        assert!(
            m.bindings
                .iter()
                .any(|b| b.keys == "b" && b.command == Command::DecideBenign)
        );

        o.insert("decide_benign".to_owned(), vec!["x".to_owned()]);
        let e = Keymap::with(&o).unwrap_err();
        assert!(e.contains("bound to both"), "{e}");
        let mut o = HashMap::new();
        o.insert("approve".to_owned(), vec!["a".to_owned()]);
        assert!(Keymap::with(&o).unwrap_err().contains("is not a command"));
        let mut o = HashMap::new();
        o.insert("quit".to_owned(), vec!["Hyper-q".to_owned()]);
        assert!(Keymap::with(&o).unwrap_err().contains("is not a key"));
        let m = Keymap::default();
        let found: Vec<&str> = m
            .find("decide_f")
            .iter()
            .map(|b| b.command.name())
            .collect();
        assert_eq!(found[..2], ["decide_false_positive", "decide_follow_up"]);
    }
}
