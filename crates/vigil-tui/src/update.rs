//! The reducer: `update(&mut State, Action) -> Vec<Effect>`. Synchronous,
//! no I/O, no clock, so every keystroke is testable without a terminal.

use crossterm::event::KeyCode;

use super::keymap::{Command, Keymap};
use super::state::{Action, Effect, Mode, Pull, Screen, State, WINDOW};
use vigil_app::model::{Act, ActOutcome};
use vigil_domain::{Disposition, SafeText};

/// Loads the window around the cursor when the cursor has left it.
fn follow_cursor(s: &mut State) -> Vec<Effect> {
    let mut fx = Vec::new();
    let loaded = s.offset..s.offset + s.items.len() as u64;
    if !loaded.contains(&s.cursor) && s.total > 0 {
        s.loading = true;
        fx.push(Effect::LoadPage {
            filter: s.filter.clone(),
            offset: s.cursor.saturating_sub(WINDOW / 4),
        });
    } else if let Some(i) = s.current() {
        let id = i.id;
        if s.show_detail && s.detail.as_ref().is_none_or(|d| d.item.id != id) {
            s.detail_scroll = 0;
            fx.push(Effect::LoadDetail(id));
        }
    }
    fx
}

fn move_to(s: &mut State, to: i64) -> Vec<Effect> {
    let last = s.total.saturating_sub(1) as i64;
    s.cursor = to.clamp(0, last.max(0)) as u64;
    follow_cursor(s)
}

fn decide(s: &mut State, d: Disposition) -> Vec<Effect> {
    let ids = s.targets();
    if ids.is_empty() {
        return Vec::new();
    }
    if s.notes_required.contains(&d) {
        s.mode = Mode::Note {
            disposition: d,
            ids,
            text: String::new(),
        };
        return Vec::new();
    }
    act(
        s,
        ids,
        Act::Decide {
            disposition: d,
            note: None,
            reopen: false,
        },
    )
}

fn act(s: &mut State, ids: Vec<i64>, a: Act) -> Vec<Effect> {
    s.last_act = Some(a.clone());
    s.message = Some((format!("saving {} item(s)…", ids.len()), false));
    vec![Effect::Act { ids, act: a }]
}

