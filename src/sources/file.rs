//! Reading file sources into the store: resolve each file against its
//! checkpoint, parse from there, and commit events, quarantined lines and the
//! new checkpoint together in batches.

use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use color_eyre::eyre::{Result, WrapErr};
use serde::Serialize;

use super::SourceKind;
use super::tail::{FileInfo, HEAD_LEN, LineReader, Resolution, head_hash, resolve};
use crate::store::{Batch, Gap, Quarantined, SourceId, Store, Stream};

/// Records per transaction: large enough to amortize the commit, small
/// enough to keep memory flat on a huge file.
const BATCH: usize = 20_000;
/// Raw bytes kept of a quarantined line.
const MAX_QUARANTINE_RAW: usize = 64 * 1024;

/// A file source as the reader needs it.
#[derive(Debug, Clone)]
pub struct FileSource {
    pub id: SourceId,
    pub name: String,
    pub kind: SourceKind,
    pub zone: Option<Tz>,
}

/// What reading one file did.
#[derive(Debug, Clone, Default, Serialize, PartialEq, Eq)]
pub struct FileReport {
    pub path: String,
    pub events: u64,
    pub duplicates: u64,
    pub quarantined: u64,
    pub gaps: u64,
    pub bytes: u64,
    pub note: Option<String>,
}

impl FileReport {
    pub fn add(&mut self, other: &FileReport) {
        self.events += other.events;
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
) -> Result<FileReport> {
    let mut report = FileReport {
        path: path.display().to_string(),
        ..FileReport::default()
    };
    if is_compressed(path) {
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
            store.add_stream(&Stream {
                id: 0,
                source_id: src.id,
                path: report.path.clone(),
                dev: Some(info.dev),
                inode: Some(info.inode),
                head_len: info.head.len() as u64,
                head_hash: head_hash(&info.head),
                offset: 0,
                records: 0,
                parser_state: String::new(),
                status: "active".into(),
            })?
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
    let mut parser = src
        .kind
        .parser(src.zone, info.modified, &stream.parser_state);
    let mut reader = LineReader::new(file, start, take_partial)?;
    let mut batch = Batch {
        source_id: src.id,
        stream: stream.clone(),
        events: Vec::with_capacity(BATCH),
        quarantined: Vec::new(),
        gaps: Vec::new(),
    };
    let mut records = 0usize;
    let mut dirty = stream != before;
    while let Some((offset, line)) = reader.next_line()? {
        records += 1;
        if let Err(reason) = parser.parse(line, offset, &mut batch.events) {
            batch.quarantined.push(Quarantined {
                offset: Some(offset),
                reason,
                raw: line[..line.len().min(MAX_QUARANTINE_RAW)].to_vec(),
            });
        }
        dirty = true;
        if batch.events.len() + batch.quarantined.len() >= BATCH {
            commit(
                store,
                &mut batch,
                &mut stream,
                &reader,
                parser.state(),
                &mut records,
                &mut report,
            )?;
        }
    }
    if dirty || reader.offset() != start {
        commit(
            store,
            &mut batch,
            &mut stream,
            &reader,
            parser.state(),
            &mut records,
            &mut report,
        )?;
    }
    report.bytes = reader.offset() - start;
    Ok(report)
}

fn commit(
    store: &mut dyn Store,
    batch: &mut Batch,
    stream: &mut Stream,
    reader: &LineReader,
    parser_state: String,
    records: &mut usize,
    report: &mut FileReport,
) -> Result<()> {
    stream.offset = reader.offset();
    stream.records += *records as u64;
    stream.parser_state = parser_state;
    batch.stream = stream.clone();
    let out = store.commit_batch(batch)?;
    report.events += out.events;
    report.duplicates += out.duplicates;
    report.quarantined += out.quarantined;
    report.gaps += batch.gaps.len() as u64;
    batch.events.clear();
    batch.quarantined.clear();
    batch.gaps.clear();
    *records = 0;
    Ok(())
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
pub fn pull(store: &mut dyn Store, src: &FileSource, pattern: &str) -> Result<Vec<FileReport>> {
    let files = expand(pattern)?;
    let newest = files.len().saturating_sub(1);
    let mut reports = Vec::with_capacity(files.len());
    for (i, (path, _)) in files.iter().enumerate() {
        match read_file(store, src, path, i != newest) {
            Ok(r) => reports.push(r),
            Err(e) => reports.push(FileReport {
                path: path.display().to_string(),
                note: Some(format!("error: {e:#}")),
                ..FileReport::default()
            }),
        }
    }
    Ok(reports)
}
