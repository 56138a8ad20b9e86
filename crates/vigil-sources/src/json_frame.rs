//! Finding JSON documents in a stream of lines: one object per line
//! (`journalctl -o json`, NDJSON bulk exports, CloudWatch exports) or one
//! document spread over many (a FHIR Bundle, a CloudTrail `{"Records":[…]}`
//! file, `json-pretty`). The framer tracks nesting and strings byte by byte,
//! so it costs one pass and never re-parses a growing buffer.
//!
//! A document still open when a read stops is held in the parser state and
//! finished on the next read, so a checkpoint never splits one.

use std::borrow::Cow;

use super::{RecordParser, Reject};
use vigil_domain::NewEvent;

/// Largest document held while waiting for it to close (parser rule 3 in ARCHITECTURE.md
/// caps a JSON document at 1 MiB; CloudTrail delivery files are bigger, so
/// the whole-file cap is generous).
pub const MAX_DOCUMENT: usize = 256 * 1024 * 1024;

/// What one line completed.
pub enum Frame<'a> {
    /// Nothing yet: blank, or a document still open.
    Pending,
    /// A whole document and the offset of its first line.
    Done(u64, Cow<'a, [u8]>),
    /// What was held cannot be JSON; it goes to quarantine.
    Bad(Reject),
}

#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct JsonFrame {
    buf: Vec<u8>,
    start: u64,
    depth: u32,
    in_str: bool,
    esc: bool,
}

impl JsonFrame {
    /// Restores what [`JsonFrame::save`] wrote (`OFFSET:HEX`).
    pub fn restore(saved: &str) -> JsonFrame {
        let mut f = JsonFrame::default();
        if let Some((o, h)) = saved.split_once(':')
            && let (Ok(o), Ok(bytes)) = (o.parse(), hex::decode(h))
        {
            for line in bytes.split(|b| *b == b'\n') {
                // Re-scanning rebuilds depth and string state exactly.
                let _ = f.scan(line, o);
            }
            f.start = o;
        }
        f
    }

    /// The held part of an open document, for the parser state.
    pub fn save(&self) -> String {
        if self.buf.is_empty() {
            String::new()
        } else {
            format!("{}:{}", self.start, hex::encode(&self.buf))
        }
    }

    /// Feeds one line (without its newline).
    pub fn push<'a>(&'a mut self, line: &'a [u8], offset: u64) -> Frame<'a> {
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        if self.buf.is_empty() {
            let t = bare(line);
            if t.is_empty() {
                return Frame::Pending;
            }
            if t[0] != b'{' && t[0] != b'[' {
                return Frame::Bad(Reject::record(
                    offset,
                    "not a JSON object or array",
                    line.to_vec(),
                ));
            }
            // The common case, one document per line, is handed out borrowed.
            let mut probe = JsonFrame::default();
            if probe.depth_after(t) == Some(0) {
                return Frame::Done(offset, Cow::Borrowed(t));
            }
            if probe.in_str {
                return Frame::Bad(Reject::record(
                    offset,
                    "line ends inside a JSON string (cut short?)",
                    line.to_vec(),
                ));
            }
            self.start = offset;
        }
        match self.scan(line, offset) {
            Ok(true) => {
                let start = self.start;
                let doc = std::mem::take(&mut self.buf);
                *self = JsonFrame::default();
                Frame::Done(start, Cow::Owned(doc))
            }
            Ok(false) => Frame::Pending,
            Err(reason) => {
                let start = self.start;
                let raw = std::mem::take(&mut self.buf);
                *self = JsonFrame::default();
                Frame::Bad(Reject::record(start, reason, raw))
            }
        }
    }

    /// Nothing held: the next line starts a document.
    pub fn is_idle(&self) -> bool {
        self.buf.is_empty()
    }

    /// The input ended: what is held will never close.
    pub fn finish(&mut self) -> Option<Reject> {
        if self.buf.is_empty() {
            return None;
        }
        let start = self.start;
        let raw = std::mem::take(&mut self.buf);
        *self = JsonFrame::default();
        Some(Reject::record(
            start,
            "the input ended inside a JSON document",
            raw,
        ))
    }

    /// Appends a line; `Ok(true)` once the document has closed.
    fn scan(&mut self, line: &[u8], offset: u64) -> Result<bool, String> {
        if self.buf.is_empty() {
            self.start = offset;
        } else {
            self.buf.push(b'\n');
        }
        if self.buf.len() + line.len() > MAX_DOCUMENT {
            return Err(format!(
                "JSON document longer than {} MiB",
                MAX_DOCUMENT / 1024 / 1024
            ));
        }
        self.buf.extend_from_slice(line);
        // A raw newline inside a string is invalid JSON, but scanning on
        // keeps the document whole so it is quarantined as one record
        // (ARCHITECTURE.md, "Formats") rather than as a heap of fragments.
        match self.depth_after(line) {
            Some(0) if !self.in_str => Ok(true),
            Some(_) => Ok(false),
            None => Err("more closing brackets than opening ones".into()),
        }
    }

