//! Loading and validating `config.toml`: everything is checked before vigil
//! touches a store or the screen, and every complaint names the file, the
//! line and the fix.

pub mod paths;

use std::fmt;
use std::path::{Path, PathBuf};
use std::time::Duration;

use chrono_tz::Tz;
use serde::Deserialize;

use vigil_domain::{Disposition, SafeText, Severity};
use vigil_sources::SourceKind;
use vigil_store::StoreUrl;

/// A configuration problem the user can fix; vigil exits with status 2.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigError {
    pub file: Option<PathBuf>,
    pub line: Option<usize>,
    pub message: String,
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (&self.file, self.line) {
            (Some(file), Some(line)) => write!(
                f,
                "config error in {}, line {line}: {}",
                file.display(),
                self.message
            ),
            (Some(file), None) => write!(f, "config error in {}: {}", file.display(), self.message),
            (None, _) => write!(f, "config error: {}", self.message),
        }
    }
}

impl std::error::Error for ConfigError {}

use vigil_domain::perms;
use vigil_domain::time::{Cadence, parse_duration};

/// `[keys]`: command name to the keys that run it.
pub type KeyOverrides = std::collections::HashMap<String, Vec<String>>;

/// Checks of `[keys]` and `[tui] theme`, which only the review screen can
/// read. The binary installs the screen's (`vigil_tui::config_checks`)
/// before it reads a config, so a bad key or theme is a config error naming
/// its line like any other, while this crate stays below the screen.
#[derive(Clone, Copy)]
pub struct UiChecks {
    /// The `[keys]` overrides: command name to keys.
    pub keys: fn(&KeyOverrides) -> Result<(), String>,
    /// A theme name (or file in the config folder's `themes/`).
    pub theme: fn(&str, &Path) -> Result<(), String>,
}

static UI_CHECKS: std::sync::OnceLock<UiChecks> = std::sync::OnceLock::new();

/// Installs the review screen's checks for every config read after it.
pub fn install_ui_checks(checks: UiChecks) {
    let _ = UI_CHECKS.set(checks);
}

mod raw;
mod source;
use raw::*;
use source::source;

/// Where an opened incident is pushed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EscalationKind {
    /// A Jira issue in `project`.
    Jira {
        project: String,
        issue_type: String,
        api: u8,
    },
    /// A GitHub issue in `repo`.
    Github { repo: String },
    /// A ServiceNow record in `table`.
    ServiceNow { table: String },
    /// A JSON POST (chat, paging tools).
    Webhook,
}

/// One `[[escalation]]`: a destination for opened incidents.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EscalationConfig {
    pub name: String,
    pub kind: EscalationKind,
    pub url: String,
    pub user_env: Option<String>,
    pub token_env: Option<String>,
    pub token_file: Option<PathBuf>,
    /// The destination may hold PHI: payloads carry the incident's title,
    /// its items' reasons and people. Otherwise only counts and references.
    pub phi_allowed: bool,
    pub line: Option<usize>,
}

/// `[source.tracker]`: what a ticket system's kind needs beyond the query.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TrackerOptions {
    /// Jira: 3 (Cloud, the default) or 2 (Data Center).
    pub api: Option<u8>,
    /// ServiceNow: the table (`incident` unless set; `sn_si_incident`).
    pub table: Option<String>,
    /// TheHive: `["alert", "case"]` unless set.
    pub objects: Option<Vec<String>>,
    /// TheHive: the organisation (`X-Organisation`).
    pub organisation: Option<String>,
}

/// The store section, resolved.
#[derive(Clone, PartialEq, Eq)]
pub struct StoreConfig {
    pub url: StoreUrl,
    pub password_file: Option<PathBuf>,
    pub password_env: Option<String>,
    /// How long raw events are kept; `None`: for good.
    pub event_retention: Option<Duration>,
}

impl fmt::Debug for StoreConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // `StoreUrl`'s Display drops any password in the URL.
        f.debug_struct("StoreConfig")
            .field("url", &self.url.to_string())
            .field("password_file", &self.password_file)
            .field("password_env", &self.password_env)
            .finish()
    }
}

pub use vigil_review::Policy;

