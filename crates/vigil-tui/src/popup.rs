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

pub fn help(s: &State, t: &Theme, f: &mut Frame) {
    let area = f.area();
    // The eight screen keys are one line: the tabs already name them.
    let screens: Vec<&str> = s
        .keys
        .bindings
        .iter()
        .filter(|b| matches!(b.command, super::keymap::Command::Screen(_)))
        .map(|b| b.keys.as_str())
        .collect();
    let mut all: Vec<(String, &str)> = Vec::with_capacity(s.keys.bindings.len());
    for b in &s.keys.bindings {
        match b.command {
            super::keymap::Command::Screen(1) => {
                let keys = if screens.concat() == "12345678" {
                    "1-8".to_owned()
                } else {
                    screens.join(",")
                };
                all.push((keys, "go to screen 1..8 (tabs)"));
            }
            super::keymap::Command::Screen(_) => {}
            _ => all.push((b.keys.clone(), b.description)),
        }
    }
    // As many columns as it takes to fit the screen (two at 80x24).
    let rows = usize::from(area.height.saturating_sub(2)).max(1);
    let cols = all.len().div_ceil(rows).max(1);
    let per = all.len().div_ceil(cols);
    let col_w = usize::from(area.width.saturating_sub(2)) / cols;
    let kw = all
        .iter()
        .map(|b| b.0.chars().count())
        .max()
        .unwrap_or(8)
        .min(14);
    let lines: Vec<Line> = (0..per)
        .map(|r| {
            let mut text = String::new();
            for c in 0..cols {
                if let Some(b) = all.get(c * per + r) {
                    let cell = format!("{:<kw$} {}", b.0, b.1);
                    let cell: String = cell.chars().take(col_w.saturating_sub(1)).collect();
                    text.push_str(&format!("{cell:<col_w$}"));
                }
            }
            Line::from(text.trim_end().to_owned())
        })
        .collect();
    let h = (per as u16 + 2).min(area.height);
    let w = if cols == 1 {
        area.width.min(72)
    } else {
        area.width
    };
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
                .title(Line::styled(" keys (any key closes) ", t.title()))
                .title_bottom(Line::styled(
                    format!(" {} · {} ", safe(&s.reviewer), safe(&s.store_label)),
                    t.muted(),
                )),
        ),
        r,
    );
}
