//! Renders the review screen on the demo data to PNG and SVG, from the
//! same code that draws the terminal: `cargo run --example screenshots`
//! writes `screenshots/*.png` and `*.svg`, so the README's pictures never
//! drift from the code. The PNGs are the buffer's cells drawn with DejaVu
//! Sans Mono (Debian's fonts-dejavu-core, or `VIGIL_SCREENSHOT_FONT`);
//! block and line characters are drawn as shapes, so bars and borders
//! join as they do in a terminal.

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

fn hex(c: &str) -> [u8; 3] {
    let v = u32::from_str_radix(c.trim_start_matches('#'), 16).unwrap_or(0);
    [(v >> 16) as u8, (v >> 8) as u8, v as u8]
}

/// The fonts a PNG is drawn with: regular, bold, and a fallback for the
/// few symbols the monospaced face lacks.
struct Fonts {
    regular: ab_glyph::FontVec,
    bold: Option<ab_glyph::FontVec>,
    fallback: Option<ab_glyph::FontVec>,
}

impl Fonts {
    fn load() -> Option<Fonts> {
        let dir = "/usr/share/fonts/truetype/dejavu";
        let read = |p: &str| {
            std::fs::read(p)
                .ok()
                .and_then(|b| ab_glyph::FontVec::try_from_vec(b).ok())
        };
        let regular = match std::env::var("VIGIL_SCREENSHOT_FONT") {
            Ok(p) => read(&p)?,
            Err(_) => read(&format!("{dir}/DejaVuSansMono.ttf"))?,
        };
        Some(Fonts {
            regular,
            bold: read(&format!("{dir}/DejaVuSansMono-Bold.ttf")),
            fallback: read(&format!("{dir}/DejaVuSans.ttf")),
        })
    }
}

/// Cell size in pixels and the font size.
const CW: u32 = 9;
const CH: u32 = 18;
const PX: f32 = 15.0;

