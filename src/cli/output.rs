//! Listings in the three formats every command offers: an aligned table for
//! people, one JSON array for scripts, CSV for spreadsheets. Rows stream out
//! as they come, so a million events do not sit in memory.

use std::io::{self, Write};

use serde::Serialize;
use unicode_width::UnicodeWidthStr;

use vigil_domain::SafeText;

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    Table,
    Json,
    Csv,
}

/// How many rows a table looks at to size its columns before streaming.
const SIZING_ROWS: usize = 500;
/// Widest a table cell gets before it is cut.
const MAX_CELL: usize = 60;

pub struct Listing<W: Write> {
    format: Format,
    columns: Vec<&'static str>,
    out: W,
    rows: usize,
    pending: Vec<Vec<String>>,
    widths: Option<Vec<usize>>,
}

impl Listing<io::BufWriter<io::Stdout>> {
    pub fn stdout(format: Format, columns: &[&'static str]) -> Self {
        Listing::new(format, columns, io::BufWriter::new(io::stdout()))
    }
}

impl<W: Write> Listing<W> {
    /// The format rows are written in.
    pub fn format(&self) -> Format {
        self.format
    }

    pub fn new(format: Format, columns: &[&'static str], out: W) -> Self {
        Listing {
            format,
            columns: columns.to_vec(),
            out,
            rows: 0,
            pending: Vec::new(),
            widths: None,
        }
    }

    /// One row: `record` for JSON, `cells` (already `SafeText`) for the table
    /// and CSV, in column order.
    pub fn row<T: Serialize>(&mut self, record: &T, cells: Vec<SafeText>) -> io::Result<()> {
        let cells: Vec<String> = cells.into_iter().map(SafeText::into_string).collect();
        match self.format {
            Format::Json => {
                self.out
                    .write_all(if self.rows == 0 { b"[\n" } else { b",\n" })?;
                serde_json::to_writer(&mut self.out, record).map_err(io::Error::other)?;
            }
            Format::Csv => {
                let mut c = csv::WriterBuilder::new()
                    .buffer_capacity(1024)
                    .from_writer(&mut self.out);
                if self.rows == 0 {
                    c.write_record(&self.columns)?;
                }
                c.write_record(&cells)?;
                c.flush()?;
            }
            Format::Table => {
                if self.widths.is_some() {
                    self.write_table_row(&cells)?;
                } else {
                    self.pending.push(cells);
                    if self.pending.len() >= SIZING_ROWS {
                        self.flush_pending()?;
                    }
                }
            }
        }
        self.rows += 1;
        Ok(())
    }

    fn flush_pending(&mut self) -> io::Result<()> {
        let mut widths: Vec<usize> = self.columns.iter().map(|c| c.width()).collect();
        for r in &self.pending {
            for (w, c) in widths.iter_mut().zip(r) {
                *w = (*w).max(c.width().min(MAX_CELL));
            }
        }
        self.widths = Some(widths);
        let header: Vec<String> = self.columns.iter().map(|c| c.to_uppercase()).collect();
        self.write_table_row(&header)?;
        for r in std::mem::take(&mut self.pending) {
            self.write_table_row(&r)?;
        }
        Ok(())
    }

    fn write_table_row(&mut self, cells: &[String]) -> io::Result<()> {
        let widths = self.widths.as_deref().unwrap_or(&[]);
        let last = cells.len().saturating_sub(1);
        let mut line = String::new();
        for (i, c) in cells.iter().enumerate() {
            let w = widths.get(i).copied().unwrap_or(0);
            let cell = if c.width() > MAX_CELL && i != last {
                SafeText::new(c).truncated(MAX_CELL).into_string()
            } else {
                c.clone()
            };
            line.push_str(&cell);
            if i != last {
                let pad = w.saturating_sub(cell.width()) + 2;
                line.extend(std::iter::repeat_n(' ', pad));
            }
        }
        writeln!(self.out, "{}", line.trim_end())
    }

    /// Ends the listing; returns how many rows it had.
    pub fn finish(mut self) -> io::Result<usize> {
        match self.format {
            Format::Json => {
                self.out
                    .write_all(if self.rows == 0 { b"[]\n" } else { b"\n]\n" })?;
                self.out.flush()?;
            }
            Format::Csv => {
                if self.rows == 0 {
                    let mut c = csv::Writer::from_writer(&mut self.out);
                    c.write_record(&self.columns)?;
                    c.flush()?;
                }
                self.out.flush()?;
            }
            Format::Table => {
                if self.widths.is_none() {
                    if self.pending.is_empty() {
                        self.out.flush()?;
                        return Ok(0);
                    }
                    self.flush_pending()?;
                }
                self.out.flush()?;
            }
        }
        Ok(self.rows)
    }
}

/// A cell from an optional field.
pub fn cell(v: &Option<SafeText>) -> SafeText {
    v.clone().unwrap_or_default()
}

/// A cell from text this program made.
pub fn text(s: impl AsRef<str>) -> SafeText {
    SafeText::new(s.as_ref())
}

/// True when writing failed because the reader went away (`| head`).
pub fn is_broken_pipe(e: &color_eyre::eyre::Report) -> bool {
    e.chain().any(|c| {
        c.downcast_ref::<io::Error>()
            .is_some_and(|io| io.kind() == io::ErrorKind::BrokenPipe)
            || c.downcast_ref::<csv::Error>().is_some_and(|e| {
                matches!(e.kind(), csv::ErrorKind::Io(io) if io.kind() == io::ErrorKind::BrokenPipe)
            })
    })
}

/// A ledger entry as JSON, its payload (JSON the ledger keeps as text)
/// nested as JSON rather than as a string inside a string.
pub fn entry_json(e: &vigil_store::LedgerEntry) -> serde_json::Value {
    let mut v = serde_json::to_value(e).unwrap_or_default();
    if let Ok(p) = serde_json::from_str::<serde_json::Value>(&e.payload) {
        v["payload"] = p;
    }
    v
}
