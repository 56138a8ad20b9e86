//! What the review screen draws over itself: the help (every key in
//! force) and the command palette's matches.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear, Paragraph};

use super::state::State;
use super::theme::Theme;
use super::view::safe;

/// The palette's matches for what is typed, best first, in a box above
/// the status line: keys, command and description, the one Enter runs
/// highlighted.
pub fn palette(s: &State, t: &Theme, f: &mut Frame, bottom: Rect, text: &str, selected: usize) {
    let found = s.keys.find(text);
    let area = f.area();
    let room = usize::from(bottom.y.saturating_sub(area.y + 2)).max(1);
    let shown = found.len().min(room).min(10);
    // the page of matches that holds the selection
    let first = selected.saturating_sub(shown.saturating_sub(1));
    let kw = found
        .iter()
        .map(|b| b.keys.chars().count())
        .max()
        .unwrap_or(1)
        .min(12);
    let nw = found
        .iter()
        .map(|b| b.command.name().len())
        .max()
        .unwrap_or(1);
    let lines: Vec<Line> = if found.is_empty() {
        vec![Line::styled("no command matches", t.muted())]
    } else {
        found
            .iter()
            .enumerate()
            .skip(first)
            .take(shown)
            .map(|(i, b)| {
                let keys: String = b.keys.chars().take(kw).collect();
                let line = Line::from(vec![
                    Span::styled(format!("{keys:<kw$}  "), t.muted()),
                    Span::raw(format!("{:<nw$}  {}", b.command.name(), b.description)),
                ]);
                if i == selected {
                    line.style(t.selection())
                } else {
                    line
                }
            })
            .collect()
    };
    let h = lines.len() as u16 + 2;
    let w = area.width.min((kw + nw + 31) as u16 + 2);
    let r = Rect {
        x: area.x,
        y: bottom.y.saturating_sub(h),
        width: w,
        height: h.min(bottom.y.saturating_sub(area.y)),
    };
    f.render_widget(Clear, r);
    f.render_widget(
        Paragraph::new(lines).block(Block::default().borders(Borders::ALL).title(Line::styled(
            format!(" {} commands ", found.len()),
            t.title(),
        ))),
        r,
    );
}

/// The help: every key in force under its section, in as many columns as
/// fit, then the filter language; pages turn with Tab when the screen is
/// too small for one.
pub fn help(s: &State, t: &Theme, f: &mut Frame) {
    use super::keymap::{Command, SECTIONS};
    let area = f.area();
    // The eight screen keys are one line: the tabs already name them.
    let screens: Vec<&str> = s
        .keys
        .bindings
        .iter()
        .filter(|b| matches!(b.command, Command::Screen(_)))
        .map(|b| b.keys.as_str())
        .collect();
    // (keys, description); a heading has no keys
    let mut all: Vec<(String, &str)> = Vec::with_capacity(s.keys.bindings.len() + 6);
    for section in SECTIONS {
        all.push((String::new(), section));
        for b in s
            .keys
            .bindings
            .iter()
            .filter(|b| b.command.section() == section)
        {
            match b.command {
                Command::Screen(1) => {
                    let keys = if screens.concat() == "12345678" {
                        "1-8".to_owned()
                    } else {
                        screens.join(",")
                    };
                    all.push((keys, "go to screen 1..8 (tabs)"));
                }
                Command::Screen(_) => {}
                _ => all.push((b.keys.clone(), b.description)),
            }
        }
    }
    let rows = usize::from(area.height.saturating_sub(2)).max(1);
    let kw = all
        .iter()
        .map(|b| b.0.chars().count())
        .max()
        .unwrap_or(8)
        .min(14);
    // columns as wide as a key and its description need, as many as fit
    let col_w = kw + 1 + 26;
    let cols = (usize::from(area.width.saturating_sub(2)) / col_w).max(1);
    let per_page = rows * cols;
    // columns of about 24 rows where the width allows: easier to read than
    // one column as tall as the screen
    let columns_for = |n: usize| n.div_ceil(rows).max(n.div_ceil(24)).min(cols);
    let mut pages: Vec<Vec<Line>> = all
        .chunks(per_page)
        .map(|page| {
            let used_cols = columns_for(page.len());
            let per = page.len().div_ceil(used_cols.max(1));
            (0..per)
                .map(|r| {
                    let mut spans = Vec::new();
                    for c in 0..used_cols {
                        let Some((keys, what)) = page.get(c * per + r) else {
                            continue;
                        };
                        let cell = if keys.is_empty() {
                            let h: String = what.chars().take(col_w - 1).collect();
                            spans.push(Span::styled(format!("{h:<col_w$}"), t.title()));
                            continue;
                        } else {
                            format!("{keys:<kw$} {what}")
                        };
                        let cell: String = cell.chars().take(col_w - 1).collect();
                        spans.push(Span::raw(format!("{cell:<col_w$}")));
                    }
                    Line::from(spans)
                })
                .collect()
        })
        .collect();
    pages.push(
        vigil_domain::query::SYNTAX
            .lines()
            .take(rows)
            .enumerate()
            .map(|(i, l)| {
                if i == 0 {
                    Line::styled(l.to_owned(), t.title())
                } else {
                    Line::from(l.to_owned())
                }
            })
            .collect(),
    );
    let n = pages.len();
    let page = s.help_page % n;
    let lines = pages.swap_remove(page);
    let h = (lines.len() as u16 + 2).min(area.height);
    let used = columns_for(all.len());
    let w = area
        .width
        .min((used * col_w) as u16 + 2)
        .max(area.width.min(80));
    let r = Rect {
        x: area.x + (area.width - w) / 2,
        y: area.y + (area.height - h) / 2,
        width: w,
        height: h,
    };
    f.render_widget(Clear, r);
    f.render_widget(
        Paragraph::new(lines).block(
            Block::default()
                .borders(Borders::ALL)
                .title(Line::styled(
                    format!(
                        " help {}/{n} · Tab next page, any other key closes ",
                        page + 1
                    ),
                    t.title(),
                ))
                .title_bottom(Line::styled(
                    format!(" {} · {} ", safe(&s.reviewer), safe(&s.store_label)),
                    t.muted(),
                )),
        ),
        r,
    );
}
