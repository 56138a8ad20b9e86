//! The review screen: a keyboard-driven queue over the store.
//!
//! Elm-style: `update` (pure) turns actions into effects, a worker thread
//! hands the effects to `vigil_app`'s desk (latest page wins), and
//! `view::render` draws from a read-only state. The terminal is restored on
//! exit, on panic (ratatui's hook) and on SIGTERM/SIGHUP. This crate never
//! opens a store or an HTTP connection itself: it depends on no database or
//! HTTP crate (`tests/architecture.rs` holds it to that).

mod charts;
pub mod keymap;
mod popup;
pub mod state;
pub mod theme;
pub mod update;
pub mod view;
mod words;

use std::io::IsTerminal;
use std::sync::mpsc::{Receiver, Sender, channel};
use std::time::Duration;

use chrono::Utc;
use color_eyre::eyre::Result;
use crossterm::event::{self, Event as TermEvent, KeyEventKind};

pub use state::{Action, Detail, Effect, Inquiry, Listing, Mode, Screen, State};
use vigil_app::config::Config;
pub use vigil_app::desk::record_session;
use vigil_app::desk::{self, Desk};
use vigil_app::model::{Reviewer, StoreUrl};

/// The checks of `[keys]` and `[tui] theme` a config read must pass, for
/// `vigil_app::config::install_ui_checks`.
pub fn config_checks() -> vigil_app::config::UiChecks {
    vigil_app::config::UiChecks {
        keys: |keys| keymap::Keymap::with(keys).map(drop),
        theme: |name, base| theme::Theme::load(name, Some(base), false).map(drop),
    }
}

/// Whether there is a terminal to draw on.
pub fn interactive() -> bool {
    std::io::stdout().is_terminal() && std::io::stdin().is_terminal()
}

/// Runs effects on the desk's own store connection; a newer page, detail
/// or count request replaces an older one still waiting.
fn worker(url: StoreUrl, config: Config, who: Reviewer, rx: Receiver<Effect>, tx: Sender<Action>) {
    let mut desk = match Desk::open(&url, config, who) {
        Ok(d) => d,
        Err(e) => {
            let _ = tx.send(Action::Failed(format!("store unavailable: {e:#}")));
            return;
        }
    };
    while let Ok(first) = rx.recv() {
        let mut batch = vec![first];
        batch.extend(rx.try_iter());
        let last = |f: fn(&Effect) -> bool| batch.iter().rposition(f);
        let last_page = last(|e| matches!(e, Effect::LoadPage { .. }));
        let last_detail = last(|e| matches!(e, Effect::LoadDetail(_)));
        let last_count = last(|e| matches!(e, Effect::CountFilter(_)));
        for (i, fx) in batch.into_iter().enumerate() {
            let out = match fx {
                Effect::LoadPage { .. } if Some(i) != last_page => continue,
                Effect::LoadDetail(_) if Some(i) != last_detail => continue,
                Effect::CountFilter(_) if Some(i) != last_count => continue,
                Effect::LoadNames => desk.filter_names().map(Action::Names),
                Effect::CountFilter(f) => {
                    let n = desk.count(&f).map_err(|e| format!("{e:#}"));
                    Ok(Action::FilterCounted(f, n))
                }
                Effect::LoadPage { filter, offset } => {
                    match desk.page(&filter, offset, state::WINDOW) {
                        Ok((total, items)) => {
                            let page = Action::Loaded {
                                offset,
                                total,
                                items,
                            };
                            if tx.send(page).is_err() {
                                return;
                            }
                            // after the page: new items are told apart by it
                            desk.newest().map(Action::Newest)
                        }
                        Err(e) => Err(e),
                    }
                }
                // rung by the screen's own loop, never sent here
                Effect::Bell => continue,
                Effect::UpdateIncident { id, change } => desk
                    .update_incident(id, &change)
                    .map(Action::IncidentUpdated),
                Effect::LoadDetail(id) => desk.detail(id).map(|d| match d {
                    Some(d) => Action::DetailLoaded(Box::new(d)),
                    None => Action::Failed(format!("item {id} is gone")),
                }),
                Effect::Escalate { ids } => desk.escalate(&ids).map(|incident| Action::Escalated {
                    incident,
                    items: ids.len(),
                }),
                Effect::Reveal { item, reason } => {
                    desk.reveal(item, &reason).map(|()| Action::Revealed(item))
                }
                Effect::Investigate {
                    inquiry,
                    about,
                    reason,
                } => desk
                    .investigate(inquiry, &about, &reason)
                    .map(|(heading, l)| Action::Investigated(heading, l)),
                Effect::LoadScreen(screen) => {
                    desk.listing(screen).map(|l| Action::Listed(screen, l))
                }
                Effect::Act { ids, act } => {
                    let held = &mut |why: String| tx.send(Action::StoreDown(why)).is_ok();
                    match desk.act(&ids, &act, held, &mut std::thread::sleep) {
                        Ok(None) => return, // the screen is gone
                        Ok(Some(outcomes)) => Ok(Action::Acted(outcomes)),
                        Err(e) => Err(e),
                    }
                }
            };
            let a = match out {
                Ok(a) => a,
                Err(e) if desk::transient(&e) => Action::StoreDown(format!("{e:#}")),
                Err(e) => Action::Failed(format!("{e:#}")),
            };
            if tx.send(a).is_err() {
                return;
            }
        }
    }
}

