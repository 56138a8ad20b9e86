//! Parser throughput without the store: `cargo run --release --example
//! parse-only -- KIND FILE` reads FILE as KIND and prints records and
//! events per second, to tell parsing cost from storage cost.

use std::time::Instant;

use vigil_sources::tail::LineReader;
use vigil_sources::{ParserOptions, SourceKind};

// The same allocator as the binary, so the figures are comparable.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> std::io::Result<()> {
    let mut args = std::env::args().skip(1);
    let kind: SourceKind = args
        .next()
        .expect("usage: parse-only KIND FILE")
        .parse()
        .expect("a source kind");
    let path = args.next().expect("usage: parse-only KIND FILE");
    let start = Instant::now();
    let mut reader = LineReader::new(std::fs::File::open(&path)?, 0, true)?;
    let mut parser = kind.parser(None, &ParserOptions::default(), chrono::Utc::now(), "");
    let (mut records, mut events, mut rejects) = (0u64, 0u64, 0u64);
    let mut out = Vec::with_capacity(5000);
    while let Some((offset, line)) = reader.next_line()? {
        records += 1;
        if parser.parse(line, offset, &mut out).is_err() {
            rejects += 1;
        }
        rejects += parser.rejects().len() as u64;
        events += out.len() as u64;
        out.clear();
    }
    parser.finish(&mut out);
    events += out.len() as u64;
    let secs = start.elapsed().as_secs_f64();
    println!(
        "{kind}: {records} records, {events} events, {rejects} rejected in {secs:.2} s: {:.0} records/s",
        records as f64 / secs
    );
    Ok(())
}
