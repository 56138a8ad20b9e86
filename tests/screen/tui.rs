//! The review screen: key sequences through the reducer (no terminal, no
//! I/O), rendering through ratatui's TestBackend (hostile text never reaches
//! a cell as a control), and the real binary driven in tmux.

use crate::common;

use std::io::Write;
use std::process::Command;
use std::time::{Duration, Instant};

use chrono::Utc;
use common::*;
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use vigil_domain::{Disposition, Item, ItemKind, ItemRule, SafeText, Severity, Status};
use vigil_review::Act;
use vigil_tui::update::update;
use vigil_tui::view::{Theme, render};
use vigil_tui::{Action, Effect, Mode, State};

fn item(id: i64, actor: &str, title: &str) -> Item {
    Item {
        id,
        kind: ItemKind::Finding,
        source: Some(SafeText::new("bastion-auth")),
        occurred_at: Utc::now(),
        actor: Some(SafeText::new(actor)),
        subject: None,
        title: SafeText::new(title),
        severity: Severity::High,
        rules: vec![ItemRule {
            rule: "failed-burst".into(),
            reason: SafeText::new(&format!("{actor} failed 5 times")),
        }],
        status: Status::New,
        disposition: None,
        claimed_by: None,
        event_ids: vec![],
        score: 0,
        score_note: None,
    }
}

fn loaded(n: i64) -> State {
    let mut s = State::new(
        "alice".into(),
        "sqlite:test".into(),
        vec![Disposition::Violation],
    );
    let items = (1..=n)
        .map(|i| item(i, &format!("user{i}"), &format!("finding {i}")))
        .collect();
    update(&mut s, Action::Resized(10));
    update(
        &mut s,
        Action::Loaded {
            offset: 0,
            total: n as u64,
            items,
        },
    );
    s
}

fn key(c: char) -> Action {
    Action::Key(KeyEvent::new(KeyCode::Char(c), KeyModifiers::NONE))
}

fn code(c: KeyCode) -> Action {
    Action::Key(KeyEvent::new(c, KeyModifiers::NONE))
}

fn keys(s: &mut State, text: &str) -> Vec<Effect> {
    text.chars().flat_map(|c| update(s, key(c))).collect()
}

#[test]
fn moving_asks_for_the_detail_of_the_item_under_the_cursor() {
    let mut s = loaded(30);
    assert_eq!(keys(&mut s, "j"), vec![Effect::LoadDetail(2)]);
    assert_eq!(keys(&mut s, "k"), vec![Effect::LoadDetail(1)]);
    keys(&mut s, "k");
    assert_eq!(s.queue.cursor, 0, "the top stops the cursor");
    keys(&mut s, "G");
    assert_eq!(s.queue.cursor, 29);
    keys(&mut s, "g");
    assert_eq!(s.queue.cursor, 0);
    update(&mut s, code(KeyCode::PageDown));
    assert_eq!(s.queue.cursor, 10);
    update(
        &mut s,
        Action::Key(KeyEvent::new(KeyCode::Char('u'), KeyModifiers::CONTROL)),
    );
    assert_eq!(s.queue.cursor, 5);
}

#[test]
fn leaving_the_loaded_window_pages_from_the_store() {
    let mut s = State::new("alice".into(), "x".into(), vec![]);
    update(
        &mut s,
        Action::Loaded {
            offset: 0,
            total: 100_000,
            items: (1..=200).map(|i| item(i, "u", "t")).collect(),
        },
    );
    let fx = keys(&mut s, "G");
    assert_eq!(
        fx,
        vec![Effect::LoadPage {
            filter: String::new(),
            offset: 99_999 - 50
        }]
    );
    assert!(
        s.queue.items.len() <= 200,
        "never the whole queue in memory"
    );
}

#[test]
fn filter_mark_decide_and_repeat() {
    let mut s = loaded(5);
    keys(&mut s, "/");
    assert!(matches!(s.mode, Mode::Filter(_)));
    keys(&mut s, "actor:user*");
    let fx = update(&mut s, code(KeyCode::Enter));
    assert_eq!(
        fx,
        vec![Effect::LoadPage {
            filter: "actor:user*".into(),
            offset: 0
        }]
    );
    update(
        &mut s,
        Action::Loaded {
            offset: 0,
            total: 5,
            items: (1..=5).map(|i| item(i, "user", "t")).collect(),
        },
    );
    // mark two, decide them benign in one action
    keys(&mut s, "  ");
    assert_eq!(
        s.queue.marked.iter().copied().collect::<Vec<_>>(),
        vec![1, 2]
    );
    let fx = keys(&mut s, "a");
    assert_eq!(
        fx,
        vec![Effect::Act {
            ids: vec![1, 2],
            act: Act::Decide {
                disposition: Disposition::Benign,
                note: None,
                reopen: false
            }
        }]
    );
    // the screen says saved only after the store answered
    assert!(s.message.as_ref().unwrap().0.starts_with("saving"));
    let done = |item| vigil_review::ActOutcome::Done {
        item,
        status: Status::Decided,
        decision: None,
        awaiting_approval: false,
        until: None,
    };
    let fx = update(&mut s, Action::Acted(vec![done(1), done(2)]));
    assert_eq!(s.message.as_ref().unwrap().0, "decided 2 benign · u undoes");
    assert!(s.queue.marked.is_empty());
    assert_eq!(
        fx,
        vec![Effect::LoadPage {
            filter: "actor:user*".into(),
            offset: 0
        }]
    );
    // `.` repeats the last action on what is under the cursor now
    let fx = keys(&mut s, ".");
    assert!(matches!(
        &fx[0],
        Effect::Act {
            act: Act::Decide {
                disposition: Disposition::Benign,
                ..
            },
            ..
        }
    ));
}

#[test]
fn a_violation_asks_for_a_note_first() {
    let mut s = loaded(3);
    assert!(keys(&mut s, "x").is_empty());
    assert!(matches!(s.mode, Mode::Note { .. }));
    // Enter on an empty note does nothing
    assert!(update(&mut s, code(KeyCode::Enter)).is_empty());
    keys(&mut s, "looked at a neighbour");
    let fx = update(&mut s, code(KeyCode::Enter));
    assert_eq!(
        fx,
        vec![Effect::Act {
            ids: vec![1],
            act: Act::Decide {
                disposition: Disposition::Violation,
                note: Some("looked at a neighbour".into()),
                reopen: false
            }
        }]
    );
    // Esc cancels a note
    keys(&mut s, "x");
    update(&mut s, code(KeyCode::Esc));
    assert_eq!(s.mode, Mode::Normal);
}

#[test]
fn a_bad_filter_is_a_message_not_a_query() {
    let mut s = loaded(3);
    keys(&mut s, "/colour:red");
    assert!(update(&mut s, code(KeyCode::Enter)).is_empty());
    let (msg, error) = s.message.clone().unwrap();
    assert!(error && msg.contains("unknown field"), "{msg}");
    assert_eq!(s.queue.filter, "");
}

#[test]
fn help_claim_undo_and_quit() {
    let mut s = loaded(3);
    keys(&mut s, "?");
    assert_eq!(s.mode, Mode::Help);
    let page1 = text(&draw(&s, 80, 24));
    assert!(
        page1.contains("help 1/2") && page1.contains("decide") && page1.contains("look closer"),
        "{page1}"
    );
    // Tab turns to the filter language; another ? starts at the keys again
    update(&mut s, code(KeyCode::Tab));
    let page2 = text(&draw(&s, 80, 24));
    assert!(
        page2.contains("help 2/2") && page2.contains("severity>=high"),
        "{page2}"
    );
    keys(&mut s, "j");
    assert_eq!(s.mode, Mode::Normal, "any other key closes help");
    keys(&mut s, "?");
    assert!(text(&draw(&s, 80, 24)).contains("help 1/2"));
    keys(&mut s, "j");
    assert_eq!(s.mode, Mode::Normal);
    assert!(matches!(
        &keys(&mut s, "C")[0],
        Effect::Act {
            act: Act::Claim,
            ..
        }
    ));
    assert!(matches!(
        &keys(&mut s, "u")[0],
        Effect::Act { act: Act::Undo, .. }
    ));
    keys(&mut s, "q");
    assert!(s.quit);
}

#[test]
fn esc_goes_back_a_step_and_never_quits() {
    let mut s = loaded(3);
    // another screen: back to the queue
    keys(&mut s, "5");
    assert_ne!(s.screens.screen, vigil_app::screens::Screen::Queue);
    update(&mut s, code(KeyCode::Esc));
    assert_eq!(s.screens.screen, vigil_app::screens::Screen::Queue);
    assert!(!s.quit);
    // marks: cleared, and said so
    keys(&mut s, " ");
    assert_eq!(s.queue.marked.len(), 1);
    update(&mut s, code(KeyCode::Esc));
    assert!(s.queue.marked.is_empty());
    assert!(s.message.as_ref().unwrap().0.contains("unmarked 1"));
    // nothing left to leave: it says how to quit, and does not
    update(&mut s, code(KeyCode::Esc));
    assert!(!s.quit);
    assert_eq!(s.message.as_ref().unwrap().0, "q quits");
}

fn draw(s: &State, w: u16, h: u16) -> ratatui::buffer::Buffer {
    let mut t = Terminal::new(TestBackend::new(w, h)).unwrap();
    t.draw(|f| render(s, &Theme::default(), f)).unwrap();
    t.backend().buffer().clone()
}

