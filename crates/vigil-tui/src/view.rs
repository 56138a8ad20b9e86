//! Drawing the review screen from a read-only `State`. Every string from a
//! source reaches the buffer as `SafeText`.

use ratatui::Frame;
use ratatui::layout::{Constraint, Direction, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Cell, Paragraph, Row, Table, Wrap};

use super::state::{Mode, State};
use super::update::status_text;
use vigil_domain::SafeText;

pub use super::theme::Theme;

pub(crate) fn safe(s: &str) -> String {
    SafeText::new(s).into_string()
}

/// Rows the table can show in an area of this height.
/// A time in the screen's one zone.
fn stamp(s: &State, t: chrono::DateTime<chrono::Utc>, fmt: &str) -> String {
    vigil_domain::time::local_format(s.zone, t, fmt)
}

/// The screen's zone as a column header says it: its abbreviation at `t`
/// (`EST`, `CET`), or `UTC`.
fn zone_label(s: &State, t: Option<chrono::DateTime<chrono::Utc>>) -> String {
    match (s.zone, t) {
        (Some(z), Some(t)) => t.with_timezone(&z).format("%Z").to_string(),
        (Some(z), None) => z.name().to_owned(),
        (None, _) => "UTC".into(),
    }
}

pub fn table_rows(height: u16) -> u64 {
    u64::from(height.saturating_sub(3))
}

fn areas(s: &State, area: Rect) -> (Rect, Rect, Option<Rect>, Rect) {
    let [top, body, bottom] = Layout::vertical([
        Constraint::Length(1),
        Constraint::Min(3),
        Constraint::Length(1),
    ])
    .areas(area);
    if !s.pane.show_detail || body.height < 8 {
        return (top, body, None, bottom);
    }
    let dir = if body.width >= 120 {
        Direction::Horizontal
    } else {
        Direction::Vertical
    };
    let parts = Layout::default()
        .direction(dir)
        .constraints([
            Constraint::Percentage(s.pane.split),
            Constraint::Percentage(100 - s.pane.split),
        ])
        .split(body);
    (top, parts[0], Some(parts[1]), bottom)
}

/// The table's height for a terminal of this size (for PageDown).
pub fn table_height(s: &State, area: Rect) -> u16 {
    areas(s, area).1.height
}

pub fn render(s: &State, t: &Theme, f: &mut Frame) {
    if s.idle.blanked {
        let area = f.area();
        let msg = Rect {
            y: area.y + area.height / 2,
            height: 1.min(area.height),
            ..area
        };
        f.render_widget(
            Paragraph::new("vigil — screen blanked after inactivity; press any key")
                .style(t.muted()),
            msg,
        );
        return;
    }
    let (top, table, detail, bottom) = areas(s, f.area());
    // The tabs first, so every screen is named at 80 columns (shortened
    // as far as the title needs); who and which store are in the help.
    let title = format!(
        " vigil · {} item{}{}{} ",
        s.queue.total,
        if s.queue.total == 1 { "" } else { "s" },
        if s.queue.filter.is_empty() {
            String::new()
        } else {
            format!(" · filter {}", safe(&s.queue.filter))
        },
        if s.queue.marked.is_empty() {
            String::new()
        } else {
            format!(" · {} marked", s.queue.marked.len())
        }
    );
    let screens = super::state::Screen::ALL;
    let tabs_width = |keep: usize| -> usize {
        screens
            .iter()
            .map(|sc| 4 + sc.name().chars().count().min(keep))
            .sum()
    };
    let room = usize::from(top.width).saturating_sub(title.chars().count());
    let keep = [usize::MAX, 4, 3, 0]
        .into_iter()
        .find(|k| tabs_width(*k) <= room)
        .unwrap_or(0);
    let mut spans = Vec::new();
    for (n, sc) in screens.iter().enumerate() {
        let name: String = sc.name().chars().take(keep).collect();
        let label = if name.is_empty() {
            format!(" {} ", n + 1)
        } else {
            format!(" {}:{name} ", n + 1)
        };
        spans.push(if *sc == s.screens.screen {
            Span::styled(label, t.tab_active())
        } else {
            Span::styled(label, t.muted())
        });
    }
    if s.screens.screen == super::state::Screen::Investigation {
        spans.push(Span::styled(" investigation ", t.tab_active()));
    }
    spans.push(Span::styled(title, t.title()));
    f.render_widget(Paragraph::new(Line::from(spans)), top);
    if s.screens.screen != super::state::Screen::Queue {
        let body = Rect {
            height: area_below(top, bottom),
            y: top.y + 1,
            ..top
        };
        render_listing(s, t, f, body);
    } else {
        render_table(s, t, f, table);
        if let Some(d) = detail {
            render_detail(s, t, f, d);
        }
    }
    render_bottom(s, t, f, bottom);
    match &s.mode {
        Mode::Help => super::popup::help(s, t, f),
        Mode::Palette { text, selected } => super::popup::palette(s, t, f, bottom, text, *selected),
        _ => {}
    }
}