/// One configured source.
#[derive(Debug, Clone, PartialEq)]
pub struct SourceConfig {
    pub name: String,
    pub kind: SourceKind,
    /// A path or glob, absolute (relative ones are resolved against the
    /// config file's folder).
    pub path: Option<String>,
    pub timezone: Option<Tz>,
    /// The configured cadence (daily unless set): the review cadence when
    /// no risk in the register names the source, or when it is stricter.
    pub cadence: Cadence,
    /// Set with `cadence`: the configured cadence overrides the risk-based
    /// one, for this recorded reason.
    pub cadence_reason: Option<String>,
    pub risk: Option<Severity>,
    pub interval: Duration,
    /// Column mapping (`access-csv`).
    pub columns: Option<vigil_sources::access_csv::CsvColumns>,
    /// Column mapping (`adt-csv`).
    pub context_columns: Option<vigil_sources::context::ContextColumns>,
    /// The server's `log_line_prefix` (`pgaudit`).
    pub log_line_prefix: Option<String>,
    /// Zone abbreviation to offset in seconds east of UTC (`pgaudit`).
    pub zone_abbreviations: std::collections::BTreeMap<String, i32>,
    /// A command whose output is the source (`journald-json`: journalctl).
    pub command: Option<Vec<String>>,
    /// The API's base URL (`fhir`).
    pub url: Option<String>,
    /// The tracker's own query (JQL, `owner/repo` or a GitHub search, a
    /// ServiceNow encoded query, PagerDuty parameters).
    pub query: Option<String>,
    /// The resource types a `fhir` source searches (AuditEvent by default;
    /// Encounter, Appointment and CareTeam are clinical context).
    pub resources: Vec<String>,
    /// The variable holding the user for HTTP Basic (Jira, ServiceNow).
    pub user_env: Option<String>,
    /// Where the API token is: an environment variable or a private file.
    pub token_env: Option<String>,
    pub token_file: Option<PathBuf>,
    pub tracker: TrackerOptions,
    /// SMART backend-services authorization (`fhir`).
    pub smart: Option<vigil_sources::smart::SmartOptions>,
    /// The config line the source starts on, for later complaints.
    pub line: Option<usize>,
}

impl SourceConfig {
    /// What the source's parser needs beyond the time zone.
    pub fn parser_options(&self) -> vigil_sources::ParserOptions {
        vigil_sources::ParserOptions {
            columns: self.columns.clone(),
            context_columns: self.context_columns.clone(),
            log_line_prefix: self.log_line_prefix.clone(),
            zone_abbreviations: self.zone_abbreviations.clone(),
        }
    }
}

/// A name for a source or destination: letters, digits, `-`, `_`, `.`.
fn is_name(name: &str) -> bool {
    !name.is_empty()
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c))
}

/// A Jira REST version (3, Cloud, unless set), or the fix.
fn jira_api(api: Option<u8>) -> Result<u8, String> {
    match api {
        None => Ok(3),
        Some(a @ (2 | 3)) => Ok(a),
        Some(a) => Err(format!(
            "api = {a} is not a Jira REST version: use 3 (Cloud) or 2 (Data Center)"
        )),
    }
}