    /// Runs the nesting scanner over `bytes`; `None` on an unbalanced close.
    /// String contents, most of a FHIR or CloudTrail document, are skipped
    /// with a vectorized search for the next quote or backslash.
    fn depth_after(&mut self, bytes: &[u8]) -> Option<u32> {
        let mut i = 0;
        while i < bytes.len() {
            if self.in_str {
                if self.esc {
                    self.esc = false;
                    i += 1;
                    continue;
                }
                match memchr::memchr2(b'"', b'\\', &bytes[i..]) {
                    None => return Some(self.depth),
                    Some(j) => {
                        i += j;
                        if bytes[i] == b'\\' {
                            self.esc = true;
                        } else {
                            self.in_str = false;
                        }
                        i += 1;
                    }
                }
                continue;
            }
            match bytes[i] {
                b'"' => self.in_str = true,
                b'{' | b'[' => self.depth += 1,
                b'}' | b']' => self.depth = self.depth.checked_sub(1)?,
                _ => {}
            }
            i += 1;
        }
        Some(self.depth)
    }
}

/// A line that starts a document, as the document is handed out: without
/// the RS json-seq puts before each document, or whitespace (a CR too)
/// around it.
fn bare(line: &[u8]) -> &[u8] {
    trim(line.strip_prefix(b"\x1e").unwrap_or(line))
}

fn trim(b: &[u8]) -> &[u8] {
    let s = b
        .iter()
        .position(|c| !c.is_ascii_whitespace())
        .unwrap_or(b.len());
    let e = b
        .iter()
        .rposition(|c| !c.is_ascii_whitespace())
        .map_or(s, |i| i + 1);
    &b[s..e]
}

/// What one JSON kind makes of each document it is handed.
pub trait JsonKind: Send {
    fn document(
        &mut self,
        doc: &[u8],
        offset: u64,
        out: &mut Vec<NewEvent>,
        rejects: &mut Vec<Reject>,
    );
    /// A line that may be a whole document: handled at once when the kind
    /// can tell it is one, sparing the framer's pass over every byte of the
    /// common case (one document per line). `false` leaves the line to the
    /// framer and [`JsonKind::document`] as if never asked, so a kind
    /// returns `true` only for a line that parsed in full (the JSON parser
    /// refuses trailing text, so such a line is exactly one document).
    fn whole_line(
        &mut self,
        _line: &[u8],
        _offset: u64,
        _out: &mut Vec<NewEvent>,
        _rejects: &mut Vec<Reject>,
    ) -> bool {
        false
    }
    /// What the kind must remember across reads besides an open document
    /// (journald's cursor).
    fn save(&self) -> Option<String> {
        None
    }
    /// Clinical context found in the documents so far (context kinds).
    fn context(&mut self) -> Vec<vigil_domain::Encounter> {
        Vec::new()
    }
}

/// A record parser for a JSON kind: frames documents across lines and hands
/// each to the kind. Its state is `{"frame": …, "kind": …}`.
pub struct JsonParser<K> {
    frame: JsonFrame,
    kind: K,
    rejects: Vec<Reject>,
}

impl<K: JsonKind> JsonParser<K> {
    /// Restores the frame from `state`; `make` gets what the kind saved.
    pub fn new(state: &str, make: impl FnOnce(Option<&str>) -> K) -> Self {
        let v: serde_json::Value = serde_json::from_str(state).unwrap_or_default();
        JsonParser {
            frame: JsonFrame::restore(v["frame"].as_str().unwrap_or("")),
            kind: make(v["kind"].as_str()),
            rejects: Vec::new(),
        }
    }

    /// What the kind saved, from a stored state.
    pub fn saved(state: &str) -> Option<String> {
        let v: serde_json::Value = serde_json::from_str(state).ok()?;
        v["kind"].as_str().map(str::to_owned)
    }
}

impl<K: JsonKind> RecordParser for JsonParser<K> {
    fn parse(&mut self, line: &[u8], offset: u64, out: &mut Vec<NewEvent>) -> Result<(), String> {
        if self.frame.is_idle() {
            let t = bare(line);
            if t.first() == Some(&b'{') && self.kind.whole_line(t, offset, out, &mut self.rejects) {
                return Ok(());
            }
        }
        match self.frame.push(line, offset) {
            Frame::Pending => {}
            Frame::Bad(r) => self.rejects.push(r),
            Frame::Done(start, doc) => self.kind.document(&doc, start, out, &mut self.rejects),
        }
        Ok(())
    }

