//! The command line: clap definitions and dispatch. One file per subcommand;
//! the contract (names, options, exit codes, JSON field names) is the
//! README's, `tests/cli` holds it, and scripts rely on it.

mod case;
pub mod completions;
mod coverage;
mod demo;
mod events;
mod explain;
mod incident;
mod ingest;
mod init;
pub mod investigate;
pub mod output;
mod policy;
mod progress;
mod pull;
mod queue;
pub mod report;
mod review;
mod risk;
mod rules;
mod sanction;
mod sources;
mod store_cmd;
mod verify;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand};
use color_eyre::eyre::Result;

pub use output::Format;
use vigil_app::config::{Config, paths};
use vigil_store::{Store, StoreUrl};

#[derive(Debug, Parser)]
#[command(
    name = "vigil",
    version,
    about = "HIPAA information system activity review: access reports in, reviewed decisions out",
    long_about = None,
)]
pub struct Cli {
    /// Config file [default: $XDG_CONFIG_HOME/vigil/config.toml]
    #[arg(
        long,
        global = true,
        env = "VIGIL_CONFIG",
        value_name = "FILE",
        hide_env_values = true
    )]
    pub config: Option<PathBuf>,
    /// Store: sqlite:PATH, a plain path, or postgres://… [default: from the config]
    #[arg(
        long,
        global = true,
        env = "VIGIL_STORE",
        value_name = "URL",
        hide_env_values = true
    )]
    pub store: Option<String>,
    /// Times in tables in UTC (RFC 3339) rather than the screen's zone
    /// ([tui] timezone, else [rules] timezone); JSON and CSV are always UTC
    #[arg(long, global = true)]
    pub utc: bool,
    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Open the review screen (what `vigil` alone does in a terminal)
    Tui,
    /// Write a self-contained demo workspace and ingest it
    Demo(demo::DemoArgs),
    /// Write a commented starter config (this host's auth log as its source)
    Init(init::InitArgs),
    /// Import files once (an exported access report, a rotated log)
    Ingest(ingest::IngestArgs),
    /// Pull every configured source once, incrementally
    Pull(pull::PullArgs),
    /// List normalized events
    Events(events::EventsArgs),
    /// List review items
    Queue(queue::QueueArgs),
    /// One item in full: reasons, events, decisions, history
    Show(case::ShowArgs),
    /// Claim items for review (a lease that lapses by itself)
    Claim(review::ItemsArgs),
    /// Give back items you claimed
    Release(review::ItemsArgs),
    /// Record a decision on items
    Decide(review::DecideArgs),
    /// Revert your own latest decision(s)
    Undo(review::UndoArgs),
    /// Approve a decision that awaits a second reviewer
    Approve(review::NoteArgs),
    /// Send a decision that awaits a second reviewer back (the item reopens)
    Reject(review::NoteArgs),
    /// Reopen decided or escalated items
    Reopen(review::NoteArgs),
    /// Add a note to items' history
    Note(review::NoteArgs),
    /// Open an incident for items
    Escalate(incident::EscalateArgs),
    /// Incidents: list, show, update
    #[command(subcommand)]
    Incident(incident::IncidentCommand),
    /// The sanctions register
    #[command(subcommand)]
    Sanction(sanction::SanctionCommand),
    /// The risk register: risks, ratings, safeguards, treatment, history
    #[command(subcommand)]
    Risk(risk::RiskCommand),
    /// Review coverage by source and day, against each source's cadence
    Coverage(coverage::CoverageArgs),
    /// The attestation report for a period (md, html, csv or json)
    Report(report::ReportArgs),
    /// Every access to one patient's record, for the patient or a complaint
    AccessReport(investigate::AccessReportArgs),
    /// Everything one workforce member did across every system, as a timeline
    Activity(investigate::ActivityArgs),
    /// The review policy: as configured, as recorded on a date, its versions
    #[command(subcommand)]
    Policy(policy::PolicyCommand),
    /// The rules: list them, or evaluate stored events again
    #[command(subcommand)]
    Rules(rules::RulesCommand),
    /// Explanation templates mined from the data: propose, approve, revoke
    #[command(subcommand)]
    Explain(explain::ExplainCommand),
    /// Expected activity: suppressions with an owner and an expiry
    #[command(subcommand)]
    Suppress(rules::SuppressCommand),
    /// Write an evidence bundle for an item
    ExportCase(case::ExportArgs),
    /// Check an evidence bundle against its manifest and the ledger
    CheckCase(case::CheckArgs),
    /// Each source's health, last pull, checkpoint and quarantined count
    Sources(sources::SourcesArgs),
    /// List quarantined records (lines that could not be parsed)
    Quarantine(sources::QuarantineArgs),
    /// Check the ledger's hash chain; exit 1 naming the first bad entry
    Verify(verify::VerifyArgs),
    /// Create or upgrade the store's schema
    #[command(subcommand)]
    Store(store_cmd::StoreCommand),
    /// Shell completions (bash, zsh, fish, powershell, elvish) on standard output
    Completions(completions::CompletionsArgs),
    /// The man page, as roff on standard output (`vigil man > vigil.1`)
    Man,
}