/// Quits on SIGTERM and SIGHUP (an SSH drop) so the terminal is restored.
fn watch_signals(tx: Sender<Action>) {
    std::thread::spawn(move || {
        let Ok(rt) = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
        else {
            return;
        };
        rt.block_on(async move {
            use tokio::signal::unix::{SignalKind, signal};
            let (Ok(mut term), Ok(mut hup)) = (
                signal(SignalKind::terminate()),
                signal(SignalKind::hangup()),
            ) else {
                return;
            };
            // Once the handlers are in, the default action (exit) is gone:
            // every signal that comes must end the screen, whatever state
            // it is in (a note half typed, a confirmation open).
            let code = tokio::select! {
                _ = term.recv() => 128 + libc::SIGTERM,
                _ = hup.recv() => 128 + libc::SIGHUP,
            };
            QUIT.store(true, std::sync::atomic::Ordering::SeqCst);
            let _ = tx.send(Action::Tick(0));
            // The screen's loop sees the flag within one poll; if it is
            // stuck (a write to a terminal that is gone), leave anyway.
            // Decisions are committed before they are shown, so none is
            // lost; an open transaction rolls back.
            tokio::select! {
                _ = tokio::time::sleep(Duration::from_millis(700)) => {}
                _ = term.recv() => {}
                _ = hup.recv() => {}
            }
            std::process::exit(code);
        });
    });
}

/// Set by SIGTERM or SIGHUP: the screen ends at once.
static QUIT: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

/// Whether the terminal is gone: a hung-up terminal fails its attributes
/// (EIO), or answers every poll at once with nothing to read.
fn terminal_gone(fast_empty_polls: u32) -> bool {
    // SAFETY: tcgetattr only writes the struct it is given.
    let mut t: libc::termios = unsafe { std::mem::zeroed() };
    let attrs_fail = unsafe { libc::tcgetattr(libc::STDIN_FILENO, &mut t) } != 0;
    attrs_fail || fast_empty_polls > 100
}

