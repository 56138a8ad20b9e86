//! `vigil ingest --kind KIND [--source NAME] FILE…`: import files once.

use std::path::PathBuf;
use std::process::ExitCode;

use chrono_tz::Tz;
use clap::Args;
use color_eyre::eyre::Result;

use super::output::{Listing, text};
use super::{Context, FormatArg, UsageError};
use vigil_app::ingest::{FileReport, FileSource, read_file};
use vigil_sources::SourceKind;

#[derive(Debug, Args)]
pub struct IngestArgs {
    /// Source kind of the files: syslog, journald-json, auditd, pgaudit,
    /// fhir-auditevent, access-csv, cloudtrail, fhir-encounter, adt-csv or
    /// hl7-adt (the ticket kinds and fhir are read from their APIs by
    /// `vigil pull`)
    #[arg(long, value_parser = parse_kind)]
    pub kind: SourceKind,
    /// pgaudit: the server's log_line_prefix (`SHOW log_line_prefix;`),
    /// overriding the source's; without either, vigil tries the common
    /// ones and says which it used
    #[arg(long, value_name = "PREFIX")]
    pub log_line_prefix: Option<String>,
    /// Source name to file the events under [default: the configured source
    /// of that kind if there is exactly one, else import-KIND]
    #[arg(long)]
    pub source: Option<String>,
    /// Time zone of headers that carry none (overrides the source's)
    #[arg(long, value_parser = parse_zone)]
    pub timezone: Option<Tz>,
    /// Store the events without running the rules (they run on the next pull)
    #[arg(long)]
    pub no_rules: bool,
    #[command(flatten)]
    pub format: FormatArg,
    /// Files to read; a file read before continues where it stopped
    #[arg(required = true)]
    pub files: Vec<PathBuf>,
}

pub fn parse_kind(s: &str) -> Result<SourceKind, String> {
    let k: SourceKind = s.parse()?;
    if k.is_tracker() {
        return Err(format!(
            "{k} is read from its API, not from files: configure it as a [[source]] with url and query, and run `vigil pull`"
        ));
    }
    Ok(k)
}

fn parse_zone(s: &str) -> Result<Tz, String> {
    s.parse::<Tz>()
        .map_err(|_| format!("unknown time zone {s:?}; use an IANA name such as Europe/Berlin"))
}

pub const REPORT_COLUMNS: &[&str] = &[
    "path",
    "events",
    "duplicates",
    "quarantined",
    "gaps",
    "findings",
    "bytes",
    "note",
];

pub fn report_cells(r: &FileReport) -> Vec<vigil_domain::SafeText> {
    vec![
        text(&r.path),
        text(r.events.to_string()),
        text(r.duplicates.to_string()),
        text(r.quarantined.to_string()),
        text(r.gaps.to_string()),
        text(r.rules.findings.to_string()),
        text(r.bytes.to_string()),
        text(r.note.as_deref().unwrap_or("")),
    ]
}

pub fn run(ctx: &Context, a: &IngestArgs) -> Result<ExitCode> {
    let configured = match &a.source {
        Some(name) => ctx.config.source(name),
        None => {
            let of_kind: Vec<_> = ctx
                .config
                .sources
                .iter()
                .filter(|s| s.kind == a.kind)
                .collect();
            if of_kind.len() == 1 {
                Some(of_kind[0])
            } else {
                None
            }
        }
    };
    if let Some(c) = configured
        && c.kind != a.kind
    {
        return Err(UsageError(format!(
            "source {:?} is configured as kind {}, not {}",
            c.name, c.kind, a.kind
        ))
        .into());
    }
    if a.kind == SourceKind::AccessCsv && configured.and_then(|c| c.columns.as_ref()).is_none() {
        return Err(UsageError(
            "access-csv needs its column mapping: configure the source with [source.columns] and name it with --source".into(),
        )
        .into());
    }
    let name = a
        .source
        .clone()
        .or_else(|| configured.map(|c| c.name.clone()))
        .unwrap_or_else(|| format!("import-{}", a.kind));
    let zone = a.timezone.or(configured.and_then(|c| c.timezone));

    let mut store = ctx.open_store_for_review()?;
    let id = store.ensure_source(&name, a.kind.as_str())?;
    let src = FileSource {
        id,
        name,
        kind: a.kind,
        zone,
        options: {
            let mut o = configured.map(|c| c.parser_options()).unwrap_or_default();
            if let Some(p) = &a.log_line_prefix {
                o.log_line_prefix = Some(p.clone());
            }
            o
        },
    };
    let mut engine = if a.no_rules {
        None
    } else {
        vigil_app::rules::prepare(&ctx.config, store.as_mut(), chrono::Utc::now())?
    };
    let mut listing = Listing::stdout(a.format.format, REPORT_COLUMNS);
    let mut failed = false;
    let bar = super::progress::Bar::start(
        &format!("ingest {}", vigil_domain::SafeText::new(&src.name)),
        vigil_domain::progress::Unit::Bytes,
    );
    for f in &a.files {
        let r = match read_file(
            store.as_mut(),
            &src,
            f,
            true,
            engine.as_mut().map(|(e, _)| e),
        ) {
            Ok(r) => r,
            Err(e) => {
                failed = true;
                FileReport::failed(f.display().to_string(), format!("{e:#}"))
            }
        };
        failed |= r.error.is_some();
        if let Some(n) = &r.notice {
            eprintln!("{}: {}", f.display(), vigil_domain::SafeText::new(n));
        }
        listing.row(&r, report_cells(&r))?;
    }
    if let Some((e, _)) = engine.as_mut() {
        e.finish(store.as_mut())?;
        vigil_app::rules::close_explained(&ctx.config, store.as_mut(), e, chrono::Utc::now())?;
    }
    drop(bar);
    listing.finish()?;
    let at = chrono::Utc::now();
    store.record_pull(src.id, at, failed.then_some("a file could not be read"))?;
    // The process ends with this command: freeing what the rules learned of
    // a million accesses (maps per actor, patient and day) took a tenth of
    // a second of a run, for memory the exit returns anyway.
    std::mem::forget(engine);
    Ok(if failed {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}