/// One `[[escalation]]` checked, or what is wrong with it and the fix.
fn escalation(
    e: &RawEscalation,
    base: &Path,
    line: Option<usize>,
    before: &[EscalationConfig],
) -> Result<EscalationConfig, String> {
    let name = &e.name;
    if !is_name(name) {
        return Err(format!(
            "escalation name {:?} must be letters, digits, '-', '_' or '.', such as \"sec-jira\"",
            SafeText::new(name).as_str()
        ));
    }
    if before.iter().any(|b| b.name == *name) {
        return Err(format!(
            "a second escalation is named {name:?}; give each [[escalation]] its own name"
        ));
    }
    let need = |v: &Option<String>, key: &str, example: &str| -> Result<String, String> {
        v.clone().filter(|v| !v.trim().is_empty()).ok_or_else(|| {
            format!(
                "escalation {name:?} of kind {} needs {key}, e.g. {key} = {example:?}",
                e.kind
            )
        })
    };
    let kind = match e.kind.as_str() {
        "jira" => EscalationKind::Jira {
            project: need(&e.project, "project", "SEC")?,
            issue_type: e.issue_type.clone().unwrap_or_else(|| "Task".into()),
            api: jira_api(e.api)?,
        },
        "github" => EscalationKind::Github {
            repo: need(&e.repo, "repo", "acme/security")?,
        },
        "servicenow" => EscalationKind::ServiceNow {
            table: e.table.clone().unwrap_or_else(|| "incident".into()),
        },
        "webhook" => EscalationKind::Webhook,
        other => {
            return Err(format!(
                "escalation kind {:?} is not known; use jira, github, servicenow or webhook",
                SafeText::new(other).as_str()
            ));
        }
    };
    let url = match (&kind, &e.url) {
        (EscalationKind::Github { .. }, None) => "https://api.github.com".to_owned(),
        (_, Some(u)) if u.starts_with("http://") || u.starts_with("https://") => {
            if let Some(problem) = vigil_sources::http::cleartext_problem(u) {
                return Err(format!("escalation {name:?}: {problem}"));
            }
            u.clone()
        }
        _ => {
            return Err(format!(
                "escalation {name:?} needs url = \"https://…\" (the tracker's base, or the webhook's address)"
            ));
        }
    };
    if e.user_env.is_some() && e.token_env.is_none() && e.token_file.is_none() {
        return Err(
            "user_env is the user for HTTP Basic: add token_env or token_file with its API token"
                .into(),
        );
    }
    Ok(EscalationConfig {
        name: name.clone(),
        kind,
        url,
        user_env: e.user_env.clone(),
        token_env: e.token_env.clone(),
        token_file: e.token_file.as_ref().map(|f| base.join(f)),
        phi_allowed: e.phi_allowed,
        line,
    })
}

/// What is wrong with a source's tracker settings, with the fix.
fn tracker_problem(s: &RawSource) -> Option<String> {
    let k = s.kind;
    if !k.is_tracker() {
        if s.tracker.is_some() {
            return Some(format!(
                "is of kind {k}: remove [source.tracker], which only ticket kinds use"
            ));
        }
        if s.query.is_some() || s.user_env.is_some() {
            return Some(format!(
                "is of kind {k}: remove `query` and `user_env`, which only ticket kinds use"
            ));
        }
        return None;
    }
    let t = s.tracker.clone().unwrap_or_default();
    let query = s.query.as_deref().map(str::trim).unwrap_or("");
    match k {
        SourceKind::Jira if query.is_empty() => {
            return Some(
                "needs the JQL to follow, e.g. query = \"project = SEC\" (vigil adds the updated-since condition and the order)".into(),
            );
        }
        SourceKind::Github if query.is_empty() => {
            return Some(
                "needs query = \"owner/repo\" (a repository's issues) or a search such as query = \"org:acme label:security\"".into(),
            );
        }
        _ => {}
    }
    if t.api.is_some() && k != SourceKind::Jira {
        return Some("`api` in [source.tracker] is for jira only: remove it".into());
    }
    if let Err(e) = jira_api(t.api) {
        return Some(e);
    }
    if t.table.is_some() && k != SourceKind::ServiceNow {
        return Some("`table` in [source.tracker] is for servicenow only: remove it".into());
    }
    if let Some(tb) = &t.table
        && (tb.is_empty() || !tb.chars().all(|c| c.is_ascii_alphanumeric() || c == '_'))
    {
        return Some(format!(
            "table = {:?} is not a table name; use e.g. table = \"sn_si_incident\"",
            SafeText::new(tb).as_str()
        ));
    }
    if (t.objects.is_some() || t.organisation.is_some()) && k != SourceKind::TheHive {
        return Some(
            "`objects` and `organisation` in [source.tracker] are for thehive only: remove them"
                .into(),
        );
    }
    if let Some(bad) = t
        .objects
        .iter()
        .flatten()
        .find(|o| *o != "alert" && *o != "case")
    {
        return Some(format!(
            "objects names {:?}; TheHive's are \"alert\" and \"case\"",
            SafeText::new(bad).as_str()
        ));
    }
    if s.user_env.is_some() && s.token_env.is_none() && s.token_file.is_none() {
        return Some(
            "user_env is the user for HTTP Basic: add token_env or token_file with its API token"
                .into(),
        );
    }
    None
}