pub fn update(s: &mut State, a: Action) -> Vec<Effect> {
    match a {
        Action::Resized(rows) => {
            s.page_rows = rows.max(1);
            Vec::new()
        }
        Action::Loaded {
            offset,
            total,
            items,
        } => {
            s.loading = false;
            s.session.filters.insert(s.filter.clone());
            if s.store_down.take().is_some() {
                s.message = Some(("store is back".into(), false));
            }
            s.offset = offset;
            s.total = total;
            s.items = items;
            // After a background refresh the reviewer stays on their item,
            // wherever new items put it.
            if let Some(id) = s.keep.take()
                && let Some(i) = s.items.iter().position(|it| it.id == id)
            {
                s.cursor = offset + i as u64;
            }
            if s.cursor >= total {
                s.cursor = total.saturating_sub(1);
            }
            follow_cursor(s)
        }
        Action::FilterCounted(f, n) => {
            s.filter_count = Some((f, n));
            Vec::new()
        }
        Action::Pull(name, p) => {
            let new_items = matches!(p, Pull::Ok { items, .. } if items > 0);
            s.pulls.insert(name, p);
            if new_items && s.screen == Screen::Queue && !s.loading {
                s.keep = s.current().map(|i| i.id);
                s.loading = true;
                return vec![Effect::LoadPage {
                    filter: s.filter.clone(),
                    offset: s.offset,
                }];
            }
            Vec::new()
        }
        Action::DetailLoaded(d) => {
            s.session.seen.insert(
                d.item.id,
                (
                    d.item.source.as_ref().map(|x| x.as_str().to_owned()),
                    d.item.occurred_at,
                ),
            );
            if s.current().is_some_and(|i| i.id == d.item.id) {
                s.detail = Some(*d);
            }
            Vec::new()
        }
        Action::Acted(outcomes) => {
            s.session.decided += outcomes
                .iter()
                .filter(|o| matches!(o, ActOutcome::Done { status, .. } if !matches!(status, vigil_domain::Status::Claimed | vigil_domain::Status::New | vigil_domain::Status::Reopened)))
                .count() as u64;
            let refused: Vec<&ActOutcome> = outcomes.iter().filter(|o| o.is_refused()).collect();
            let saved = outcomes.len() - refused.len();
            s.message = Some(match refused.first() {
                Some(ActOutcome::Refused { item, reason, .. }) => (
                    format!("saved {saved}; item {item} refused: {reason}"),
                    true,
                ),
                _ => (format!("saved {saved} (committed)"), false),
            });
            s.marked.clear();
            s.detail = None;
            // Reload in place: the cursor keeps its position in the queue.
            s.loading = true;
            vec![Effect::LoadPage {
                filter: s.filter.clone(),
                offset: s.offset,
            }]
        }
        Action::Escalated { incident, items } => {
            s.message = Some((
                format!("incident {incident} opened for {items} item(s) (committed)"),
                false,
            ));
            s.marked.clear();
            s.detail = None;
            s.loading = true;
            vec![Effect::LoadPage {
                filter: s.filter.clone(),
                offset: s.offset,
            }]
        }
        Action::Revealed(id) => {
            s.revealed.insert(id);
            s.message = Some((
                format!("item {id} revealed (recorded in the ledger)"),
                false,
            ));
            Vec::new()
        }
        Action::Listed(screen, listing) => {
            if s.screen == screen {
                s.listing = Some(listing);
            }
            Vec::new()
        }
        Action::Failed(e) => {
            s.loading = false;
            s.message = Some((e, true));
            Vec::new()
        }
        Action::StoreDown(e) => {
            s.loading = false;
            s.store_down.get_or_insert(s.clock);
            s.message = Some((
                format!("store unavailable, trying again (your place is kept): {e}"),
                true,
            ));
            Vec::new()
        }
        Action::Attention(list) => {
            s.attention = list;
            Vec::new()
        }
        Action::Changed(ids) => {
            // Someone else decided or claimed: show it where the reviewer
            // is, without moving them.
            if s.loading || s.store_down.is_some() {
                return Vec::new();
            }
            match s.screen {
                Screen::Queue => {
                    let mut fx = Vec::new();
                    if let Some(d) = &s.detail
                        && (ids.is_empty() || ids.contains(&d.item.id))
                    {
                        fx.push(Effect::LoadDetail(d.item.id));
                    }
                    // Items outside the window change the count and the
                    // order too: the page is always reloaded.
                    s.keep = s.current().map(|i| i.id);
                    s.loading = true;
                    fx.push(Effect::LoadPage {
                        filter: s.filter.clone(),
                        offset: s.offset,
                    });
                    fx
                }
                screen => vec![Effect::LoadScreen(screen)],
            }
        }
        Action::Tick(now) => {
            s.clock = now;
            if let Some(since) = s.store_down
                && !s.loading
                && now.saturating_sub(since) >= 3
            {
                s.store_down = Some(now);
                s.keep = s.current().map(|i| i.id);
                s.loading = true;
                return vec![Effect::LoadPage {
                    filter: s.filter.clone(),
                    offset: s.offset,
                }];
            }
            if s.idle_after > 0 && !s.blanked && now.saturating_sub(s.last_input) >= s.idle_after {
                // a shared screen left alone shows nothing
                s.blanked = true;
                tracing::info!(reviewer = %s.reviewer, "review screen blanked after idle timeout");
            }
            Vec::new()
        }
        Action::Key(_) if s.blanked => {
            // the key that wakes the screen does nothing else
            s.last_input = s.clock;
            s.blanked = false;
            Vec::new()
        }
        Action::Key(k) => {
            s.last_input = s.clock;
            key(s, k)
        }
    }
}

/// Whether a filter is valid for the queue: parsed, and every field known.
fn check_filter(f: &str) -> Result<(), String> {
    vigil_domain::query::Query::parse(f)
        .and_then(|q| {
            q.to_sql(
                vigil_domain::query::Target::Items,
                vigil_domain::query::Dialect::Sqlite,
                1,
            )
        })
        .map(|_| ())
        .map_err(|e| e.to_string())
}