/// Opens the review screen on a store until the reviewer quits.
pub fn run(url: &StoreUrl, config: &Config) -> Result<()> {
    desk::check(url)?;
    let who = Reviewer::current();
    let (fx_tx, fx_rx) = channel::<Effect>();
    let (act_tx, act_rx) = channel::<Action>();
    {
        let (url, config, who, tx) = (url.clone(), config.clone(), who.clone(), act_tx.clone());
        std::thread::spawn(move || worker(url, config, who, fx_rx, tx));
    }
    if !config.sources.is_empty() {
        let (url, config, tx) = (url.clone(), config.clone(), act_tx.clone());
        std::thread::spawn(move || {
            vigil_app::background::run(url, config, |r| {
                tx.send(match r {
                    vigil_app::background::Report::Pull(name, p) => Action::Pull(name, p),
                    vigil_app::background::Report::Attention(a) => Action::Attention(a),
                })
                .is_ok()
            })
        });
    }
    {
        // Other reviewers' decisions show up within a second.
        let (url, tx) = (url.clone(), act_tx.clone());
        std::thread::spawn(move || {
            let _ = desk::watch(&url, |ids| tx.send(Action::Changed(ids)).is_ok());
        });
    }
    watch_signals(act_tx.clone());
    let theme = view::Theme::load(
        &config.theme,
        config
            .file
            .clone()
            .unwrap_or_else(vigil_app::config::paths::config_file)
            .parent(),
        std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty()),
    )
    .map_err(|e| color_eyre::eyre::eyre!(e))?;
    let mut state = State::new(
        who.name.clone(),
        url.to_string(),
        config.policy.notes_required.clone(),
    );
    state.idle.idle_after = config.idle_timeout.as_secs();
    state.pane.mask = config.mask.clone();
    state.confirm_over = config.confirm_over;
    state.bell = config.bell;
    state.zone = config.screen_zone();
    state.keys = keymap::Keymap::with(&config.keys).map_err(|e| color_eyre::eyre::eyre!(e))?;
    // the pane widths as this user left them last time
    let prefs_file = vigil_app::prefs::file();
    let prefs = vigil_app::prefs::ScreenPrefs::load(&prefs_file);
    if let Some(split) = prefs.split {
        state.pane.split = split;
    }
    let split_at_start = state.pane.split;
    let started = std::time::Instant::now();
    let began = Utc::now();
    let mut terminal = ratatui::init();
    // Restores the terminal however this function is left (a return, an
    // error, an unwinding panic); ratatui's panic hook covers the rest.
    let _guard = RestoreOnDrop;
    (|| -> Result<()> {
        let mut pending = vec![
            Effect::LoadPage {
                filter: String::new(),
                offset: 0,
            },
            Effect::LoadNames,
        ];
        let mut fast_empty_polls = 0u32;
        loop {
            for fx in pending.drain(..) {
                if fx == Effect::Bell {
                    use std::io::Write;
                    let mut out = std::io::stdout();
                    let _ = out.write_all(b"\x07").and_then(|()| out.flush());
                    continue;
                }
                let _ = fx_tx.send(fx);
            }
            let size = terminal.size()?;
            let area = ratatui::layout::Rect::new(0, 0, size.width, size.height);
            let rows = view::table_rows(view::table_height(&state, area));
            if rows != state.queue.page_rows {
                pending.extend(update::update(&mut state, Action::Resized(rows)));
            }
            terminal.draw(|f| view::render(&state, &theme, f))?;
            pending.extend(update::update(
                &mut state,
                Action::Tick(started.elapsed().as_secs()),
            ));
            let polled = std::time::Instant::now();
            let ready = event::poll(Duration::from_millis(50))?;
            if ready {
                fast_empty_polls = 0;
                if let TermEvent::Key(k) = event::read()?
                    && k.kind == KeyEventKind::Press
                {
                    pending.extend(update::update(&mut state, Action::Key(k)));
                }
            } else if polled.elapsed() < Duration::from_millis(5) {
                fast_empty_polls += 1;
            } else {
                fast_empty_polls = 0;
            }
            for a in act_rx.try_iter() {
                pending.extend(update::update(&mut state, a));
            }
            if state.quit || QUIT.load(std::sync::atomic::Ordering::SeqCst) {
                return Ok(());
            }
            if terminal_gone(fast_empty_polls) {
                tracing::warn!("the terminal hung up; the review screen ends");
                return Ok(());
            }
        }
    })()?;
    let now = vigil_app::prefs::ScreenPrefs {
        split: Some(state.pane.split),
    };
    if state.pane.split != split_at_start
        && let Err(e) = now.save(&prefs_file)
    {
        tracing::warn!("the screen's widths were not remembered: {e}");
    }
    record_session(url, &who, &state.session, began, Utc::now())
}

/// Leaves raw mode and the alternate screen when dropped.
struct RestoreOnDrop;

impl Drop for RestoreOnDrop {
    fn drop(&mut self) {
        ratatui::restore();
    }
}
