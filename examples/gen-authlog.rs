//! Writes an N-line auth log for the ingest benchmark:
//! `cargo run --release --example gen-authlog -- LINES FILE [rfc3164|rfc3339] [bastion]`.
//! `bastion` writes an internet-facing bastion's mix instead: most lines
//! password guessing from addresses across the whole IPv4 space.

use std::fs::File;
use std::io::BufWriter;

use chrono::{DateTime, Utc};
use vigil_app::demo::authlog::{Header, write_bastion_log, write_bench_log};

fn main() -> std::io::Result<()> {
    let mut args = std::env::args().skip(1);
    let usage = "usage: gen-authlog LINES FILE [rfc3164|rfc3339] [bastion]";
    let lines: u64 = args.next().and_then(|n| n.parse().ok()).expect(usage);
    let path = args.next().expect(usage);
    let header = match args.next().as_deref() {
        None | Some("rfc3164") => Header::Rfc3164(None),
        Some("rfc3339") => Header::Rfc3339,
        Some(_) => panic!("{usage}"),
    };
    let start: DateTime<Utc> = "2026-10-01T00:00:00Z".parse().expect("valid start");
    let mut w = BufWriter::new(File::create(&path)?);
    if args.next().as_deref() == Some("bastion") {
        let distinct = write_bastion_log(&mut w, lines, 42, start, header)?;
        eprintln!("{lines} lines, {distinct} distinct scanner addresses");
    } else {
        write_bench_log(&mut w, lines, 42, start, header)?;
    }
    Ok(())
}
