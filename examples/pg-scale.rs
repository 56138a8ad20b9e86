//! PostgreSQL at a health system's volume, for `bench/pg-scale.sh`:
//! `cargo run --release --example pg-scale -- URL EVENTS [HOSTS] [DAYS]`.
//!
//! HOSTS collectors (threads, each its own connection and collector name)
//! ingest an EHR access report of EVENTS rows in all, one file per host and
//! day over the DAYS days before today, through the real ingest path (CSV
//! parser, binary COPY, by-actor and by-patient indexes, day partitions).
//! It prints the ingest rate in each tenth of the load (flat, or not), then
//! times what a reviewer does on the full store: the queue's first page, a
//! filter count, an actor's day and a patient's accesses, and last pruning
//! the oldest 30 days (`PRUNE_DAYS`). With `SKIP_INGEST=1` it only times the
//! reads and the prune on the store as it is.

use std::io::{BufWriter, Write};
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use vigil_app::ingest::{FileSource, read_file};
use vigil_domain::query::Query;
use vigil_domain::rng::Rng;
use vigil_domain::{ItemKind, Severity};
use vigil_sources::SourceKind;
use vigil_store::{NewItem, PgStore, Store, StoreUrl};

const PEOPLE: u64 = 10_000;
const PATIENTS: u64 = 2_000_000;
const DAY_US: i64 = 86_400_000_000;

fn pg(url: &str, host: &str) -> color_eyre::Result<PgStore> {
    let StoreUrl::Postgres(t) = StoreUrl::parse(url, None)? else {
        color_eyre::eyre::bail!("pg-scale needs a postgres:// URL");
    };
    let mut s = PgStore::open(&t)?.with_collector(host);
    s.migrate()?;
    Ok(s)
}

fn source(s: &mut dyn Store) -> color_eyre::Result<FileSource> {
    let id = s.ensure_source("ehr", "access-csv")?;
    Ok(FileSource {
        id,
        name: "ehr".into(),
        kind: SourceKind::AccessCsv,
        zone: None,
        options: vigil_sources::ParserOptions {
            columns: Some(vigil_sources::access_csv::CsvColumns {
                actor: "user".into(),
                subject: "mrn".into(),
                occurred_at: "time".into(),
                action: Some("action".into()),
                outcome: None,
                client: Some("workstation".into()),
                host: None,
                detail: None,
                time_format: None,
            }),
            ..Default::default()
        },
    })
}

/// One day of one host's access report: `rows` accesses in time order.
fn write_day(path: &std::path::Path, day: i64, rows: u64, rng: &mut Rng) -> std::io::Result<()> {
    let mut w = BufWriter::new(std::fs::File::create(path)?);
    writeln!(w, "user,mrn,time,action,workstation")?;
    let step = DAY_US / rows.max(1) as i64;
    for i in 0..rows {
        let at = DateTime::<Utc>::from_timestamp_micros(day * DAY_US + i as i64 * step)
            .expect("in range");
        let action = match rng.below(10) {
            0 => "print",
            1..=2 => "edit note",
            _ => "view chart",
        };
        writeln!(
            w,
            "u{:05},MRN{:07},{},{action},WS{:03}",
            rng.below(PEOPLE),
            rng.below(PATIENTS),
            at.format("%Y-%m-%dT%H:%M:%S%.6fZ"),
            rng.below(400)
        )?;
    }
    w.flush()
}

fn median(f: &mut dyn FnMut() -> color_eyre::Result<()>) -> color_eyre::Result<Duration> {
    let mut t = Vec::new();
    for _ in 0..5 {
        let s = Instant::now();
        f()?;
        t.push(s.elapsed());
    }
    t.sort();
    Ok(t[2])
}

/// The collectors' load, with the rate in each tenth of it.
fn load(
    url: &str,
    events: u64,
    hosts: u64,
    first: i64,
    today: i64,
    per_file: u64,
) -> color_eyre::Result<()> {
    let days = today - first;
    let work = tempfile::tempdir()?;
    let done = AtomicU64::new(0);
    let marks: Mutex<Vec<(u64, Instant)>> = Mutex::new(vec![(0, Instant::now())]);
    let start = Instant::now();
    std::thread::scope(|scope| -> color_eyre::Result<()> {
        let workers: Vec<_> = (0..hosts)
            .map(|h| {
                let (url, dir, done, marks) = (url, work.path(), &done, &marks);
                scope.spawn(move || -> color_eyre::Result<()> {
                    let mut s = pg(url, &format!("collector-{h}"))?;
                    let src = source(&mut s)?;
                    let mut rng = Rng::new(h + 1);
                    for d in first..today {
                        let path = dir.join(format!("h{h}-d{d}.csv"));
                        write_day(&path, d, per_file, &mut rng)?;
                        let r = read_file(&mut s, &src, &path, true, None)?;
                        std::fs::remove_file(&path)?;
                        let before = done.fetch_add(r.events, Ordering::SeqCst);
                        let tenth = (events / 10).max(1);
                        if (before + r.events) / tenth > before / tenth {
                            marks
                                .lock()
                                .unwrap()
                                .push((before + r.events, Instant::now()));
                        }
                    }
                    Ok(())
                })
            })
            .collect();
        for w in workers {
            w.join().expect("collector thread")?;
        }
        Ok(())
    })?;
    let total = done.load(Ordering::SeqCst);
    let mut marks = marks.into_inner().unwrap();
    if marks.last().is_some_and(|m| m.0 < total) {
        marks.push((total, Instant::now()));
    }
    let secs = start.elapsed().as_secs_f64();
    println!(
        "ingest: {total} events from {hosts} collectors over {days} days in {secs:.1} s ({:.0} events/s)",
        total as f64 / secs
    );
    for w in marks.windows(2) {
        let (n, t) = (w[1].0 - w[0].0, w[1].1 - w[0].1);
        println!(
            "  events {:>11} to {:>11}: {:>8.0} events/s",
            w[0].0,
            w[1].0,
            n as f64 / t.as_secs_f64()
        );
    }

    Ok(())
}