fn area_below(top: Rect, bottom: Rect) -> u16 {
    bottom.y.saturating_sub(top.y + 1)
}

fn render_listing(s: &State, t: &Theme, f: &mut Frame, area: Rect) {
    let rows_n = s.screens.listing.as_ref().map_or(0, |l| l.rows.len());
    let position = if rows_n > 0 {
        format!(" · {} of {rows_n}", s.screens.cursor + 1)
    } else {
        String::new()
    };
    let mut block = Block::default()
        .borders(Borders::TOP)
        .title(Line::from(format!(
            " {}{position} ",
            s.screens.screen.name()
        )));
    let mut area = area;
    if let Some(h) = &s.screens.heading
        && area.height > 2
    {
        f.render_widget(
            Paragraph::new(safe(h)).style(t.title()),
            Rect { height: 1, ..area },
        );
        area = Rect {
            y: area.y + 1,
            height: area.height - 1,
            ..area
        };
        block = block.title(Line::from(" Esc back "));
    }
    let Some(l) = &s.screens.listing else {
        f.render_widget(
            Paragraph::new("loading…").style(t.muted()).block(block),
            area,
        );
        return;
    };
    if s.screens.open
        && let Some(row) = l.rows.get(s.screens.cursor)
    {
        // the row whole: every column on a line of its own, wrapped
        let width = l.columns.iter().map(|c| c.len()).max().unwrap_or(0);
        let mut lines: Vec<Line> = l
            .columns
            .iter()
            .zip(row)
            .map(|(c, v)| {
                Line::from(vec![
                    Span::styled(format!("{c:<width$}  "), t.muted()),
                    Span::raw(safe(v)),
                ])
            })
            .collect();
        lines.push(Line::from(""));
        let hint = if s.screens.screen == super::state::Screen::Incidents {
            "c updates this incident (status, assignee, outcome, note) · Esc closes"
        } else {
            "Esc closes"
        };
        lines.push(Line::styled(hint, t.muted()));
        f.render_widget(
            Paragraph::new(lines).wrap(Wrap { trim: false }).block(
                block
                    .title(Line::from(" row "))
                    .title(Line::from(" Esc closes ")),
            ),
            area,
        );
        return;
    }
    if s.screens.screen == super::state::Screen::Coverage
        && !l.rows.is_empty()
        && let Some(h) = heatmap(l, t, area.width)
    {
        // the week at a glance above the rows it is made of
        let height = (h.len() as u16 + 1).min(area.height * 2 / 3);
        f.render_widget(
            Paragraph::new(h).block(block.clone()),
            Rect { height, ..area },
        );
        area = Rect {
            y: area.y + height,
            height: area.height - height,
            ..area
        };
        block = Block::default()
            .borders(Borders::TOP)
            .title(Line::from(format!(" by day and source{position} ")));
    }
    if !l.pictures.is_empty() && area.height > 6 {
        // the pictures above the rows they are made of, the rows keeping
        // a third of the screen (all of it the pictures do not need)
        let room = if l.rows.is_empty() {
            area.height
        } else {
            area.height * 2 / 3
        };
        let frame = Rect {
            height: room,
            ..area
        };
        let top = Block::default()
            .borders(Borders::TOP)
            .title(Line::from(format!(" {} ", s.screens.screen.name())));
        let inner = top.inner(frame);
        f.render_widget(top, frame);
        let used = super::charts::draw_all(&l.pictures, t, f, inner) + 1;
        area = Rect {
            y: area.y + used,
            height: area.height - used,
            ..area
        };
    }
    if l.rows.is_empty() {
        f.render_widget(
            Paragraph::new(l.empty.clone())
                .style(t.muted())
                .wrap(Wrap { trim: true })
                .block(block),
            area,
        );
        return;
    }
    let widths = fit_columns(l, area.width);
    let cut = |c: &str, w: usize| -> String {
        if c.chars().count() <= w {
            c.to_owned()
        } else {
            let mut t: String = c.chars().take(w.saturating_sub(1)).collect();
            t.push('…');
            t
        }
    };
    let rows = l.rows.iter().map(|r| {
        Row::new(
            r.iter()
                .zip(&widths)
                .map(|(c, w)| Cell::from(cut(c, usize::from(*w)))),
        )
    });
    let header = Row::new(
        l.columns
            .iter()
            .zip(&widths)
            .map(|(c, w)| Cell::from(cut(c, usize::from(*w)))),
    )
    .style(t.muted());
    let constraints: Vec<Constraint> = widths.iter().copied().map(Constraint::Length).collect();
    let mut state = ratatui::widgets::TableState::default().with_selected(Some(s.screens.cursor));
    f.render_stateful_widget(
        Table::new(rows, constraints)
            .header(header)
            .row_highlight_style(t.selection())
            .block(block),
        area,
        &mut state,
    );
}