/// `"+01:00"`, `"-0500"`, `"+3"` to seconds east of UTC.
fn parse_offset(s: &str) -> Option<i32> {
    let (sign, rest) = match s.as_bytes().first()? {
        b'+' => (1, &s[1..]),
        b'-' => (-1, &s[1..]),
        _ => return None,
    };
    let digits: String = rest.chars().filter(|c| *c != ':').collect();
    if digits.is_empty() || digits.len() > 4 || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let (h, m) = if digits.len() <= 2 {
        (digits.parse::<i32>().ok()?, 0)
    } else {
        let (h, m) = digits.split_at(digits.len() - 2);
        (h.parse::<i32>().ok()?, m.parse::<i32>().ok()?)
    };
    (h <= 14 && m < 60).then_some(sign * (h * 3600 + m * 60))
}

/// Where the rules' knowledge comes from.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct KnowledgeFiles {
    pub roster: Option<(PathBuf, vigil_rules::knowledge::RosterColumns)>,
    pub patients: Option<(PathBuf, vigil_rules::knowledge::PatientColumns)>,
    pub watchlist: Option<PathBuf>,
}

/// Decisions over more items than this ask once before they run.
const CONFIRM_OVER: usize = 10;

/// The whole configuration, validated.
#[derive(Debug, Clone)]
pub struct Config {
    /// The file it came from, or `None` when running on defaults.
    pub file: Option<PathBuf>,
    pub store: StoreConfig,
    /// Review policy: `[reviewer]`, `[incidents]` and `[sanctions]`.
    pub policy: Policy,
    /// The risk register's likelihood and impact scales (`[risk]`).
    pub risk_scales: vigil_review::risk::Scales,
    pub rules: vigil_rules::RulesConfig,
    pub knowledge: KnowledgeFiles,
    /// The review screen blanks after this long without a key.
    pub idle_timeout: Duration,
    /// The review screen's theme (`[tui] theme`).
    pub theme: String,
    /// Fields the review screen masks until revealed (`[tui] mask`).
    pub mask: Vec<String>,
    /// Decisions over more items than this ask once (`[tui] confirm_over`).
    pub confirm_over: usize,
    /// Ring the terminal's bell for a new critical item (`[tui] bell`).
    pub bell: bool,
    /// `[tui] timezone` as given (`Some(None)` is UTC); `screen_zone`
    /// falls back to the rules' zone.
    pub tui_zone: Option<Option<Tz>>,
    /// Key overrides for the review screen (`[keys]`), already checked.
    pub keys: std::collections::HashMap<String, Vec<String>>,
    pub sources: Vec<SourceConfig>,
    /// Where opened incidents are pushed (`[[escalation]]`).
    pub escalations: Vec<EscalationConfig>,
    /// The ledger key and its checkpoints' witness (`[ledger]`).
    pub ledger: vigil_review::witness::WitnessConfig,
    /// Who the reports are about (`[organization]`).
    pub organization: Option<vigil_review::attest::Organization>,
    /// Things to tell the user (running on defaults, say).
    pub notices: Vec<String>,
}

fn line_of(text: &str, offset: usize) -> usize {
    text[..offset.min(text.len())].matches('\n').count() + 1
}

impl Config {
    /// Loads `file`, or the defaults when it does not exist and `explicit`
    /// is false (`--config` and `VIGIL_CONFIG` must name a real file).
    pub fn load(file: &Path, explicit: bool) -> Result<Config, ConfigError> {
        if !file.exists() {
            if explicit {
                return Err(ConfigError {
                    file: Some(file.to_path_buf()),
                    line: None,
                    message: "the file does not exist; check --config or VIGIL_CONFIG, or run `vigil demo` to see a working config".into(),
                });
            }
            return Ok(Config::defaults(file));
        }
        perms::check_private(file, "config file").map_err(|m| ConfigError {
            file: Some(file.to_path_buf()),
            line: None,
            message: m,
        })?;
        let text = std::fs::read_to_string(file).map_err(|e| ConfigError {
            file: Some(file.to_path_buf()),
            line: None,
            message: format!("cannot read it: {e}"),
        })?;
        let base = file
            .parent()
            .map(Path::to_path_buf)
            .unwrap_or_else(|| PathBuf::from("."));
        Config::parse(&text, Some(file), &base)
    }

