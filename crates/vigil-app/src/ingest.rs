//! Reading file sources into the store: resolve each file against its
//! checkpoint, parse from there, and commit events, quarantined lines and the
//! new checkpoint together in batches.

use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use color_eyre::eyre::{Result, WrapErr};
use serde::Serialize;

use std::sync::Mutex;
use std::sync::mpsc::SyncSender;

use vigil_domain::NewEvent;
use vigil_rules::{Engine, EvalReport, Pending, view_new};
use vigil_sources::tail::{FileInfo, HEAD_LEN, LineReader, Resolution, head_hash, resolve};
use vigil_sources::{ParserOptions, RecordParser, SourceKind};
use vigil_store::{Batch, CheckpointMoved, Gap, Quarantined, SourceId, Store, Stream};

/// Records handed to the store at a time: keeps memory flat on a huge file.
const BATCH: usize = 5_000;
/// Records per transaction: large enough that index upkeep is amortized.
const COMMIT_EVERY: usize = 200_000;
/// Records whose findings are gathered before their items are written (at
/// a commit): one write per item for a million lines, rather than one per
/// commit, with memory still bounded on a long import.
const APPLY_EVERY: usize = 1_000_000;
/// Raw bytes kept of a quarantined line.
pub(crate) const MAX_QUARANTINE_RAW: usize = 64 * 1024;

/// A record that could not be read, for quarantine, its bytes capped.
pub(crate) fn quarantined(offset: u64, reason: String, raw: &[u8]) -> Quarantined {
    Quarantined {
        offset: Some(offset),
        reason,
        raw: raw[..raw.len().min(MAX_QUARANTINE_RAW)].to_vec(),
    }
}

/// A file source as the reader needs it.
#[derive(Debug, Clone)]
pub struct FileSource {
    pub id: SourceId,
    pub name: String,
    pub kind: SourceKind,
    pub zone: Option<Tz>,
    pub options: ParserOptions,
}

/// What reading one file did.
#[derive(Debug, Clone, Default, Serialize, PartialEq, Eq)]
pub struct FileReport {
    pub path: String,
    pub events: u64,
    pub duplicates: u64,
    pub quarantined: u64,
    pub gaps: u64,
    /// Clinical context records (encounters…) stored.
    pub context: u64,
    pub bytes: u64,
    pub note: Option<String>,
    /// How the records were read, when a setting was detected rather than
    /// configured (pgaudit's `log_line_prefix`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub notice: Option<String>,
    /// What the rules made of the new events.
    #[serde(skip)]
    pub rules: EvalReport,
    /// Why the file could not be read (its `note` says so too): the pull
    /// reports the source as failing.
    #[serde(skip)]
    pub error: Option<String>,
}

impl FileReport {
    /// A file that could not be read, for the reason given.
    pub fn failed(path: String, why: String) -> FileReport {
        let mut r = FileReport {
            path,
            ..FileReport::default()
        };
        r.fail(why);
        r
    }

    /// Marks the file as not read for `why`, which its note says too.
    pub fn fail(&mut self, why: String) {
        self.note = Some(format!("error: {why}"));
        self.error = Some(why);
    }

    pub fn add(&mut self, other: &FileReport) {
        self.events += other.events;
        self.context += other.context;
        self.duplicates += other.duplicates;
        self.quarantined += other.quarantined;
        self.gaps += other.gaps;
        self.bytes += other.bytes;
    }
}

fn gap_reason(s: &Stream, now_path: &Path) -> String {
    format!(
        "{} was truncated or rewritten in place after {} bytes had been read (copytruncate?); lines written to it after the last read may be missing (file now: {})",
        s.path,
        s.offset,
        now_path.display()
    )
}