fn main() -> color_eyre::Result<()> {
    let mut args = std::env::args().skip(1);
    let usage = "usage: pg-scale URL EVENTS [HOSTS] [DAYS]";
    let url = args.next().expect(usage);
    let events: u64 = args.next().and_then(|n| n.parse().ok()).expect(usage);
    let hosts: u64 = args.next().and_then(|n| n.parse().ok()).unwrap_or(2);
    let days: i64 = args.next().and_then(|n| n.parse().ok()).unwrap_or(60);
    let today = Utc::now().timestamp_micros().div_euclid(DAY_US);
    let first = today - days;
    let per_file = events / hosts / days as u64;

    let skip = std::env::var("SKIP_INGEST").is_ok_and(|v| v == "1");
    if !skip {
        load(&url, events, hosts, first, today, per_file)?;
    }
    let mut s = pg(&url, "reviewer")?;
    // A queue as the rules leave it: 20,000 items, each holding a few of
    // the events, so pruning has evidence to keep.
    let mut rng = Rng::new(99);
    let max_id = events as i64;
    let items: Vec<NewItem> = (0..20_000)
        .map(|i| NewItem {
            kind: ItemKind::Finding,
            source_id: None,
            occurred_at: DateTime::<Utc>::from_timestamp_micros(
                (first + rng.below(days as u64) as i64) * DAY_US,
            )
            .expect("in range"),
            actor: Some(format!("u{:05}", rng.below(PEOPLE))),
            subject: Some(format!("MRN{:07}", rng.below(PATIENTS))),
            title: format!("unexplained access {i}"),
            severity: Severity::Medium,
            group_key: Some(format!("scale:{i}")),
            rules: vec![("unexplained-access".into(), "no encounter".into())],
            event_ids: (0..3)
                .map(|_| 1 + rng.below(max_id as u64) as i64)
                .collect(),
            score: rng.below(1000) as i64,
            score_note: None,
        })
        .collect();
    if !skip {
        s.add_items(&items)?;
    }

    let day = |d: i64| {
        DateTime::<Utc>::from_timestamp_micros(d * DAY_US)
            .expect("in range")
            .format("%Y-%m-%d")
            .to_string()
    };
    // the days a reviewer looks at: last week's
    let mid = today - 5;
    let queue = Query::parse("status:new")?;
    let t = median(&mut || {
        s.items_page(&queue, 0, 50)?;
        Ok(())
    })?;
    println!(
        "queue first page (50 of 20,000 items): {:.1} ms",
        t.as_secs_f64() * 1e3
    );
    let f = Query::parse(&format!(
        "action:print after:{} before:{}",
        day(mid),
        day(mid + 1)
    ))?;
    let mut n = 0;
    let t = median(&mut || {
        n = s.count_events(&f)?;
        Ok(())
    })?;
    println!(
        "filter count (action:print, one day): {n} events in {:.1} ms",
        t.as_secs_f64() * 1e3
    );
    let f = Query::parse(&format!(
        "actor:u00042 after:{} before:{}",
        day(first),
        day(today)
    ))?;
    let t = median(&mut || {
        n = s.count_events(&f)?;
        Ok(())
    })?;
    println!(
        "filter count (one actor, all {days} days): {n} events in {:.1} ms",
        t.as_secs_f64() * 1e3
    );
    let from = DateTime::<Utc>::from_timestamp_micros(mid * DAY_US).expect("in range");
    let to = from + chrono::Duration::days(1);
    let mut got = 0;
    let t = median(&mut || {
        got = s.actor_activity("u00042", from, to)?.len();
        Ok(())
    })?;
    println!(
        "an actor's day: {got} events in {:.1} ms",
        t.as_secs_f64() * 1e3
    );
    let t = median(&mut || {
        got = s
            .patient_event_ids(
                "MRN0000042",
                DateTime::<Utc>::from_timestamp_micros(first * DAY_US).expect("in range"),
                Utc::now(),
            )?
            .len();
        Ok(())
    })?;
    println!(
        "a patient's accesses, all {days} days: {got} in {:.1} ms",
        t.as_secs_f64() * 1e3
    );
    let prune: i64 = std::env::var("PRUNE_DAYS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(30);
    let cut = DateTime::<Utc>::from_timestamp_micros((first + prune) * DAY_US).expect("in range");
    let start = Instant::now();
    let removed = s.prune_events(cut)?;
    println!(
        "pruning the oldest {prune} days: {removed} events removed in {:.1} s",
        start.elapsed().as_secs_f64()
    );
    Ok(())
}
