//! insta snapshots of every screen on the demo data, at 80x24 and 160x48,
//! in two themes: the text of each cell, and after it the style runs, so a
//! theme or layout change shows up as a reviewable diff
//! (`cargo insta review`, or `INSTA_UPDATE=always cargo test`).

use std::path::Path;

use chrono::{DateTime, Utc};
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use ratatui::buffer::Buffer;
use vigil_app::config::Config;
use vigil_domain::query::Query;
use vigil_review::Reviewer;
use vigil_tui::state::{Screen, WINDOW};
use vigil_tui::update::update;
use vigil_tui::view::{Theme, render};
use vigil_tui::{Action, Detail, Mode, State};

/// The instant the demo data ends: the screens' "now".
fn end() -> DateTime<Utc> {
    "2025-03-14T15:00:00Z".parse().unwrap()
}

/// The demo workspace as of a fixed instant, read and evaluated.
fn demo(dir: &Path) -> (Config, Box<dyn vigil_store::Store>) {
    vigil_app::demo::load(dir, end()).unwrap()
}

/// The buffer as text, then its non-default style runs line by line.
fn dump(b: &Buffer) -> String {
    let mut text = String::new();
    let mut styles = String::new();
    for y in 0..b.area.height {
        let mut line = String::new();
        let mut runs: Vec<String> = Vec::new();
        let mut run: Option<(u16, String)> = None;
        for x in 0..b.area.width {
            let c = &b[(x, y)];
            line.push_str(c.symbol());
            let st = format!("{:?}/{:?}/{:?}", c.fg, c.bg, c.modifier);
            let plain = st == "Reset/Reset/NONE";
            match &run {
                Some((start, s)) if *s != st => {
                    runs.push(format!("{start}..{x} {s}"));
                    run = (!plain).then_some((x, st));
                }
                None if !plain => run = Some((x, st)),
                _ => {}
            }
        }
        if let Some((start, s)) = run {
            runs.push(format!("{start}..{} {s}", b.area.width));
        }
        text.push_str(line.trim_end());
        text.push('\n');
        if !runs.is_empty() {
            styles.push_str(&format!("{y:>2}: {}\n", runs.join("  ")));
        }
    }
    // The sources screen shows when each was pulled: the real clock.
    let now = Utc::now().format("%Y-%m-%d").to_string();
    let text: String = text
        .lines()
        .map(|l| {
            let mut out = String::new();
            let mut rest = l;
            while let Some(i) = rest.find(&now) {
                out.push_str(&rest[..i]);
                out.push_str("<today>");
                // the time after the date, as far as the column shows it
                let tail = &rest[i + now.len()..];
                let b = tail.as_bytes();
                let mut n = 0;
                while n < b.len().min(6)
                    && (b[n].is_ascii_digit() || b[n] == b':' || (n == 0 && b[n] == b' '))
                {
                    n += 1;
                }
                rest = &tail[n..];
            }
            out.push_str(rest);
            out
        })
        .collect::<Vec<_>>()
        .join("\n");
    format!("{text}\n--- styles ---\n{styles}")
}

#[test]
fn every_screen_at_three_sizes_in_two_themes() {
    let dir = tempfile::tempdir().unwrap();
    let (config, store) = demo(dir.path());
    let who = Reviewer {
        name: "alice".into(),
        session: "snap".into(),
    };
    let q = Query::parse("").unwrap();
    let total = store.count_items(&q).unwrap();
    let items = store.items_page(&q, 0, WINDOW).unwrap();
    let first = items[0].clone();
    let events = store
        .events_by_id(&first.event_ids)
        .unwrap()
        .into_iter()
        .map(|(e, _)| e)
        .collect();
    let detail = Detail {
        decisions: store.decisions(first.id).unwrap(),
        history: store.ledger_for(&format!("item:{}", first.id)).unwrap(),
        item: first,
        events,
        related: Vec::new(),
        phi: Vec::new(),
        explanations: Vec::new(),
    };
    for theme in ["dark", "light"] {
        let th = Theme::builtin(theme).unwrap();
        for (w, h) in [(80u16, 24u16), (120, 40), (200, 60)] {
            for screen in Screen::ALL.iter().copied().map(Some).chain([None]) {
                let mut s = State::new("alice".into(), "sqlite:demo/vigil.db".into(), vec![]);
                update(&mut s, Action::Resized(u64::from(h)));
                update(
                    &mut s,
                    Action::Loaded {
                        offset: 0,
                        total,
                        items: items.clone(),
                    },
                );
                update(&mut s, Action::DetailLoaded(Box::new(detail.clone())));
                let name = match screen {
                    Some(sc) => {
                        if sc != Screen::Queue {
                            s.screens.screen = sc;
                            let l = vigil_app::screens::listing(
                                store.as_ref(),
                                &config,
                                &who,
                                sc,
                                end(),
                            )
                            .unwrap();
                            update(&mut s, Action::Listed(sc, l));
                        }
                        sc.name().to_owned()
                    }
                    None => {
                        s.mode = Mode::Help;
                        "help".to_owned()
                    }
                };
                let mut t = Terminal::new(TestBackend::new(w, h)).unwrap();
                t.draw(|f| render(&s, &th, f)).unwrap();
                // every screen is named at every size, and the status line
                // keeps its hints
                let b = t.backend().buffer();
                let row = |y: u16| (0..w).map(|x| b[(x, y)].symbol()).collect::<String>();
                let tabs = row(0);
                // (the help is drawn over everything, the tabs too, at 80x24)
                for n in (1..=8).filter(|_| name != "help") {
                    assert!(
                        tabs.contains(&format!(" {n}")),
                        "{name} {w}x{h}: tab {n} missing: {tabs}"
                    );
                }
                let status = row(h - 1);
                assert!(
                    name == "help" || status.contains("q quit") || status.contains("help"),
                    "{name} {w}x{h}: {status}"
                );
                insta::assert_snapshot!(
                    format!("{name}_{w}x{h}_{theme}"),
                    dump(t.backend().buffer())
                );
            }
        }
    }
}