/// Reads `path` from its checkpoint. `take_partial`: treat a last line with
/// no newline as complete (the file is finished or rotated).
pub fn read_file(
    store: &mut dyn Store,
    src: &FileSource,
    path: &Path,
    take_partial: bool,
    rules: Option<&mut Engine>,
) -> Result<FileReport> {
    let mut report = FileReport {
        path: path.display().to_string(),
        ..FileReport::default()
    };
    if is_compressed(path) {
        if src.kind.reads_gzip() && path.extension().is_some_and(|e| e == "gz") {
            return read_gzip(store, src, path, rules, report);
        }
        report.note = Some("compressed file skipped: decompress it and ingest the result".into());
        return Ok(report);
    }
    let (info, file) =
        FileInfo::read(path).wrap_err_with(|| format!("cannot read {}", path.display()))?;
    let streams = store.streams(src.id)?;
    let mut stream = match resolve(&info, &streams) {
        Resolution::Continue(s) => s,
        Resolution::Empty { replaced } => {
            if let Some(old) = replaced {
                record_replaced(store, &old, &info.path)?;
                report.gaps += 1;
            }
            return Ok(report);
        }
        Resolution::New { replaced } => {
            if let Some(old) = replaced {
                record_replaced(store, &old, &info.path)?;
                report.gaps += 1;
            }
            store.add_stream(&new_stream(src, &report.path, Some(&info)))?
        }
    };
    let before = stream.clone();
    // Follow a rename, and let a short head grow to the full length so the
    // identity gets stronger as the file does.
    stream.path = report.path.clone();
    stream.dev = Some(info.dev);
    stream.inode = Some(info.inode);
    if (stream.head_len as usize) < HEAD_LEN && info.head.len() > stream.head_len as usize {
        stream.head_len = info.head.len() as u64;
        stream.head_hash = head_hash(&info.head);
    }
    let start = stream.offset;
    vigil_domain::progress::expect(info.size.saturating_sub(start));
    let reader = LineReader::new(file, start, take_partial)?;
    let dirty = stream != before;
    run(
        store,
        src,
        stream,
        reader,
        info.modified,
        dirty,
        rules,
        report,
    )
}

/// A stream with an empty checkpoint: a file known by its identity, or
/// (`info` absent) a command's output, known by its label.
fn new_stream(src: &FileSource, path: &str, info: Option<&FileInfo>) -> Stream {
    Stream {
        id: 0,
        source_id: src.id,
        path: path.to_owned(),
        dev: info.map(|i| i.dev),
        inode: info.map(|i| i.inode),
        head_len: info.map_or(0, |i| i.head.len() as u64),
        head_hash: info.map(|i| head_hash(&i.head)).unwrap_or_default(),
        offset: 0,
        records: 0,
        parser_state: String::new(),
        status: "active".into(),
    }
}

/// A gzip file (CloudTrail's S3 delivery) is never appended to: it is read
/// whole, its offsets count decompressed bytes, and once read it is marked
/// `done` so later pulls skip it by content, whatever it is renamed to.
fn read_gzip(
    store: &mut dyn Store,
    src: &FileSource,
    path: &Path,
    rules: Option<&mut Engine>,
    report: FileReport,
) -> Result<FileReport> {
    use std::io::Read;
    let (info, file) =
        FileInfo::read(path).wrap_err_with(|| format!("cannot read {}", path.display()))?;
    if info.head.is_empty() {
        return Ok(report);
    }
    let streams = store.streams(src.id)?;
    let hash = head_hash(&info.head);
    let known = streams
        .iter()
        .find(|s| s.head_len == info.head.len() as u64 && s.head_hash == hash);
    let stream = match known {
        Some(s) if s.status == "done" => return Ok(report),
        Some(s) => s.clone(),
        None => store.add_stream(&new_stream(src, &report.path, Some(&info)))?,
    };
    let mut file = file;
    std::io::Seek::seek(&mut file, std::io::SeekFrom::Start(0))?;
    let mut decoder = std::io::BufReader::with_capacity(
        256 * 1024,
        flate2::read::MultiGzDecoder::new(std::io::BufReader::new(file)),
    );
    // Resuming a file a crash interrupted: skip what was committed.
    std::io::copy(
        &mut (&mut decoder).take(stream.offset),
        &mut std::io::sink(),
    )?;
    let start = stream.offset;
    let reader = LineReader::over(Box::new(decoder), start, true);
    let id = stream.id;
    let mut report = run(
        store,
        src,
        stream,
        reader,
        info.modified,
        false,
        rules,
        report,
    )?;
    if report.note.is_none() {
        store.mark_done(id)?;
    }
    report.bytes = info.size;
    Ok(report)
}