fn key(s: &mut State, k: super::keymap::Key) -> Vec<Effect> {
    match &mut s.mode {
        Mode::Help => {
            s.mode = Mode::Normal;
            return Vec::new();
        }
        Mode::Filter(text) => {
            match k.code {
                KeyCode::Esc => s.mode = Mode::Normal,
                KeyCode::Enter => {
                    let f = std::mem::take(text);
                    s.mode = Mode::Normal;
                    if let Err(e) = check_filter(&f) {
                        s.message = Some((format!("filter: {e}"), true));
                        return Vec::new();
                    }
                    s.filter = f;
                    s.cursor = 0;
                    s.offset = 0;
                    s.items.clear();
                    s.detail = None;
                    s.marked.clear();
                    s.loading = true;
                    return vec![Effect::LoadPage {
                        filter: s.filter.clone(),
                        offset: 0,
                    }];
                }
                KeyCode::Backspace => {
                    text.pop();
                }
                KeyCode::Char(c) => text.push(c),
                _ => return Vec::new(),
            }
            // Live count as the filter is typed: a bad query says why at
            // once, a good one how many items it keeps (counted off the UI
            // thread; only the latest count is run).
            if let Mode::Filter(text) = &s.mode {
                let f = text.clone();
                return match check_filter(&f) {
                    Err(e) => {
                        s.filter_count = Some((f, Err(e)));
                        Vec::new()
                    }
                    Ok(()) => vec![Effect::CountFilter(f)],
                };
            }
            return Vec::new();
        }
        Mode::Note {
            disposition,
            ids,
            text,
        } => {
            match k.code {
                KeyCode::Esc => {
                    s.mode = Mode::Normal;
                    s.message = Some(("decision cancelled".into(), false));
                }
                KeyCode::Enter if !text.trim().is_empty() => {
                    let (d, ids, note) = (*disposition, std::mem::take(ids), std::mem::take(text));
                    s.mode = Mode::Normal;
                    return act(
                        s,
                        ids,
                        Act::Decide {
                            disposition: d,
                            note: Some(note),
                            reopen: false,
                        },
                    );
                }
                KeyCode::Backspace => {
                    text.pop();
                }
                KeyCode::Char(c) => text.push(c),
                _ => {}
            }
            return Vec::new();
        }
        Mode::Reveal { item, text } => {
            match k.code {
                KeyCode::Esc => s.mode = Mode::Normal,
                KeyCode::Enter if !text.trim().is_empty() => {
                    let (item, reason) = (*item, std::mem::take(text));
                    s.mode = Mode::Normal;
                    return vec![Effect::Reveal { item, reason }];
                }
                KeyCode::Backspace => {
                    text.pop();
                }
                KeyCode::Char(c) => text.push(c),
                _ => {}
            }
            return Vec::new();
        }
        Mode::Comment { ids, text } => {
            match k.code {
                KeyCode::Esc => {
                    s.mode = Mode::Normal;
                    s.message = Some(("note cancelled".into(), false));
                }
                KeyCode::Enter if !text.trim().is_empty() => {
                    let (ids, note) = (std::mem::take(ids), std::mem::take(text));
                    s.mode = Mode::Normal;
                    return act(s, ids, Act::Note { note });
                }
                KeyCode::Backspace => {
                    text.pop();
                }
                KeyCode::Char(c) => text.push(c),
                _ => {}
            }
            return Vec::new();
        }
        Mode::Palette(text) => {
            match k.code {
                KeyCode::Esc => s.mode = Mode::Normal,
                KeyCode::Tab => {
                    // Complete to the longest prefix the candidates share.
                    let c = Keymap::complete(text);
                    if let Some(first) = c.first() {
                        let mut common = first.to_string();
                        for n in &c[1..] {
                            while !n.starts_with(common.as_str()) {
                                common.pop();
                            }
                        }
                        *text = common;
                    }
                }
                KeyCode::Enter => {
                    let name = std::mem::take(text);
                    s.mode = Mode::Normal;
                    return match Command::from_name(name.trim()) {
                        Some(cmd) => exec(s, cmd),
                        None => {
                            s.message = Some((
                                format!(
                                    "no command {:?}; Tab completes, ? lists them",
                                    SafeText::new(name.trim()).as_str()
                                ),
                                true,
                            ));
                            Vec::new()
                        }
                    };
                }
                KeyCode::Backspace => {
                    text.pop();
                }
                KeyCode::Char(c) => text.push(c),
                _ => {}
            }
            return Vec::new();
        }
        Mode::Normal => {}
    }
    let Some(cmd) = s.keys.command(&k) else {
        return Vec::new();
    };
    exec(s, cmd)
}

