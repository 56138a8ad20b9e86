//! Following files across rotation: which stored checkpoint a file on disk
//! continues, and reading it line by line from there.
//!
//! A file is known by its content, not its name: the SHA-256 of its first
//! bytes. Renaming (`auth.log` -> `auth.log.1`) keeps the content, so reading
//! resumes where it stopped; a new `auth.log` starts a new stream. Device and
//! inode are kept to notice a file truncated or rewritten in place
//! (copytruncate), which is recorded as a possible gap.

use std::fs::File;
use std::io::{self, BufRead, BufReader, Read, Seek, SeekFrom};
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};
use sha2::{Digest, Sha256};

use vigil_domain::Stream;

/// How many leading bytes identify a file.
pub const HEAD_LEN: usize = 1024;

/// A file on disk, as seen when a read starts.
#[derive(Debug, Clone)]
pub struct FileInfo {
    pub path: PathBuf,
    pub dev: u64,
    pub inode: u64,
    pub size: u64,
    pub modified: DateTime<Utc>,
    /// Its first `HEAD_LEN` bytes (fewer if it is shorter).
    pub head: Vec<u8>,
}

impl FileInfo {
    pub fn read(path: &Path) -> io::Result<(FileInfo, File)> {
        let mut f = File::open(path)?;
        let md = f.metadata()?;
        if !md.is_file() {
            return Err(io::Error::other(format!(
                "{} is not a regular file",
                path.display()
            )));
        }
        let mut head = Vec::with_capacity(HEAD_LEN);
        (&mut f).take(HEAD_LEN as u64).read_to_end(&mut head)?;
        let modified = md
            .modified()
            .map(DateTime::<Utc>::from)
            .unwrap_or_else(|_| Utc::now());
        Ok((
            FileInfo {
                path: path.to_path_buf(),
                dev: md.dev(),
                inode: md.ino(),
                size: md.len(),
                modified,
                head,
            },
            f,
        ))
    }

    fn same_inode(&self, s: &Stream) -> bool {
        s.dev == Some(self.dev) && s.inode == Some(self.inode)
    }
}