    /// Parses config text; relative paths are resolved against `base`.
    pub fn parse(text: &str, file: Option<&Path>, base: &Path) -> Result<Config, ConfigError> {
        let err = |line: Option<usize>, message: String| ConfigError {
            file: file.map(Path::to_path_buf),
            line,
            message,
        };
        let raw: RawConfig = toml::from_str(text).map_err(|e| {
            let line = e.span().map(|s| line_of(text, s.start));
            err(line, e.message().trim().to_owned())
        })?;

        let store_url = match &raw.store.url {
            Some(u) => StoreUrl::parse(u.get_ref(), Some(base))
                .map_err(|e| err(Some(line_of(text, u.span().start)), e.to_string()))?,
            None => StoreUrl::Sqlite(paths::data_dir().join("vigil.db")),
        };
        let password_file = raw.store.password_file.as_ref().map(|p| {
            let path = base.join(p.get_ref());
            (path, line_of(text, p.span().start))
        });
        if let Some((path, line)) = &password_file
            && path.exists()
        {
            perms::check_private(path, "password file").map_err(|m| err(Some(*line), m))?;
        }

        let d = Policy::default();
        let nonempty = |name: &str, v: Option<Vec<String>>, default: Vec<String>| match v {
            Some(v) if v.is_empty() => Err(err(
                None,
                format!("{name} is empty; list at least one value or leave it out for the default"),
            )),
            Some(v) => Ok(v),
            None => Ok(default),
        };
        let policy = Policy {
            claim_lease: raw.reviewer.claim_lease.unwrap_or(d.claim_lease),
            notes_required: raw.reviewer.notes_required.unwrap_or(d.notes_required),
            second_approval: raw.reviewer.second_approval.unwrap_or(d.second_approval),
            undo_window: raw.reviewer.undo_window.unwrap_or(d.undo_window),
            severities: nonempty(
                "[incidents] severities",
                raw.incidents.severities,
                d.severities,
            )?,
            sanction_categories: nonempty(
                "[sanctions] categories",
                raw.sanctions.categories,
                d.sanction_categories,
            )?,
            sanction_tiers: nonempty("[sanctions] tiers", raw.sanctions.tiers, d.sanction_tiers)?,
            sanction_viewers: raw.sanctions.viewers.unwrap_or_default(),
        };

        let ds = vigil_review::risk::Scales::default();
        let lower = |v: Vec<String>| v.into_iter().map(|s| s.trim().to_lowercase()).collect();
        let risk_scales = vigil_review::risk::Scales {
            likelihood: lower(nonempty(
                "[risk] likelihood",
                raw.risk.likelihood,
                ds.likelihood,
            )?),
            impact: lower(nonempty("[risk] impact", raw.risk.impact, ds.impact)?),
        };

        let rules_line = raw.rules.as_ref().map(|r| line_of(text, r.span().start));
        let rules = raw.rules.map(|r| r.into_inner()).unwrap_or_default();
        if let Some(z) = &rules.timezone
            && z.parse::<Tz>().is_err()
        {
            return Err(err(
                rules_line,
                format!(
                    "[rules] timezone {:?} is unknown; use an IANA name such as \"America/New_York\"",
                    SafeText::new(z).as_str()
                ),
            ));
        }
        if !(0.0..=1.0).contains(&rules.sampling.rate) {
            return Err(err(
                rules_line,
                "[rules.sampling] rate is a fraction between 0 and 1, e.g. 0.005 for 0.5%".into(),
            ));
        }
        let knowledge = KnowledgeFiles {
            roster: raw.roster.map(|r| (base.join(r.path), r.columns)),
            watchlist: raw
                .patients
                .as_ref()
                .and_then(|p| p.watchlist.as_ref())
                .map(|w| base.join(w)),
            patients: raw.patients.map(|p| (base.join(p.path), p.columns)),
        };
        // The rules read these at every pull: a missing or malformed file is
        // a config error now, not a failed pull later.
        let section_line = |name: &str| text.find(name).map(|at| line_of(text, at));
        let knowledge_err = |section: &str, e: color_eyre::Report| {
            err(
                section_line(section),
                format!("{section} {e:#}; fix the file, or the path in {section}"),
            )
        };
        if let Some((path, columns)) = &knowledge.roster {
            // (checked row by row, kept nowhere: every command loads the
            // config, and the rules load the file when it changes)
            vigil_rules::knowledge::check_roster(path, columns)
                .map_err(|e| knowledge_err("[roster]", e))?;
        }
        if let Some((path, columns)) = &knowledge.patients {
            vigil_rules::knowledge::check_patients(path, columns)
                .map_err(|e| knowledge_err("[patients]", e))?;
        }
        if let Some(path) = &knowledge.watchlist {
            vigil_rules::knowledge::load_watchlist(path)
                .map_err(|e| knowledge_err("[patients]", e))?;
        }

        let mut sources: Vec<SourceConfig> = Vec::new();
        for spanned in &raw.sources {
            let line = Some(line_of(text, spanned.span().start));
            let s = source(spanned.get_ref(), base, line, &sources).map_err(|m| err(line, m))?;
            sources.push(s);
        }

        let mut escalations: Vec<EscalationConfig> = Vec::new();
        for spanned in &raw.escalations {
            let line = Some(line_of(text, spanned.span().start));
            let e = spanned.get_ref();
            escalations.push(escalation(e, base, line, &escalations).map_err(|m| err(line, m))?);
        }

        let mask = raw
            .tui
            .mask
            .clone()
            .unwrap_or_else(|| vec!["subject".into()]);
        if let Some(bad) = mask
            .iter()
            .find(|f| !matches!(f.as_str(), "subject" | "actor" | "client"))
        {
            return Err(err(
                None,
                format!(
                    "[tui] mask names {:?}; the fields that can be masked are \"subject\" (patient identifiers), \"actor\" and \"client\"",
                    SafeText::new(bad).as_str()
                ),
            ));
        }
        let mut keys = std::collections::HashMap::new();
        if let Some(k) = &raw.keys {
            let line = Some(line_of(text, k.span().start));
            for (name, list) in k.get_ref() {
                let v = match list {
                    KeyList::One(one) => vec![one.clone()],
                    KeyList::Many(many) => many.clone(),
                };
                keys.insert(name.clone(), v);
            }
            if let Some(ui) = UI_CHECKS.get() {
                (ui.keys)(&keys).map_err(|m| err(line, m))?;
            }
        }
        let key_file = raw.ledger.key_file.as_ref().map(|k| base.join(k.get_ref()));
        if let (Some(path), Some(k)) = (&key_file, &raw.ledger.key_file)
            && path.exists()
        {
            perms::check_private(path, "ledger key")
                .map_err(|m| err(Some(line_of(text, k.span().start)), m))?;
        }
        if raw.ledger.checkpoint_every == Some(0) {
            return Err(err(
                None,
                "[ledger] checkpoint_every must be at least 1 (entries between checkpoints)".into(),
            ));
        }
        if key_file.is_none() && (raw.ledger.witness_file.is_some() || raw.ledger.witness_syslog) {
            return Err(err(
                None,
                "[ledger] a witness needs key_file: checkpoints are signed with the ledger key"
                    .into(),
            ));
        }
        let organization = match raw.organization {
            Some(o) => {
                let line = line_of(text, o.span().start);
                let o = o.into_inner();
                if o.name.trim().is_empty() {
                    return Err(err(
                        Some(line),
                        "[organization] name is empty: give the organization's name, as every report page shows it".into(),
                    ));
                }
                Some(o)
            }
            None => None,
        };
        let ledger = vigil_review::witness::WitnessConfig {
            key_file,
            file: raw.ledger.witness_file.map(|f| base.join(f)),
            syslog: raw.ledger.witness_syslog,
            every: raw.ledger.checkpoint_every.unwrap_or(100),
        };
        let theme = raw.tui.theme.unwrap_or_else(|| "dark".into());
        if let Some(ui) = UI_CHECKS.get() {
            (ui.theme)(&theme, base).map_err(|m| err(section_line("theme"), m))?;
        }
        let mut rules = rules;
        rules.explain.active = sources.iter().any(|s| s.kind.is_context());
        Ok(Config {
            file: file.map(Path::to_path_buf),
            store: StoreConfig {
                url: store_url.with_password(
                    raw.store.password_env.as_deref(),
                    password_file.as_ref().map(|(p, _)| p.as_path()),
                ),
                password_file: password_file.map(|(p, _)| p),
                password_env: raw.store.password_env,
                event_retention: raw.store.event_retention,
            },
            policy,
            risk_scales,
            rules,
            knowledge,
            idle_timeout: raw.tui.idle_timeout.unwrap_or(Duration::from_secs(15 * 60)),
            theme,
            mask,
            confirm_over: raw.tui.confirm_over.unwrap_or(CONFIRM_OVER),
            bell: raw.tui.bell.unwrap_or(false),
            tui_zone: raw.tui.timezone,
            keys,
            sources,
            escalations,
            ledger,
            organization,
            notices: Vec::new(),
        })
    }

