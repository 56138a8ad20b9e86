//! Review-screen benchmark: `cargo run --release --example tui-bench -- DB`
//! opens the store the way `vigil` does and times, from process start, the
//! first full frame (store opened, queue counted, first page and the first
//! item's detail loaded, drawn at 160x48 into ratatui's TestBackend); then
//! the per-key cost on the UI thread (the reducer plus a full render) for
//! `j`, `G`, PageDown and a filter keystroke, 200 presses each, median and
//! p99. The page loads those keys ask for run on the worker thread in the
//! real program; their time is reported apart. Peak RSS from /proc.

use std::time::{Duration, Instant};

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use vigil_domain::query::Query;
use vigil_store::{Store, StoreUrl};
use vigil_tui::state::WINDOW;
use vigil_tui::update::update;
use vigil_tui::view::{Theme, render};
use vigil_tui::{Action, Detail, Effect, State};

#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// Runs an effect as the worker would, returning the action it produces.
fn run(store: &dyn Store, fx: &Effect) -> Option<Action> {
    match fx {
        Effect::LoadPage { filter, offset } => {
            let q = Query::parse(filter).ok()?;
            Some(Action::Loaded {
                offset: *offset,
                total: store.count_items(&q).ok()?,
                items: store.items_page(&q, *offset, WINDOW).ok()?,
            })
        }
        Effect::LoadDetail(id) => {
            let item = store.item(*id).ok()??;
            let ids: Vec<i64> = item.event_ids.iter().take(50).copied().collect();
            let events = store
                .events_by_id(&ids)
                .ok()?
                .into_iter()
                .map(|(e, _)| e)
                .collect();
            Some(Action::DetailLoaded(Box::new(Detail {
                decisions: store.decisions(*id).ok()?,
                history: store.ledger_for(&format!("item:{id}")).ok()?,
                item,
                events,
                related: Vec::new(),
                phi: Vec::new(),
                explanations: Vec::new(),
            })))
        }
        Effect::CountFilter(f) => {
            let q = Query::parse(f).ok()?;
            Some(Action::FilterCounted(
                f.clone(),
                Ok(store.count_items(&q).ok()?),
            ))
        }
        _ => None,
    }
}

fn settle(s: &mut State, store: &dyn Store, fx: Vec<Effect>) -> Duration {
    let t = Instant::now();
    let mut queue = fx;
    while let Some(fx) = queue.pop() {
        if let Some(a) = run(store, &fx) {
            queue.extend(update(s, a));
        }
    }
    t.elapsed()
}

fn percentile(v: &mut [f64], p: f64) -> f64 {
    v.sort_by(|a, b| a.total_cmp(b));
    v[((v.len() as f64 - 1.0) * p).round() as usize]
}

fn peak_rss_mib() -> f64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM:"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|k| k.parse::<f64>().ok())
        })
        .unwrap_or(0.0)
        / 1024.0
}

fn main() -> color_eyre::Result<()> {
    let start = Instant::now();
    let db = std::env::args().nth(1).expect("usage: tui-bench DB");
    let url = StoreUrl::parse(&db, None)?;
    let store = url.open()?;
    let theme = Theme::default();
    let mut term = Terminal::new(TestBackend::new(160, 48))?;
    let mut s = State::new("bench".into(), url.to_string(), vec![]);
    let mut fx = update(&mut s, Action::Resized(45));
    fx.push(Effect::LoadPage {
        filter: String::new(),
        offset: 0,
    });
    settle(&mut s, store.as_ref(), fx);
    term.draw(|f| render(&s, &theme, f))?;
    let first = start.elapsed();
    println!(
        "first full frame: {:.1} ms ({} items in the queue, {} loaded)",
        first.as_secs_f64() * 1000.0,
        s.queue.total,
        s.queue.items.len()
    );

    let key = |c: KeyCode| Action::Key(KeyEvent::new(c, KeyModifiers::NONE));
    let cases: [(&str, Vec<Action>); 4] = [
        ("j", vec![key(KeyCode::Char('j'))]),
        (
            "G (then g)",
            vec![key(KeyCode::Char('G')), key(KeyCode::Char('g'))],
        ),
        ("PageDown", vec![key(KeyCode::PageDown)]),
        ("filter keystroke", vec![key(KeyCode::Char('a'))]),
    ];
    for (name, keys) in cases {
        if name == "filter keystroke" {
            update(&mut s, key(KeyCode::Char('/')));
        }
        let mut ui = Vec::new();
        let mut worker = Vec::new();
        for i in 0..200 {
            let k = keys[i % keys.len()].clone();
            let t = Instant::now();
            let fx = update(&mut s, k);
            term.draw(|f| render(&s, &theme, f))?;
            ui.push(t.elapsed().as_secs_f64() * 1000.0);
            worker.push(settle(&mut s, store.as_ref(), fx).as_secs_f64() * 1000.0);
            if name == "filter keystroke" && i % 20 == 19 {
                // keep the filter short: clear it now and then
                for _ in 0..20 {
                    update(&mut s, key(KeyCode::Backspace));
                }
            }
        }
        let (m, p) = (percentile(&mut ui, 0.5), percentile(&mut ui, 0.99));
        let (wm, wp) = (percentile(&mut worker, 0.5), percentile(&mut worker, 0.99));
        println!(
            "{name:<18} UI thread median {m:6.2} ms  p99 {p:6.2} ms   worker (page/count load) median {wm:6.2} ms  p99 {wp:6.2} ms"
        );
    }
    println!("peak RSS: {:.1} MiB", peak_rss_mib());
    Ok(())
}