/// `--format` for every listing.
#[derive(Debug, Clone, Args)]
pub struct FormatArg {
    /// Output format
    #[arg(long, value_enum, default_value_t = Format::Table)]
    pub format: Format,
}

/// A day option's value: `YYYY-MM-DD`, `today`, `yesterday`, or days
/// or weeks back (`-7d`, `-2w`), counted from today in UTC (the days every
/// default of the CLI uses); or a usage error naming the option.
pub fn parse_day(what: &str, s: &str) -> Result<chrono::NaiveDate, UsageError> {
    relative_day(s, chrono::Utc::now().date_naive()).ok_or_else(|| {
        UsageError(format!(
            "{what} {:?} is not a date: write it as 2026-11-26, today, yesterday or -7d",
            vigil_domain::SafeText::new(s).as_str()
        ))
    })
}

/// `s` as a day, relative words counted from `today`.
fn relative_day(s: &str, today: chrono::NaiveDate) -> Option<chrono::NaiveDate> {
    let s = s.trim();
    match s {
        "today" => return Some(today),
        "yesterday" => return Some(today - chrono::Duration::days(1)),
        _ => {}
    }
    if let Some(n) = s.strip_prefix('-')
        && let Some(unit) = n.chars().last()
        && let Ok(k) = n[..n.len() - 1].parse::<i64>()
        && (0..=36_500).contains(&k)
    {
        let days = match unit {
            'd' => k,
            'w' => k * 7,
            _ => return None,
        };
        return Some(today - chrono::Duration::days(days));
    }
    chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d").ok()
}

#[cfg(test)]
mod tests {
    use super::relative_day;

    #[test]
    fn days_in_words() {
        let today = chrono::NaiveDate::from_ymd_opt(2026, 12, 2).unwrap();
        let d = |s| relative_day(s, today).map(|d| d.to_string());
        assert_eq!(d("today").as_deref(), Some("2026-12-02"));
        assert_eq!(d("yesterday").as_deref(), Some("2026-12-01"));
        assert_eq!(d("-7d").as_deref(), Some("2026-11-25"));
        assert_eq!(d("-2w").as_deref(), Some("2026-11-18"));
        assert_eq!(d(" 2026-03-01 ").as_deref(), Some("2026-03-01"));
        for bad in [
            "-7",
            "-d",
            "7d",
            "-7y",
            "tomorrow",
            "2026-13-01",
            "-99999999d",
        ] {
            assert_eq!(d(bad), None, "{bad}");
        }
    }
}

/// A usage error found after clap (a bad filter, say): exit status 2.
#[derive(Debug)]
pub struct UsageError(pub String);

impl std::fmt::Display for UsageError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for UsageError {}

/// What every command starts from: the validated config and the store URL.
pub struct Context {
    pub config: Config,
    pub store_url: StoreUrl,
    /// The zone tables show times in: the screen's, or none with `--utc`.
    pub zone: Option<chrono_tz::Tz>,
}