/// Runs a command (`journalctl -o json --after-cursor=…`) and reads its
/// output as one more stretch of the source's single command stream. The
/// checkpoint is the parser's state (the journal cursor); offsets keep
/// counting across runs so every event keeps a distinct dedupe key.
pub fn read_command(
    store: &mut dyn Store,
    src: &FileSource,
    argv: &[String],
    rules: Option<&mut Engine>,
) -> Result<FileReport> {
    use std::process::{Command, Stdio};
    let label = format!("command: {}", argv.join(" "));
    let report = FileReport {
        path: label.clone(),
        ..FileReport::default()
    };
    let streams = store.streams(src.id)?;
    let stream = match streams.iter().find(|s| s.path == label) {
        Some(s) => s.clone(),
        None => store.add_stream(&new_stream(src, &label, None))?,
    };
    let (prog, args) = argv
        .split_first()
        .ok_or_else(|| color_eyre::eyre::eyre!("source {}: command is empty", src.name))?;
    let mut cmd = Command::new(prog);
    cmd.args(args);
    if src.kind == SourceKind::JournaldJson
        && let Some(c) = vigil_sources::journald::cursor_in(&stream.parser_state)
    {
        cmd.arg(format!("--after-cursor={c}"));
    }
    let mut child = cmd
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .wrap_err_with(|| format!("cannot run {prog}"))?;
    let stdout = child.stdout.take().expect("stdout is piped");
    let mut stderr = child.stderr.take().expect("stderr is piped");
    let errs = std::thread::spawn(move || {
        use std::io::Read;
        let mut buf = Vec::new();
        let _ = (&mut stderr).take(64 * 1024).read_to_end(&mut buf);
        let _ = std::io::copy(&mut stderr, &mut std::io::sink());
        buf
    });
    let start = stream.offset;
    let reader = LineReader::over(
        Box::new(std::io::BufReader::with_capacity(256 * 1024, stdout)),
        start,
        true,
    );
    let result = run(store, src, stream, reader, Utc::now(), false, rules, report);
    let status = child.wait()?;
    let errs = errs.join().unwrap_or_default();
    let mut report = result?;
    if !status.success() {
        let text = String::from_utf8_lossy(&errs);
        report.fail(format!(
            "{prog} exited with {status}: {}",
            vigil_domain::SafeText::new(text.trim()).as_str()
        ));
    }
    Ok(report)
}

