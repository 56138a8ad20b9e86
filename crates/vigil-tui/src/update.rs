//! The reducer: `update(&mut State, Action) -> Vec<Effect>`. Synchronous,
//! no I/O, no clock, so every keystroke is testable without a terminal.

use crossterm::event::KeyCode;

use super::keymap::Command;
use super::state::{Action, Effect, Inquiry, Mode, Pull, Screen, State, WINDOW};
use vigil_app::model::{Act, ActOutcome};
use vigil_domain::{Disposition, SafeText};

use super::words::{confirmation, told};
pub use super::words::{pulls_text, status_text};

/// Loads the window around the cursor when the cursor has left it.
fn follow_cursor(s: &mut State) -> Vec<Effect> {
    let mut fx = Vec::new();
    let loaded = s.queue.offset..s.queue.offset + s.queue.items.len() as u64;
    if !loaded.contains(&s.queue.cursor) && s.queue.total > 0 {
        s.queue.loading = true;
        fx.push(Effect::LoadPage {
            filter: s.queue.filter.clone(),
            offset: s.queue.cursor.saturating_sub(WINDOW / 4),
        });
    } else if let Some(i) = s.current() {
        let id = i.id;
        if s.pane.show_detail && s.pane.detail.as_ref().is_none_or(|d| d.item.id != id) {
            s.pane.detail_scroll = 0;
            fx.push(Effect::LoadDetail(id));
        }
    }
    fx
}

