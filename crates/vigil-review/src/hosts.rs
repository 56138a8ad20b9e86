//! The per-host daily summary a sysadmin expects from logwatch: failed
//! logins per address with the accounts tried, every successful login by
//! account and address, refused sudo and su with the command, account and
//! group changes, and the lines no parser could classify (counted, with
//! examples), so what vigil did not understand is reviewed too.
//!
//! Read from the stored host events (syslog, journal, audit) of a period,
//! in one pass; every list is bounded so a scanner's million failures make
//! one line per address, not a million.

use std::collections::BTreeMap;

use chrono::{DateTime, NaiveDate, Utc};
use chrono_tz::Tz;
use color_eyre::eyre::Result;
use serde::Serialize;

use vigil_domain::action as a;
use vigil_domain::query::Query;
use vigil_domain::{Event, Outcome};
use vigil_store::Store;

/// Kinds whose events are a host's own log.
pub const HOST_KINDS: &[&str] = &["syslog", "journald-json", "auditd"];
/// Actions the summary has no line for.
const SKIPPED: &[&str] = &[
    a::SESSION_OPEN,
    a::SESSION_CLOSE,
    a::CONNECT,
    a::PROBE,
    a::LOGOUT,
    "loginuid",
    "exec",
    "access",
    "credential",
    "account-check",
    "syscall",
];
/// Most rows kept per list of a host's day; the rest are counted.
const ROWS: usize = 50;
/// Accounts named per address.
const ACCOUNTS: usize = 8;
/// Examples kept of unclassified lines.
const EXAMPLES: usize = 3;

#[derive(Debug, Clone, Default, Serialize, PartialEq)]
pub struct Failed {
    pub address: String,
    /// Attempts (not lines: restated lines are not counted).
    pub attempts: u64,
    pub accounts: Vec<String>,
    /// More accounts were tried than are named.
    pub more_accounts: bool,
}

#[derive(Debug, Clone, Default, Serialize, PartialEq)]
pub struct Login {
    pub account: String,
    pub address: String,
    pub count: u64,
}

#[derive(Debug, Clone, Default, Serialize, PartialEq)]
pub struct Refused {
    pub account: String,
    /// `sudo` or `su`.
    pub how: String,
    /// The command (sudo) or the account asked for (su), and why refused.
    pub detail: String,
    pub count: u64,
}

#[derive(Debug, Clone, Default, Serialize, PartialEq)]
pub struct Change {
    pub action: String,
    pub subject: String,
    pub by: String,
    pub detail: String,
    pub outcome: String,
}

/// One host's day.
#[derive(Debug, Clone, Default, Serialize, PartialEq)]
pub struct HostDay {
    pub host: String,
    pub day: NaiveDate,
    pub failed: Vec<Failed>,
    /// Addresses with failures beyond the `failed` rows.
    pub failed_more: u64,
    pub logins: Vec<Login>,
    pub refused: Vec<Refused>,
    pub changes: Vec<Change>,
    pub unclassified: u64,
    pub unclassified_examples: Vec<String>,
}

impl HostDay {
    /// Whether there is anything to show.
    pub fn is_empty(&self) -> bool {
        self.failed.is_empty()
            && self.logins.is_empty()
            && self.refused.is_empty()
            && self.changes.is_empty()
            && self.unclassified == 0
    }
}

fn text(t: &Option<vigil_domain::SafeText>) -> String {
    t.as_ref()
        .map(|t| t.as_str().to_owned())
        .unwrap_or_default()
}

#[derive(Default)]
struct Acc {
    failed: BTreeMap<String, Failed>,
    logins: BTreeMap<(String, String), u64>,
    refused: BTreeMap<(String, String, String), u64>,
    changes: Vec<Change>,
    unclassified: u64,
    examples: Vec<String>,
}

fn attempt(e: &Event) -> bool {
    a::is_failed_attempt(
        e.action.as_str(),
        e.outcome,
        e.detail.as_ref().map(|d| d.as_str()),
    )
}

impl Acc {
    fn add(&mut self, e: &Event) {
        let action = e.action.as_str();
        if attempt(e) {
            let addr = e
                .client
                .as_ref()
                .map(|c| c.as_str().to_owned())
                .unwrap_or_else(|| "(no address)".into());
            // bounded: past that many addresses, one more only counts
            let addr = if self.failed.len() >= ROWS * 20 && !self.failed.contains_key(&addr) {
                "(other addresses)".to_owned()
            } else {
                addr
            };
            let f = self.failed.entry(addr).or_default();
            f.attempts += 1;
            if let Some(actor) = &e.actor {
                let actor = actor.as_str();
                if !f.accounts.iter().any(|x| x == actor) {
                    if f.accounts.len() < ACCOUNTS {
                        f.accounts.push(actor.to_owned());
                    } else {
                        f.more_accounts = true;
                    }
                }
            }
        } else if action == a::LOGIN && e.outcome == Outcome::Success {
            *self
                .logins
                .entry((text(&e.actor), text(&e.client)))
                .or_default() += 1;
        } else if (action == a::SUDO || action == a::SU)
            && e.outcome == Outcome::Failure
            && !a::not_an_attempt(e.detail.as_ref().map(|d| d.as_str()))
        {
            let detail = match action {
                a::SU => format!("to {}", text(&e.subject)),
                _ => text(&e.detail),
            };
            *self
                .refused
                .entry((text(&e.actor), action.to_owned(), detail))
                .or_default() += 1;
        } else if a::ACCOUNT_CHANGES.contains(&action) {
            if self.changes.len() < ROWS {
                self.changes.push(Change {
                    action: action.to_owned(),
                    subject: text(&e.subject),
                    by: text(&e.actor),
                    detail: text(&e.detail),
                    outcome: e.outcome.to_string(),
                });
            }
        } else if action == a::OTHER {
            self.unclassified += 1;
            if self.examples.len() < EXAMPLES {
                let d = text(&e.detail);
                let line = if d.is_empty() {
                    e.raw.as_str().to_owned()
                } else {
                    d
                };
                self.examples.push(line.chars().take(200).collect());
            }
        }
    }