/// Column widths that fit `width`: each column as wide as its widest cell
/// (at most 40, more where the screen has room to spare), then the widest
/// narrowed a character at a time (never below 4) and, if that is not
/// enough, the last columns dropped (width 0). Worked out here rather than left to the layout solver, which picks
/// among equal answers differently from run to run when the columns do
/// not fit.
fn fit_columns(l: &super::state::Listing, width: u16) -> Vec<u16> {
    let natural: Vec<usize> = (0..l.columns.len())
        .map(|i| {
            l.rows
                .iter()
                .map(|r| r.get(i).map_or(0, |c| c.chars().count()))
                .max()
                .unwrap_or(0)
                .max(l.columns[i].chars().count())
        })
        .collect();
    let mut w: Vec<usize> = natural.iter().map(|n| (*n).min(40)).collect();
    let room = |w: &[usize]| {
        let shown = w.iter().filter(|x| **x > 0).count();
        w.iter().sum::<usize>() + shown.saturating_sub(1)
    };
    // A wide screen gives what is left to the columns the cap cut, the
    // narrowest first, so long text is cut only when it must be.
    let mut spare = usize::from(width).saturating_sub(room(&w));
    let mut cut: Vec<usize> = (0..w.len()).filter(|&i| natural[i] > w[i]).collect();
    cut.sort_by_key(|&i| natural[i]);
    for i in cut {
        let more = (natural[i] - w[i]).min(spare);
        w[i] += more;
        spare -= more;
    }
    while room(&w) > usize::from(width) {
        // the widest (the first of equals) gives a character
        match (0..w.len())
            .filter(|&i| w[i] > 4)
            .max_by_key(|&i| (w[i], std::cmp::Reverse(i)))
        {
            Some(i) => w[i] -= 1,
            None => {
                if let Some(last) = w.iter().rposition(|x| *x > 0) {
                    w[last] = 0;
                } else {
                    break;
                }
            }
        }
    }
    w.into_iter().map(|x| x as u16).collect()
}

