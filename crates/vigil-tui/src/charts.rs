//! Pictures above a screen's rows: gauges, bar charts, sparklines and a
//! likelihood × impact grid, drawn from `Picture`s (plain numbers the app
//! worked out). Each one is readable without colour: gauges fill with a
//! different symbol than they leave empty, bars and sparklines are block
//! characters, and the grid's cells say their count and band in words.

use ratatui::Frame;
use ratatui::layout::{Direction, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Bar, BarChart, BarGroup, LineGauge, Paragraph, Sparkline};

use super::theme::Theme;
use vigil_app::screens::Picture;
use vigil_domain::Severity;

/// At most this many bars or sparklines in one picture: the rows below
/// list them all.
const MOST_LINES: usize = 8;

/// The lines a picture takes, its title included.
pub fn height(p: &Picture) -> u16 {
    let body = match p {
        Picture::Gauges(g) => g.len(),
        // the bars, and a line of dates under them
        Picture::Histogram { .. } => 5,
        Picture::Bars { bars, .. } => bars.len().min(MOST_LINES),
        Picture::Sparks { series, .. } => series.len().min(MOST_LINES),
        // a header line of impact names, then the rows
        Picture::Grid { rows, .. } => rows.len() + 1,
    };
    body as u16 + 1
}

/// Draws as many whole pictures as fit in `area`, in order, side by side
/// in two columns when the screen is wide; returns the height used.
pub fn draw_all(pictures: &[Picture], t: &Theme, f: &mut Frame, area: Rect) -> u16 {
    let columns = if area.width >= 110 && pictures.len() > 1 {
        2
    } else {
        1
    };
    let width = area.width / columns;
    let mut used = [0u16; 2];
    for p in pictures {
        // the column with more room left
        let c = if columns == 2 && used[1] < used[0] {
            1
        } else {
            0
        };
        let h = height(p);
        if used[c] + h > area.height {
            continue;
        }
        let r = Rect {
            x: area.x + width * c as u16,
            y: area.y + used[c],
            width: width.saturating_sub(if columns == 2 && c == 0 { 2 } else { 0 }),
            height: h,
        };
        draw(p, t, f, r);
        // a blank line between pictures in a column
        used[c] += h + 1;
    }
    used.iter().copied().max().unwrap_or(0).min(area.height)
}