    fn state(&self) -> String {
        serde_json::json!({"frame": self.frame.save(), "kind": self.kind.save()}).to_string()
    }

    fn rejects(&mut self) -> Vec<Reject> {
        std::mem::take(&mut self.rejects)
    }

    fn context(&mut self) -> Vec<vigil_domain::Encounter> {
        self.kind.context()
    }

    fn finish(&mut self, _out: &mut Vec<NewEvent>) {
        if let Some(r) = self.frame.finish() {
            self.rejects.push(r);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::RecordParser;

    /// A kind with the framer's path only, to hold the fast path to.
    struct FramedOnly<K>(K);

    impl<K: JsonKind> JsonKind for FramedOnly<K> {
        fn document(
            &mut self,
            doc: &[u8],
            offset: u64,
            out: &mut Vec<NewEvent>,
            rejects: &mut Vec<Reject>,
        ) {
            self.0.document(doc, offset, out, rejects);
        }
    }

    fn read<K: JsonKind>(mut p: JsonParser<K>, text: &str) -> (Vec<NewEvent>, Vec<Reject>) {
        let (mut out, mut rejects, mut offset) = (Vec::new(), Vec::new(), 0);
        for line in text.split('\n') {
            p.parse(line.as_bytes(), offset, &mut out).unwrap();
            rejects.extend(p.rejects());
            offset += line.len() as u64 + 1;
        }
        p.finish(&mut out);
        rejects.extend(p.rejects());
        (out, rejects)
    }

    /// The corpus files in `dir` whose names start with `prefix`, or `None`
    /// when `../shared/corpus` is absent (as the integration tests treat it:
    /// with `VIGIL_CORPUS_REQUIRED=1`, as `.ci/run` sets, that fails).
    fn corpus(dir: &str, prefix: &str) -> Option<Vec<String>> {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/corpus");
        if !root.is_dir() {
            assert_ne!(
                std::env::var("VIGIL_CORPUS_REQUIRED").as_deref(),
                Ok("1"),
                "the corpus is missing at {}",
                root.display()
            );
            eprintln!("skipped: corpus not found at {}", root.display());
            return None;
        }
        let mut files: Vec<_> = std::fs::read_dir(root.join(dir))
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|p| {
                p.file_name()
                    .and_then(|n| n.to_str())
                    .is_some_and(|n| n.starts_with(prefix))
            })
            .collect();
        files.sort();
        Some(
            files
                .iter()
                .map(|p| std::fs::read_to_string(p).unwrap())
                .collect(),
        )
    }

    /// Lines that are whole documents, documents over many lines, a first
    /// line that closes a brace without closing the document, and lines
    /// that are no document at all.
    fn mix(docs: &[String]) -> String {
        let mut text = String::new();
        for d in docs {
            let Ok(v) = serde_json::from_str::<serde_json::Value>(d) else {
                text.push_str(d); // one document per line already
                continue;
            };
            text.push_str(&v.to_string());
            text.push('\n');
            text.push_str(&serde_json::to_string_pretty(&v).unwrap());
            text.push('\n');
        }
        text.push_str("{\"resourceType\":\"AuditEvent\",\"agent\":[{\"who\":{}}\n");
        text.push_str(",\"recorded\":\"2026-01-01T00:00:00Z\"}\n");
        text.push_str("{\"resourceType\":\"AuditEvent\"}\n");
        text.push_str("{\"a\":1} {\"b\":2}\n");
        text.push_str("\x1e{\"resourceType\":\"Patient\"}\r\n");
        text.push_str("{\"cut\":\"short\n");
        text
    }

    #[test]
    fn a_line_read_at_once_reads_as_the_framer_would_read_it() {
        let (Some(mut fhir), Some(bundles), Some(journal)) = (
            corpus("fhir", "r4-examples__AuditEvent"),
            corpus("fhir", "r4-examples__Bundle"),
            corpus("journald", ""),
        ) else {
            return;
        };
        fhir.extend(bundles);
        assert!(fhir.len() > 5, "the FHIR examples are in the corpus");
        let text = mix(&fhir);
        let fast = read(JsonParser::new("", |_| crate::fhir::Fhir), &text);
        let framed = read(
            JsonParser::new("", |_| FramedOnly(crate::fhir::Fhir)),
            &text,
        );
        assert!(fast.0.len() > 10 && !fast.1.is_empty());
        assert_eq!(fast, framed);

        let text = mix(&journal);
        let fast = read(crate::journald::parser(""), &text);
        let framed = read(
            JsonParser::new("", |_| FramedOnly(crate::journald::parser("").kind)),
            &text,
        );
        assert!(!fast.0.is_empty());
        assert_eq!(fast, framed);
    }
}
