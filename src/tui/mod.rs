//! The review screen: a keyboard-driven queue over the store.
//!
//! Elm-style: `update` (pure) turns actions into effects, a worker thread
//! with its own store connection runs the effects (latest page wins), and
//! `view::render` draws from a read-only state. The terminal is restored on
//! exit, on panic (ratatui's hook) and on SIGTERM/SIGHUP.

pub mod keymap;
pub mod state;
pub mod update;
pub mod view;

use std::io::IsTerminal;
use std::sync::mpsc::{Receiver, Sender, channel};
use std::time::Duration;

use chrono::Utc;
use color_eyre::eyre::Result;
use crossterm::event::{self, Event as TermEvent, KeyEventKind};

use crate::config::Config;
use crate::query::Query;
use crate::review::{Reviewer, ops};
use crate::store::StoreUrl;
pub use state::{Action, Detail, Effect, Mode, State};

/// Whether there is a terminal to draw on.
pub fn interactive() -> bool {
    std::io::stdout().is_terminal() && std::io::stdin().is_terminal()
}

/// Runs effects against its own store connection; a newer page or detail
/// request replaces an older one still waiting.
fn worker(url: StoreUrl, config: Config, who: Reviewer, rx: Receiver<Effect>, tx: Sender<Action>) {
    let mut store = match url.open() {
        Ok(s) => s,
        Err(e) => {
            let _ = tx.send(Action::Failed(format!("store unavailable: {e:#}")));
            return;
        }
    };
    while let Ok(first) = rx.recv() {
        let mut batch = vec![first];
        batch.extend(rx.try_iter());
        let last_page = batch
            .iter()
            .rposition(|e| matches!(e, Effect::LoadPage { .. }));
        let last_detail = batch
            .iter()
            .rposition(|e| matches!(e, Effect::LoadDetail(_)));
        for (i, fx) in batch.into_iter().enumerate() {
            let out = match fx {
                Effect::LoadPage { .. } if Some(i) != last_page => continue,
                Effect::LoadDetail(_) if Some(i) != last_detail => continue,
                Effect::LoadPage { filter, offset } => (|| -> Result<Action> {
                    let q = Query::parse(&filter)?;
                    let total = store.count_items(&q)?;
                    let items = store.items_page(&q, offset, state::WINDOW)?;
                    Ok(Action::Loaded {
                        offset,
                        total,
                        items,
                    })
                })(),
                Effect::LoadDetail(id) => (|| -> Result<Action> {
                    let Some(item) = store.item(id)? else {
                        return Ok(Action::Failed(format!("item {id} is gone")));
                    };
                    let ids: Vec<i64> = item.event_ids.iter().take(50).copied().collect();
                    let events = store
                        .events_by_id(&ids)?
                        .into_iter()
                        .map(|(e, _)| e)
                        .collect();
                    Ok(Action::DetailLoaded(Box::new(Detail {
                        decisions: store.decisions(id)?,
                        history: store.ledger_for(&format!("item:{id}"))?,
                        item,
                        events,
                    })))
                })(),
                Effect::Escalate { ids } => (|| -> Result<Action> {
                    let top = ids
                        .iter()
                        .filter_map(|id| store.item(*id).ok().flatten())
                        .map(|i| i.severity)
                        .max()
                        .map(|s| s.as_str().to_owned());
                    let scale = &config.policy.severities;
                    let severity = top
                        .filter(|s| scale.contains(s))
                        .or_else(|| scale.last().cloned())
                        .unwrap_or_default();
                    let inc = ops::escalate(
                        store.as_mut(),
                        &config.policy,
                        &who,
                        Utc::now(),
                        &ids,
                        &crate::review::NewIncident {
                            title: None,
                            severity,
                            assignee: None,
                            note: None,
                        },
                    )?;
                    Ok(Action::Escalated {
                        incident: inc.id,
                        items: ids.len(),
                    })
                })(),
                Effect::Reveal { item, reason } => store
                    .review(&mut |tx| {
                        tx.ledger(&crate::store::NewLedgerEntry {
                            at: Utc::now(),
                            actor: who.name.clone(),
                            action: "phi.reveal".into(),
                            entity: format!("item:{item}"),
                            payload: serde_json::json!({ "item": item, "reason": reason }),
                        })?;
                        Ok(())
                    })
                    .map(|()| Action::Revealed(item)),
                Effect::Act { ids, act } => ops::apply(
                    store.as_mut(),
                    &config.policy,
                    &who,
                    Utc::now(),
                    &ids,
                    &act,
                    None,
                )
                .map(Action::Acted),
            };
            let a = out.unwrap_or_else(|e| Action::Failed(format!("{e:#}")));
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
            tokio::select! {
                _ = term.recv() => {}
                _ = hup.recv() => {}
            }
            let quit = crossterm::event::KeyEvent::new(
                crossterm::event::KeyCode::Char('q'),
                crossterm::event::KeyModifiers::NONE,
            );
            let _ = tx.send(Action::Key(quit));
        });
    });
}

/// Opens the review screen on a store until the reviewer quits.
pub fn run(url: &StoreUrl, config: &Config) -> Result<()> {
    // Open once up front so a bad store is an error before the screen.
    drop(url.open()?);
    let who = Reviewer::current();
    let (fx_tx, fx_rx) = channel::<Effect>();
    let (act_tx, act_rx) = channel::<Action>();
    {
        let (url, config, who, tx) = (url.clone(), config.clone(), who.clone(), act_tx.clone());
        std::thread::spawn(move || worker(url, config, who, fx_rx, tx));
    }
    watch_signals(act_tx.clone());
    let theme = view::Theme::from_env();
    let mut state = State::new(
        who.name.clone(),
        url.to_string(),
        config.policy.notes_required.clone(),
    );
    state.idle_after = config.idle_timeout.as_secs();
    let started = std::time::Instant::now();
    let mut terminal = ratatui::init();
    let result = (|| -> Result<()> {
        let mut pending = vec![Effect::LoadPage {
            filter: String::new(),
            offset: 0,
        }];
        loop {
            for fx in pending.drain(..) {
                let _ = fx_tx.send(fx);
            }
            let size = terminal.size()?;
            let area = ratatui::layout::Rect::new(0, 0, size.width, size.height);
            let rows = view::table_rows(view::table_height(&state, area));
            if rows != state.page_rows {
                pending.extend(update::update(&mut state, Action::Resized(rows)));
            }
            terminal.draw(|f| view::render(&state, &theme, f))?;
            pending.extend(update::update(
                &mut state,
                Action::Tick(started.elapsed().as_secs()),
            ));
            if event::poll(Duration::from_millis(50))?
                && let TermEvent::Key(k) = event::read()?
                && k.kind == KeyEventKind::Press
            {
                pending.extend(update::update(&mut state, Action::Key(k)));
            }
            for a in act_rx.try_iter() {
                pending.extend(update::update(&mut state, a));
            }
            if state.quit {
                return Ok(());
            }
        }
    })();
    ratatui::restore();
    result
}