/// Parses from `reader` and writes to the store in batches, each commit
/// carrying the checkpoint.
#[allow(clippy::too_many_arguments)]
fn run(
    store: &mut dyn Store,
    src: &FileSource,
    stream: Stream,
    reader: LineReader,
    reference: DateTime<Utc>,
    dirty: bool,
    rules: Option<&mut Engine>,
    report: FileReport,
) -> Result<FileReport> {
    let start = stream.offset;
    let parser = src
        .kind
        .parser(src.zone, &src.options, reference, &stream.parser_state);
    // Written events go back to the parse thread, which allocated them:
    // freeing a million events' strings there is a local free, and off the
    // writer's path (see `parse_chunks`).
    let (spent, spent_rx) = std::sync::mpsc::channel::<Vec<NewEvent>>();
    let mut w = Writer {
        batch: Batch {
            source_id: src.id,
            since: start,
            stream: stream.clone(),
            events: Vec::new(),
            context: Vec::new(),
            quarantined: Vec::new(),
            gaps: Vec::new(),
        },
        stream,
        records: 0,
        pending_state: None,
        uncommitted: FileReport::default(),
        report,
        rules: None,
        spent: spent.clone(),
    };
    let engine = rules.map(Mutex::new);
    // Reading and parsing run on their own thread while this one writes to
    // the store, and the rules on a third: on two cores the parse costs
    // almost nothing extra, and the rules overlap the store's writes.
    let end = std::thread::scope(|scope| -> Result<u64> {
        let (tx, rx) = std::sync::mpsc::sync_channel::<std::io::Result<Chunk>>(2);
        // Named, so a profile can tell the stages apart.
        std::thread::Builder::new()
            .name("vigil-parse".into())
            .spawn_scoped(scope, move || parse_chunks(reader, parser, &tx, &spent_rx))?;
        if let Some(engine) = &engine {
            let (rtx, rrx) = std::sync::mpsc::sync_channel::<ToRules>(2);
            std::thread::Builder::new()
                .name("vigil-rules".into())
                .spawn_scoped(scope, move || evaluate_batches(engine, rrx, &spent))?;
            w.rules = Some(RulesLink {
                engine,
                tx: rtx,
                primed: None,
                unapplied: None,
                since_drain: 0,
            });
        }
        let mut result = write_chunks(&mut w, store, rx, start, dirty);
        // What the rules found since the last drain, once they have it.
        if let (Ok(_), Some(link)) = (&result, w.rules.as_mut())
            && let Err(e) = link
                .apply_unapplied(store, &mut w.report)
                .and_then(|_| link.drain())
                .and_then(|_| link.apply_unapplied(store, &mut w.report))
        {
            result = Err(e);
        }
        // Hanging up lets the rules thread end, so the scope can.
        w.rules = None;
        result
    });
    let end = match end {
        Err(e) if e.downcast_ref::<CheckpointMoved>().is_some() => {
            let mut report = w.report;
            report.note = Some(e.to_string());
            return Ok(report);
        }
        other => other?,
    };
    let mut report = w.report;
    report.bytes = end - start;
    Ok(report)
}

/// Writes what the parse thread hands over, committing every
/// `COMMIT_EVERY` records and at the end.
fn write_chunks(
    w: &mut Writer<'_>,
    store: &mut dyn Store,
    rx: std::sync::mpsc::Receiver<std::io::Result<Chunk>>,
    start: u64,
    dirty: bool,
) -> Result<u64> {
    let mut end = start;
    let mut got_any = false;
    for chunk in rx {
        let chunk = chunk?;
        got_any = true;
        vigil_domain::progress::advance(chunk.end.saturating_sub(end));
        end = chunk.end;
        if let Some(n) = chunk.notice.clone() {
            w.report.notice = Some(n);
        }
        if let Some(why) = chunk.stop.clone() {
            w.report.fail(why);
        }
        w.records += chunk.records;
        w.batch.events = chunk.events;
        w.batch.context = chunk.context;
        w.batch.quarantined = chunk.quarantined;
        w.batch.gaps = chunk
            .gaps
            .into_iter()
            .map(|g| Gap {
                stream_id: Some(w.stream.id),
                ..g
            })
            .collect();
        if w.records >= COMMIT_EVERY {
            w.checkpoint(chunk.end, chunk.parser_state);
            w.flush(store, true)?;
        } else {
            w.pending_state = Some((chunk.end, chunk.parser_state));
            w.flush(store, false)?;
        }
    }
    if let Some((end, state)) = w.pending_state.take() {
        w.checkpoint(end, state);
        w.flush(store, true)?;
    } else if dirty && !got_any {
        w.flush(store, true)?;
    }
    Ok(end)
}

/// What the parsing thread hands over: records up to `end`.
struct Chunk {
    events: Vec<NewEvent>,
    context: Vec<vigil_domain::Encounter>,
    quarantined: Vec<Quarantined>,
    gaps: Vec<Gap>,
    records: usize,
    end: u64,
    parser_state: String,
    /// The parser stopped the file at `end` for this reason.
    stop: Option<String>,
    notice: Option<String>,
}