    /// No config file: a local store and this host's auth log, if readable.
    pub fn defaults(looked_at: &Path) -> Config {
        let mut sources = Vec::new();
        let mut notices = vec![format!(
            "no config at {}; using a local store in {}. `vigil init` writes a commented starter config there.",
            looked_at.display(),
            paths::data_dir().display()
        )];
        let candidates = ["/var/log/auth.log", "/var/log/secure"];
        match candidates
            .iter()
            .find(|p| std::fs::File::open(p).is_ok())
        {
            Some(p) => sources.push(SourceConfig {
                name: "host-auth".into(),
                kind: SourceKind::Syslog,
                path: Some(format!("{p}*")),
                timezone: None,
                cadence: Cadence::Daily,
                cadence_reason: None,
                risk: None,
                interval: Duration::from_secs(60),
                columns: None,
                context_columns: None,
                log_line_prefix: None,
                zone_abbreviations: Default::default(),
                command: None,
                url: None,
                query: None,
                resources: vec!["AuditEvent".into()],
                user_env: None,
                token_env: None,
                token_file: None,
                tracker: Default::default(),
                smart: None,
                line: None,
            }),
            None => notices.push(
                "this host's auth log (/var/log/auth.log or /var/log/secure) is not readable; no source is configured".into(),
            ),
        }
        Config {
            file: None,
            store: StoreConfig {
                url: StoreUrl::Sqlite(paths::data_dir().join("vigil.db")),
                password_file: None,
                password_env: None,
                event_retention: None,
            },
            policy: Policy::default(),
            risk_scales: Default::default(),
            rules: vigil_rules::RulesConfig::default(),
            knowledge: KnowledgeFiles::default(),
            idle_timeout: Duration::from_secs(15 * 60),
            theme: "dark".into(),
            mask: vec!["subject".into()],
            confirm_over: CONFIRM_OVER,
            bell: false,
            tui_zone: None,
            keys: Default::default(),
            sources,
            escalations: Vec::new(),
            ledger: Default::default(),
            organization: None,
            notices,
        }
    }