impl Context {
    pub fn load(cli: &Cli) -> Result<Context> {
        let (file, explicit) = match &cli.config {
            Some(f) => (f.clone(), true),
            None => (paths::config_file(), false),
        };
        let config = Config::load(&file, explicit)?;
        let store_url = match &cli.store {
            Some(s) => {
                let from_env = std::env::var("VIGIL_STORE").is_ok_and(|v| v == *s);
                if !from_env && vigil_store::pg_connect::url_has_password(s) {
                    // Any user on the host can read another's argv.
                    return Err(UsageError(
                        "--store: a password on the command line is visible to every user of this host; leave it out of the URL and set [store] password_env or password_file, PGPASSWORD, or ~/.pgpass".into(),
                    )
                    .into());
                }
                StoreUrl::parse(s, None)
                    .map_err(|e| UsageError(format!("--store: {e}")))?
                    .with_password(
                        config.store.password_env.as_deref(),
                        config.store.password_file.as_deref(),
                    )
            }
            None => config.store.url.clone(),
        };
        let mut ctx = Context::new(config, store_url)?;
        if cli.utc {
            ctx.zone = None;
        }
        Ok(ctx)
    }

    /// An instant as a table shows it: in the screen's zone and named
    /// (`2026-11-20 05:00:00 EST`), or RFC 3339 UTC with `--utc` and in
    /// JSON and CSV, which scripts read.
    pub fn stamp(&self, format: Format, t: chrono::DateTime<chrono::Utc>) -> String {
        self.stamp_with(format, t, chrono::SecondsFormat::Secs)
    }

    /// `stamp`, with the fractions of a second RFC 3339 keeps.
    pub fn stamp_with(
        &self,
        format: Format,
        t: chrono::DateTime<chrono::Utc>,
        utc: chrono::SecondsFormat,
    ) -> String {
        match (format, self.zone) {
            (Format::Table, Some(z)) => {
                vigil_domain::time::local_format(Some(z), t, "%Y-%m-%d %H:%M:%S %Z")
            }
            _ => t.to_rfc3339_opts(utc, true),
        }
    }

    /// A context for a loaded config: its ledger key, if it names one,
    /// seals every entry this process writes.
    pub fn new(config: Config, store_url: StoreUrl) -> Result<Context> {
        if let Some(path) = &config.ledger.key_file {
            vigil_store::keys::install(load_or_create_key(path)?);
        }
        let zone = config.screen_zone();
        Ok(Context {
            config,
            store_url,
            zone,
        })
    }

    /// Tells the user what they should know about the config (on stderr).
    pub fn print_notices(&self) {
        for n in &self.config.notices {
            eprintln!("vigil: {}", vigil_domain::SafeText::new(n));
        }
    }

    pub fn open_store(&self) -> Result<Box<dyn Store>> {
        let mut store = self.store_url.open()?;
        if let Some(key) = vigil_store::keys::sealer() {
            vigil_review::witness::register(
                store.as_mut(),
                key,
                &vigil_review::Reviewer::current(),
            )?;
        }
        Ok(store)
    }

    /// After a command: a checkpoint to the witness if one is due. A ledger
    /// that does not hold up is said loudly, and nothing is signed.
    pub fn checkpoint_if_due(&self) {
        if !self.config.ledger.enabled() || vigil_store::keys::sealer().is_none() {
            return;
        }
        let done = self.store_url.open().and_then(|s| {
            vigil_review::witness::maybe_checkpoint(
                s.as_ref(),
                &self.config.ledger,
                chrono::Utc::now(),
            )
        });
        match done {
            Ok(Some(cp)) => tracing::info!(seq = cp.seq, "checkpoint witnessed"),
            Ok(None) => {}
            Err(e) => {
                tracing::error!("checkpoint: {e:#}");
                eprintln!("vigil: WARNING: {e:#}");
            }
        }
    }

    /// The store, for commands that run the review (pull, ingest, the
    /// screen): a review policy changed since the last one recorded is
    /// recorded first. A reviewer's database role may not be allowed to
    /// (meta is the application role's); the next pull records it then.
    pub fn open_store_for_review(&self) -> Result<Box<dyn Store>> {
        let mut store = self.open_store()?;
        if self.config.file.is_some()
            && let Err(e) = vigil_review::policy::record_if_changed(
                store.as_mut(),
                &self.config,
                &vigil_review::Reviewer::current(),
                chrono::Utc::now(),
            )
        {
            tracing::warn!("the review policy's version was not recorded: {e:#}");
        }
        Ok(store)
    }
}

