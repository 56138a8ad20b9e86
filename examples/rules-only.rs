//! The rules' cost alone, without parsing or the store in the timing:
//! `cargo run --release --example rules-only -- FILE` parses an auth log
//! in batches of 5,000 events and times only the rules evaluating them (as
//! the ingest's rules thread does), to tell the rules' cost from the rest.

use std::time::{Duration, Instant};

use vigil_rules::{Engine, RulesConfig, view_new};
use vigil_sources::tail::LineReader;
use vigil_sources::{ParserOptions, SourceKind};
use vigil_store::{SqliteStore, Store};

// The same allocator as the binary, so the figures are comparable.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> color_eyre::Result<()> {
    let path = std::env::args().nth(1).expect("usage: rules-only FILE");
    let dir = tempfile::tempdir()?;
    let mut store = SqliteStore::open(&dir.path().join("r.db"))?;
    store.migrate()?;
    let source = store.ensure_source("auth", "syslog")?;
    let now = chrono::Utc::now();
    let mut engine = Engine::new(&RulesConfig::default(), Default::default(), &store, now)?;
    let mut reader = LineReader::new(std::fs::File::open(&path)?, 0, true)?;
    let mut parser = SourceKind::Syslog.parser(None, &ParserOptions::default(), now, "");
    let mut batch = Vec::with_capacity(5000);
    let mut id = 0i64;
    let mut spent = Duration::ZERO;
    let mut found = 0u64;
    let mut events = 0u64;
    let mut run = |batch: &mut Vec<vigil_domain::NewEvent>, engine: &mut Engine| {
        let ids: Vec<i64> = (0..batch.len() as i64).map(|i| id + i + 1).collect();
        id += batch.len() as i64;
        let t = Instant::now();
        let views: Vec<_> = batch
            .iter()
            .zip(&ids)
            .map(|(e, i)| view_new(source, *i, e))
            .collect();
        let p = engine.evaluate_primed(&views);
        drop(views);
        batch.clear();
        spent += t.elapsed();
        found += p.report.findings;
        events += p.report.events;
    };
    while let Some((offset, line)) = reader.next_line()? {
        let _ = parser.parse(line, offset, &mut batch);
        if batch.len() >= 5000 {
            run(&mut batch, &mut engine);
        }
    }
    parser.finish(&mut batch);
    run(&mut batch, &mut engine);
    println!(
        "{events} events, {found} findings: rules {:.3} s ({:.0} events/s)",
        spent.as_secs_f64(),
        events as f64 / spent.as_secs_f64()
    );
    Ok(())
}