    pub fn source(&self, name: &str) -> Option<&SourceConfig> {
        self.sources.iter().find(|s| s.name == name)
    }
}

impl SourceConfig {
    /// The source's review cadence, as coverage reads it.
    pub fn policy(&self) -> vigil_review::coverage::SourcePolicy {
        vigil_review::coverage::SourcePolicy {
            name: self.name.clone(),
            cadence: self.cadence,
            cadence_reason: self.cadence_reason.clone(),
            context: self.kind.is_context(),
        }
    }
}

impl Config {
    /// The zone the screen shows times in: `[tui] timezone`, else the
    /// rules' zone (`None` is UTC).
    pub fn screen_zone(&self) -> Option<Tz> {
        self.tui_zone
            .unwrap_or_else(|| vigil_review::Settings::zone(self))
    }
}

impl vigil_review::Settings for Config {
    fn zone(&self) -> Option<Tz> {
        // checked when the config was read, so this never drops an error
        self.rules.timezone.as_deref().and_then(|z| z.parse().ok())
    }
    fn source_policies(&self) -> Vec<vigil_review::coverage::SourcePolicy> {
        self.sources.iter().map(SourceConfig::policy).collect()
    }
    fn risk_scales(&self) -> &vigil_review::risk::Scales {
        &self.risk_scales
    }
    fn ledger(&self) -> &vigil_review::witness::WitnessConfig {
        &self.ledger
    }
    fn policy_file(&self) -> Option<&Path> {
        self.file.as_deref()
    }
    fn organization(&self) -> Option<&vigil_review::attest::Organization> {
        self.organization.as_ref()
    }
}

#[cfg(test)]
mod tests;