pub fn head_hash(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

/// What a file on disk is, relative to the stored checkpoints.
#[derive(Debug, Clone, PartialEq)]
pub enum Resolution {
    /// It continues this stream (possibly under a new name after rotation).
    Continue(Stream),
    /// It is new. `replaced` is a stream whose file was truncated or rewritten
    /// in place: what was written there after its checkpoint may be lost.
    New { replaced: Option<Stream> },
    /// It is empty, so there is nothing to identify it by yet.
    Empty { replaced: Option<Stream> },
}

/// Decides which stream, if any, `file` continues.
pub fn resolve(file: &FileInfo, streams: &[Stream]) -> Resolution {
    let active = || streams.iter().filter(|s| s.status == "active");
    // The same inode with something else in it: truncated or rewritten.
    let replaced = |file: &FileInfo| {
        active()
            .find(|s| file.same_inode(s) && s.offset > 0)
            .cloned()
    };
    if file.head.is_empty() {
        return Resolution::Empty {
            replaced: replaced(file),
        };
    }
    for s in active() {
        let len = s.head_len as usize;
        if len <= file.head.len() && head_hash(&file.head[..len]) == s.head_hash {
            if file.size < s.offset {
                // Same beginning but shorter than what was read: truncated
                // and rewritten with the same first bytes.
                return Resolution::New {
                    replaced: Some(s.clone()),
                };
            }
            return Resolution::Continue(s.clone());
        }
    }
    Resolution::New {
        replaced: replaced(file),
    }
}

/// Reads complete lines from an offset. The offset it reports is always just
/// after the last complete line handed out, so a checkpoint taken from it
/// never splits a record.
pub struct LineReader {
    reader: Box<dyn BufRead + Send>,
    offset: u64,
    /// Hand out a last line with no newline (a finished or rotated file), or
    /// hold it until the writer finishes it (a live file).
    take_partial: bool,
    buf: Vec<u8>,
}

impl LineReader {
    pub fn new(mut file: File, from: u64, take_partial: bool) -> io::Result<LineReader> {
        file.seek(SeekFrom::Start(from))?;
        Ok(Self::over(
            Box::new(BufReader::with_capacity(256 * 1024, file)),
            from,
            take_partial,
        ))
    }

    /// Lines from any reader (a decompressed file, a command's output);
    /// `from` is the offset its first byte stands for.
    pub fn over(reader: Box<dyn BufRead + Send>, from: u64, take_partial: bool) -> LineReader {
        LineReader {
            reader,
            offset: from,
            take_partial,
            buf: Vec::with_capacity(512),
        }
    }

    /// Whether the input is complete, so a parser may let go of what it holds.
    pub fn is_complete(&self) -> bool {
        self.take_partial
    }

    /// Offset just after the last line returned.
    pub fn offset(&self) -> u64 {
        self.offset
    }

    /// The next line (without its newline) and its offset, or `None` at the
    /// end of what can be read now.
    pub fn next_line(&mut self) -> io::Result<Option<(u64, &[u8])>> {
        self.buf.clear();
        let n = self.reader.read_until(b'\n', &mut self.buf)?;
        if n == 0 {
            return Ok(None);
        }
        let start = self.offset;
        if self.buf.last() == Some(&b'\n') {
            self.buf.pop();
        } else if !self.take_partial {
            // Leave the unfinished line for the next read.
            return Ok(None);
        }
        self.offset += n as u64;
        Ok(Some((start, &self.buf)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    fn stream(head: &[u8], offset: u64, dev: u64, inode: u64) -> Stream {
        Stream {
            id: 1,
            source_id: 1,
            path: "x".into(),
            dev: Some(dev),
            inode: Some(inode),
            head_len: head.len() as u64,
            head_hash: head_hash(head),
            offset,
            records: 0,
            parser_state: String::new(),
            status: "active".into(),
        }
    }

    fn info(head: &[u8], size: u64, inode: u64) -> FileInfo {
        FileInfo {
            path: "x".into(),
            dev: 1,
            inode,
            size,
            modified: Utc::now(),
            head: head.to_vec(),
        }
    }

    #[test]
    fn resolution_follows_content_and_notices_truncation() {
        let s = stream(b"line one\n", 9, 1, 10);
        // renamed: other inode, same content, grown
        assert!(matches!(
            resolve(
                &info(b"line one\nline two\n", 18, 11),
                std::slice::from_ref(&s)
            ),
            Resolution::Continue(_)
        ));
        // a brand-new file under the old name
        assert_eq!(
            resolve(&info(b"other\n", 6, 12), std::slice::from_ref(&s)),
            Resolution::New { replaced: None }
        );
        // rewritten in place (copytruncate): same inode, new content
        assert_eq!(
            resolve(&info(b"new stuff\n", 10, 10), std::slice::from_ref(&s)),
            Resolution::New {
                replaced: Some(s.clone())
            }
        );
        // truncated to nothing
        assert_eq!(
            resolve(&info(b"", 0, 10), std::slice::from_ref(&s)),
            Resolution::Empty {
                replaced: Some(s.clone())
            }
        );
    }

    #[test]
    fn partial_last_line_is_held_or_taken() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("f");
        let mut f = File::create(&p).unwrap();
        f.write_all(b"a\r\nbb\ncc").unwrap();
        let mut r = LineReader::new(File::open(&p).unwrap(), 0, false).unwrap();
        let mut got = Vec::new();
        while let Some((o, l)) = r.next_line().unwrap() {
            got.push((o, l.to_vec()));
        }
        assert_eq!(got, vec![(0, b"a\r".to_vec()), (3, b"bb".to_vec())]);
        assert_eq!(r.offset(), 6);
        let mut r = LineReader::new(File::open(&p).unwrap(), 6, true).unwrap();
        assert_eq!(r.next_line().unwrap().unwrap(), (6, &b"cc"[..]));
        assert_eq!(r.offset(), 8);
    }
}