fn draw(p: &Picture, t: &Theme, f: &mut Frame, area: Rect) {
    let title = |s: &str| Line::styled(s.to_owned(), t.title());
    let body = Rect {
        y: area.y + 1,
        height: area.height.saturating_sub(1),
        ..area
    };
    let line = |i: usize| Rect {
        y: body.y + i as u16,
        height: 1,
        ..body
    };
    match p {
        Picture::Gauges(gauges) => {
            f.render_widget(Paragraph::new(title("last 30 days")), area);
            let lw = gauges
                .iter()
                .map(|(l, _)| l.chars().count())
                .max()
                .unwrap_or(0);
            for (i, (label, pct)) in gauges.iter().enumerate() {
                let r = line(i);
                match pct {
                    Some(pct) => f.render_widget(
                        LineGauge::default()
                            .ratio((pct / 100.0).clamp(0.0, 1.0))
                            .label(format!("{label:<lw$} {pct:>5.1}%"))
                            .filled_symbol("█")
                            .unfilled_symbol("░")
                            .filled_style(gauge_style(t, *pct))
                            .unfilled_style(t.muted()),
                        r,
                    ),
                    None => f.render_widget(
                        Paragraph::new(Line::from(vec![
                            Span::raw(format!("{label:<lw$}      -  ")),
                            Span::styled("nothing to measure yet", t.muted()),
                        ])),
                        r,
                    ),
                }
            }
        }
        Picture::Histogram { title: name, bars } => {
            let (Some(first), Some(last)) = (bars.first(), bars.last()) else {
                return;
            };
            let most = bars.iter().map(|b| b.1).max().unwrap_or(0);
            f.render_widget(
                Paragraph::new(title(&format!("{name} (highest {most})"))),
                area,
            );
            let n = bars.len() as u16;
            // as wide as the days allow, a gap between bars
            let bw = (body.width / n.max(1)).saturating_sub(1).clamp(1, 3);
            let chart = BarChart::default()
                .bar_width(bw)
                .bar_gap(1)
                .bar_set(ratatui::symbols::bar::NINE_LEVELS)
                .bar_style(t.title())
                .data(
                    BarGroup::default().bars(
                        &bars
                            .iter()
                            .map(|(_, v)| Bar::default().value(*v).text_value(String::new()))
                            .collect::<Vec<_>>(),
                    ),
                );
            let bars_area = Rect {
                height: body.height.saturating_sub(1),
                ..body
            };
            f.render_widget(chart, bars_area);
            // the first and last day under the bars
            let drawn = usize::from((bw + 1) * n).min(usize::from(body.width));
            let (first, last) = (&first.0, &last.0);
            let axis = format!(
                "{first}{:>w$}",
                last,
                w = drawn.saturating_sub(first.len()).max(last.len())
            );
            f.render_widget(Paragraph::new(Line::styled(axis, t.muted())), line(4));
        }
        Picture::Bars { title: name, bars } => {
            f.render_widget(Paragraph::new(title(name)), area);
            let shown = &bars[..bars.len().min(MOST_LINES)];
            let lw = shown
                .iter()
                .map(|(l, _)| l.chars().count())
                .max()
                .unwrap_or(0)
                .min(20) as u16;
            // the value beside its label, not over the bar
            let vw = shown
                .iter()
                .map(|(_, v)| v.to_string().len())
                .max()
                .unwrap_or(1);
            let chart = BarChart::default()
                .direction(Direction::Horizontal)
                .bar_width(1)
                .bar_gap(0)
                .bar_style(t.title())
                .label_style(ratatui::style::Style::default())
                .data(
                    BarGroup::default().bars(
                        &shown
                            .iter()
                            .map(|(l, v)| {
                                let label: String = l.chars().take(usize::from(lw)).collect();
                                Bar::default()
                                    .value(*v)
                                    .label(Line::from(format!(
                                        "{label:<w$} {v:>vw$}",
                                        w = usize::from(lw)
                                    )))
                                    .text_value(String::new())
                            })
                            .collect::<Vec<_>>(),
                    ),
                );
            f.render_widget(chart, body);
        }
        Picture::Sparks {
            title: name,
            series,
        } => {
            f.render_widget(Paragraph::new(title(name)), area);
            let lw = series
                .iter()
                .map(|(l, _)| l.chars().count())
                .max()
                .unwrap_or(0)
                .min(16);
            for (i, (label, values)) in series.iter().take(MOST_LINES).enumerate() {
                let r = line(i);
                let total: u64 = values.iter().sum();
                let tail = format!(" {total}");
                let label: String = label.chars().take(lw).collect();
                f.render_widget(Paragraph::new(format!("{label:<lw$} ")), r);
                let room = r.width.saturating_sub(lw as u16 + 1 + tail.len() as u16);
                // the latest days that fit
                let shown = &values[values.len().saturating_sub(usize::from(room))..];
                let spark = Rect {
                    x: r.x + lw as u16 + 1,
                    width: (shown.len() as u16).min(room),
                    ..r
                };
                f.render_widget(
                    Sparkline::default()
                        .data(shown)
                        .style(t.title())
                        .absent_value_symbol("·"),
                    spark,
                );
                f.render_widget(
                    Paragraph::new(Line::styled(tail, t.muted())),
                    Rect {
                        x: spark.x + spark.width,
                        width: r.width.saturating_sub(spark.x + spark.width - r.x),
                        ..r
                    },
                );
            }
        }
        Picture::Grid {
            title: name,
            rows,
            columns,
            cells,
        } => {
            f.render_widget(Paragraph::new(title(name)), area);
            let lw = rows
                .iter()
                .map(|l| l.chars().count())
                .max()
                .unwrap_or(0)
                .min(16);
            let room = usize::from(body.width).saturating_sub(lw + 1);
            let cw = (room / columns.len().max(1)).clamp(6, 12);
            let mut lines = vec![Line::styled(
                format!(
                    "{:<lw$} {}",
                    "",
                    columns
                        .iter()
                        .map(|c| format!("{:<cw$}", c.chars().take(cw - 1).collect::<String>()))
                        .collect::<String>()
                ),
                t.muted(),
            )];
            for (label, row) in rows.iter().zip(cells) {
                let mut spans = vec![Span::raw(format!(
                    "{:<lw$} ",
                    label.chars().take(lw).collect::<String>()
                ))];
                for (n, level) in row {
                    let count = if *n == 0 {
                        "·".to_owned()
                    } else {
                        n.to_string()
                    };
                    let cell: String = format!("{count} {level}").chars().take(cw - 1).collect();
                    spans.push(Span::styled(format!("{cell:<cw$}"), level_style(t, level)));
                }
                lines.push(Line::from(spans));
            }
            f.render_widget(Paragraph::new(lines), body);
        }
    }
}

/// A share's colour: the higher the better.
fn gauge_style(t: &Theme, pct: f64) -> ratatui::style::Style {
    if pct >= 90.0 {
        t.title()
    } else if pct >= 50.0 {
        t.severity(Severity::Medium)
    } else {
        t.error()
    }
}

fn level_style(t: &Theme, level: &str) -> ratatui::style::Style {
    match level {
        "low" => t.severity(Severity::Low),
        "medium" => t.severity(Severity::Medium),
        "high" => t.severity(Severity::High),
        _ => t.severity(Severity::Critical),
    }
}