/// Coverage as a source × day grid, one symbol a cell (readable without
/// colour), from the coverage rows (DAY, SOURCE, STATUS).
fn heatmap(l: &super::state::Listing, t: &Theme, width: u16) -> Option<Vec<Line<'static>>> {
    let col = |name: &str| l.columns.iter().position(|c| *c == name);
    let (d, s, st) = (col("DAY")?, col("SOURCE")?, col("STATUS")?);
    let mut days: Vec<&str> = l.rows.iter().map(|r| r[d].as_str()).collect();
    days.sort_unstable();
    days.dedup();
    let mut sources: Vec<&str> = l.rows.iter().map(|r| r[s].as_str()).collect();
    sources.sort_unstable();
    sources.dedup();
    let name_w = sources
        .iter()
        .map(|x| x.chars().count())
        .max()
        .unwrap_or(6)
        .min(16);
    // as many of the latest days as fit
    let fit = (usize::from(width).saturating_sub(name_w + 2) / 6).max(1);
    let days = &days[days.len().saturating_sub(fit)..];
    let cell = |status: &str| -> (&'static str, ratatui::style::Style) {
        match status {
            "reviewed" => ("✓", t.title()),
            "partly reviewed" => ("½", t.severity(vigil_domain::Severity::Medium)),
            "to review" => ("○", t.severity(vigil_domain::Severity::Medium)),
            "overdue" => ("!", t.error()),
            "silent" => ("?", t.error()),
            "source down" => ("✗", t.error()),
            "nothing flagged" => ("·", t.muted()),
            _ => (" ", t.muted()),
        }
    };
    let mut lines = vec![Line::styled(
        format!(
            "{:<name_w$}  {}",
            "",
            days.iter()
                .map(|x| format!("{:<6}", x.get(5..).unwrap_or(x)))
                .collect::<String>()
        ),
        t.muted(),
    )];
    for src in &sources {
        let mut spans = vec![Span::raw(format!(
            "{:<name_w$}  ",
            src.chars().take(name_w).collect::<String>()
        ))];
        for day in days {
            let status = l
                .rows
                .iter()
                .find(|r| r[d] == *day && r[s] == *src)
                .map_or("", |r| r[st].as_str());
            let (sym, style) = cell(status);
            spans.push(Span::styled(format!("  {sym}   "), style));
        }
        lines.push(Line::from(spans));
    }
    lines.push(Line::styled(
        "✓ reviewed ½ partly ○ to review ! overdue · nothing flagged ? silent ✗ down",
        t.muted(),
    ));
    Some(lines)
}

fn render_table(s: &State, t: &Theme, f: &mut Frame, area: Rect) {
    let rows_fit = table_rows(area.height).max(1);
    // the rows on screen: a page of the loaded window that holds the cursor
    let rel = s.queue.cursor.saturating_sub(s.queue.offset);
    let first = rel.saturating_sub(rel % rows_fit);
    let shown: Vec<_> = s
        .queue
        .items
        .iter()
        .skip(first as usize)
        .take(rows_fit as usize)
        .collect();
    // Wider screens show more columns: source and who holds the item, then
    // the subject (masked like the detail pane until revealed).
    let wide = area.width >= 100;
    let wider = area.width >= 120;
    let mask_subject = s.pane.mask.iter().any(|f| f == "subject");
    let rows = shown.iter().map(|i| {
        // marked, or new since the screen opened and not yet opened
        let mark = if s.queue.marked.contains(&i.id) {
            "●"
        } else if s.is_new(i) {
            "+"
        } else {
            " "
        };
        let opt = |x: &Option<SafeText>| x.as_ref().map_or("-", |v| v.as_str()).to_owned();
        let mut cells = vec![
            Cell::from(mark).style(t.marked()),
            Cell::from(i.severity.as_str()).style(t.severity(i.severity)),
            Cell::from(stamp(s, i.occurred_at, "%m-%d %H:%M")),
        ];
        if wide {
            cells.push(Cell::from(opt(&i.source)));
        }
        cells.push(Cell::from(opt(&i.actor)));
        if wider {
            let subject = match &i.subject {
                Some(x) if mask_subject && !s.pane.revealed.contains(&i.id) => masked(x.as_str()),
                other => opt(other),
            };
            cells.push(Cell::from(subject));
        }
        cells.push(Cell::from(i.status.as_str()));
        if wide {
            cells.push(Cell::from(opt(&i.claimed_by)));
        }
        cells.push(Cell::from(i.title.as_str().to_owned()));
        // decided items do not look like the ones still to do
        let row = Row::new(cells);
        if matches!(i.status, vigil_domain::Status::Decided) {
            row.style(t.muted())
        } else {
            row
        }
    });
    let selected = (s.queue.cursor >= s.queue.offset)
        .then(|| (s.queue.cursor - s.queue.offset).saturating_sub(first) as usize);
    let mut widths = vec![
        Constraint::Length(1),
        Constraint::Length(8),
        Constraint::Length(11),
    ];
    let time_header = format!(
        "TIME ({})",
        zone_label(s, shown.first().map(|i| i.occurred_at))
    );
    let mut header = vec!["", "SEVERITY", time_header.as_str()];
    if wide {
        widths.push(Constraint::Length(14));
        header.push("SOURCE");
    }
    widths.push(Constraint::Length(12));
    header.push("ACTOR");
    if wider {
        widths.push(Constraint::Length(10));
        header.push("SUBJECT");
    }
    widths.push(Constraint::Length(9));
    header.push("STATUS");
    if wide {
        widths.push(Constraint::Length(10));
        header.push("CLAIMED");
    }
    widths.push(Constraint::Min(10));
    header.push("TITLE");
    let table =
        Table::new(rows, widths)
            .header(Row::new(header).style(t.muted()))
            .row_highlight_style(t.selection())
            .block(Block::default().borders(Borders::TOP).title(Line::from(
                if s.queue.total == 0 {
                    " queue ".to_owned()
                } else {
                    format!(" queue {} of {} ", s.queue.cursor + 1, s.queue.total)
                },
            )));
    let mut state = ratatui::widgets::TableState::default().with_selected(selected);
    f.render_stateful_widget(table, area, &mut state);
    if s.queue.total == 0 && !s.queue.loading {
        let msg = if s.queue.filter.is_empty() {
            "The queue is empty. `vigil pull` reads the sources; the rules fill the queue."
        } else {
            "Nothing matches this filter. Press / to change it."
        };
        let inner = Rect {
            y: area.y + 2,
            height: area.height.saturating_sub(2),
            ..area
        };
        f.render_widget(Paragraph::new(msg).style(t.muted()), inner);
    }
}