    fn finish(self, host: String, day: NaiveDate) -> HostDay {
        let mut failed: Vec<Failed> = self
            .failed
            .into_iter()
            .map(|(address, f)| Failed { address, ..f })
            .collect();
        failed.sort_by(|x, y| y.attempts.cmp(&x.attempts).then(x.address.cmp(&y.address)));
        let failed_more = failed.len().saturating_sub(ROWS) as u64;
        failed.truncate(ROWS);
        let mut logins: Vec<Login> = self
            .logins
            .into_iter()
            .map(|((account, address), count)| Login {
                account,
                address,
                count,
            })
            .collect();
        logins.sort_by(|x, y| x.account.cmp(&y.account).then(y.count.cmp(&x.count)));
        logins.truncate(ROWS);
        let mut refused: Vec<Refused> = self
            .refused
            .into_iter()
            .map(|((account, how, detail), count)| Refused {
                account,
                how,
                detail,
                count,
            })
            .collect();
        refused.truncate(ROWS);
        HostDay {
            host,
            day,
            failed,
            failed_more,
            logins,
            refused,
            changes: self.changes,
            unclassified: self.unclassified,
            unclassified_examples: self.examples,
        }
    }
}

/// Each host's days in [from, to), in `zone`'s days (UTC when none),
/// hosts by name.
pub fn summarize(
    store: &dyn Store,
    zone: Option<Tz>,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> Result<Vec<HostDay>> {
    let zone = zone.unwrap_or(chrono_tz::UTC);
    let mut by: BTreeMap<(String, NaiveDate), Acc> = BTreeMap::new();
    let first = from.with_timezone(&zone).date_naive();
    let last = to.with_timezone(&zone).date_naive();
    for kind in HOST_KINDS {
        // A day either side: the filter's dates are UTC days, the
        // summary's the zone's; the times are held exactly below.
        // What the summary never shows is left in the store: sessions,
        // connections and probes, audited commands and file reads are most
        // of a host's events.
        let q = Query::parse(&format!(
            "kind:{kind} after:{} before:{} {}",
            first - chrono::Duration::days(1),
            last + chrono::Duration::days(2),
            SKIPPED
                .iter()
                .map(|a| format!("-action:{a}"))
                .collect::<Vec<_>>()
                .join(" ")
        ))
        .map_err(|e| color_eyre::eyre::eyre!("{e}"))?;
        store.for_each_event(&q, 0, &mut |e| {
            if e.occurred_at < from || e.occurred_at >= to {
                return Ok(());
            }
            let host = e
                .host
                .as_ref()
                .map(|h| h.as_str().to_owned())
                .unwrap_or_else(|| format!("({})", e.source.as_str()));
            let day = e.occurred_at.with_timezone(&zone).date_naive();
            by.entry((host, day)).or_default().add(&e);
            Ok(())
        })?;
    }
    Ok(by
        .into_iter()
        .map(|((h, d), acc)| acc.finish(h, d))
        .filter(|h| !h.is_empty())
        .collect())
}

/// The summary as rows of (host, day, what, detail), for the screen and the
/// report: failures first, then logins, refusals, changes and what was not
/// understood.
pub fn rows(days: &[HostDay]) -> Vec<[String; 4]> {
    let mut out = Vec::new();
    for d in days {
        let mut row = |what: &str, detail: String| {
            out.push([d.host.clone(), d.day.to_string(), what.to_owned(), detail]);
        };
        for f in &d.failed {
            let accounts = if f.accounts.is_empty() {
                "no account named".to_owned()
            } else {
                format!(
                    "accounts {}{}",
                    f.accounts.join(", "),
                    if f.more_accounts { ", …" } else { "" }
                )
            };
            let n = if f.attempts == 1 {
                "attempt"
            } else {
                "attempts"
            };
            row(
                "failed logins",
                format!("{}: {} {n}; {accounts}", f.address, f.attempts),
            );
        }
        if d.failed_more > 0 {
            row(
                "failed logins",
                format!("and {} more addresses", d.failed_more),
            );
        }
        for l in &d.logins {
            let from = if l.address.is_empty() {
                String::new()
            } else {
                format!(" from {}", l.address)
            };
            row(
                "login",
                format!("{}{from} ×{}", or_unnamed(&l.account), l.count),
            );
        }
        for r in &d.refused {
            row(
                &format!("refused {}", r.how),
                format!("{}: {} ×{}", or_unnamed(&r.account), r.detail, r.count),
            );
        }
        for c in &d.changes {
            let by = if c.by.is_empty() {
                String::new()
            } else {
                format!(" by {}", c.by)
            };
            row(
                &c.action,
                format!(
                    "{}{by} ({}): {}",
                    or_unnamed(&c.subject),
                    c.outcome,
                    c.detail
                ),
            );
        }
        if d.unclassified > 0 {
            row(
                "unclassified",
                format!(
                    "{} lines not understood, e.g. {}",
                    d.unclassified,
                    d.unclassified_examples.join(" | ")
                ),
            );
        }
    }
    out
}

fn or_unnamed(s: &str) -> &str {
    if s.is_empty() { "(unnamed)" } else { s }
}