fn text(b: &ratatui::buffer::Buffer) -> String {
    let mut out = String::new();
    for y in 0..b.area.height {
        for x in 0..b.area.width {
            out.push_str(b[(x, y)].symbol());
        }
        out.push('\n');
    }
    out
}

#[test]
fn hostile_text_never_reaches_a_cell_as_a_control() {
    let mut s = State::new("alice".into(), "sqlite:x".into(), vec![]);
    let hostile = [
        "\u{1b}]0;owned\u{7}",
        "\u{1b}[2J\u{1b}[H",
        "\u{9b}2J",
        "\u{1b}]52;c;cm0gLXJmIH4=\u{7}",
        "\u{202e}nimda",
        "a\rb\u{8}c\0",
    ];
    let items: Vec<Item> = hostile
        .iter()
        .enumerate()
        .map(|(i, h)| item(i as i64 + 1, h, h))
        .collect();
    update(
        &mut s,
        Action::Loaded {
            offset: 0,
            total: items.len() as u64,
            items: items.clone(),
        },
    );
    update(
        &mut s,
        Action::DetailLoaded(Box::new(vigil_tui::Detail {
            item: items[0].clone(),
            events: vec![],
            decisions: vec![],
            history: vec![],
            related: vec![],
            phi: vec![],
            explanations: Vec::new(),
        })),
    );
    for (w, h) in [(80, 24), (160, 48), (40, 10)] {
        let b = draw(&s, w, h);
        for cell in b.content() {
            assert!(
                !cell
                    .symbol()
                    .chars()
                    .any(|c| c.is_control() || c == '\u{9b}' || c == '\u{202e}'),
                "control character in a cell: {:?}",
                cell.symbol()
            );
        }
        if w >= 80 {
            assert!(text(&b).contains("^[]0;owned^G"), "{}", text(&b));
        }
    }
}

#[test]
fn the_queue_and_detail_render_at_80x24() {
    let mut s = loaded(3);
    update(
        &mut s,
        Action::DetailLoaded(Box::new(vigil_tui::Detail {
            item: item(1, "user1", "finding 1"),
            events: vec![],
            decisions: vec![],
            history: vec![],
            related: vec![],
            phi: vec![],
            explanations: Vec::new(),
        })),
    );
    let t = text(&draw(&s, 80, 24));
    assert!(t.contains("vigil · 3 items"), "{t}");
    // every screen is named at 80 columns
    assert!(t.contains("1:que") && t.contains("8:hos"), "{t}");
    assert!(t.contains("finding 2"));
    assert!(t.contains("failed-burst: user1 failed 5 times"), "{t}");
    assert!(t.contains("q quit"));
    // the severity carries its colour
    let b = draw(&s, 80, 24);
    let high = (0..80)
        .map(|x| &b[(x, 3)])
        .find(|c| c.symbol() == "h")
        .unwrap();
    assert_eq!(high.fg, ratatui::style::Color::LightRed);
    let mono = {
        let mut t = Terminal::new(TestBackend::new(80, 24)).unwrap();
        t.draw(|f| render(&s, &Theme::builtin("mono").unwrap(), f))
            .unwrap();
        t.backend().buffer().clone()
    };
    assert!((0..80).all(|x| mono[(x, 3)].fg == ratatui::style::Color::Reset));
}

fn tmux(args: &[&str]) -> String {
    let o = Command::new("tmux").args(args).output().expect("tmux");
    String::from_utf8_lossy(&o.stdout).into_owned()
}

/// Ends a test's tmux server, and the screen in it, however the test ends:
/// a failed assertion would otherwise leave the screen running.
struct TmuxServer(String);

impl Drop for TmuxServer {
    fn drop(&mut self) {
        let _ = Command::new("tmux")
            .args(["-S", &self.0, "kill-server"])
            .output();
    }
}