fn parse_chunks(
    mut reader: LineReader,
    mut parser: Box<dyn RecordParser + Send>,
    tx: &SyncSender<std::io::Result<Chunk>>,
    spent: &std::sync::mpsc::Receiver<Vec<NewEvent>>,
) {
    let mut chunk = Chunk {
        events: Vec::with_capacity(BATCH),
        context: Vec::new(),
        quarantined: Vec::new(),
        gaps: Vec::new(),
        records: 0,
        end: reader.offset(),
        parser_state: String::new(),
        stop: None,
        notice: None,
    };
    loop {
        let line = match reader.next_line() {
            Ok(Some((offset, line))) => (offset, line),
            Ok(None) => break,
            Err(e) => {
                let _ = tx.send(Err(e));
                return;
            }
        };
        let (offset, line) = line;
        chunk.records += 1;
        if let Err(reason) = parser.parse(line, offset, &mut chunk.events) {
            chunk.quarantined.push(quarantined(offset, reason, line));
        }
        take_rejects(parser.as_mut(), &mut chunk.quarantined, &mut chunk.gaps);
        chunk.context.extend(parser.context());
        if let Some(fatal) = parser.fatal() {
            // What came before is kept; the checkpoint stays before this
            // record so the next read, with the setting fixed, starts here.
            chunk.end = offset;
            chunk.parser_state = parser.state();
            chunk.stop = Some(fatal);
            chunk.notice = parser.notice();
            let _ = tx.send(Ok(chunk));
            return;
        }
        if chunk.events.len() + chunk.context.len() + chunk.quarantined.len() >= BATCH {
            // Events the store and the rules are done with: dropped here,
            // where they were made, and one vector kept for the next chunk.
            let mut events = Vec::new();
            while let Ok(mut old) = spent.try_recv() {
                old.clear();
                if old.capacity() >= BATCH {
                    events = old;
                }
            }
            if events.capacity() < BATCH {
                events = Vec::with_capacity(BATCH);
            }
            let next = Chunk {
                events,
                context: Vec::new(),
                quarantined: Vec::new(),
                gaps: Vec::new(),
                records: 0,
                end: 0,
                parser_state: String::new(),
                stop: None,
                notice: None,
            };
            let mut full = std::mem::replace(&mut chunk, next);
            full.end = reader.offset();
            full.parser_state = parser.state();
            if tx.send(Ok(full)).is_err() {
                return; // the writer gave up
            }
        }
    }
    if reader.is_complete() {
        parser.finish(&mut chunk.events);
        take_rejects(parser.as_mut(), &mut chunk.quarantined, &mut chunk.gaps);
        chunk.context.extend(parser.context());
    }
    // What `finish` let go of comes without a line of its own, and its
    // parser state must be committed too.
    let flushed = !(chunk.events.is_empty()
        && chunk.context.is_empty()
        && chunk.quarantined.is_empty()
        && chunk.gaps.is_empty());
    chunk.notice = parser.notice();
    if chunk.records > 0 || flushed || chunk.notice.is_some() {
        chunk.end = reader.offset();
        chunk.parser_state = parser.state();
        let _ = tx.send(Ok(chunk));
    }
}

fn take_rejects(parser: &mut dyn RecordParser, into: &mut Vec<Quarantined>, gaps: &mut Vec<Gap>) {
    for r in parser.rejects() {
        if r.gap {
            gaps.push(Gap {
                stream_id: None,
                offset: Some(r.offset),
                reason: r.reason,
            });
            continue;
        }
        let mut raw = r.raw;
        raw.truncate(MAX_QUARANTINE_RAW);
        into.push(Quarantined {
            offset: Some(r.offset),
            reason: r.reason,
            raw,
        });
    }
}

/// Hands records to the store and commits them with the checkpoint.
struct Writer<'s> {
    batch: Batch,
    stream: Stream,
    /// Records read since the last commit.
    records: usize,
    /// Offset and parser state after the last batch written, not yet committed.
    pending_state: Option<(u64, String)>,
    /// Counts of what was written but not yet committed.
    uncommitted: FileReport,
    report: FileReport,
    /// Rules run on each batch once it is written, on their own thread;
    /// their findings are stored after their batches have committed.
    rules: Option<RulesLink<'s>>,
    /// Where written events go to be freed (with the rules, the rules
    /// thread sends them once it has evaluated them).
    spent: std::sync::mpsc::Sender<Vec<NewEvent>>,
}

