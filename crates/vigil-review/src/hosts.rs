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

use vigil_domain::Outcome;
use vigil_domain::action as a;
use vigil_store::{HostRow, Store};

/// Kinds whose events are a host's own log.
pub const HOST_KINDS: &[&str] = &["syslog", "journald-json", "auditd"];
/// The actions the summary has a line for, whatever their outcome…
fn actions() -> Vec<&'static str> {
    let mut v = vec![a::LOGIN, a::OTHER];
    v.extend_from_slice(a::ACCOUNT_CHANGES);
    v
}
/// …and those it shows only when they failed (most sudo runs succeed).
const FAILURES: &[&str] = &[a::AUTH, a::INVALID_USER, a::DISCONNECT, a::SUDO, a::SU];
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

fn text(t: Option<&str>) -> String {
    t.unwrap_or_default().to_owned()
}

#[derive(Default)]
struct Acc {
    failed: BTreeMap<String, Failed>,
    /// "account\0address" -> logins: found by a key built in `key`, so a
    /// login already counted allocates nothing.
    logins: BTreeMap<String, u64>,
    key: String,
    refused: BTreeMap<(String, String, String), u64>,
    changes: Vec<Change>,
    unclassified: u64,
    examples: Vec<String>,
}

fn attempt(e: &HostRow<'_>) -> bool {
    a::is_failed_attempt(e.action, e.outcome, e.detail)
}

impl Acc {
    fn add(&mut self, e: &HostRow<'_>) {
        let action = e.action;
        if attempt(e) {
            let addr = e.client.unwrap_or("(no address)");
            // bounded: past that many addresses, one more only counts
            let addr = if self.failed.len() >= ROWS * 20 && !self.failed.contains_key(addr) {
                "(other addresses)"
            } else {
                addr
            };
            // looked up before it is owned: most attempts come from an
            // address already counted
            let f = match self.failed.get_mut(addr) {
                Some(f) => f,
                None => self.failed.entry(addr.to_owned()).or_default(),
            };
            f.attempts += 1;
            if let Some(actor) = e.actor
                && !f.accounts.iter().any(|x| x == actor)
            {
                if f.accounts.len() < ACCOUNTS {
                    f.accounts.push(actor.to_owned());
                } else {
                    f.more_accounts = true;
                }
            }
        } else if action == a::LOGIN && e.outcome == Outcome::Success {
            self.key.clear();
            self.key.push_str(e.actor.unwrap_or_default());
            self.key.push('\0');
            self.key.push_str(e.client.unwrap_or_default());
            match self.logins.get_mut(self.key.as_str()) {
                Some(n) => *n += 1,
                None => {
                    self.logins.insert(self.key.clone(), 1);
                }
            }
        } else if (action == a::SUDO || action == a::SU)
            && e.outcome == Outcome::Failure
            && !a::not_an_attempt(e.detail)
        {
            let detail = match action {
                a::SU => format!("to {}", text(e.subject)),
                _ => text(e.detail),
            };
            *self
                .refused
                .entry((text(e.actor), action.to_owned(), detail))
                .or_default() += 1;
        } else if a::ACCOUNT_CHANGES.contains(&action) {
            if self.changes.len() < ROWS {
                self.changes.push(Change {
                    action: action.to_owned(),
                    subject: text(e.subject),
                    by: text(e.actor),
                    detail: text(e.detail),
                    outcome: e.outcome.to_string(),
                });
            }
        } else if action == a::OTHER {
            self.unclassified += 1;
            if self.examples.len() < EXAMPLES {
                let d = text(e.detail);
                let line = if d.is_empty() { text(e.raw) } else { d };
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
            .map(|(key, count)| {
                let (account, address) = key.split_once('\0').unwrap_or((&key, ""));
                Login {
                    account: account.to_owned(),
                    address: address.to_owned(),
                    count,
                }
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

/// A host's days, by host and then day.
type ByHost = std::collections::HashMap<String, BTreeMap<NaiveDate, Acc>>;

/// Each host's days in [from, to), in `zone`'s days (UTC when none),
/// hosts by name. Where the store offers a second connection, two threads
/// take the days one at a time (however the events fall over the period,
/// both stay busy): this is the report's largest read, every host event of
/// the period.
pub fn summarize(
    store: &dyn Store,
    zone: Option<Tz>,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> Result<Vec<HostDay>> {
    let tz = zone.unwrap_or(chrono_tz::UTC);
    let first = from.with_timezone(&tz).date_naive();
    let last = (to - chrono::Duration::microseconds(1))
        .with_timezone(&tz)
        .date_naive();
    let days = (last - first).num_days() + 1;
    // day i of the period, clipped to it
    let span = |i: i64| {
        let d = |k: i64| vigil_domain::time::day_start(Some(tz), first + chrono::Duration::days(k));
        (d(i).max(from), d(i + 1).min(to))
    };
    let next = std::sync::atomic::AtomicI64::new(0);
    let work = |store: &dyn Store| -> Result<ByHost> {
        let mut by = ByHost::default();
        loop {
            let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            if i >= days {
                return Ok(by);
            }
            let (a, b) = span(i);
            scan(store, tz, a, b, &mut by)?;
        }
    };
    let mut by = match store.reader()? {
        Some(other) if days >= 2 => {
            let (a, b) = std::thread::scope(|s| {
                let work = &work;
                let helper = s.spawn(move || work(other.as_ref()));
                let mine = work(store);
                (mine, helper.join())
            });
            let mut a = a?;
            let b =
                b.map_err(|_| color_eyre::eyre::eyre!("the host summary's reader panicked"))??;
            // each day was read by one of the two: a host's days are joined
            for (host, days) in b {
                a.entry(host).or_default().extend(days);
            }
            a
        }
        _ => work(store)?,
    }
    .into_iter()
    .collect::<Vec<_>>();
    by.sort_by(|a, b| a.0.cmp(&b.0));
    Ok(by
        .into_iter()
        .flat_map(|(h, days)| {
            days.into_iter()
                .map(move |(d, acc)| acc.finish(h.clone(), d))
        })
        .filter(|h| !h.is_empty())
        .collect())
}

fn scan(
    store: &dyn Store,
    zone: Tz,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
    by: &mut ByHost,
) -> Result<()> {
    // a row finds its host without an owned key, and the zone's day is
    // worked out again only when a row leaves the last
    let mut span: Option<(DateTime<Utc>, DateTime<Utc>, NaiveDate)> = None;
    let mut no_host = String::new();
    store.for_each_host_row(HOST_KINDS, from, to, &actions(), FAILURES, &mut |e| {
        let host = match e.host {
            Some(h) => h,
            None => {
                no_host = format!("({})", e.source);
                no_host.as_str()
            }
        };
        let day = match span {
            Some((a, b, d)) if e.occurred_at >= a && e.occurred_at < b => d,
            _ => {
                let d = e.occurred_at.with_timezone(&zone).date_naive();
                let start = vigil_domain::time::day_start(Some(zone), d);
                let end = vigil_domain::time::day_start(Some(zone), d + chrono::Duration::days(1));
                span = Some((start, end, d));
                d
            }
        };
        let days = match by.get_mut(host) {
            Some(days) => days,
            None => by.entry(host.to_owned()).or_default(),
        };
        days.entry(day).or_default().add(e);
        Ok(())
    })
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