/// Runs the parsed command line.
pub fn run(cli: Cli) -> Result<ExitCode> {
    // `[keys]` and `[tui] theme` are checked by the screen that reads them.
    vigil_app::config::install_ui_checks(vigil_tui::config_checks());
    let Some(command) = &cli.command else {
        let ctx = Context::load(&cli)?;
        if vigil_tui::interactive() {
            vigil_tui::run(&ctx.store_url, &ctx.config)?;
            ctx.checkpoint_if_due();
            return Ok(ExitCode::SUCCESS);
        }
        ctx.print_notices();
        return sources::overview(&ctx);
    };
    match command {
        Command::Demo(args) => return demo::run(args),
        Command::Init(args) => return init::run(args, cli.config.as_deref()),
        // no config or store: they describe the program, not a workspace
        Command::Completions(a) => return completions::completions(a),
        Command::Man => return completions::man(),
        _ => {}
    }
    let ctx = Context::load(&cli)?;
    let code = match command {
        Command::Demo(_) | Command::Init(_) | Command::Completions(_) | Command::Man => {
            unreachable!("handled above")
        }
        Command::Tui => {
            if !vigil_tui::interactive() {
                return Err(UsageError("the review screen needs a terminal; use the commands (`vigil queue`, `vigil decide` …) in scripts".into()).into());
            }
            vigil_tui::run(&ctx.store_url, &ctx.config)?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Ingest(a) => ingest::run(&ctx, a),
        Command::Pull(a) => pull::run(&ctx, a),
        Command::Events(a) => events::run(&ctx, a),
        Command::Queue(a) => queue::run(&ctx, a),
        Command::Show(a) => case::show(&ctx, a),
        Command::Claim(a) => review::claim(&ctx, a),
        Command::Release(a) => review::release(&ctx, a),
        Command::Decide(a) => review::decide(&ctx, a),
        Command::Undo(a) => review::undo(&ctx, a),
        Command::Approve(a) => review::approve(&ctx, a),
        Command::Reject(a) => review::reject(&ctx, a),
        Command::Reopen(a) => review::reopen(&ctx, a),
        Command::Note(a) => review::note(&ctx, a),
        Command::Escalate(a) => incident::escalate(&ctx, a),
        Command::Incident(c) => incident::run(&ctx, c),
        Command::Sanction(c) => sanction::run(&ctx, c),
        Command::Risk(c) => risk::run(&ctx, c),
        Command::Coverage(a) => coverage::run(&ctx, a),
        Command::Report(a) => report::run(&ctx, a),
        Command::AccessReport(a) => investigate::access_report(&ctx, a),
        Command::Activity(a) => investigate::activity(&ctx, a),
        Command::Policy(c) => policy::run(&ctx, c),
        Command::Rules(c) => rules::run(&ctx, c),
        Command::Explain(c) => explain::run(&ctx, c),
        Command::Suppress(c) => rules::suppress(&ctx, c),
        Command::ExportCase(a) => case::export(&ctx, a),
        Command::CheckCase(a) => case::check(&ctx, a),
        Command::Sources(a) => sources::run(&ctx, a),
        Command::Quarantine(a) => sources::quarantine(&ctx, a),
        Command::Verify(a) => return verify::run(&ctx, a),
        Command::Store(c) => store_cmd::run(&ctx, c),
    };
    ctx.checkpoint_if_due();
    code
}

/// The ledger key at `path`; a new one is made (0600) the first time, and
/// the user is told to keep a copy offline.
fn load_or_create_key(path: &std::path::Path) -> Result<vigil_store::keys::LedgerKey> {
    let (key, created) = vigil_store::keys::LedgerKey::load_or_create(path)?;
    if created {
        eprintln!(
            "vigil: created the ledger key {} (key {}); keep a copy offline: it proves which checkpoints are vigil's",
            path.display(),
            key.id()
        );
    }
    Ok(key)
}