fn render_detail(s: &State, t: &Theme, f: &mut Frame, area: Rect) {
    let block = Block::default()
        .borders(Borders::TOP | Borders::LEFT)
        .title(if s.pane.detail_focus {
            Line::styled(" detail (Tab: back to the queue) ", t.title())
        } else {
            Line::from(" detail ")
        });
    let Some(d) = s
        .pane
        .detail
        .as_ref()
        .filter(|d| s.current().is_some_and(|i| i.id == d.item.id))
    else {
        f.render_widget(Paragraph::new("").block(block), area);
        return;
    };
    let i = &d.item;
    // On a shared screen patient identifiers stay masked until revealed.
    let mask: Vec<&str> = if s.pane.revealed.contains(&i.id) {
        Vec::new()
    } else {
        let mut m = Vec::new();
        if s.pane.mask.iter().any(|f| f == "subject") {
            m.extend(phi_subjects(d));
            // Every patient the pane may name, the same actor's other
            // records included: one mask for the whole pane.
            m.extend(d.phi.iter().map(String::as_str));
            m.extend(
                d.related
                    .iter()
                    .filter(|e| is_patient_record(e))
                    .filter_map(|e| e.subject.as_ref())
                    .map(|x| x.as_str())
                    .filter(|x| x.len() > 1),
            );
            // A relationship rule's reason names the shared surname: a
            // patient's name, masked with the identifiers.
            for r in &i.rules {
                let reason = r.reason.as_str();
                if let Some(at) = reason.find("the surname ") {
                    let rest = &reason[at + "the surname ".len()..];
                    let name = rest.split([',', ' ']).next().unwrap_or("");
                    if name.chars().count() > 1 {
                        m.push(name);
                    }
                }
            }
        }
        // Workforce names and addresses, where the config asks for it.
        for (field, pick) in [
            (
                "actor",
                (|e: &vigil_domain::Event| e.actor.as_ref())
                    as fn(&vigil_domain::Event) -> Option<&SafeText>,
            ),
            ("client", |e: &vigil_domain::Event| e.client.as_ref()),
        ] {
            if s.pane.mask.iter().any(|f| f == field) {
                m.extend(
                    d.events
                        .iter()
                        .filter_map(pick)
                        .map(|x| x.as_str())
                        .filter(|x| x.len() > 1),
                );
                if field == "actor"
                    && let Some(a) = &i.actor
                {
                    m.push(a.as_str());
                }
            }
        }
        m.sort_unstable_by_key(|x| std::cmp::Reverse(x.len()));
        m.dedup();
        m
    };
    let show = |text: &str| -> String {
        mask.iter()
            .fold(text.to_owned(), |t, m| t.replace(m, &masked(m)))
    };
    let mut lines = vec![
        Line::styled(show(i.title.as_str()), t.title()),
        Line::from(format!(
            "#{} {} · {} · {}{} · source {}",
            i.id,
            i.kind,
            i.severity,
            i.status,
            i.disposition.map(|d| format!(" ({d})")).unwrap_or_default(),
            i.source.as_ref().map(|x| x.as_str()).unwrap_or("-")
        )),
        Line::from(""),
    ];
    for r in &i.rules {
        lines.push(Line::from(vec![
            Span::styled(format!("{}: ", safe(&r.rule)), t.muted()),
            Span::raw(show(r.reason.as_str())),
        ]));
    }
    if let Some(n) = &i.score_note {
        lines.push(Line::styled(n.as_str().to_owned(), t.muted()));
    }
    lines.push(Line::from(""));
    let zone = zone_label(s, Some(i.occurred_at));
    lines.push(Line::styled(
        format!("events ({} linked, times {zone})", i.event_ids.len()),
        t.muted(),
    ));
    const SHOWN: usize = 12;
    for e in d.events.iter().take(SHOWN) {
        // The parsed fields, then the record as the source wrote it.
        fn opt(x: &Option<SafeText>) -> &str {
            x.as_ref().map_or("-", |v| v.as_str())
        }
        lines.push(Line::styled(
            show(&format!(
                "{} {} {} · {} → {} · from {} · on {}",
                stamp(s, e.occurred_at, "%m-%d %H:%M:%S"),
                e.action.as_str(),
                e.outcome.as_str(),
                opt(&e.actor),
                opt(&e.subject),
                opt(&e.client),
                opt(&e.host),
            )),
            t.muted(),
        ));
        lines.push(Line::from(show(e.raw.as_str())));
        if let Some((_, why)) = d.explanations.iter().find(|(id, _)| *id == e.id) {
            lines.push(Line::styled(show(why.as_str()), t.muted()));
        }
    }
    let more = i
        .event_ids
        .len()
        .max(d.events.len())
        .saturating_sub(SHOWN.min(d.events.len()));
    if more > 0 {
        lines.push(Line::styled(
            format!("… {more} more: `vigil show {}` lists them all", i.id),
            t.muted(),
        ));
    }
    if !mask.is_empty() {
        lines.push(Line::styled(
            "patient identifiers masked: r reveals them (asks why, recorded)",
            t.muted(),
        ));
    }
    if !d.related.is_empty() {
        lines.push(Line::from(""));
        lines.push(Line::styled(
            format!(
                "related: the same actor within an hour ({})",
                d.related.len()
            ),
            t.muted(),
        ));
        for e in d.related.iter().take(10) {
            lines.push(Line::from(format!(
                "{} {} {} {}",
                stamp(s, e.occurred_at, "%m-%d %H:%M"),
                e.source.as_str(),
                e.action.as_str(),
                show(e.subject.as_ref().map_or("", |x| x.as_str()))
            )));
        }
    }
    if !d.history.is_empty() {
        lines.push(Line::from(""));
        lines.push(Line::styled("history", t.muted()));
        for h in &d.history {
            // when in the screen's zone, who, what, and a decision's
            // disposition and note
            let at = chrono::DateTime::parse_from_rfc3339(&h.at)
                .map(|t| stamp(s, t.with_timezone(&chrono::Utc), "%m-%d %H:%M"))
                .unwrap_or_else(|_| h.at.clone());
            let mut text = format!("{at} {} {}", h.actor, h.action);
            if let Some(dr) = d.decisions.iter().find(|x| x.ledger_seq == h.seq) {
                if let Some(disp) = dr.disposition {
                    text.push_str(&format!(" {disp}"));
                }
                if let Some(n) = &dr.note {
                    text.push_str(&format!(": {n}"));
                }
            }
            lines.push(Line::from(show(&safe(&text))));
        }
    }
    f.render_widget(
        Paragraph::new(lines)
            .block(block)
            .wrap(Wrap { trim: false })
            .scroll((s.pane.detail_scroll, 0)),
        area,
    );
}

