//! Sources: where access reports and tickets come from, read into
//! normalized events. One file per kind, each with the options it takes;
//! `tail` follows files across rotation and `http` is the one HTTP client.
//! Nothing here writes to a store: `vigil_app::ingest` drives a source into
//! one.

pub mod access_csv;
pub mod auditd;
pub mod auth;
pub mod cloudtrail;
pub mod context;
pub mod eval;
pub mod fhir;
pub mod http;
pub mod journald;
pub mod json_frame;
pub mod pgaudit;
pub mod smart;
pub mod syslog;
pub mod tail;
pub mod tickets;

use std::fmt;
use std::str::FromStr;

use chrono::{DateTime, Utc};
use chrono_tz::Tz;

use vigil_domain::{Encounter, NewEvent};

/// Turns one record (a line, for line-based kinds) into events.
pub trait RecordParser: Send {
    /// Parses the record at `offset`, pushing zero or more events; an `Err`
    /// is the reason it goes to quarantine instead.
    fn parse(&mut self, record: &[u8], offset: u64, out: &mut Vec<NewEvent>) -> Result<(), String>;
    /// What must be remembered to resume after the last record parsed.
    fn state(&self) -> String;
    /// A problem that stops the file at the record just parsed (a column
    /// mapping that does not fit, a log prefix that cannot read the
    /// record), reported as the source's error: what came before is kept,
    /// the checkpoint stays before that record, and the next read starts
    /// there again.
    fn fatal(&self) -> Option<String> {
        None
    }
    /// Something the user should know about how the records were read
    /// (a setting detected rather than configured), for the ingest report.
    fn notice(&self) -> Option<String> {
        None
    }
    /// Records this parser held and then gave up on (a multi-line record
    /// that never closed, say), for quarantine; and holes it noticed.
    fn rejects(&mut self) -> Vec<Reject> {
        Vec::new()
    }
    /// Clinical context the records parsed so far held (context kinds
    /// only), taken once.
    fn context(&mut self) -> Vec<Encounter> {
        Vec::new()
    }
    /// The input is complete (a finished file, a command that exited):
    /// hand out whatever is still held waiting for more.
    fn finish(&mut self, _out: &mut Vec<NewEvent>) {}
}

/// A record a parser gave up on after holding it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reject {
    pub offset: u64,
    pub reason: String,
    pub raw: Vec<u8>,
    /// Not a bad record but a hole in the trail (lost audit records): it is
    /// recorded as a gap rather than quarantined.
    pub gap: bool,
}

impl Reject {
    /// A record that goes to quarantine (its raw bytes are capped there).
    pub fn record(offset: u64, reason: impl Into<String>, raw: impl Into<Vec<u8>>) -> Reject {
        Reject {
            offset,
            reason: reason.into(),
            raw: raw.into(),
            gap: false,
        }
    }

    /// A hole in the trail before `offset`.
    pub fn gap(offset: u64, reason: impl Into<String>) -> Reject {
        Reject {
            offset,
            reason: reason.into(),
            raw: Vec::new(),
            gap: true,
        }
    }
}

/// Per-source settings some parsers need beyond the time zone.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ParserOptions {
    /// Column mapping (`access-csv`).
    pub columns: Option<access_csv::CsvColumns>,
    /// Column mapping (`adt-csv`).
    pub context_columns: Option<context::ContextColumns>,
    /// PostgreSQL's `log_line_prefix` (`pgaudit` in stderr format).
    pub log_line_prefix: Option<String>,
    /// Zone abbreviations the server writes, as offsets in seconds east of
    /// UTC (`pgaudit`: `CET = "+01:00"`).
    pub zone_abbreviations: std::collections::BTreeMap<String, i32>,
}

/// The kinds of source this build reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SourceKind {
    Syslog,
    JournaldJson,
    Auditd,
    Pgaudit,
    FhirAuditEvent,
    AccessCsv,
    Cloudtrail,
    /// Clinical context: FHIR Encounter, Appointment and CareTeam resources.
    FhirEncounter,
    /// Clinical context: an ADT or scheduling export as CSV.
    AdtCsv,
    /// Clinical context: HL7 v2 ADT messages.
    Hl7Adt,
    /// A FHIR R4 server's AuditEvent search, over HTTP.
    Fhir,
    /// Ticket systems, over HTTP.
    Jira,
    Github,
    ServiceNow,
    PagerDuty,
    TheHive,
}

