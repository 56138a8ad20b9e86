//! Renders the review screen on the demo data to SVG, from the same code
//! that draws the terminal: `cargo run --example screenshots` writes
//! `screenshots/*.svg`, so the README's pictures never drift from the code.

use std::fmt::Write as _;
use std::path::Path;

use chrono::Utc;
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use ratatui::buffer::Buffer;
use ratatui::style::{Color, Modifier};
use vigil_domain::query::Query;
use vigil_tui::state::WINDOW;
use vigil_tui::update::update;
use vigil_tui::view::{Theme, render};
use vigil_tui::{Action, State};

fn rgb(c: Color, fg: bool) -> &'static str {
    match c {
        Color::Red => "#e06c75",
        Color::LightRed => "#f0a0a0",
        Color::Yellow => "#e5c07b",
        Color::Gray => "#9da5b4",
        Color::DarkGray => "#6b7280",
        Color::Cyan => "#56b6c2",
        _ if fg => "#d7dae0",
        _ => "#1e2127",
    }
}

fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

fn svg(b: &Buffer) -> String {
    let (cw, ch) = (8.4, 17.0);
    let w = f64::from(b.area.width) * cw;
    let h = f64::from(b.area.height) * ch;
    let mut out = format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{w}\" height=\"{h}\" viewBox=\"0 0 {w} {h}\" font-family=\"DejaVu Sans Mono, Menlo, monospace\" font-size=\"14\">\n<rect width=\"100%\" height=\"100%\" fill=\"#1e2127\"/>\n"
    );
    for y in 0..b.area.height {
        for x in 0..b.area.width {
            let c = &b[(x, y)];
            let reversed = c.modifier.contains(Modifier::REVERSED);
            let (fg, bg) = if reversed {
                (rgb(c.bg, false), rgb(c.fg, true))
            } else {
                (rgb(c.fg, true), rgb(c.bg, false))
            };
            let (px, py) = (f64::from(x) * cw, f64::from(y) * ch);
            if bg != "#1e2127" {
                let _ = writeln!(
                    out,
                    "<rect x=\"{px}\" y=\"{py}\" width=\"{cw}\" height=\"{ch}\" fill=\"{bg}\"/>"
                );
            }
            let sym = c.symbol();
            if sym.trim().is_empty() {
                continue;
            }
            let weight = if c.modifier.contains(Modifier::BOLD) {
                " font-weight=\"bold\""
            } else {
                ""
            };
            let _ = writeln!(
                out,
                "<text x=\"{px}\" y=\"{}\" fill=\"{fg}\"{weight}>{}</text>",
                py + ch - 4.0,
                escape(sym)
            );
        }
    }
    out.push_str("</svg>\n");
    out
}

fn main() -> color_eyre::Result<()> {
    let dir = tempfile_dir()?;
    let (_config, store) = vigil_app::demo::load(&dir, Utc::now())?;
    let out = Path::new(env!("CARGO_MANIFEST_DIR")).join("screenshots");
    std::fs::create_dir_all(&out)?;
    for (name, filter, w, h, help) in [
        ("queue", "", 140u16, 36u16, false),
        ("queue-ehr", "source:ehr-access", 140, 36, false),
        ("queue-80x24", "", 80, 24, false),
        ("help", "", 120, 32, true),
    ] {
        let mut s = State::new("alice".into(), "sqlite:demo/vigil.db".into(), vec![]);
        let q = Query::parse(filter)?;
        update(&mut s, Action::Resized(u64::from(h)));
        s.queue.filter = filter.to_owned();
        update(
            &mut s,
            Action::Loaded {
                offset: 0,
                total: store.count_items(&q)?,
                items: store.items_page(&q, 0, WINDOW)?,
            },
        );
        if let Some(first) = s.queue.items.first().cloned() {
            let patients = vigil_app::screens::Patients::of(store.as_ref())?;
            // the detail pane as the screen's worker loads it, masks and all
            if let Some(d) =
                vigil_app::screens::load_detail(store.as_ref(), &patients, None, first.id)?
            {
                update(&mut s, Action::DetailLoaded(Box::new(d)));
            }
        }
        if help {
            s.mode = vigil_tui::Mode::Help;
        }
        let mut t = Terminal::new(TestBackend::new(w, h))?;
        t.draw(|f| render(&s, &Theme::default(), f))?;
        let path = out.join(format!("{name}.svg"));
        std::fs::write(&path, svg(t.backend().buffer()))?;
        println!("wrote {}", path.display());
    }
    let _ = std::fs::remove_dir_all(&dir);
    Ok(())
}

fn tempfile_dir() -> std::io::Result<std::path::PathBuf> {
    let d = std::env::temp_dir().join(format!("vigil-screenshots-{}", std::process::id()));
    if d.exists() {
        std::fs::remove_dir_all(&d)?;
    }
    std::fs::create_dir_all(&d)?;
    Ok(d)
}