fn move_to(s: &mut State, to: i64) -> Vec<Effect> {
    let last = s.queue.total.saturating_sub(1) as i64;
    s.queue.cursor = to.clamp(0, last.max(0)) as u64;
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

/// Sends an act, or first asks when it decides many items at once, or a
/// critical item among others: a stray key on a marked page must not close
/// a week of findings.
fn act(s: &mut State, ids: Vec<i64>, a: Act) -> Vec<Effect> {
    if let Some(prompt) = confirmation(s, &ids, &a) {
        s.mode = Mode::Confirm {
            ids,
            act: a,
            prompt,
        };
        return Vec::new();
    }
    send(s, ids, a)
}

fn send(s: &mut State, ids: Vec<i64>, a: Act) -> Vec<Effect> {
    s.queue.last_act = Some(a.clone());
    s.queue.in_flight = Some(a.clone());
    s.message = Some((format!("saving {} item(s)…", ids.len()), false));
    vec![Effect::Act { ids, act: a }]
}

pub fn update(s: &mut State, a: Action) -> Vec<Effect> {
    match a {
        Action::Resized(rows) => {
            s.queue.page_rows = rows.max(1);
            Vec::new()
        }
        Action::Loaded {
            offset,
            total,
            items,
        } => {
            s.queue.loading = false;
            s.session.filters.insert(s.queue.filter.clone());
            if s.background.store_down.take().is_some() {
                s.message = Some(("store is back".into(), false));
            }
            s.queue.offset = offset;
            s.queue.total = total;
            s.queue.items = items;
            // After a background refresh the reviewer stays on their item,
            // wherever new items put it.
            if let Some(id) = s.queue.keep.take()
                && let Some(i) = s.queue.items.iter().position(|it| it.id == id)
            {
                s.queue.cursor = offset + i as u64;
            }
            if s.queue.cursor >= total {
                s.queue.cursor = total.saturating_sub(1);
            }
            follow_cursor(s)
        }
        Action::FilterCounted(f, n) => {
            s.queue.filter_count = Some((f, n));
            Vec::new()
        }
        Action::Pull(name, p) => {
            let new_items = matches!(p, Pull::Ok { items, .. } if items > 0);
            if let Pull::Ok { items, .. } = &p
                && *items > 0
            {
                s.background.new_items += items;
                s.message = Some((
                    format!(
                        "{items} new item{} from {}",
                        if *items == 1 { "" } else { "s" },
                        SafeText::new(&name).as_str()
                    ),
                    false,
                ));
            }
            s.background.pulls.insert(name, p);
            if new_items && s.screens.screen == Screen::Queue && !s.queue.loading {
                s.queue.keep = s.current().map(|i| i.id);
                s.queue.loading = true;
                return vec![Effect::LoadPage {
                    filter: s.queue.filter.clone(),
                    offset: s.queue.offset,
                }];
            }
            Vec::new()
        }
        Action::DetailLoaded(d) => {
            if s.is_new(&d.item) {
                s.background.new_items = s.background.new_items.saturating_sub(1);
            }
            s.session.seen.insert(
                d.item.id,
                (
                    d.item.source.as_ref().map(|x| x.as_str().to_owned()),
                    d.item.occurred_at,
                ),
            );
            if s.current().is_some_and(|i| i.id == d.item.id) {
                s.pane.detail = Some(*d);
            }
            Vec::new()
        }
        Action::Acted(outcomes) => {
            s.session.decided += outcomes
                .iter()
                .filter(|o| matches!(o, ActOutcome::Done { status, .. } if !matches!(status, vigil_domain::Status::Claimed | vigil_domain::Status::New | vigil_domain::Status::Reopened)))
                .count() as u64;
            let a = s.queue.in_flight.take();
            match &a {
                Some(Act::Decide { .. }) => {
                    s.queue.undo = outcomes
                        .iter()
                        .filter(|o| matches!(o, ActOutcome::Done { .. }))
                        .map(ActOutcome::item)
                        .collect();
                }
                Some(Act::Undo) => s.queue.undo.clear(),
                _ => {}
            }
            s.message = Some(told(a.as_ref(), &outcomes, s.zone));
            s.queue.marked.clear();
            s.pane.detail = None;
            // Reload in place: the cursor keeps its position in the queue.
            s.queue.loading = true;
            vec![Effect::LoadPage {
                filter: s.queue.filter.clone(),
                offset: s.queue.offset,
            }]
        }
        Action::Escalated { incident, items } => {
            s.message = Some((
                format!("incident {incident} opened for {items} item(s) (committed)"),
                false,
            ));
            s.queue.marked.clear();
            s.pane.detail = None;
            s.queue.loading = true;
            vec![Effect::LoadPage {
                filter: s.queue.filter.clone(),
                offset: s.queue.offset,
            }]
        }
        Action::Revealed(id) => {
            s.pane.revealed.insert(id);
            s.message = Some((
                format!("item {id} revealed (recorded in the ledger)"),
                false,
            ));
            Vec::new()
        }
        Action::Listed(screen, listing) => {
            if s.screens.screen == screen {
                s.screens.cursor = s.screens.cursor.min(listing.rows.len().saturating_sub(1));
                s.screens.listing = Some(listing);
            }
            Vec::new()
        }
        Action::Investigated(heading, listing) => {
            s.message = Some((
                format!("{} (recorded in the ledger; Esc goes back)", heading),
                false,
            ));
            s.screens.screen = Screen::Investigation;
            s.screens.heading = Some(heading);
            s.screens.listing = Some(listing);
            s.screens.cursor = 0;
            Vec::new()
        }
        Action::Failed(e) => {
            s.queue.loading = false;
            s.message = Some((e, true));
            Vec::new()
        }
        Action::StoreDown(e) => {
            s.queue.loading = false;
            s.background.store_down.get_or_insert(s.idle.clock);
            s.message = Some((
                format!("store unavailable, trying again (your place is kept): {e}"),
                true,
            ));
            Vec::new()
        }
        Action::Attention(list) => {
            s.background.attention = list;
            Vec::new()
        }
        Action::Changed(ids) => {
            // Someone else decided or claimed: show it where the reviewer
            // is, without moving them.
            if s.queue.loading || s.background.store_down.is_some() {
                return Vec::new();
            }
            match s.screens.screen {
                Screen::Queue => {
                    let mut fx = Vec::new();
                    if let Some(d) = &s.pane.detail
                        && (ids.is_empty() || ids.contains(&d.item.id))
                    {
                        fx.push(Effect::LoadDetail(d.item.id));
                    }
                    // Items outside the window change the count and the
                    // order too: the page is always reloaded.
                    s.queue.keep = s.current().map(|i| i.id);
                    s.queue.loading = true;
                    fx.push(Effect::LoadPage {
                        filter: s.queue.filter.clone(),
                        offset: s.queue.offset,
                    });
                    fx
                }
                // an investigation is not run again without a reason
                Screen::Investigation => Vec::new(),
                screen => vec![Effect::LoadScreen(screen)],
            }
        }
        Action::Tick(now) => {
            s.idle.clock = now;
            if let Some(since) = s.background.store_down
                && !s.queue.loading
                && now.saturating_sub(since) >= 3
            {
                s.background.store_down = Some(now);
                s.queue.keep = s.current().map(|i| i.id);
                s.queue.loading = true;
                return vec![Effect::LoadPage {
                    filter: s.queue.filter.clone(),
                    offset: s.queue.offset,
                }];
            }
            if s.idle.idle_after > 0
                && !s.idle.blanked
                && now.saturating_sub(s.idle.last_input) >= s.idle.idle_after
            {
                // a shared screen left alone shows nothing
                s.idle.blanked = true;
                tracing::info!(reviewer = %s.reviewer, "review screen blanked after idle timeout");
            }
            Vec::new()
        }
        Action::IncidentUpdated(said) => {
            s.message = Some((format!("{said} (committed)"), false));
            if s.screens.screen == Screen::Incidents {
                return vec![Effect::LoadScreen(Screen::Incidents)];
            }
            Vec::new()
        }
        Action::Names(n) => {
            s.names = n;
            Vec::new()
        }
        Action::Newest(id) => {
            let baseline = *s.queue.baseline.get_or_insert(id);
            if !s.bell || id <= baseline {
                return Vec::new();
            }
            let newest_critical = s
                .queue
                .items
                .iter()
                .filter(|i| i.severity == vigil_domain::Severity::Critical && s.is_new(i))
                .map(|i| i.id)
                .max();
            match newest_critical {
                Some(c) if c > s.queue.belled => {
                    s.queue.belled = c;
                    vec![Effect::Bell]
                }
                _ => Vec::new(),
            }
        }
        Action::Key(_) if s.idle.blanked => {
            // the key that wakes the screen does nothing else
            s.idle.last_input = s.idle.clock;
            s.idle.blanked = false;
            Vec::new()
        }
        Action::Key(k) => {
            s.idle.last_input = s.idle.clock;
            key(s, k)
        }
    }
}

/// Whether a filter is valid for the queue: parsed, every field known,
/// and every rule and source it names one there is.
fn check_filter(f: &str, names: &vigil_app::screens::FilterNames) -> Result<(), String> {
    let q = vigil_domain::query::Query::parse(f).map_err(|e| e.to_string())?;
    q.to_sql(
        vigil_domain::query::Target::Items,
        vigil_domain::query::Dialect::Sqlite,
        1,
    )
    .map_err(|e| e.to_string())?;
    names.check(&q)
}

/// What a key did to a line being typed into a prompt.
enum Edit {
    Cancel,
    Submit,
    Changed,
    /// Not a line-editing key: the prompt's own (Tab in the palette).
    Other,
}

/// The editing every prompt shares: Esc cancels, Enter submits, Backspace
/// and printable keys change the line.
fn edit_line(text: &mut String, k: &super::keymap::Key) -> Edit {
    match k.code {
        KeyCode::Esc => Edit::Cancel,
        KeyCode::Enter => Edit::Submit,
        KeyCode::Backspace => {
            text.pop();
            Edit::Changed
        }
        KeyCode::Char(c) => {
            text.push(c);
            Edit::Changed
        }
        _ => Edit::Other,
    }
}

fn key(s: &mut State, k: super::keymap::Key) -> Vec<Effect> {
    match &mut s.mode {
        // Tab, Space and → turn the help's pages; any other key closes it.
        Mode::Help => {
            if matches!(k.code, KeyCode::Tab | KeyCode::Right | KeyCode::Char(' ')) {
                s.help_page += 1;
            } else {
                s.mode = Mode::Normal;
            }
            Vec::new()
        }
        Mode::Filter(text) => match edit_line(text, &k) {
            Edit::Cancel => {
                s.mode = Mode::Normal;
                Vec::new()
            }
            Edit::Submit => {
                let f = std::mem::take(text);
                s.mode = Mode::Normal;
                if let Err(e) = check_filter(&f, &s.names) {
                    s.message = Some((format!("filter: {e}"), true));
                    return Vec::new();
                }
                s.queue.filter = f;
                s.queue.cursor = 0;
                s.queue.offset = 0;
                s.queue.items.clear();
                s.pane.detail = None;
                s.queue.marked.clear();
                s.queue.loading = true;
                vec![Effect::LoadPage {
                    filter: s.queue.filter.clone(),
                    offset: 0,
                }]
            }
            // Live count as the filter is typed: a bad query says why at
            // once, a good one how many items it keeps (counted off the UI
            // thread; only the latest count is run).
            Edit::Changed => {
                let f = text.clone();
                match check_filter(&f, &s.names) {
                    Err(e) => {
                        s.queue.filter_count = Some((f, Err(e)));
                        Vec::new()
                    }
                    Ok(()) => vec![Effect::CountFilter(f)],
                }
            }
            Edit::Other => Vec::new(),
        },
        Mode::Note {
            disposition,
            ids,
            text,
        } => match edit_line(text, &k) {
            Edit::Cancel => {
                s.mode = Mode::Normal;
                s.message = Some(("decision cancelled".into(), false));
                Vec::new()
            }
            Edit::Submit if !text.trim().is_empty() => {
                let (d, ids, note) = (*disposition, std::mem::take(ids), std::mem::take(text));
                s.mode = Mode::Normal;
                act(
                    s,
                    ids,
                    Act::Decide {
                        disposition: d,
                        note: Some(note),
                        reopen: false,
                    },
                )
            }
            _ => Vec::new(),
        },
        Mode::Reveal { item, text } => match edit_line(text, &k) {
            Edit::Cancel => {
                s.mode = Mode::Normal;
                Vec::new()
            }
            Edit::Submit if !text.trim().is_empty() => {
                let (item, reason) = (*item, std::mem::take(text));
                s.mode = Mode::Normal;
                vec![Effect::Reveal { item, reason }]
            }
            _ => Vec::new(),
        },
        Mode::Investigate {
            inquiry,
            about,
            text,
            ..
        } => match edit_line(text, &k) {
            Edit::Cancel => {
                s.mode = Mode::Normal;
                s.message = Some(("investigation cancelled".into(), false));
                Vec::new()
            }
            Edit::Submit if text.trim().chars().count() >= 4 => {
                let (inquiry, about, reason) =
                    (*inquiry, std::mem::take(about), std::mem::take(text));
                s.mode = Mode::Normal;
                s.message = Some(("running the investigation…".into(), false));
                vec![Effect::Investigate {
                    inquiry,
                    about,
                    reason,
                }]
            }
            Edit::Submit => {
                s.message = Some((
                    "a reason is recorded with every investigation (4 characters or more)".into(),
                    true,
                ));
                Vec::new()
            }
            _ => Vec::new(),
        },
        Mode::Comment { ids, text } => match edit_line(text, &k) {
            Edit::Cancel => {
                s.mode = Mode::Normal;
                s.message = Some(("note cancelled".into(), false));
                Vec::new()
            }
            Edit::Submit if !text.trim().is_empty() => {
                let (ids, note) = (std::mem::take(ids), std::mem::take(text));
                s.mode = Mode::Normal;
                act(s, ids, Act::Note { note })
            }
            _ => Vec::new(),
        },
        Mode::IncidentUpdate { id, text } => match edit_line(text, &k) {
            Edit::Cancel => {
                s.mode = Mode::Normal;
                s.message = Some(("incident update cancelled".into(), false));
                Vec::new()
            }
            Edit::Submit => {
                // read here, so a typo is said at once and the text kept
                match vigil_app::screens::incident_change(text) {
                    Ok(change) => {
                        let id = *id;
                        s.mode = Mode::Normal;
                        s.message = Some((format!("updating incident {id}…"), false));
                        vec![Effect::UpdateIncident { id, change }]
                    }
                    Err(e) => {
                        s.message = Some((e, true));
                        Vec::new()
                    }
                }
            }
            _ => Vec::new(),
        },
        Mode::Confirm { ids, act, .. } => {
            let (ids, a) = (std::mem::take(ids), act.clone());
            s.mode = Mode::Normal;
            if matches!(k.code, KeyCode::Char('y') | KeyCode::Char('Y')) {
                send(s, ids, a)
            } else {
                s.message = Some((
                    format!("cancelled: {} items left as they were", ids.len()),
                    false,
                ));
                Vec::new()
            }
        }
        Mode::Palette { text, selected } => {
            let found: Vec<Command> = s.keys.find(text).iter().map(|b| b.command).collect();
            match k.code {
                KeyCode::Down if !found.is_empty() => {
                    *selected = (*selected + 1).min(found.len() - 1);
                    return Vec::new();
                }
                KeyCode::Up => {
                    *selected = selected.saturating_sub(1);
                    return Vec::new();
                }
                // Tab fills in the name of the match Enter would run.
                KeyCode::Tab => {
                    if let Some(c) = found.get(*selected) {
                        *text = c.name().to_owned();
                        *selected = 0;
                    }
                    return Vec::new();
                }
                _ => {}
            }
            match edit_line(text, &k) {
                Edit::Cancel => {
                    s.mode = Mode::Normal;
                    Vec::new()
                }
                Edit::Submit => {
                    let chosen = found.get(*selected).copied();
                    let typed = std::mem::take(text);
                    s.mode = Mode::Normal;
                    match chosen {
                        Some(cmd) => exec(s, cmd),
                        None => {
                            s.message = Some((
                                format!(
                                    "no command matches {:?}; ? lists them",
                                    SafeText::new(typed.trim()).as_str()
                                ),
                                true,
                            ));
                            Vec::new()
                        }
                    }
                }
                Edit::Changed => {
                    *selected = 0;
                    Vec::new()
                }
                Edit::Other => Vec::new(),
            }
        }
        Mode::Normal => match s.keys.command(&k) {
            Some(cmd) => exec(s, cmd),
            None => Vec::new(),
        },
    }
}

/// Carries out a command, from a key or the palette.
fn exec(s: &mut State, cmd: Command) -> Vec<Effect> {
    let screen_at = |i: usize| Screen::ALL[i % Screen::ALL.len()];
    let here = Screen::ALL
        .iter()
        .position(|x| *x == s.screens.screen)
        .unwrap_or(0);
    let go = |s: &mut State, to: Screen| -> Vec<Effect> {
        s.screens.screen = to;
        s.screens.listing = None;
        s.screens.cursor = 0;
        s.screens.open = false;
        s.screens.heading = None;
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
        // Esc closes an open row first, then leaves the screen
        Command::Back if s.screens.open => {
            s.screens.open = false;
            return Vec::new();
        }
        Command::Back if s.screens.screen != Screen::Queue => return go(s, Screen::Queue),
        Command::Quit | Command::Help => {}
        Command::ToggleDetail | Command::FocusDetail if s.screens.screen != Screen::Queue => {
            s.screens.open = !s.screens.open
                && s.screens
                    .listing
                    .as_ref()
                    .is_some_and(|l| !l.rows.is_empty());
            return Vec::new();
        }
        Command::Note if s.screens.screen == Screen::Incidents => {
            let id = s
                .screens
                .listing
                .as_ref()
                .and_then(|l| l.rows.get(s.screens.cursor))
                .and_then(|r| r.first())
                .and_then(|c| c.parse::<i64>().ok());
            if let Some(id) = id {
                s.mode = Mode::IncidentUpdate {
                    id,
                    text: String::new(),
                };
            }
            return Vec::new();
        }
        _ if s.screens.screen != Screen::Queue => {
            move_listing(s, cmd);
            return Vec::new();
        }
        _ => {}
    }
    if s.pane.detail_focus && s.pane.show_detail {
        // The detail pane has the keys: movement scrolls its text.
        let page = s.queue.page_rows as u16;
        let by = |s: &mut State, d: i32| {
            s.pane.detail_scroll = (i32::from(s.pane.detail_scroll) + d).clamp(0, 2000) as u16;
        };
        match cmd {
            Command::Down => by(s, 1),
            Command::Up => by(s, -1),
            Command::PageDown | Command::HalfDown => by(s, i32::from(page.max(2) / 2)),
            Command::PageUp | Command::HalfUp => by(s, -i32::from(page.max(2) / 2)),
            Command::Top => s.pane.detail_scroll = 0,
            Command::FocusDetail | Command::ToggleDetail | Command::Back => {
                s.pane.detail_focus = false;
                if cmd == Command::ToggleDetail {
                    s.pane.show_detail = false;
                }
            }
            _ => {
                s.pane.detail_focus = false;
                return exec(s, cmd);
            }
        }
        return Vec::new();
    }
    let cur = s.queue.cursor as i64;
    let page = s.queue.page_rows as i64;
    match cmd {
        Command::FocusDetail => {
            if s.pane.show_detail {
                s.pane.detail_focus = true;
            }
            Vec::new()
        }
        Command::Down => move_to(s, cur + 1),
        Command::Up => move_to(s, cur - 1),
        Command::Top => move_to(s, 0),
        Command::Bottom => move_to(s, s.queue.total as i64 - 1),
        Command::PageDown => move_to(s, cur + page),
        Command::PageUp => move_to(s, cur - page),
        Command::HalfDown => move_to(s, cur + page / 2),
        Command::HalfUp => move_to(s, cur - page / 2),
        Command::ToggleDetail => {
            s.pane.show_detail = !s.pane.show_detail;
            follow_cursor(s)
        }
        Command::Filter => {
            s.mode = Mode::Filter(s.queue.filter.clone());
            Vec::new()
        }
        Command::Help => {
            s.mode = Mode::Help;
            s.help_page = 0;
            Vec::new()
        }
        Command::Mark => {
            if let Some(id) = s.current().map(|i| i.id)
                && !s.queue.marked.remove(&id)
            {
                s.queue.marked.insert(id);
                s.queue.mark_anchor = Some(s.queue.cursor);
            }
            move_to(s, cur + 1)
        }
        Command::MarkRange => {
            let from = s.queue.mark_anchor.unwrap_or(s.queue.cursor);
            let (lo, hi) = (from.min(s.queue.cursor), from.max(s.queue.cursor));
            let end = s.queue.offset + s.queue.items.len() as u64;
            let ids: Vec<i64> = (lo.max(s.queue.offset)..=hi.min(end.saturating_sub(1)))
                .filter_map(|p| {
                    s.queue
                        .items
                        .get((p - s.queue.offset) as usize)
                        .map(|i| i.id)
                })
                .collect();
            let short = lo < s.queue.offset || hi >= end;
            s.queue.marked.extend(ids);
            s.queue.mark_anchor = Some(s.queue.cursor);
            s.message = Some((
                format!(
                    "{} marked{}",
                    s.queue.marked.len(),
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
            s.mode = Mode::Palette {
                text: String::new(),
                selected: 0,
            };
            Vec::new()
        }
        Command::MarkAll => {
            let ids: Vec<i64> = s.queue.items.iter().map(|i| i.id).collect();
            s.queue.marked.extend(ids);
            s.message = Some((format!("{} marked", s.queue.marked.len()), false));
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
        Command::AccessReport => {
            let Some(item) = s.current() else {
                return Vec::new();
            };
            // A case over several accesses has no one subject: the first
            // patient its events name.
            let from_events = s
                .pane
                .detail
                .as_ref()
                .filter(|d| d.item.id == item.id)
                .and_then(|d| {
                    d.events
                        .iter()
                        .find(|e| vigil_domain::is_patient_record_kind(e.kind.as_str()))
                        .and_then(|e| e.subject.clone())
                });
            match item
                .subject
                .clone()
                .or(from_events)
                .filter(|x| !x.as_str().is_empty())
            {
                Some(mrn) => {
                    let about = mrn.as_str().to_owned();
                    s.mode = Mode::Investigate {
                        inquiry: Inquiry::Patient,
                        shown: format!("record {}", vigil_domain::people::mask(&about)),
                        about,
                        text: String::new(),
                    };
                }
                None => {
                    s.message = Some((format!("item {} names no patient", item.id), true));
                }
            }
            Vec::new()
        }
        Command::Activity => {
            let Some(item) = s.current() else {
                return Vec::new();
            };
            match item.actor.as_ref().filter(|x| !x.as_str().is_empty()) {
                Some(actor) => {
                    let about = actor.as_str().to_owned();
                    s.mode = Mode::Investigate {
                        inquiry: Inquiry::Person,
                        shown: SafeText::new(&about).into_string(),
                        about,
                        text: String::new(),
                    };
                }
                None => {
                    s.message = Some((format!("item {} names no actor", item.id), true));
                }
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
            let here = (s.queue.cursor - s.queue.offset) as usize;
            let undecided = |i: &vigil_domain::Item| i.status == vigil_domain::Status::New;
            let found = if cmd == Command::NextNew {
                s.queue
                    .items
                    .iter()
                    .enumerate()
                    .skip(here + 1)
                    .find(|(_, i)| undecided(i))
                    .map(|(n, _)| n)
            } else {
                s.queue.items[..here.min(s.queue.items.len())]
                    .iter()
                    .rposition(undecided)
            };
            match found {
                Some(n) => move_to(s, (s.queue.offset + n as u64) as i64),
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
            s.pane.split = if cmd == Command::Wider {
                (s.pane.split + 5).min(80)
            } else {
                s.pane.split.saturating_sub(5).max(25)
            };
            Vec::new()
        }
        Command::Undo => {
            // this reviewer's last decision, all its items; without one in
            // this session, the latest decision on the marked or current item
            let ids = if s.queue.undo.is_empty() {
                s.targets()
            } else {
                std::mem::take(&mut s.queue.undo)
            };
            if ids.is_empty() {
                return Vec::new();
            }
            send(s, ids, Act::Undo)
        }
        Command::Repeat => match (s.queue.last_act.clone(), s.targets()) {
            (Some(a), ids) if !ids.is_empty() => act(s, ids, a),
            _ => {
                s.message = Some(("nothing to repeat".into(), false));
                Vec::new()
            }
        },
        Command::Back => {
            if s.queue.marked.is_empty() {
                s.message = Some(("q quits".into(), false));
            } else {
                let n = s.queue.marked.len();
                s.queue.marked.clear();
                s.queue.mark_anchor = None;
                s.message = Some((format!("unmarked {n} item(s)"), false));
            }
            Vec::new()
        }
        Command::Quit => {
            s.quit = true;
            Vec::new()
        }
    }
}

/// Moves the selected row of a screen other than the queue.
fn move_listing(s: &mut State, cmd: Command) {
    let rows = s.screens.listing.as_ref().map_or(0, |l| l.rows.len());
    if rows == 0 {
        return;
    }
    let page = (s.queue.page_rows.max(2) as usize).saturating_sub(1);
    let c = s.screens.cursor;
    s.screens.cursor = match cmd {
        Command::Down => c + 1,
        Command::Up => c.saturating_sub(1),
        Command::PageDown => c + page,
        Command::PageUp => c.saturating_sub(page),
        Command::HalfDown => c + page / 2,
        Command::HalfUp => c.saturating_sub(page / 2),
        Command::Top => 0,
        Command::Bottom => rows - 1,
        _ => c,
    }
    .min(rows - 1);
}