/// Rules about a patient's record: their subject is a patient identifier.
const PATIENT_RULES: &[&str] = &[
    "self-access",
    "family",
    "same-surname",
    "same-address",
    "coworker",
    "vip",
    "deceased",
    "volume-spike",
    "break-glass",
];

/// The patient identifiers an item is about (its subject and its events'),
/// if it is about patients.
fn phi_subjects(d: &super::state::Detail) -> Vec<&str> {
    let about_patient = d
        .item
        .rules
        .iter()
        .any(|r| PATIENT_RULES.contains(&r.rule.as_str()))
        || d.events.iter().any(is_patient_record);
    if !about_patient {
        return Vec::new();
    }
    let mut ids: Vec<&str> = d
        .item
        .subject
        .iter()
        .chain(d.events.iter().filter_map(|e| e.subject.as_ref()))
        .map(|s| s.as_str())
        .filter(|s| !s.is_empty())
        .collect();
    ids.sort_unstable();
    ids.dedup();
    ids
}

/// A record of access to a patient's chart: its subject is a patient.
fn is_patient_record(e: &vigil_domain::Event) -> bool {
    vigil_domain::is_patient_record_kind(e.kind.as_str())
}

fn masked(id: &str) -> String {
    vigil_domain::people::mask(id)
}