/// Carries out a command, from a key or the palette.
fn exec(s: &mut State, cmd: Command) -> Vec<Effect> {
    let screen_at = |i: usize| Screen::ALL[i % Screen::ALL.len()];
    let here = Screen::ALL.iter().position(|x| *x == s.screen).unwrap_or(0);
    let go = |s: &mut State, to: Screen| -> Vec<Effect> {
        s.screen = to;
        s.listing = None;
        if to == Screen::Queue {
            follow_cursor(s)
        } else {
            vec![Effect::LoadScreen(to)]
        }
    };
    match cmd {
        Command::NextScreen => return go(s, screen_at(here + 1)),
        Command::PrevScreen => return go(s, screen_at(here + Screen::ALL.len() - 1)),
        Command::Screen(n) => return go(s, screen_at(usize::from(n.max(1)) - 1)),
        Command::Quit | Command::Help => {}
        _ if s.screen != Screen::Queue => return Vec::new(),
        _ => {}
    }
    if s.detail_focus && s.show_detail {
        // The detail pane has the keys: movement scrolls its text.
        let page = s.page_rows as u16;
        let by = |s: &mut State, d: i32| {
            s.detail_scroll = (i32::from(s.detail_scroll) + d).clamp(0, 2000) as u16;
        };
        match cmd {
            Command::Down => by(s, 1),
            Command::Up => by(s, -1),
            Command::PageDown | Command::HalfDown => by(s, i32::from(page.max(2) / 2)),
            Command::PageUp | Command::HalfUp => by(s, -i32::from(page.max(2) / 2)),
            Command::Top => s.detail_scroll = 0,
            Command::FocusDetail | Command::ToggleDetail => {
                s.detail_focus = false;
                if cmd == Command::ToggleDetail {
                    s.show_detail = false;
                }
            }
            _ => {
                s.detail_focus = false;
                return exec(s, cmd);
            }
        }
        return Vec::new();
    }
    let cur = s.cursor as i64;
    let page = s.page_rows as i64;
    match cmd {
        Command::FocusDetail => {
            if s.show_detail {
                s.detail_focus = true;
            }
            Vec::new()
        }
        Command::Down => move_to(s, cur + 1),
        Command::Up => move_to(s, cur - 1),
        Command::Top => move_to(s, 0),
        Command::Bottom => move_to(s, s.total as i64 - 1),
        Command::PageDown => move_to(s, cur + page),
        Command::PageUp => move_to(s, cur - page),
        Command::HalfDown => move_to(s, cur + page / 2),
        Command::HalfUp => move_to(s, cur - page / 2),
        Command::ToggleDetail => {
            s.show_detail = !s.show_detail;
            follow_cursor(s)
        }
        Command::Filter => {
            s.mode = Mode::Filter(s.filter.clone());
            Vec::new()
        }
        Command::Help => {
            s.mode = Mode::Help;
            Vec::new()
        }
        Command::Mark => {
            if let Some(id) = s.current().map(|i| i.id)
                && !s.marked.remove(&id)
            {
                s.marked.insert(id);
                s.mark_anchor = Some(s.cursor);
            }
            move_to(s, cur + 1)
        }
        Command::MarkRange => {
            let from = s.mark_anchor.unwrap_or(s.cursor);
            let (lo, hi) = (from.min(s.cursor), from.max(s.cursor));
            let end = s.offset + s.items.len() as u64;
            let ids: Vec<i64> = (lo.max(s.offset)..=hi.min(end.saturating_sub(1)))
                .filter_map(|p| s.items.get((p - s.offset) as usize).map(|i| i.id))
                .collect();
            let short = lo < s.offset || hi >= end;
            s.marked.extend(ids);
            s.mark_anchor = Some(s.cursor);
            s.message = Some((
                format!(
                    "{} marked{}",
                    s.marked.len(),
                    if short {
                        " (only the loaded part of the range)"
                    } else {
                        ""
                    }
                ),
                false,
            ));
            Vec::new()
        }
        Command::Palette => {
            s.mode = Mode::Palette(String::new());
            Vec::new()
        }
        Command::MarkAll => {
            let ids: Vec<i64> = s.items.iter().map(|i| i.id).collect();
            s.marked.extend(ids);
            s.message = Some((format!("{} marked", s.marked.len()), false));
            Vec::new()
        }
        Command::DecideBenign => decide(s, Disposition::Benign),
        Command::DecideViolation => decide(s, Disposition::Violation),
        Command::DecideFalsePositive => decide(s, Disposition::FalsePositive),
        Command::DecideFollowUp => decide(s, Disposition::FollowUp),
        Command::DecideDuplicate => decide(s, Disposition::Duplicate),
        Command::Escalate => {
            let ids = s.targets();
            if ids.is_empty() {
                return Vec::new();
            }
            s.message = Some((
                format!("opening an incident for {} item(s)…", ids.len()),
                false,
            ));
            vec![Effect::Escalate { ids }]
        }
        Command::Reveal => {
            if let Some(id) = s.current().map(|i| i.id) {
                s.mode = Mode::Reveal {
                    item: id,
                    text: String::new(),
                };
            }
            Vec::new()
        }
        Command::NextScreen | Command::PrevScreen | Command::Screen(_) => Vec::new(),
        Command::Claim => {
            let ids = s.targets();
            if ids.is_empty() {
                return Vec::new();
            }
            // Claimed by me already: the same key gives it back.
            let mine = s
                .current()
                .and_then(|i| i.claimed_by.as_ref())
                .is_some_and(|c| c.as_str() == s.reviewer);
            act(s, ids, if mine { Act::Release } else { Act::Claim })
        }
        Command::Note => {
            let ids = s.targets();
            if !ids.is_empty() {
                s.mode = Mode::Comment {
                    ids,
                    text: String::new(),
                };
            }
            Vec::new()
        }
        Command::NextNew | Command::PrevNew => {
            let here = (s.cursor - s.offset) as usize;
            let undecided = |i: &vigil_domain::Item| i.status == vigil_domain::Status::New;
            let found = if cmd == Command::NextNew {
                s.items
                    .iter()
                    .enumerate()
                    .skip(here + 1)
                    .find(|(_, i)| undecided(i))
                    .map(|(n, _)| n)
            } else {
                s.items[..here.min(s.items.len())]
                    .iter()
                    .rposition(undecided)
            };
            match found {
                Some(n) => move_to(s, (s.offset + n as u64) as i64),
                None => {
                    s.message = Some((
                        "no undecided item that way in the loaded page".into(),
                        false,
                    ));
                    Vec::new()
                }
            }
        }
        Command::Wider | Command::Narrower => {
            s.split = if cmd == Command::Wider {
                (s.split + 5).min(80)
            } else {
                s.split.saturating_sub(5).max(25)
            };
            Vec::new()
        }
        Command::Undo => {
            let ids = s.targets();
            if ids.is_empty() {
                return Vec::new();
            }
            act(s, ids, Act::Undo)
        }
        Command::Repeat => match (s.last_act.clone(), s.targets()) {
            (Some(a), ids) if !ids.is_empty() => act(s, ids, a),
            _ => {
                s.message = Some(("nothing to repeat".into(), false));
                Vec::new()
            }
        },
        Command::Quit => {
            s.quit = true;
            Vec::new()
        }
    }
}