/// The writer's side of the rules thread.
struct RulesLink<'s> {
    engine: &'s Mutex<&'s mut Engine>,
    tx: SyncSender<ToRules>,
    /// The earliest time the windowed rules have history from, as of the
    /// last look (only this thread primes): a batch after it needs no
    /// priming, and so never waits for the engine.
    primed: Option<DateTime<Utc>>,
    /// What the rules found up to the last drain (every `APPLY_EVERY`
    /// records), still being evaluated: applied at the next drain or the
    /// end, so the writer never waits for the rules to catch up.
    unapplied: Option<std::sync::mpsc::Receiver<Pending>>,
    /// Events handed to the rules since the last drain.
    since_drain: usize,
}

impl RulesLink<'_> {
    /// Asks the rules thread for everything found so far, to apply later.
    fn drain(&mut self) -> Result<()> {
        let (reply, found) = std::sync::mpsc::sync_channel(1);
        self.tx
            .send(ToRules::Drain(reply))
            .map_err(|_| color_eyre::eyre::eyre!("the rules thread stopped"))?;
        self.unapplied = Some(found);
        self.since_drain = 0;
        Ok(())
    }

    /// Applies what the rules found up to the last drain, waiting for it.
    fn apply_unapplied(&mut self, store: &mut dyn Store, report: &mut FileReport) -> Result<()> {
        if let Some(rx) = self.unapplied.take() {
            let p = rx
                .recv()
                .map_err(|_| color_eyre::eyre::eyre!("the rules thread stopped"))?;
            let mut e = self.engine.lock().unwrap_or_else(|p| p.into_inner());
            let r = e.apply(store, p)?;
            report.rules.add(&r);
        }
        Ok(())
    }
}

enum ToRules {
    /// Written clinical context: explains what comes after it, and
    /// re-explains what came before.
    Context(Vec<vigil_domain::Encounter>),
    /// Written events and their ids, to evaluate.
    Batch(i64, Vec<NewEvent>, Vec<i64>),
    /// Send back everything found since the last drain.
    Drain(SyncSender<Pending>),
}

/// The rules thread: evaluates each written batch while the writer goes
/// on with the next one.
fn evaluate_batches(
    engine: &Mutex<&mut Engine>,
    rx: std::sync::mpsc::Receiver<ToRules>,
    spent: &std::sync::mpsc::Sender<Vec<NewEvent>>,
) {
    let mut found = Pending::default();
    for msg in rx {
        match msg {
            ToRules::Batch(src, events, ids) => {
                let views: Vec<_> = events
                    .iter()
                    .zip(&ids)
                    .map(|(e, id)| view_new(src, *id, e))
                    .collect();
                let mut e = engine.lock().unwrap_or_else(|p| p.into_inner());
                found.absorb(e.evaluate_primed(&views));
                drop(views);
                // (a parse thread that has ended drops them here instead)
                let _ = spent.send(events);
            }
            ToRules::Context(context) => {
                let mut e = engine.lock().unwrap_or_else(|p| p.into_inner());
                found.absorb(e.learn(context));
            }
            ToRules::Drain(reply) => {
                let _ = reply.send(std::mem::take(&mut found));
            }
        }
    }
}