fn render_bottom(s: &State, t: &Theme, f: &mut Frame, area: Rect) {
    let line = match &s.mode {
        Mode::Filter(text) => {
            let count = match &s.queue.filter_count {
                Some((f, Ok(n))) if f == text => Span::styled(
                    format!("  {n} item{}", if *n == 1 { "" } else { "s" }),
                    t.muted(),
                ),
                Some((f, Err(e))) if f == text => Span::styled(format!("  {}", safe(e)), t.error()),
                _ => Span::styled("  …", t.muted()),
            };
            Line::from(vec![Span::raw(format!("/{}", safe(text))), count])
        }
        Mode::Palette { text, .. } => Line::from(vec![
            Span::raw(format!(":{}  ", safe(text))),
            Span::styled(
                "type words of a command; ↑↓ choose, Tab fills in, Enter runs, Esc cancels",
                t.muted(),
            ),
        ]),
        Mode::Reveal { item, text } => Line::from(format!(
            "why do you need item {item}'s patient identifiers? (recorded; Enter, Esc cancels): {}",
            safe(text)
        )),
        Mode::Investigate {
            inquiry,
            shown,
            text,
            ..
        } => Line::from(format!(
            "why do you need the {} {}? (recorded in the ledger; Enter runs, Esc cancels): {}",
            inquiry.describe(),
            safe(shown),
            safe(text)
        )),
        Mode::Comment { ids, text } => Line::from(format!(
            "note for {} item(s) (Enter saves, Esc cancels): {}",
            ids.len(),
            safe(text)
        )),
        Mode::Note {
            disposition, text, ..
        } => Line::from(format!(
            "note for {disposition} (Enter saves, Esc cancels): {}",
            safe(text)
        )),
        Mode::Confirm { prompt, .. } => Line::styled(safe(prompt), t.error()),
        Mode::IncidentUpdate { id, text } => Line::from(format!(
            "update incident {id} (status=… assignee=… outcome=… risk=yes|no note=…; Enter saves, Esc cancels): {}",
            safe(text)
        )),
        _ => match &s.message {
            Some((_, true)) => Line::styled(status_text(s).into_string(), t.error()),
            Some(_) => Line::from(status_text(s).into_string()),
            // the keys of the screen in front, not the queue's everywhere
            None => Line::styled(
                match s.screens.screen {
                    super::state::Screen::Queue if area.width >= 110 => {
                        "j/k move  Space mark  a benign  x violation  f false-pos  F follow-up  C claim  u undo  / filter  ? help  q quit"
                    }
                    super::state::Screen::Queue => {
                        "j/k move  Space mark  a benign  x violation  / filter  ? help  q quit"
                    }
                    super::state::Screen::Incidents if s.screens.open => {
                        "c update  Esc close  ? help  q quit"
                    }
                    super::state::Screen::Incidents => {
                        "j/k move  Enter open  c update  Esc back  ? help  q quit"
                    }
                    _ if s.screens.open => "Esc close  ? help  q quit",
                    _ => "j/k move  Enter open  Esc back  ? help  q quit",
                },
                t.muted(),
            ),
        },
    };
    let pulls = super::update::pulls_text(s);
    let w = (pulls.chars().count() as u16 + 1).min(area.width / 2);
    if pulls.is_empty() || w < 12 || !matches!(s.mode, Mode::Normal | Mode::Help) {
        f.render_widget(Paragraph::new(line), area);
        return;
    }
    let [left, right] = Layout::horizontal([Constraint::Min(1), Constraint::Length(w)]).areas(area);
    f.render_widget(Paragraph::new(line), left);
    let style = if s
        .background
        .pulls
        .values()
        .any(|p| matches!(p, super::state::Pull::Error { .. }))
        || !s.background.attention.is_empty()
    {
        t.error()
    } else {
        t.muted()
    };
    f.render_widget(
        Paragraph::new(Line::styled(pulls, style)).alignment(ratatui::layout::Alignment::Right),
        right,
    );
}