/// The sources' background pulls in a few words, for the status line:
/// what is pulling or failing first, then stale ones, then "ok".
pub fn pulls_text(s: &State) -> String {
    let mut busy = Vec::new();
    let mut bad = Vec::new();
    let mut stale = Vec::new();
    let mut last_ok: Option<&str> = None;
    for (name, p) in &s.pulls {
        match p {
            Pull::Pulling => busy.push(format!("{name} pulling")),
            Pull::Error { retry, .. } => bad.push(format!("{name} error, retry {retry}")),
            Pull::Ok { stale: true, .. } => stale.push(name.as_str()),
            Pull::Ok { at, .. } => last_ok = Some(last_ok.map_or(at.as_str(), |l| l.max(at))),
        }
    }
    let mut parts: Vec<String> = busy.into_iter().chain(bad).collect();
    for what in ["overdue", "silent", "source down", "not pushed"] {
        let names: Vec<&str> = s
            .attention
            .iter()
            .filter(|(_, w)| w == what)
            .map(|(n, _)| n.as_str())
            .collect();
        if !names.is_empty() {
            parts.push(format!("{what}: {}", names.join(", ")));
        }
    }
    if !stale.is_empty() {
        parts.push(format!("stale: {}", stale.join(", ")));
    }
    if parts.is_empty()
        && let Some(at) = last_ok
    {
        parts.push(format!("sources ok {at}"));
    }
    SafeText::new(&parts.join(" · ")).into_string()
}

/// Text for the status bar, neutralized like everything else on screen.
pub fn status_text(s: &State) -> SafeText {
    SafeText::new(
        &s.message
            .as_ref()
            .map(|(m, _)| m.clone())
            .unwrap_or_default(),
    )
}