impl SourceKind {
    pub const ALL: &'static [SourceKind] = &[
        SourceKind::Syslog,
        SourceKind::JournaldJson,
        SourceKind::Auditd,
        SourceKind::Pgaudit,
        SourceKind::FhirAuditEvent,
        SourceKind::AccessCsv,
        SourceKind::Cloudtrail,
        SourceKind::FhirEncounter,
        SourceKind::AdtCsv,
        SourceKind::Hl7Adt,
        SourceKind::Fhir,
        SourceKind::Jira,
        SourceKind::Github,
        SourceKind::ServiceNow,
        SourceKind::PagerDuty,
        SourceKind::TheHive,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            SourceKind::Syslog => "syslog",
            SourceKind::JournaldJson => "journald-json",
            SourceKind::Auditd => "auditd",
            SourceKind::Pgaudit => "pgaudit",
            SourceKind::FhirAuditEvent => "fhir-auditevent",
            SourceKind::AccessCsv => "access-csv",
            SourceKind::Cloudtrail => "cloudtrail",
            SourceKind::FhirEncounter => "fhir-encounter",
            SourceKind::AdtCsv => "adt-csv",
            SourceKind::Hl7Adt => "hl7-adt",
            SourceKind::Fhir => "fhir",
            SourceKind::Jira => "jira",
            SourceKind::Github => "github",
            SourceKind::ServiceNow => "servicenow",
            SourceKind::PagerDuty => "pagerduty",
            SourceKind::TheHive => "thehive",
        }
    }

    /// Whether gzip files of this kind are read (CloudTrail's S3 delivery)
    /// rather than skipped.
    pub fn reads_gzip(self) -> bool {
        matches!(self, SourceKind::Cloudtrail)
    }

    /// Whether it holds clinical context (encounters) rather than events.
    pub fn is_context(self) -> bool {
        matches!(
            self,
            SourceKind::FhirEncounter | SourceKind::AdtCsv | SourceKind::Hl7Adt
        )
    }

    /// Whether it reads files (path, glob) rather than an API.
    pub fn is_file(self) -> bool {
        !matches!(self, SourceKind::Fhir) && !self.is_tracker()
    }

    /// Whether it is a ticket system (its records become `ticket` items).
    pub fn is_tracker(self) -> bool {
        matches!(
            self,
            SourceKind::Jira
                | SourceKind::Github
                | SourceKind::ServiceNow
                | SourceKind::PagerDuty
                | SourceKind::TheHive
        )
    }

    /// A parser for one file of this kind. `reference` is the file's
    /// modification time; `state` is what the parser saved last time.
    pub fn parser(
        self,
        zone: Option<Tz>,
        options: &ParserOptions,
        reference: DateTime<Utc>,
        state: &str,
    ) -> Box<dyn RecordParser + Send> {
        match self {
            SourceKind::Syslog => Box::new(syslog::SyslogParser::new(zone, reference, state)),
            SourceKind::JournaldJson => Box::new(journald::parser(state)),
            SourceKind::Auditd => Box::new(auditd::AuditdParser::new(state)),
            SourceKind::Pgaudit => Box::new(pgaudit::PgauditParser::new(zone, options, state)),
            // (a FHIR server's pages are Bundles of the same resources)
            // (ticket kinds are read by their tracker, never as files; their
            // stored raw records are JSON)
            SourceKind::FhirAuditEvent | SourceKind::Fhir => {
                Box::new(json_frame::JsonParser::new(state, |_| fhir::Fhir))
            }
            SourceKind::Jira
            | SourceKind::Github
            | SourceKind::ServiceNow
            | SourceKind::PagerDuty
            | SourceKind::TheHive => Box::new(NotAFile(self)),
            SourceKind::Cloudtrail => Box::new(json_frame::JsonParser::new(state, |_| {
                cloudtrail::CloudtrailKind
            })),
            SourceKind::FhirEncounter => Box::new(json_frame::JsonParser::new(state, |_| {
                context::FhirContext::default()
            })),
            SourceKind::AdtCsv => Box::new(context::AdtCsv::new(
                options
                    .context_columns
                    .clone()
                    .unwrap_or(context::ContextColumns {
                        patient: "patient".into(),
                        start: "start".into(),
                        end: Some("end".into()),
                        department: None,
                        team: None,
                        encounter: None,
                        class: None,
                        time_format: None,
                    }),
                zone,
                state,
            )),
            SourceKind::Hl7Adt => Box::new(context::Hl7Adt::new(zone, state)),
            SourceKind::AccessCsv => Box::new(access_csv::AccessCsvParser::new(
                options.columns.clone().unwrap_or(access_csv::CsvColumns {
                    actor: "actor".into(),
                    subject: "subject".into(),
                    occurred_at: "occurred_at".into(),
                    action: None,
                    outcome: None,
                    client: None,
                    host: None,
                    detail: None,
                    time_format: None,
                }),
                zone,
                state,
            )),
        }
    }
}

/// The parser of kinds read only from an API: `vigil ingest` of such a
/// kind quarantines every record with the reason.
struct NotAFile(SourceKind);

impl RecordParser for NotAFile {
    fn parse(&mut self, _: &[u8], _: u64, _: &mut Vec<NewEvent>) -> Result<(), String> {
        Err(format!("{} is read from its API, not from files", self.0))
    }
    fn state(&self) -> String {
        String::new()
    }
    fn fatal(&self) -> Option<String> {
        Some(format!(
            "{} is read from its API: configure it as a [[source]] with a url and run vigil pull",
            self.0
        ))
    }
}

impl fmt::Display for SourceKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for SourceKind {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        if let Some(k) = Self::ALL.iter().find(|k| k.as_str() == s) {
            return Ok(*k);
        }
        let names: Vec<_> = Self::ALL.iter().map(|k| k.as_str()).collect();
        if s == "webhook" {
            return Err(
                "webhook is where escalations go, not a source: configure it as an [[escalation]]"
                    .into(),
            );
        }
        Err(format!(
            "unknown source kind {:?}; use one of: {}",
            vigil_domain::SafeText::new(s).as_str(),
            names.join(", ")
        ))
    }
}