#[test]
fn end_to_end_in_tmux_filter_mark_decide_quit() {
    if Command::new("tmux").arg("-V").output().is_err() {
        eprintln!("skipped: tmux is not installed");
        return;
    }
    let home = tempfile::tempdir().unwrap();
    let dir = home.path().join("demo");
    let o = vigil(
        home.path(),
        &["demo", "--no-tui", "--dir", dir.to_str().unwrap()],
    );
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let cfg = dir.join("config.toml");
    let session = format!("vigil-e2e-{}", std::process::id());
    let socket = home.path().join("tmux.sock");
    let sock = socket.to_str().unwrap();
    let _server = TmuxServer(sock.to_owned());
    let cmd = format!(
        "env HOME={h} XDG_STATE_HOME={h}/state {bin} --config {cfg}",
        h = home.path().display(),
        bin = env!("CARGO_BIN_EXE_vigil"),
        cfg = cfg.display()
    );
    let t = |args: &[&str]| {
        let mut all = vec!["-S", sock];
        all.extend_from_slice(args);
        tmux(&all)
    };
    t(&[
        "new-session",
        "-d",
        "-s",
        &session,
        "-x",
        "120",
        "-y",
        "32",
        &cmd,
    ]);
    let wait = |needle: &str| {
        let start = Instant::now();
        loop {
            let screen = t(&["capture-pane", "-p", "-t", &session]);
            if screen.contains(needle) || start.elapsed() > Duration::from_secs(20) {
                return screen;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    };
    let screen = wait("items");
    assert!(screen.contains("vigil ·"), "{screen}");
    t(&["send-keys", "-t", &session, "/"]);
    // (bob has two days of privileged activity: two cases)
    t(&["send-keys", "-t", &session, "-l", "actor:bob"]);
    t(&["send-keys", "-t", &session, "Enter"]);
    let screen = wait("filter actor:bob");
    assert!(screen.contains("filter actor:bob"), "{screen}");
    // The filtered page arrives from the worker after the status line
    // changes: mark only once bob's items are on the screen.
    let screen = wait("Privileged activity: bob");
    assert!(screen.contains("Privileged activity: bob"), "{screen}");
    t(&["send-keys", "-t", &session, "Space"]);
    wait("1 marked");
    t(&["send-keys", "-t", &session, "Space"]);
    let screen = wait("2 marked");
    assert!(screen.contains("2 marked"), "{screen}");
    t(&["send-keys", "-t", &session, "a"]);
    let screen = wait("decided 2");
    assert!(screen.contains("decided 2 benign"), "{screen}");
    // a wider queue pane is remembered for the next run
    t(&["send-keys", "-t", &session, ">"]);
    t(&["send-keys", "-t", &session, ">"]);
    t(&["send-keys", "-t", &session, "q"]);
    // the program exits, and its session with it
    let start = Instant::now();
    while Command::new("tmux")
        .args(["-S", sock, "has-session", "-t", &session])
        .output()
        .is_ok_and(|o| o.status.success())
        && start.elapsed() < Duration::from_secs(10)
    {
        std::thread::sleep(Duration::from_millis(100));
    }
    let _ = Command::new("tmux")
        .args(["-S", sock, "kill-server"])
        .status();
    let prefs = std::fs::read_to_string(home.path().join("state/vigil/screen.toml"))
        .expect("the screen remembers its widths");
    assert_eq!(prefs.trim(), "split = 65");

    let c = cfg.to_str().unwrap();
    let o = vigil(
        home.path(),
        &[
            "--config",
            c,
            "queue",
            "--filter",
            "actor:bob status:decided",
            "--format",
            "json",
        ],
    );
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let decided = v.as_array().unwrap();
    assert_eq!(decided.len(), 2, "{v}");
    assert!(decided.iter().all(|i| i["disposition"] == "benign"));
    let o = vigil(home.path(), &["--config", c, "verify"]);
    assert_eq!(o.status.code(), Some(0), "{}", stdout(&o));
}

#[test]
fn patient_identifiers_are_masked_until_revealed_with_a_reason() {
    let mut s = loaded(2);
    let mut it = item(1, "nurse1", "Same surname as the patient: nurse1");
    it.subject = Some(SafeText::new("100234"));
    it.rules = vec![ItemRule {
        rule: "same-surname".into(),
        reason: SafeText::new(
            "nurse1 opened the chart of MRN 100234, who shares the surname Lopez",
        ),
    }];
    update(
        &mut s,
        Action::DetailLoaded(Box::new(vigil_tui::Detail {
            item: it,
            events: vec![],
            decisions: vec![],
            history: vec![],
            related: vec![],
            phi: vec![],
            explanations: Vec::new(),
        })),
    );
    let masked = text(&draw(&s, 120, 30));
    assert!(!masked.contains("100234"), "{masked}");
    assert!(masked.contains("MRN ••••34"), "{masked}");
    // The patient's surname in the reason is masked with the identifier.
    assert!(!masked.contains("Lopez"), "{masked}");
    // r asks why; the reason goes to the ledger before anything is shown
    keys(&mut s, "r");
    assert!(matches!(s.mode, Mode::Reveal { item: 1, .. }));
    assert!(
        update(&mut s, code(KeyCode::Enter)).is_empty(),
        "a reason is required"
    );
    keys(&mut s, "incident 7 follow-up");
    assert_eq!(
        update(&mut s, code(KeyCode::Enter)),
        vec![Effect::Reveal {
            item: 1,
            reason: "incident 7 follow-up".into()
        }]
    );
    assert!(
        !text(&draw(&s, 120, 30)).contains("100234"),
        "not before the ledger has it"
    );
    update(&mut s, Action::Revealed(1));
    assert!(text(&draw(&s, 120, 30)).contains("MRN 100234"));
    assert!(text(&draw(&s, 120, 30)).contains("surname Lopez"));
}

#[test]
fn an_idle_screen_blanks_and_the_waking_key_does_nothing_else() {
    let mut s = loaded(3);
    s.idle.idle_after = 900;
    update(&mut s, Action::Tick(10));
    keys(&mut s, "j");
    assert_eq!(s.queue.cursor, 1);
    update(&mut s, Action::Tick(909));
    assert!(!s.idle.blanked, "one second short");
    update(&mut s, Action::Tick(910));
    assert!(s.idle.blanked);
    let t = text(&draw(&s, 80, 24));
    assert!(t.contains("screen blanked"), "{t}");
    assert!(!t.contains("finding 1"), "nothing of the queue shows");
    // the key that wakes it is not acted on
    assert!(keys(&mut s, "a").is_empty());
    assert!(!s.idle.blanked);
    assert_eq!(s.queue.cursor, 1);
    update(&mut s, Action::Tick(1500));
    assert!(!s.idle.blanked, "the waking key counts as input");
}

#[test]
fn other_screens_load_their_rows_and_say_what_is_not_there() {
    use vigil_tui::state::{Listing, Screen};
    let mut s = loaded(3);
    assert_eq!(
        keys(&mut s, "2"),
        vec![Effect::LoadScreen(Screen::Incidents)]
    );
    assert_eq!(s.screens.screen, Screen::Incidents);
    // queue keys do nothing here
    assert!(keys(&mut s, "a").is_empty());
    update(
        &mut s,
        Action::Listed(
            Screen::Incidents,
            Listing {
                columns: vec!["ID", "TITLE"],
                rows: vec![vec!["7".into(), "Chart snooping".into()]],
                empty: String::new(),
                ..Default::default()
            },
        ),
    );
    let t = text(&draw(&s, 100, 20));
    assert!(t.contains("Chart snooping"), "{t}");
    assert_eq!(keys(&mut s, "]"), vec![Effect::LoadScreen(Screen::Sources)]);
    keys(&mut s, "5");
    update(
        &mut s,
        Action::Listed(
            Screen::Coverage,
            Listing {
                empty: "not built yet (issue #9)".into(),
                ..Listing::default()
            },
        ),
    );
    assert!(text(&draw(&s, 100, 20)).contains("not built yet"));
    // back to the queue, where the cursor is where it was
    keys(&mut s, "1");
    assert_eq!(s.screens.screen, Screen::Queue);
    assert!(text(&draw(&s, 100, 20)).contains("finding 1"));
}

#[test]
fn pictures_read_without_colour_at_80x24() {
    use vigil_app::screens::Picture;
    use vigil_tui::{Listing, Screen};
    let mut s = loaded(3);
    keys(&mut s, "7");
    let days: Vec<(String, u64)> = (1..=30).map(|d| (format!("11-{d:02}"), d * 10)).collect();
    update(
        &mut s,
        Action::Listed(
            Screen::Dashboard,
            Listing {
                columns: vec!["LAST 30 DAYS", "VALUE"],
                rows: vec![vec!["review coverage".into(), "75%".into()]],
                pictures: vec![
                    Picture::Gauges(vec![
                        ("review coverage".into(), Some(75.0)),
                        ("explained accesses".into(), None),
                    ]),
                    Picture::Histogram {
                        title: "events per day".into(),
                        bars: days,
                    },
                ],
                ..Listing::default()
            },
        ),
    );
    let mono = Theme::load("dark", None, true).unwrap();
    let mut t = Terminal::new(TestBackend::new(80, 24)).unwrap();
    t.draw(|f| render(&s, &mono, f)).unwrap();
    let screen = text(t.backend().buffer());
    // the gauge says its share in figures and fills with another symbol
    // than it leaves empty; a share with nothing behind it says so
    assert!(screen.contains("review coverage     75.0% ███"), "{screen}");
    assert!(screen.contains('░'), "{screen}");
    assert!(screen.contains("nothing to measure yet"), "{screen}");
    // the histogram: its highest value, bars, and the first and last day
    assert!(screen.contains("events per day (highest 300)"), "{screen}");
    assert!(
        screen.contains("11-01") && screen.contains("11-30"),
        "{screen}"
    );
    // and the rows stay below, with the tabs above
    assert!(
        screen.contains("LAST 30 DAYS") && screen.contains("7:das"),
        "{screen}"
    );
}

#[test]
fn v_marks_a_range_from_the_last_mark_and_the_palette_runs_commands() {
    let mut s = loaded(10);
    keys(&mut s, " "); // marks item 1, cursor to 2
    keys(&mut s, "jjj"); // cursor on item 5
    keys(&mut s, "V");
    assert_eq!(
        s.queue.marked.iter().copied().collect::<Vec<_>>(),
        vec![1, 2, 3, 4, 5]
    );
    assert!(s.message.as_ref().unwrap().0.starts_with("5 marked"));
    // `:` then a prefix, Tab completes, Enter runs it.
    keys(&mut s, ":decide_b");
    assert!(matches!(s.mode, Mode::Palette { .. }));
    update(&mut s, code(KeyCode::Tab));
    assert!(matches!(&s.mode, Mode::Palette { text, .. } if text == "decide_benign"));
    let fx = update(&mut s, code(KeyCode::Enter));
    assert!(
        matches!(&fx[..], [Effect::Act { ids, act: Act::Decide { disposition: Disposition::Benign, .. } }] if ids.len() == 5),
        "{fx:?}"
    );
    keys(&mut s, ":nonsense");
    update(&mut s, code(KeyCode::Enter));
    assert!(s.message.as_ref().unwrap().0.contains("no command matches"));
}

#[test]
fn the_palette_finds_commands_by_description_and_keys_and_runs_the_chosen_one() {
    let mut s = loaded(3);
    // words of the description, not the name's prefix
    let found = s.keys.find("widen detail");
    assert_eq!(found[0].command.name(), "narrower", "{found:?}");
    // a bound key finds its command too
    assert_eq!(s.keys.find("G")[0].command.name(), "bottom");
    // the drawn list shows keys and descriptions, the first highlighted
    keys(&mut s, ":benign");
    let screen = text(&draw(&s, 100, 24));
    assert!(
        screen.contains("decide_benign") && screen.contains("commands"),
        "{screen}"
    );
    // ↓ moves the choice and Enter runs what is chosen, not the best match
    update(&mut s, code(KeyCode::Esc));
    assert_eq!(s.mode, Mode::Normal);
    let found: Vec<&str> = s
        .keys
        .find("decide")
        .iter()
        .map(|b| b.command.name())
        .collect();
    assert!(
        found.len() >= 5 && found[..5].iter().all(|n| n.starts_with("decide_")),
        "{found:?}"
    );
    let want = found.iter().position(|n| *n == "decide_violation").unwrap();
    keys(&mut s, ":decide");
    for _ in 0..want + 2 {
        update(&mut s, code(KeyCode::Down));
    }
    for _ in 0..2 {
        update(&mut s, code(KeyCode::Up));
    }
    assert!(matches!(s.mode, Mode::Palette { selected, .. } if selected == want));
    update(&mut s, code(KeyCode::Enter));
    // a violation asks for its note first
    assert!(
        matches!(
            &s.mode,
            Mode::Note {
                disposition: Disposition::Violation,
                ..
            }
        ),
        "{:?}",
        s.mode
    );
}

#[test]
fn rebound_keys_work_and_the_help_shows_them() {
    let mut s = loaded(5);
    let mut o = std::collections::HashMap::new();
    o.insert("decide_benign".to_owned(), vec!["b".to_owned()]);
    s.keys = vigil_tui::keymap::Keymap::with(&o).unwrap();
    assert!(keys(&mut s, "a").is_empty());
    assert!(matches!(
        &keys(&mut s, "b")[..],
        [Effect::Act {
            act: Act::Decide { .. },
            ..
        }]
    ));
    keys(&mut s, "?");
    let b = draw(&s, 80, 24);
    let t = text(&b);
    assert!(t.contains("decide: benign / expected"), "{t}");
    // Every command fits on an 80x24 help screen.
    assert!(t.contains("1-8 ") && t.contains("go to screen 1..8"), "{t}");
    for c in vigil_tui::keymap::COMMANDS {
        if matches!(c.0, vigil_tui::keymap::Command::Screen(_)) {
            continue;
        }
        assert!(
            t.contains(c.3.chars().take(20).collect::<String>().as_str()),
            "{} missing:\n{t}",
            c.1
        );
    }
}

#[test]
fn a_background_pull_with_new_items_reloads_without_moving_the_reviewer() {
    use vigil_tui::state::Pull;
    let mut s = loaded(10);
    keys(&mut s, "jjj"); // on item 4
    let fx = update(&mut s, Action::Pull("bastion-auth".into(), Pull::Pulling));
    assert!(fx.is_empty());
    let b = draw(&s, 120, 30);
    assert!(text(&b).contains("bastion-auth pulling"));
    let fx = update(
        &mut s,
        Action::Pull(
            "bastion-auth".into(),
            Pull::Ok {
                at: "12:03".into(),
                events: 40,
                items: 2,
                stale: false,
            },
        ),
    );
    assert_eq!(
        fx,
        vec![Effect::LoadPage {
            filter: String::new(),
            offset: 0
        }]
    );
    // Two new items sort in front: the cursor follows item 4 to row 6.
    let mut items = vec![item(100, "new1", "new one"), item(101, "new2", "new two")];
    items.extend((1..=10).map(|i| item(i, &format!("user{i}"), &format!("finding {i}"))));
    update(
        &mut s,
        Action::Loaded {
            offset: 0,
            total: 12,
            items,
        },
    );
    assert_eq!(s.current().map(|i| i.id), Some(4));
    assert!(text(&draw(&s, 120, 30)).contains("sources ok 12:03"));
    update(
        &mut s,
        Action::Pull(
            "ehr".into(),
            Pull::Error {
                message: "no readable file".into(),
                retry: "12:05".into(),
            },
        ),
    );
    assert!(text(&draw(&s, 120, 30)).contains("ehr error, retry 12:05"));
    // A failed source is retried with backoff, never sooner than its interval.
    let i = Duration::from_secs(60);
    assert_eq!(vigil_app::background::next_pull(i, 0), i);
    assert_eq!(
        vigil_app::background::next_pull(i, 1),
        Duration::from_secs(120)
    );
    assert_eq!(
        vigil_app::background::next_pull(i, 9),
        Duration::from_secs(900)
    );
}

#[test]
fn every_theme_renders_the_queue_with_its_own_styles() {
    let mut s = loaded(5);
    update(&mut s, Action::Resized(20));
    let mut seen = Vec::new();
    for (name, _) in vigil_tui::theme::BUILTIN {
        let th = Theme::builtin(name).unwrap();
        let mut t = Terminal::new(TestBackend::new(80, 24)).unwrap();
        t.draw(|f| render(&s, &th, f)).unwrap();
        let b = t.backend().buffer().clone();
        assert!(text(&b).contains("finding 1"), "{name}");
        // the severity column of the first row carries the theme's style
        let cell = &b[(2, 3)];
        seen.push((cell.fg, cell.bg, cell.modifier));
    }
    seen.dedup();
    assert!(seen.len() >= 3, "themes look alike: {seen:?}");
}

#[test]
fn note_claim_release_next_undecided_and_resizing() {
    let mut s = loaded(6);
    // `c` asks for a note and files it for the item.
    keys(&mut s, "c");
    assert!(matches!(s.mode, Mode::Comment { .. }));
    keys(&mut s, "called the ward");
    let fx = update(&mut s, code(KeyCode::Enter));
    assert!(
        matches!(&fx[..], [Effect::Act { ids, act: Act::Note { note } }] if ids == &vec![1] && note == "called the ward"),
        "{fx:?}"
    );
    // `C` claims, and on an item I hold, releases.
    assert!(matches!(
        &keys(&mut s, "C")[..],
        [Effect::Act {
            act: Act::Claim,
            ..
        }]
    ));
    s.queue.items[0].claimed_by = Some(SafeText::new("alice"));
    assert!(matches!(
        &keys(&mut s, "C")[..],
        [Effect::Act {
            act: Act::Release,
            ..
        }]
    ));
    // `n`/`N` skip what is already decided.
    s.queue.items[1].status = Status::Decided;
    s.queue.items[2].status = Status::Decided;
    keys(&mut s, "n");
    assert_eq!(s.current().map(|i| i.id), Some(4));
    keys(&mut s, "N");
    assert_eq!(s.current().map(|i| i.id), Some(1));
    // `>`/`<` move the split between the queue and the detail pane.
    let before = s.pane.split;
    keys(&mut s, ">>");
    assert_eq!(s.pane.split, before + 10);
    keys(&mut s, "<<<<<<<<<<<<");
    assert_eq!(s.pane.split, 25);
}

#[test]
fn the_filter_counts_as_it_is_typed_and_says_why_a_query_is_bad() {
    let mut s = loaded(3);
    keys(&mut s, "/");
    let fx = keys(&mut s, "actor:u");
    assert_eq!(fx.last(), Some(&Effect::CountFilter("actor:u".into())));
    update(&mut s, Action::FilterCounted("actor:u".into(), Ok(42)));
    assert!(text(&draw(&s, 80, 24)).contains("/actor:u  42 items"));
    // A stale count (for an older text) is not shown as this one's.
    keys(&mut s, "s");
    assert!(text(&draw(&s, 80, 24)).contains("/actor:us  …"));
    let fx = keys(&mut s, " colour:red");
    // Once the field name is known to be wrong, nothing is sent to count.
    assert!(
        fx.iter()
            .all(|f| !matches!(f, Effect::CountFilter(t) if t.contains("colour:")))
    );
    let t = text(&draw(&s, 120, 24));
    assert!(t.contains("unknown field"), "{t}");
}

#[test]
fn the_filter_refuses_rule_and_source_names_there_are_not_once_they_are_known() {
    let mut s = loaded(3);
    // before the names arrive, a name is not checked
    keys(&mut s, "/");
    let fx = keys(&mut s, "rule:after-hour");
    assert_eq!(
        fx.last(),
        Some(&Effect::CountFilter("rule:after-hour".into()))
    );
    update(&mut s, code(KeyCode::Esc));
    update(
        &mut s,
        Action::Names(vigil_app::screens::FilterNames {
            loaded: true,
            rules: vec!["after-hours".into(), "vip".into()],
            sources: vec!["ehr".into()],
        }),
    );
    keys(&mut s, "/");
    let fx = keys(&mut s, "rule:after-hour");
    assert!(
        fx.iter()
            .all(|f| !matches!(f, Effect::CountFilter(t) if t == "rule:after-hour"))
    );
    let t = text(&draw(&s, 120, 24));
    assert!(
        t.contains("no rule \"after-hour\"; known: after-hours, vip"),
        "{t}"
    );
    // Enter refuses it and keeps the queue as it was
    let fx = update(&mut s, code(KeyCode::Enter));
    assert!(fx.is_empty(), "{fx:?}");
    assert!(
        s.message.as_ref().unwrap().0.contains("no rule"),
        "{:?}",
        s.message
    );
    assert_eq!(s.queue.filter, "");
    // a known name, a pattern and a source pass
    keys(&mut s, "/");
    let fx = keys(&mut s, "rule:after-hours source:ehr rule:v*");
    assert_eq!(
        fx.last(),
        Some(&Effect::CountFilter(
            "rule:after-hours source:ehr rule:v*".into()
        ))
    );
    let fx = keys(&mut s, " source:ehx");
    assert!(
        fx.iter()
            .all(|f| !matches!(f, Effect::CountFilter(t) if t.ends_with("ehx")))
    );
}

#[test]
fn tab_gives_the_detail_pane_the_keys_and_masked_fields_follow_the_config() {
    let mut s = loaded(3);
    let mut ev_item = item(1, "user1", "finding 1");
    ev_item.event_ids = vec![7];
    let ev = vigil_domain::Event {
        id: 7,
        source: SafeText::new("bastion-auth"),
        kind: SafeText::new("syslog"),
        occurred_at: Utc::now(),
        host: Some(SafeText::new("bastion")),
        actor: Some(SafeText::new("user1")),
        subject: None,
        action: SafeText::new("login"),
        outcome: vigil_domain::Outcome::Failure,
        client: Some(SafeText::new("203.0.113.9")),
        raw: SafeText::new("Failed password for user1 from 203.0.113.9 port 22 ssh2"),
        program: None,
        detail: None,
        time_basis: "explicit".into(),
    };
    update(
        &mut s,
        Action::DetailLoaded(Box::new(vigil_tui::Detail {
            item: ev_item,
            events: vec![ev],
            decisions: vec![],
            history: vec![],
            related: vec![],
            phi: vec![],
            explanations: Vec::new(),
        })),
    );
    let t = text(&draw(&s, 200, 30));
    assert!(
        t.contains("login failure · user1 → - · from 203.0.113.9 · on bastion"),
        "{t}"
    );
    update(&mut s, code(KeyCode::Tab));
    assert!(s.pane.detail_focus);
    keys(&mut s, "jj");
    assert_eq!(
        (s.pane.detail_scroll, s.queue.cursor),
        (2, 0),
        "j scrolls the pane, not the queue"
    );
    update(&mut s, code(KeyCode::Tab));
    keys(&mut s, "j");
    assert_eq!(s.queue.cursor, 1);
    keys(&mut s, "k");
    // With `[tui] mask = ["subject", "client"]` the address is masked too.
    s.pane.mask = vec!["subject".into(), "client".into()];
    let t = text(&draw(&s, 200, 30));
    assert!(!t.contains("203.0.113.9"), "{t}");
    assert!(t.contains("from •••"), "{t}");
}

#[test]
fn wide_screens_show_source_subject_and_claims_with_the_subject_masked() {
    let mut s = loaded(2);
    s.queue.items[0].subject = Some(SafeText::new("100234"));
    s.queue.items[0].claimed_by = Some(SafeText::new("bob"));
    let narrow = text(&draw(&s, 80, 24));
    assert!(!narrow.contains("SOURCE"), "{narrow}");
    // With the detail pane hidden the queue has the whole width.
    update(&mut s, code(KeyCode::Enter));
    let wide = text(&draw(&s, 200, 30));
    for col in [
        "SOURCE",
        "SUBJECT",
        "CLAIMED",
        "bastion-auth",
        "bob",
        "••••34",
    ] {
        assert!(wide.contains(col), "{col}:\n{wide}");
    }
    assert!(!wide.contains("100234"), "{wide}");
}

#[test]
fn another_reviewers_decision_reloads_in_place_and_a_store_outage_keeps_the_place() {
    let mut s = loaded(10);
    keys(&mut s, "jjjj"); // on item 5
    // bob decided item 2 elsewhere: the page reloads, the cursor stays on 5
    let fx = update(&mut s, Action::Changed(vec![2]));
    assert_eq!(
        fx,
        vec![Effect::LoadPage {
            filter: String::new(),
            offset: 0
        }]
    );
    let items: Vec<Item> = [1, 3, 4, 5, 6, 7, 8, 9, 10]
        .iter()
        .map(|i| item(*i, &format!("user{i}"), &format!("finding {i}")))
        .collect();
    update(
        &mut s,
        Action::Loaded {
            offset: 0,
            total: 9,
            items: items.clone(),
        },
    );
    assert_eq!(s.current().map(|i| i.id), Some(5));

    // the server restarts: the screen says so and keeps everything
    update(&mut s, Action::Tick(100));
    update(
        &mut s,
        Action::StoreDown("store unavailable: connection refused".into()),
    );
    assert_eq!(s.current().map(|i| i.id), Some(5));
    assert!(text(&draw(&s, 120, 30)).contains("store unavailable"));
    // changes are not chased while it is down; a few seconds on it asks again
    assert!(update(&mut s, Action::Changed(vec![])).is_empty());
    assert!(update(&mut s, Action::Tick(101)).is_empty());
    assert_eq!(
        update(&mut s, Action::Tick(103)),
        vec![Effect::LoadPage {
            filter: String::new(),
            offset: 0
        }]
    );
    // still down: it waits again before the next try
    update(
        &mut s,
        Action::StoreDown("store unavailable: connection refused".into()),
    );
    assert!(update(&mut s, Action::Tick(104)).is_empty());
    assert_eq!(update(&mut s, Action::Tick(106)).len(), 1);
    // back: the page arrives and the reviewer is where they were
    update(
        &mut s,
        Action::Loaded {
            offset: 0,
            total: 9,
            items,
        },
    );
    assert_eq!(s.current().map(|i| i.id), Some(5));
    assert!(s.background.store_down.is_none());
    assert!(text(&draw(&s, 120, 30)).contains("store is back"));
}

#[test]
fn overdue_and_silent_sources_show_on_the_queue_status_line() {
    let mut s = loaded(5);
    update(
        &mut s,
        Action::Attention(vec![
            ("bastion-auth".into(), "overdue".into()),
            ("ehr-access".into(), "overdue".into()),
            ("fhir-audit".into(), "silent".into()),
            ("incident 4 to sec-jira".into(), "not pushed".into()),
        ]),
    );
    let screen = text(&draw(&s, 220, 30));
    assert!(
        screen.contains("not pushed: incident 4 to sec-jira"),
        "{screen}"
    );
    assert!(
        screen.contains("overdue: bastion-auth, ehr-access"),
        "{screen}"
    );
    assert!(screen.contains("silent: fhir-audit"), "{screen}");

    // from a real store: the demo's first day is not reviewed, so overdue
    let dir = tempfile::tempdir().unwrap();
    let (config, store) = vigil_app::demo::load(dir.path(), Utc::now()).unwrap();
    let list = vigil_app::screens::attention(store.as_ref(), &config);
    assert!(list.iter().any(|(_, w)| w == "overdue"), "{list:?}");
}

#[test]
fn a_review_session_is_recorded_with_what_it_covered() {
    use vigil_review::ActOutcome;
    let mut s = loaded(5);
    let detail = |id: i64| vigil_tui::Detail {
        item: item(id, &format!("user{id}"), "x"),
        events: vec![],
        related: vec![],
        phi: vec![],
        explanations: Vec::new(),
        decisions: vec![],
        history: vec![],
    };
    update(&mut s, Action::DetailLoaded(Box::new(detail(1))));
    update(&mut s, Action::DetailLoaded(Box::new(detail(2))));
    update(
        &mut s,
        Action::Acted(vec![ActOutcome::Done {
            item: 1,
            status: Status::Decided,
            decision: Some("d1".into()),
            awaiting_approval: false,
            until: None,
        }]),
    );
    assert_eq!(s.session.seen.len(), 2);
    assert_eq!(s.session.decided, 1);

    let dir = tempfile::tempdir().unwrap();
    let url = vigil_store::StoreUrl::Sqlite(dir.path().join("v.db"));
    let who = vigil_review::Reviewer {
        name: "alice".into(),
        session: "tui-1".into(),
    };
    let began = Utc::now();
    vigil_tui::record_session(&url, &who, &s.session, began, began).unwrap();
    let store = url.open().unwrap();
    let e = store.ledger_for("session:tui-1").unwrap();
    assert_eq!(e.len(), 1);
    assert_eq!(e[0].action, "review.session");
    let p: serde_json::Value = serde_json::from_str(&e[0].payload).unwrap();
    assert_eq!(p["items_seen"], 2);
    assert_eq!(p["items_decided"], 1);
    assert_eq!(p["sources"], serde_json::json!(["bastion-auth"]));
    // a session that looked at nothing leaves nothing
    vigil_tui::record_session(&url, &who, &Default::default(), began, began).unwrap();
    assert_eq!(store.ledger_for("session:tui-1").unwrap().len(), 1);
}

#[test]
fn no_patient_identifier_or_name_reaches_the_screen_unless_revealed() {
    // Every item of the demo, with its events, the same actor's other
    // activity and its history, drawn whole: no MRN or name from the
    // demographics shows until the item is revealed.
    let dir = tempfile::tempdir().unwrap();
    let (config, store) = vigil_app::demo::load(dir.path(), Utc::now()).unwrap();
    let patients = store.patients().unwrap();
    assert!(patients.len() > 5);
    let known = vigil_app::screens::Patients::of(store.as_ref()).unwrap();
    let items = store
        .items(&vigil_domain::query::Query::default(), 0)
        .unwrap();
    assert!(items.len() > 20, "{}", items.len());
    let mut shown_when_revealed = 0;
    for it in &items {
        let d = vigil_app::screens::load_detail(store.as_ref(), &known, None, it.id)
            .unwrap()
            .unwrap();
        let mut s = State::new("alice".into(), "sqlite:demo".into(), vec![]);
        s.pane.mask = config.mask.clone();
        update(&mut s, Action::Resized(10));
        update(
            &mut s,
            Action::Loaded {
                offset: 0,
                total: 1,
                items: vec![it.clone()],
            },
        );
        update(&mut s, Action::DetailLoaded(Box::new(d)));
        let screen = text(&draw(&s, 200, 160));
        for p in &patients {
            assert!(
                !shows_token(&screen, &p.mrn) && !screen.contains(&p.name),
                "item {} shows patient {} in clear:\n{screen}",
                it.id,
                p.mrn
            );
        }
        s.pane.revealed.insert(it.id);
        let screen = text(&draw(&s, 200, 160));
        shown_when_revealed += patients
            .iter()
            .filter(|p| shows_token(&screen, &p.mrn))
            .count();
    }
    assert!(shown_when_revealed > 0, "revealing shows the identifiers");
}

/// Whether a process is still running (a zombie waiting for its parent to
/// reap it has ended).
fn running(pid: &str) -> bool {
    std::fs::read_to_string(format!("/proc/{pid}/stat"))
        .ok()
        .and_then(|s| s.rsplit(')').next().map(|r| r.trim().chars().next()))
        .flatten()
        .is_some_and(|state| state != 'Z' && state != 'X')
}

/// A demo screen started from an interactive shell in tmux, as a user on a
/// bastion starts it; returns the screen's pid.
fn screen_in_shell(home: &std::path::Path, sock: &str, session: &str) -> String {
    screen_in_shell_with(home, sock, session, |_| {})
}

/// The same, with the demo's config changed by `tweak` before the screen
/// reads it.
fn screen_in_shell_with(
    home: &std::path::Path,
    sock: &str,
    session: &str,
    tweak: impl FnOnce(&std::path::Path),
) -> String {
    let dir = home.join("demo");
    let o = vigil(home, &["demo", "--no-tui", "--dir", dir.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    tweak(&dir.join("config.toml"));
    tmux(&[
        "-S",
        sock,
        "new-session",
        "-d",
        "-s",
        session,
        "-x",
        "120",
        "-y",
        "32",
        "bash --norc --noprofile -i",
    ]);
    let cmd = format!(
        "env HOME={h} XDG_STATE_HOME={h}/state {bin} --config {cfg} tui",
        h = home.display(),
        bin = env!("CARGO_BIN_EXE_vigil"),
        cfg = dir.join("config.toml").display()
    );
    tmux(&["-S", sock, "send-keys", "-t", session, "-l", &cmd]);
    tmux(&["-S", sock, "send-keys", "-t", session, "Enter"]);
    let start = Instant::now();
    loop {
        let screen = tmux(&["-S", sock, "capture-pane", "-p", "-t", session]);
        if screen.contains("items") && screen.contains("vigil ·") {
            break;
        }
        assert!(
            start.elapsed() < Duration::from_secs(30),
            "no screen: {screen}"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    let shell = tmux(&["-S", sock, "list-panes", "-t", session, "-F", "#{pane_pid}"]);
    let kids = Command::new("pgrep")
        .args(["-P", shell.trim()])
        .output()
        .unwrap();
    let pid = String::from_utf8_lossy(&kids.stdout).trim().to_owned();
    assert!(
        !pid.is_empty() && running(&pid),
        "the screen runs under the shell"
    );
    pid
}

fn gone_within(pid: &str, limit: Duration) -> bool {
    let start = Instant::now();
    while start.elapsed() < limit {
        if !running(pid) {
            return true;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    !running(pid)
}

#[test]
fn the_screen_ends_when_its_terminal_hangs_up_or_it_is_told_to() {
    if Command::new("tmux").arg("-V").output().is_err() {
        eprintln!("skipped: tmux is not installed");
        return;
    }
    // The terminal goes away (an SSH connection drops): the server dies
    // while the screen is in the middle of typing a filter.
    let home = tempfile::tempdir().unwrap();
    let sock = home.path().join("tmux.sock");
    let sock = sock.to_str().unwrap();
    let _server = TmuxServer(sock.to_owned());
    let pid = screen_in_shell(home.path(), sock, "hangup");
    tmux(&["-S", sock, "send-keys", "-t", "hangup", "/"]);
    tmux(&["-S", sock, "send-keys", "-t", "hangup", "-l", "actor:nu"]);
    tmux(&["-S", sock, "kill-server"]);
    let ended = gone_within(&pid, Duration::from_secs(1));
    if !ended {
        let _ = Command::new("kill").args(["-9", &pid]).status();
    }
    assert!(ended, "the screen outlived its terminal");

    // SIGTERM in a state where q is just a letter (a note being typed).
    let home = tempfile::tempdir().unwrap();
    let sock = home.path().join("tmux.sock");
    let sock = sock.to_str().unwrap();
    let _term_server = TmuxServer(sock.to_owned());
    let pid = screen_in_shell(home.path(), sock, "term");
    tmux(&["-S", sock, "send-keys", "-t", "term", "/"]);
    tmux(&["-S", sock, "send-keys", "-t", "term", "-l", "q"]);
    std::thread::sleep(Duration::from_millis(200));
    let _ = Command::new("kill").args(["-TERM", &pid]).status();
    let ended = gone_within(&pid, Duration::from_secs(1));
    if !ended {
        let _ = Command::new("kill").args(["-9", &pid]).status();
    }
    tmux(&["-S", sock, "kill-server"]);
    assert!(ended, "SIGTERM did not end the screen");
}

/// Whether `token` shows on its own, not inside a longer number or word:
/// the demo's MRNs are six digits, which a byte offset or an id on screen
/// may contain by chance.
fn shows_token(screen: &str, token: &str) -> bool {
    screen.match_indices(token).any(|(at, _)| {
        let before = screen[..at].chars().next_back();
        let after = screen[at + token.len()..].chars().next();
        !before.is_some_and(char::is_alphanumeric) && !after.is_some_and(char::is_alphanumeric)
    })
}

#[test]
fn an_item_opens_its_patients_access_report_and_its_actors_timeline_with_a_reason() {
    let mut s = loaded(3);
    // no patient on this item: it says so, and asks nothing
    assert!(keys(&mut s, "P").is_empty());
    assert!(matches!(s.mode, Mode::Normal));
    assert!(s.message.as_ref().unwrap().0.contains("names no patient"));
    s.queue.items[0].subject = Some(SafeText::new("100234"));
    keys(&mut s, "P");
    let Mode::Investigate { shown, .. } = &s.mode else {
        panic!("{:?}", s.mode)
    };
    assert_eq!(shown, "record ••••34", "the prompt masks the record number");
    let prompt = text(&draw(&s, 120, 30));
    assert!(prompt.contains("why do you need the access report") && !prompt.contains("100234"));
    keys(&mut s, "no");
    assert!(
        update(&mut s, code(KeyCode::Enter)).is_empty(),
        "a reason of four characters or more"
    );
    keys(&mut s, "te request 31");
    assert_eq!(
        update(&mut s, code(KeyCode::Enter)),
        vec![Effect::Investigate {
            inquiry: vigil_tui::Inquiry::Patient,
            about: "100234".into(),
            reason: "note request 31".into()
        }]
    );
    let rows: Vec<Vec<String>> = (0..40)
        .map(|i| {
            vec![
                format!("2026-11-{:02} 10:00:00", 1 + i % 28),
                format!("nurse{i}"),
            ]
        })
        .collect();
    update(
        &mut s,
        Action::Investigated(
            "accesses to Ana Lopez (MRN 100234) in the last year: 40 by 40 people".into(),
            vigil_tui::Listing {
                columns: vec!["TIME", "WHO"],
                rows,
                empty: String::new(),
                ..Default::default()
            },
        ),
    );
    assert_eq!(s.screens.screen, vigil_tui::Screen::Investigation);
    // the rows scroll: the last one comes into view
    keys(&mut s, "G");
    assert_eq!(s.screens.cursor, 39);
    let screen = text(&draw(&s, 120, 30));
    assert!(
        screen.contains("nurse39") && screen.contains("40 of 40"),
        "{screen}"
    );
    assert!(screen.contains("investigation"), "{screen}");
    keys(&mut s, "k");
    assert_eq!(s.screens.cursor, 38);
    // a change elsewhere does not run it again
    assert!(update(&mut s, Action::Changed(vec![])).is_empty());
    update(&mut s, code(KeyCode::Esc));
    assert_eq!(s.screens.screen, vigil_tui::Screen::Queue);
    // W: the actor's timeline
    keys(&mut s, "W");
    assert!(matches!(
        &s.mode,
        Mode::Investigate { inquiry: vigil_tui::Inquiry::Person, about, .. } if about == "user1"
    ));
    update(&mut s, code(KeyCode::Esc));
    assert!(matches!(s.mode, Mode::Normal));
}

fn done(item: i64) -> vigil_review::ActOutcome {
    vigil_review::ActOutcome::Done {
        item,
        status: Status::Decided,
        decision: None,
        awaiting_approval: false,
        until: None,
    }
}

#[test]
fn a_bulk_decision_over_many_or_critical_items_asks_once() {
    let mut s = loaded(15);
    // two ordinary items: no question
    keys(&mut s, "  ");
    assert_eq!(keys(&mut s, "a").len(), 1);
    update(&mut s, Action::Acted(vec![done(1), done(2)]));
    // more than confirm_over (10): asked, and any key but y cancels
    keys(&mut s, "*");
    assert!(keys(&mut s, "a").is_empty());
    let Mode::Confirm { prompt, .. } = &s.mode else {
        panic!("{:?}", s.mode)
    };
    assert_eq!(
        prompt,
        "decide 15 items benign? y decides them, any other key cancels"
    );
    assert!(text(&draw(&s, 120, 30)).contains("decide 15 items benign?"));
    assert!(keys(&mut s, "n").is_empty());
    assert_eq!(s.mode, Mode::Normal);
    assert!(
        s.message
            .as_ref()
            .unwrap()
            .0
            .contains("15 items left as they were")
    );
    assert_eq!(s.queue.marked.len(), 15, "the marks stay for another try");
    // y runs it, once
    keys(&mut s, "a");
    let fx = keys(&mut s, "y");
    assert!(matches!(&fx[..], [Effect::Act { ids, .. }] if ids.len() == 15));
    // two items, one of them critical: asked too
    let mut s = loaded(3);
    s.queue.items[1].severity = Severity::Critical;
    keys(&mut s, "  ");
    assert!(keys(&mut s, "a").is_empty());
    let Mode::Confirm { prompt, .. } = &s.mode else {
        panic!("{:?}", s.mode)
    };
    assert!(
        prompt.contains("2 items benign, 1 of them critical"),
        "{prompt}"
    );
    update(&mut s, code(KeyCode::Esc));
    assert_eq!(s.mode, Mode::Normal);
    // the one critical item alone is not a bulk act
    let mut s = loaded(3);
    s.queue.items[0].severity = Severity::Critical;
    assert_eq!(keys(&mut s, "a").len(), 1);
}

#[test]
fn undo_reverts_the_whole_last_decision_and_messages_say_what_happened() {
    let mut s = loaded(6);
    keys(&mut s, "   ");
    keys(&mut s, "a");
    update(&mut s, Action::Acted(vec![done(1), done(2), done(3)]));
    assert_eq!(s.message.as_ref().unwrap().0, "decided 3 benign · u undoes");
    // the cursor moved on; u still reverts all three
    keys(&mut s, "jj");
    let fx = keys(&mut s, "u");
    assert_eq!(
        fx,
        vec![Effect::Act {
            ids: vec![1, 2, 3],
            act: Act::Undo
        }]
    );
    update(&mut s, Action::Acted(vec![done(1), done(2), done(3)]));
    assert_eq!(
        s.message.as_ref().unwrap().0,
        "undid your decisions on 3 items"
    );
    // with that undone, u falls back to the item under the cursor
    let here = s.current().unwrap().id;
    assert_eq!(
        keys(&mut s, "u"),
        vec![Effect::Act {
            ids: vec![here],
            act: Act::Undo
        }]
    );
    update(&mut s, Action::Acted(vec![done(here)]));
    assert_eq!(
        s.message.as_ref().unwrap().0,
        format!("undid your decision on #{here}")
    );
    // claims, notes and refusals in words
    keys(&mut s, "C");
    update(&mut s, Action::Acted(vec![done(here)]));
    assert_eq!(s.message.as_ref().unwrap().0, format!("claimed #{here}"));
    // a claim says until when, in the screen's zone
    s.zone = Some(chrono_tz::America::New_York);
    keys(&mut s, "C");
    let until = "2026-11-20T19:30:00Z".parse().unwrap();
    update(
        &mut s,
        Action::Acted(vec![vigil_review::ActOutcome::Done {
            item: here,
            status: Status::Claimed,
            decision: None,
            awaiting_approval: false,
            until: Some(until),
        }]),
    );
    assert_eq!(
        s.message.as_ref().unwrap().0,
        format!("claimed #{here} until 14:30")
    );
    s.zone = None;
    keys(&mut s, "c");
    keys(&mut s, "seen");
    update(&mut s, code(KeyCode::Enter));
    update(&mut s, Action::Acted(vec![done(here)]));
    assert_eq!(s.message.as_ref().unwrap().0, format!("noted #{here}"));
    keys(&mut s, "a");
    update(
        &mut s,
        Action::Acted(vec![vigil_review::ActOutcome::Refused {
            item: here,
            reason: "claimed by bob".into(),
            refusal: vigil_review::Refusal::NotFound,
        }]),
    );
    let (msg, error) = s.message.clone().unwrap();
    assert!(error);
    assert_eq!(msg, format!("#{here} refused: claimed by bob"));
}

#[test]
fn new_items_are_counted_marked_until_opened_and_a_critical_one_rings() {
    use vigil_tui::state::Pull;
    let mut s = loaded(3);
    s.bell = true;
    // the first newest id is the baseline: nothing there when the screen
    // opened is new
    assert!(update(&mut s, Action::Newest(3)).is_empty());
    let starts_new = |screen: &str| screen.lines().filter(|l| l.starts_with('+')).count();
    assert_eq!(starts_new(&text(&draw(&s, 120, 30))), 0);
    update(
        &mut s,
        Action::Pull(
            "bastion-auth".into(),
            Pull::Ok {
                at: "12:03".into(),
                events: 9,
                items: 2,
                stale: false,
            },
        ),
    );
    assert_eq!(
        s.message.as_ref().unwrap().0,
        "2 new items from bastion-auth"
    );
    let mut critical = item(5, "root", "Root login");
    critical.severity = Severity::Critical;
    let mut items = vec![critical, item(4, "new", "new one")];
    items.extend((1..=3).map(|i| item(i, &format!("user{i}"), &format!("finding {i}"))));
    update(
        &mut s,
        Action::Loaded {
            offset: 0,
            total: 5,
            items,
        },
    );
    // the bell rings once for the new critical item
    assert_eq!(update(&mut s, Action::Newest(5)), vec![Effect::Bell]);
    assert!(update(&mut s, Action::Newest(5)).is_empty());
    let screen = text(&draw(&s, 120, 30));
    assert!(screen.contains("2 new"), "{screen}");
    assert_eq!(starts_new(&screen), 2, "{screen}");
    // opening a new item takes it off the count and its mark
    let d = vigil_tui::Detail {
        item: s.queue.items[0].clone(),
        events: vec![],
        related: vec![],
        decisions: vec![],
        history: vec![],
        explanations: Default::default(),
        phi: vec![],
    };
    update(&mut s, Action::DetailLoaded(Box::new(d)));
    assert_eq!(s.background.new_items, 1);
    assert!(!s.is_new(&s.queue.items[0]));
    assert!(s.is_new(&s.queue.items[1]));
    // without [tui] bell, no bell
    let mut quiet = loaded(1);
    update(&mut quiet, Action::Newest(1));
    let mut c = item(2, "root", "Root login");
    c.severity = Severity::Critical;
    update(
        &mut quiet,
        Action::Loaded {
            offset: 0,
            total: 2,
            items: vec![c],
        },
    );
    assert!(update(&mut quiet, Action::Newest(2)).is_empty());
}

#[test]
fn end_to_end_in_tmux_a_new_finding_arrives_with_a_toast_and_a_count() {
    if Command::new("tmux").arg("-V").output().is_err() {
        eprintln!("skipped: tmux is not installed");
        return;
    }
    let home = tempfile::tempdir().unwrap();
    let dir = home.path().join("demo");
    let socket = home.path().join("tmux.sock");
    let sock = socket.to_str().unwrap().to_owned();
    let _server = TmuxServer(sock.clone());
    let session = format!("vigil-new-{}", std::process::id());
    // the bastion's log is pulled every second while the screen is open
    screen_in_shell_with(home.path(), &sock, &session, |cfg| {
        let text = std::fs::read_to_string(cfg).unwrap().replacen(
            "name = \"bastion-auth\"\n",
            "name = \"bastion-auth\"\ninterval = \"1s\"\n",
            1,
        );
        assert!(text.contains("interval = \"1s\""));
        write_private(cfg, &text);
    });
    let capture = || tmux(&["-S", &sock, "capture-pane", "-p", "-t", &session]);
    // a login by an account no one holds lands in the log while the
    // screen is open
    let log = dir.join("logs/bastion/auth.log");
    let line = format!(
        "{} bastion sshd[31337]: Accepted password for intruder from 198.51.100.7 port 50000 ssh2\n",
        Utc::now().format("%Y-%m-%dT%H:%M:%S%.6f+00:00")
    );
    std::fs::OpenOptions::new()
        .append(true)
        .open(&log)
        .unwrap()
        .write_all(line.as_bytes())
        .unwrap();
    let start = Instant::now();
    let screen = loop {
        let screen = capture();
        if screen.contains("from bastion-auth") || start.elapsed() > Duration::from_secs(30) {
            break screen;
        }
        std::thread::sleep(Duration::from_millis(100));
    };
    assert!(
        screen.contains("new item from bastion-auth")
            || screen.contains("new items from bastion-auth"),
        "{screen}"
    );
    // the count stays on the status line until the item is opened
    assert!(screen.contains(" new"), "{screen}");
    tmux(&["-S", &sock, "send-keys", "-t", &session, "q"]);
}

#[test]
fn every_time_on_the_screen_is_in_one_labelled_zone_and_history_says_what_was_decided() {
    let mut s = loaded(1);
    s.zone = Some("America/New_York".parse().unwrap());
    let at: chrono::DateTime<Utc> = "2026-11-20T08:42:00Z".parse().unwrap();
    s.queue.items[0].occurred_at = at;
    s.queue.items[0].event_ids = (1..=20).collect();
    let event = |id: i64| vigil_domain::Event {
        id,
        source: SafeText::new("bastion-auth"),
        kind: SafeText::new("syslog"),
        occurred_at: at,
        host: Some(SafeText::new("bastion")),
        actor: Some(SafeText::new("user1")),
        subject: None,
        action: SafeText::new("login"),
        outcome: vigil_domain::Outcome::Failure,
        client: None,
        raw: SafeText::new("Failed password for user1"),
        program: None,
        detail: None,
        time_basis: "explicit".into(),
    };
    let decision = vigil_app::model::DecisionRow {
        id: "d1".into(),
        item_id: 1,
        kind: "decide".into(),
        reviewer: "root".into(),
        decided_at: at,
        disposition: Some(Disposition::Benign),
        note: Some("on call for the ward".into()),
        reverts: None,
        prior_status: Some(Status::New),
        session: None,
        ledger_seq: 7,
    };
    let entry = vigil_app::model::LedgerEntry {
        seq: 7,
        at: "2026-11-20T14:05:00.123456Z".into(),
        actor: "root".into(),
        action: "decide".into(),
        entity: "item:1".into(),
        payload: "{}".into(),
        prev_hash: String::new(),
        hash: String::new(),
        seal: None,
    };
    let d = vigil_tui::Detail {
        item: s.queue.items[0].clone(),
        events: (1..=14).map(event).collect(),
        related: vec![],
        decisions: vec![decision],
        history: vec![entry],
        explanations: Default::default(),
        phi: vec![],
    };
    update(&mut s, Action::DetailLoaded(Box::new(d)));
    let screen = text(&draw(&s, 200, 60));
    // the queue's column and the detail pane: New York time, said so
    assert!(screen.contains("TIME (EST)"), "{screen}");
    assert!(screen.contains("11-20 03:42 "), "{screen}");
    assert!(!screen.contains("08:42"), "{screen}");
    assert!(screen.contains("times EST"), "{screen}");
    // the history: when in that zone, who, the disposition and the note
    assert!(
        screen.contains("11-20 09:05 root decide benign: on call for the ward"),
        "{screen}"
    );
    // what the pane leaves out is said, with where to see it
    assert!(
        screen.contains("… 8 more: `vigil show 1` lists them all"),
        "{screen}"
    );
    assert!(screen.contains("queue 1 of 1"), "{screen}");
}

#[test]
fn a_listing_row_opens_whole_and_an_incident_is_updated_from_its_screen() {
    use vigil_tui::state::{Listing, Screen};
    let mut s = loaded(3);
    keys(&mut s, "2");
    let long = "the workstation was reimaged and the account's sessions ended; ".repeat(2);
    update(
        &mut s,
        Action::Listed(
            Screen::Incidents,
            Listing {
                columns: vec!["ID", "STATUS", "TITLE", "OUTCOME"],
                rows: vec![
                    vec![
                        "7".into(),
                        "open".into(),
                        "Chart snooping".into(),
                        String::new(),
                    ],
                    vec!["9".into(), "open".into(), "Root login".into(), long.clone()],
                ],
                empty: String::new(),
                ..Default::default()
            },
        ),
    );
    // Enter opens the selected row: every column, whole
    keys(&mut s, "j");
    update(&mut s, code(KeyCode::Enter));
    assert!(s.screens.open);
    let screen = text(&draw(&s, 80, 24));
    assert!(screen.contains("reimaged and the account's"), "{screen}");
    assert!(screen.contains("c updates this incident"), "{screen}");
    // c asks for the update; a bad status is said at once, the text kept
    keys(&mut s, "c");
    assert!(matches!(s.mode, Mode::IncidentUpdate { id: 9, .. }));
    keys(&mut s, "status=done");
    assert!(update(&mut s, code(KeyCode::Enter)).is_empty());
    let (msg, error) = s.message.clone().unwrap();
    assert!(
        error && msg.contains("open, contained, resolved, closed"),
        "{msg}"
    );
    for _ in 0.."done".len() {
        update(&mut s, code(KeyCode::Backspace));
    }
    keys(&mut s, "contained note=host isolated");
    let fx = update(&mut s, code(KeyCode::Enter));
    assert_eq!(
        fx,
        vec![Effect::UpdateIncident {
            id: 9,
            change: vigil_app::model::IncidentChange {
                status: Some(vigil_app::model::IncidentStatus::Contained),
                note: Some("host isolated".into()),
                ..Default::default()
            }
        }]
    );
    let fx = update(
        &mut s,
        Action::IncidentUpdated("incident 9: contained, note added".into()),
    );
    assert_eq!(fx, vec![Effect::LoadScreen(Screen::Incidents)]);
    assert!(
        s.message
            .as_ref()
            .unwrap()
            .0
            .starts_with("incident 9: contained")
    );
    // Esc closes the row, then leaves the screen; it never quits
    update(&mut s, code(KeyCode::Esc));
    assert!(!s.screens.open);
    assert_eq!(s.screens.screen, Screen::Incidents);
    update(&mut s, code(KeyCode::Esc));
    assert_eq!(s.screens.screen, Screen::Queue);
    assert!(!s.quit);
}

#[test]
fn an_incident_update_reads_keys_and_values_with_spaces() {
    use vigil_app::screens::incident_change;
    let c = incident_change("status=closed risk=no outcome=host reimaged, keys rotated note=done")
        .unwrap();
    assert_eq!(c.status, Some(vigil_app::model::IncidentStatus::Closed));
    assert_eq!(c.risk_update_needed, Some(false));
    assert_eq!(c.outcome.as_deref(), Some("host reimaged, keys rotated"));
    assert_eq!(c.note.as_deref(), Some("done"));
    // text with no key is a note
    let c = incident_change("called the ward manager").unwrap();
    assert_eq!(c.note.as_deref(), Some("called the ward manager"));
    assert!(incident_change("").is_err());
    assert!(
        incident_change("risk=maybe")
            .unwrap_err()
            .contains("yes or no")
    );
    assert!(
        incident_change("assignee=")
            .unwrap_err()
            .contains("needs a value")
    );
}

#[test]
fn end_to_end_in_tmux_an_incident_is_opened_and_updated_from_the_screen() {
    let Some(demo) = demo_in_tmux("inc") else {
        return;
    };
    let pane = &demo.pane;
    // the first item becomes an incident, once the first page is in
    pane.wait("queue 1 of");
    pane.send(&["e"]);
    let screen = pane.wait("opened for 1 item");
    let id: String = screen
        .split("incident ")
        .nth(1)
        .map(|r| r.chars().take_while(char::is_ascii_digit).collect())
        .unwrap_or_default();
    assert!(!id.is_empty(), "{screen}");
    // on the incidents screen: the newest is the last row
    pane.send(&["2"]);
    pane.wait("incidents · 1 of");
    pane.send(&["G"]);
    pane.send(&["c"]);
    pane.wait("update incident");
    pane.send(&["-l", "status=contained note=host isolated"]);
    pane.send(&["Enter"]);
    let screen = pane.wait(&format!("incident {id}: contained"));
    assert!(
        screen.contains(&format!("incident {id}: contained")),
        "{screen}"
    );
    // the row says so once the screen reloads it, and opens whole
    pane.send(&["Enter"]);
    let screen = pane.wait_all(&["c updates this incident", "contained"]);
    assert!(screen.contains("contained"), "{screen}");
    pane.send(&["Escape"]);
    pane.send(&["Escape"]);
    pane.send(&["q"]);
}

#[test]
fn end_to_end_in_tmux_coverage_moves_to_its_oldest_day() {
    let Some(demo) = demo_in_tmux("cov") else {
        return;
    };
    let pane = &demo.pane;
    pane.wait("queue 1 of");
    // the week, newest day first: more rows than 32 lines show
    pane.send(&["5"]);
    let screen = pane.wait("by day and source · 1 of");
    let total: usize = screen
        .split("by day and source · 1 of ")
        .nth(1)
        .map(|r| {
            r.chars()
                .take_while(char::is_ascii_digit)
                .collect::<String>()
        })
        .and_then(|n| n.parse().ok())
        .unwrap_or(0);
    assert!(total > 20, "{screen}");
    let oldest = (Utc::now().date_naive() - chrono::Duration::days(6)).to_string();
    // (rows of the oldest day are below the fold until the cursor goes there)
    assert!(!screen.contains(&format!("{oldest}  ")), "{screen}");
    pane.send(&["G"]);
    let screen = pane.wait_all(&[&format!("{total} of {total}"), &oldest]);
    assert!(screen.contains(&format!("{total} of {total}")), "{screen}");
    assert!(screen.contains(&oldest), "{screen}");
    // and back up a page, then to the newest day
    pane.send(&["PageUp"]);
    pane.send(&["g"]);
    // (the whole "· 1 of": after PageUp the screen may say "31 of 56",
    // which holds "1 of 56")
    let screen = pane.wait(&format!("· 1 of {total}"));
    assert!(screen.contains(&format!("· 1 of {total}")), "{screen}");
    pane.send(&["q"]);
}

/// The demo's review screen in a tmux pane, with the server and folder
/// that go with it.
struct DemoScreen {
    pane: Pane,
    // (fields drop in order: the server ends before its socket's folder
    // goes; bindings of a tuple dropped the folder first, so the server
    // could no longer be reached and outlived the test)
    _server: TmuxServer,
    _home: tempfile::TempDir,
}

/// The demo's review screen, started from an interactive shell in a tmux
/// pane of a server of the test's own; `None` (skipped) without tmux.
fn demo_in_tmux(name: &str) -> Option<DemoScreen> {
    if Command::new("tmux").arg("-V").output().is_err() {
        eprintln!("skipped: tmux is not installed");
        return None;
    }
    let home = tempfile::tempdir().unwrap();
    let sock = home.path().join("tmux.sock").to_str().unwrap().to_owned();
    let server = TmuxServer(sock.clone());
    let pane = Pane {
        sock,
        session: format!("vigil-{name}-{}", std::process::id()),
    };
    screen_in_shell(home.path(), &pane.sock, &pane.session);
    Some(DemoScreen {
        pane,
        _server: server,
        _home: home,
    })
}

/// A tmux pane a test drives: keys in, the screen's text out.
struct Pane {
    sock: String,
    session: String,
}

impl Pane {
    fn send(&self, keys: &[&str]) {
        let mut a = vec![
            "-S",
            self.sock.as_str(),
            "send-keys",
            "-t",
            self.session.as_str(),
        ];
        a.extend_from_slice(keys);
        tmux(&a);
    }

    /// The screen once it shows `needle` (or after 20 s, for the assertion
    /// to say what it showed instead).
    fn wait(&self, needle: &str) -> String {
        self.wait_all(&[needle])
    }

    /// Waits until the pane holds every needle at once: a frame reaches
    /// tmux in more than one write, so a capture can hold a new title over
    /// rows of the old frame.
    fn wait_all(&self, needles: &[&str]) -> String {
        let start = Instant::now();
        loop {
            let screen = tmux(&["-S", &self.sock, "capture-pane", "-p", "-t", &self.session]);
            if needles.iter().all(|n| screen.contains(n))
                || start.elapsed() > Duration::from_secs(20)
            {
                return screen;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }
}

#[test]
fn the_sources_screen_says_where_and_why_lines_were_quarantined_but_not_the_lines() {
    use vigil_tui::state::Screen;
    let dir = tempfile::tempdir().unwrap();
    let mut store = common::store(dir.path());
    let log = dir.path().join("auth.log");
    std::fs::copy(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/hostile.log"),
        &log,
    )
    .unwrap();
    let src = source(&mut store, "bastion");
    assert_eq!(ingest(&mut store, &src, &log, true).quarantined, 1);
    let config = vigil_app::config::Config::parse("", None, dir.path()).unwrap();
    let who = vigil_app::model::Reviewer {
        name: "alice".into(),
        session: "s".into(),
    };
    let l =
        vigil_app::screens::listing(&store, &config, &who, Screen::Sources, Utc::now()).unwrap();
    let col = l
        .columns
        .iter()
        .position(|c| *c == "LATEST QUARANTINED")
        .unwrap();
    let row = l.rows.iter().find(|r| r[0] == "bastion").unwrap();
    assert!(row[col].contains("no syslog timestamp"), "{}", row[col]);
    assert!(
        row[col].contains("vigil quarantine --source bastion"),
        "{}",
        row[col]
    );
    assert!(!row[col].contains("not a syslog line"), "{}", row[col]);
    // opened on the screen, the row shows it whole
    let mut s = loaded(1);
    keys(&mut s, "3");
    update(&mut s, Action::Listed(Screen::Sources, l));
    update(&mut s, code(KeyCode::Enter));
    let screen = text(&draw(&s, 120, 30));
    assert!(screen.contains("no syslog timestamp"), "{screen}");
}