/// The buffer as an RGBA image: each cell's background, then its symbol.
fn png(b: &Buffer, fonts: &Fonts) -> Vec<u8> {
    use ab_glyph::{Font, ScaleFont};
    let (w, h) = (u32::from(b.area.width) * CW, u32::from(b.area.height) * CH);
    let mut img = vec![0u8; (w * h * 4) as usize];
    let mut put = |x: u32, y: u32, c: [u8; 3], a: f32| {
        if x >= w || y >= h {
            return;
        }
        let i = ((y * w + x) * 4) as usize;
        for k in 0..3 {
            let under = f32::from(img[i + k]);
            img[i + k] = (under + (f32::from(c[k]) - under) * a.clamp(0.0, 1.0)).round() as u8;
        }
        img[i + 3] = 255;
    };
    for y in 0..b.area.height {
        for x in 0..b.area.width {
            let c = &b[(x, y)];
            let reversed = c.modifier.contains(Modifier::REVERSED);
            let (fg, bg) = if reversed {
                (hex(rgb(c.bg, false)), hex(rgb(c.fg, true)))
            } else {
                (hex(rgb(c.fg, true)), hex(rgb(c.bg, false)))
            };
            let (px, py) = (u32::from(x) * CW, u32::from(y) * CH);
            for dy in 0..CH {
                for dx in 0..CW {
                    put(px + dx, py + dy, bg, 1.0);
                }
            }
            let Some(ch) = c.symbol().chars().next() else {
                continue;
            };
            if ch == ' ' {
                continue;
            }
            // shapes: blocks fill, shades blend, lines meet their neighbours
            let mut fill = |x0: u32, y0: u32, x1: u32, y1: u32, a: f32| {
                for yy in y0..y1 {
                    for xx in x0..x1 {
                        put(px + xx, py + yy, fg, a);
                    }
                }
            };
            let (mx, my) = (CW / 2, CH / 2);
            match ch {
                '█' => fill(0, 0, CW, CH, 1.0),
                '▁'..='▇' => {
                    let eighths = ch as u32 - '▁' as u32 + 1;
                    fill(0, CH - CH * eighths / 8, CW, CH, 1.0);
                }
                '░' => fill(0, 0, CW, CH, 0.25),
                '▒' => fill(0, 0, CW, CH, 0.5),
                '▓' => fill(0, 0, CW, CH, 0.75),
                '─' => fill(0, my, CW, my + 1, 1.0),
                '━' => fill(0, my - 1, CW, my + 2, 1.0),
                '│' => fill(mx, 0, mx + 1, CH, 1.0),
                '┌' => {
                    fill(mx, my, CW, my + 1, 1.0);
                    fill(mx, my, mx + 1, CH, 1.0);
                }
                '┐' => {
                    fill(0, my, mx + 1, my + 1, 1.0);
                    fill(mx, my, mx + 1, CH, 1.0);
                }
                '└' => {
                    fill(mx, my, CW, my + 1, 1.0);
                    fill(mx, 0, mx + 1, my + 1, 1.0);
                }
                '┘' => {
                    fill(0, my, mx + 1, my + 1, 1.0);
                    fill(mx, 0, mx + 1, my + 1, 1.0);
                }
                _ => {
                    let bold = c.modifier.contains(Modifier::BOLD);
                    let face = match (&fonts.bold, bold) {
                        (Some(b), true) => b,
                        _ => &fonts.regular,
                    };
                    let face = if face.glyph_id(ch).0 == 0 {
                        fonts.fallback.as_ref().unwrap_or(face)
                    } else {
                        face
                    };
                    let scaled = face.as_scaled(PX);
                    let glyph = scaled.scaled_glyph(ch);
                    let glyph = ab_glyph::Glyph {
                        position: ab_glyph::point(px as f32, py as f32 + 2.0 + scaled.ascent()),
                        ..glyph
                    };
                    if let Some(o) = face.outline_glyph(glyph) {
                        let r = o.px_bounds();
                        o.draw(|gx, gy, cov| {
                            put(r.min.x as u32 + gx, r.min.y as u32 + gy, fg, cov);
                        });
                    }
                }
            }
        }
    }
    let mut out = Vec::new();
    {
        let mut e = ::png::Encoder::new(&mut out, w, h);
        e.set_color(::png::ColorType::Rgba);
        e.set_depth(::png::BitDepth::Eight);
        let mut writer = e.write_header().expect("png header");
        writer.write_image_data(&img).expect("png data");
    }
    out
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
    let (config, store) = vigil_app::demo::load(&dir, Utc::now())?;
    let out = Path::new(env!("CARGO_MANIFEST_DIR")).join("screenshots");
    std::fs::create_dir_all(&out)?;
    let fonts = Fonts::load();
    if fonts.is_none() {
        eprintln!(
            "no DejaVu Sans Mono (apt-get install fonts-dejavu-core, or set VIGIL_SCREENSHOT_FONT): writing SVG only"
        );
    }
    let who = vigil_review::Reviewer {
        name: "alice".into(),
        session: "screenshots".into(),
    };
    for (name, filter, w, h, screen) in [
        ("queue", "", 140u16, 36u16, None),
        ("queue-ehr", "source:ehr-access", 140, 36, None),
        ("queue-80x24", "", 80, 24, None),
        ("help", "", 120, 32, Some("help")),
        ("dashboard", "", 140, 40, Some("dashboard")),
        ("risks", "", 120, 30, Some("risks")),
        ("coverage", "", 120, 36, Some("coverage")),
    ] {
        let mut s = State::new("alice".into(), "sqlite:demo/vigil.db".into(), vec![]);
        // the zone the screen itself would show, as `vigil` sets it
        s.zone = config.screen_zone();
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
                vigil_app::screens::load_detail(store.as_ref(), &patients, s.zone, first.id)?
            {
                update(&mut s, Action::DetailLoaded(Box::new(d)));
            }
        }
        match screen {
            Some("help") => s.mode = vigil_tui::Mode::Help,
            Some(other) => {
                let sc = vigil_tui::Screen::ALL
                    .into_iter()
                    .find(|x| x.name() == other)
                    .expect("a screen");
                s.screens.screen = sc;
                let l = vigil_app::screens::listing(store.as_ref(), &config, &who, sc, Utc::now())?;
                update(&mut s, Action::Listed(sc, l));
            }
            None => {}
        }
        let mut t = Terminal::new(TestBackend::new(w, h))?;
        t.draw(|f| render(&s, &Theme::default(), f))?;
        let path = out.join(format!("{name}.svg"));
        std::fs::write(&path, svg(t.backend().buffer()))?;
        println!("wrote {}", path.display());
        if let Some(fonts) = &fonts {
            let path = out.join(format!("{name}.png"));
            std::fs::write(&path, png(t.backend().buffer(), fonts))?;
            println!("wrote {}", path.display());
        }
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