impl Writer<'_> {
    fn checkpoint(&mut self, end: u64, parser_state: String) {
        self.batch.since = self.stream.offset;
        self.stream.offset = end;
        self.stream.records += self.records as u64;
        self.stream.parser_state = parser_state;
        self.batch.stream = self.stream.clone();
        self.records = 0;
        self.pending_state = None;
    }

    /// Hands the batch to the store; with `commit`, everything since the
    /// last commit becomes durable together with the checkpoint.
    fn flush(&mut self, store: &mut dyn Store, commit: bool) -> Result<()> {
        let mut out = store.write_batch(&self.batch, commit)?;
        if let Some(link) = &mut self.rules {
            if let Some(first) = self.batch.events.iter().map(|e| e.occurred_at).min()
                && link.primed.is_none_or(|p| p > first)
            {
                // Waits for the rules thread to finish the batch it is on;
                // only when this batch reaches back before what the windowed
                // rules have seen (the first batch, or an older file).
                let mut e = link.engine.lock().unwrap_or_else(|p| p.into_inner());
                e.prime_before(store, first)?;
                link.primed = Some(link.primed.map_or(first, |p| p.min(first)));
            }
            let events = std::mem::take(&mut self.batch.events);
            link.since_drain += events.len();
            let gone = || color_eyre::eyre::eyre!("the rules thread stopped");
            if !self.batch.context.is_empty() {
                link.tx
                    .send(ToRules::Context(self.batch.context.clone()))
                    .map_err(|_| gone())?;
            }
            link.tx
                .send(ToRules::Batch(
                    self.batch.source_id,
                    events,
                    std::mem::take(&mut out.ids),
                ))
                .map_err(|_| gone())?;
            if commit && link.since_drain >= APPLY_EVERY {
                // The findings up to the last drain are surely ready by
                // now: they are written while the rules work on these.
                link.apply_unapplied(store, &mut self.report)?;
                link.drain()?;
            }
        }
        let p = &mut self.uncommitted;
        p.events += out.events;
        p.duplicates += out.duplicates;
        p.quarantined += out.quarantined;
        p.gaps += self.batch.gaps.len() as u64;
        p.context += self.batch.context.len() as u64;
        if commit {
            // Only what is durable counts: a rolled-back read reports nothing.
            self.report.add(&std::mem::take(&mut self.uncommitted));
        }
        if !self.batch.events.is_empty() {
            // (a parse thread that has ended drops them here instead)
            let _ = self.spent.send(std::mem::take(&mut self.batch.events));
        }
        self.batch.context.clear();
        self.batch.quarantined.clear();
        self.batch.gaps.clear();
        Ok(())
    }
}

fn record_replaced(store: &mut dyn Store, old: &Stream, now: &Path) -> Result<()> {
    store.mark_stream(
        old.id,
        "truncated",
        &Gap {
            stream_id: Some(old.id),
            offset: Some(old.offset),
            reason: gap_reason(old, now),
        },
    )
}

fn is_compressed(path: &Path) -> bool {
    matches!(
        path.extension().and_then(|e| e.to_str()),
        Some("gz" | "bz2" | "xz" | "zst" | "lz4" | "zip")
    )
}

/// The files a path or glob names now, oldest first, so rotated files are
/// read before the live one.
pub fn expand(pattern: &str) -> Result<Vec<(PathBuf, DateTime<Utc>)>> {
    let mut files = Vec::new();
    for entry in glob::glob(pattern).wrap_err_with(|| format!("bad glob {pattern:?}"))? {
        let Ok(path) = entry else { continue };
        let Ok(md) = std::fs::metadata(&path) else {
            continue;
        };
        if !md.is_file() {
            continue;
        }
        let mtime = md.modified().map(DateTime::<Utc>::from).unwrap_or_default();
        files.push((path, mtime));
    }
    files.sort_by(|a, b| a.1.cmp(&b.1).then_with(|| b.0.cmp(&a.0)));
    Ok(files)
}

/// Pulls every file a source's glob names. The newest file is live: its
/// unfinished last line waits for the next pull. One unreadable file is
/// reported and does not stop the others.
pub fn pull(
    store: &mut dyn Store,
    src: &FileSource,
    pattern: &str,
    mut rules: Option<&mut Engine>,
) -> Result<Vec<FileReport>> {
    let files = expand(pattern)?;
    let newest = files.len().saturating_sub(1);
    let mut reports = Vec::with_capacity(files.len());
    for (i, (path, _)) in files.iter().enumerate() {
        match read_file(store, src, path, i != newest, rules.as_deref_mut()) {
            Ok(r) => reports.push(r),
            Err(e) => reports.push(FileReport::failed(
                path.display().to_string(),
                format!("{e:#}"),
            )),
        }
    }
    Ok(reports)
}
