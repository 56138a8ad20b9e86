//! Labelled authentication logs and how well the parsers read them: the
//! families test and `examples/auth-families.rs` share it.
//!
//! Two labellings are understood: vigil's own (`# family: NAME`, then `#
//! expect: outcome=failure client=ADDR actor=NAME action=A attempt=yes`
//! before a line; tests/fixtures/auth-families.log) and fail2ban's test
//! logs (`# failJSON: { "match": true, "host": "ADDR" }`), so the same
//! numbers can be taken on files kept outside this repository.

use chrono::{DateTime, Utc};
use serde_json::Value;

use super::RecordParser;
use super::journald;
use super::syslog::SyslogParser;
use vigil_domain::{NewEvent, Outcome, action};

/// What a labelled line should parse to; unset keys are not checked.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Expect {
    pub outcome: Option<Outcome>,
    /// `Some(None)`: no address.
    pub client: Option<Option<String>>,
    pub actor: Option<String>,
    pub action: Option<String>,
    /// Whether the line counts as an attempt of its own.
    pub attempt: Option<bool>,
}

#[derive(Debug, Clone)]
pub struct Case {
    pub family: String,
    /// Line number in the labelled file.
    pub number: usize,
    pub line: String,
    pub expect: Expect,
}

/// The labelled lines of a file: vigil's labels, fail2ban's, or SSHGuard's
/// parser tests (a line, its verdict `100 ADDR 4 10` or `*`, then `M`).
pub fn read(text: &str) -> Vec<Case> {
    if text.contains("\nM\n") {
        return sshguard(text);
    }
    let mut out = Vec::new();
    let mut family = String::new();
    let mut pending: Option<Expect> = None;
    for (i, line) in text.lines().enumerate() {
        if let Some(f) = line.strip_prefix("# family: ") {
            family = f.trim().to_owned();
        } else if let Some(e) = line.strip_prefix("# expect: ") {
            pending = Some(ours(e));
        } else if let Some(j) = line.strip_prefix("# failJSON:") {
            pending = fail2ban(j);
        } else if line.starts_with('#') || line.trim().is_empty() {
            continue;
        } else if let Some(expect) = pending.take() {
            let line = with_header(line);
            let fam = if family.is_empty() {
                family_of(&line).to_owned()
            } else {
                family.clone()
            };
            out.push(Case {
                family: fam,
                number: i + 1,
                line,
                expect,
            });
        }
    }
    out
}

fn sshguard(text: &str) -> Vec<Case> {
    let lines: Vec<(usize, &str)> = text
        .lines()
        .enumerate()
        .filter(|(_, l)| !l.starts_with('#') && !l.trim().is_empty())
        .collect();
    lines
        .chunks(3)
        .filter(|c| c.len() == 3 && c[2].1 == "M")
        .map(|c| {
            let (number, line) = c[0];
            let verdict: Vec<&str> = c[1].1.split(' ').collect();
            let expect = match verdict.as_slice() {
                [service, addr, ..] if service.starts_with('1') => Expect {
                    outcome: Some(Outcome::Failure),
                    client: Some(Some((*addr).to_owned())),
                    ..Expect::default()
                },
                _ => Expect {
                    outcome: Some(Outcome::Unknown),
                    ..Expect::default()
                },
            };
            // A bare message is sshd's, on a connection of its own.
            let line = if line.contains(": ") && with_header(line) == line {
                line.to_owned()
            } else {
                format!("Jan  1 00:00:00 h sshd[{}]: {line}", 90000 + number)
            };
            Case {
                family: family_of(&line).to_owned(),
                number: number + 1,
                line,
                expect,
            }
        })
        .collect()
}

fn ours(e: &str) -> Expect {
    let mut x = Expect::default();
    for kv in e.split_whitespace() {
        let Some((k, v)) = kv.split_once('=') else {
            continue;
        };
        match k {
            "outcome" => x.outcome = v.parse().ok(),
            "client" => x.client = Some((v != "-").then(|| v.to_owned())),
            "actor" => x.actor = Some(v.to_owned()),
            "action" => x.action = Some(v.to_owned()),
            "attempt" => x.attempt = Some(v == "yes"),
            _ => {}
        }
    }
    x
}

fn fail2ban(j: &str) -> Option<Expect> {
    let v: Value = serde_json::from_str(j.trim()).ok()?;
    let matched = v.get("match")?.as_bool()?;
    let host = ["host", "ip4", "ip6"]
        .iter()
        .find_map(|k| v.get(*k).and_then(Value::as_str));
    Some(if matched {
        Expect {
            outcome: Some(Outcome::Failure),
            client: host.map(|h| Some(h.to_owned())),
            ..Expect::default()
        }
    } else {
        Expect {
            outcome: Some(Outcome::Unknown),
            ..Expect::default()
        }
    })
}

/// A journal-style line (`host sshd[1]: …`, no time) gets a header.
fn with_header(line: &str) -> String {
    const MONTHS: &[&str] = &[
        "Jan ", "Feb ", "Mar ", "Apr ", "May ", "Jun ", "Jul ", "Aug ", "Sep ", "Oct ", "Nov ",
        "Dec ",
    ];
    let b = line.as_bytes();
    let dated = b.first().is_some_and(u8::is_ascii_digit)
        || b.first() == Some(&b'<')
        || MONTHS.iter().any(|m| line.starts_with(m));
    if dated {
        line.to_owned()
    } else {
        format!("Jan  1 00:00:00 {line}")
    }
}

/// The family of a line nobody named: the program and the message's
/// first words.
pub fn family_of(line: &str) -> &'static str {
    let has = |s: &str| line.contains(s);
    if has("dropbear") {
        "dropbear"
    } else if has("pam_") || has("(pam_unix)") || has("PAM ") && has("more authentication") {
        "pam-layouts"
    } else if has("error: PAM:") {
        "openssh-bsd-pam"
    } else if has("not allowed because") || has("LOGIN REFUSED") || has("refused connect") {
        "sshd-access-control"
    } else if has("[ID ") || has("keyboard-interactive") {
        "solaris-and-keyboard-interactive"
    } else if has("kernel:") && has("sshd") {
        "journal-kernel-prefix"
    } else if line.matches(" from ").count() > 1 || has(" ruser ") || has("client user") {
        "injection"
    } else if has("Did not receive")
        || has("Unable to negotiate")
        || has("Bad protocol")
        || has("kex_exchange")
        || has("Read from socket")
        || has("no matching")
    {
        "sshd-probes"
    } else if has("Connection closed")
        || has("Disconnect")
        || has("Received disconnect")
        || has("Connection reset")
        || has("Connection from")
    {
        "sshd-disconnects"
    } else {
        "openssh"
    }
}

/// One case's result: the line's event (the first it made), or why none.
pub type Got = Result<NewEvent, String>;

/// Reads the cases as one syslog file, in order (connections are followed
/// across lines, as in a real file).
pub fn as_syslog(cases: &[Case]) -> Vec<Got> {
    let reference: DateTime<Utc> = "2026-12-31T00:00:00Z".parse().unwrap_or_default();
    let mut p = SyslogParser::new(None, reference, "");
    cases
        .iter()
        .map(|c| {
            let mut out = Vec::new();
            p.parse(c.line.as_bytes(), 0, &mut out)?;
            out.pop().ok_or_else(|| "no event".to_owned())
        })
        .collect()
}

/// Reads the cases as the journal would hold them: the same messages as
/// journald JSON entries from the program's own process (`_COMM`, `_PID`,
/// `_UID=0`).
pub fn as_journal(cases: &[Case]) -> Vec<Got> {
    let mut p = journald::parser("");
    cases
        .iter()
        .map(|c| {
            let (comm, pid, msg) = split_tag(&c.line).ok_or("no tag")?;
            let entry = serde_json::json!({
                "__REALTIME_TIMESTAMP": "1700000000000000",
                "_HOSTNAME": "h",
                "_COMM": comm,
                "_PID": pid,
                "_UID": "0",
                "MESSAGE": msg,
            });
            let mut out = Vec::new();
            p.parse(entry.to_string().as_bytes(), 0, &mut out)?;
            if let Some(r) = p.rejects().pop() {
                return Err(r.reason);
            }
            out.pop().ok_or_else(|| "no event".to_owned())
        })
        .collect()
}

/// `… prog[pid]: msg` -> (prog, pid, msg), for the journal form.
fn split_tag(line: &str) -> Option<(String, String, String)> {
    let (head, msg) = line.split_once("]: ")?;
    let (before, pid) = head.rsplit_once('[')?;
    let prog = before.rsplit(' ').next()?;
    let prog = prog.split('(').next().unwrap_or(prog);
    Some((prog.to_owned(), pid.to_owned(), msg.to_owned()))
}

/// How a parsed line differs from its label (empty: as labelled).
pub fn mismatches(c: &Case, got: &Got) -> Vec<String> {
    let e = match got {
        Ok(e) => e,
        Err(why) => return vec![format!("not parsed: {why}")],
    };
    let mut m = Vec::new();
    let txt = |t: &Option<vigil_domain::SafeText>| t.as_ref().map(|t| t.as_str().to_owned());
    let x = &c.expect;
    if let Some(o) = x.outcome {
        let fail = e.outcome == Outcome::Failure;
        // fail2ban's `match: false` means "not a failure".
        let ok = if o == Outcome::Failure {
            fail
        } else if o == Outcome::Unknown {
            !fail
        } else {
            e.outcome == o
        };
        if !ok {
            m.push(format!("outcome {} (want {o})", e.outcome));
        }
    }
    if let Some(want) = &x.client
        && txt(&e.client) != *want
    {
        m.push(format!("client {:?} (want {want:?})", txt(&e.client)));
    }
    if let Some(want) = &x.actor
        && txt(&e.actor).as_deref() != Some(want.as_str())
    {
        m.push(format!("actor {:?} (want {want:?})", txt(&e.actor)));
    }
    if let Some(want) = &x.action
        && e.action.as_str() != want
    {
        m.push(format!("action {} (want {want})", e.action.as_str()));
    }
    if let Some(want) = x.attempt {
        let counts = action::is_failed_attempt(
            e.action.as_str(),
            e.outcome,
            e.detail.as_ref().map(|d| d.as_str()),
        );
        if counts != want {
            m.push(format!("counts as an attempt: {counts} (want {want})"));
        }
    }
    m
}

/// Failure recognition in one family.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Score {
    pub lines: usize,
    /// Lines labelled as failures.
    pub failures: usize,
    /// Of those, read as failures.
    pub recognized: usize,
    /// Of those, with the labelled address (or none labelled).
    pub with_address: usize,
    /// Lines read as failures that are not labelled so.
    pub false_failures: usize,
    /// Lines whose every label matched.
    pub exact: usize,
}

impl Score {
    pub fn add(&mut self, c: &Case, got: &Got) {
        self.lines += 1;
        let fail = got.as_ref().is_ok_and(|e| e.outcome == Outcome::Failure);
        let labelled = c.expect.outcome == Some(Outcome::Failure);
        if labelled {
            self.failures += 1;
            if fail {
                self.recognized += 1;
                let addr_ok = match &c.expect.client {
                    None => true,
                    Some(want) => {
                        got.as_ref()
                            .ok()
                            .and_then(|e| e.client.as_ref())
                            .map(|t| t.as_str())
                            == want.as_deref()
                    }
                };
                if addr_ok {
                    self.with_address += 1;
                }
            }
        } else if fail && c.expect.outcome.is_some() {
            self.false_failures += 1;
        }
        if mismatches(c, got).is_empty() {
            self.exact += 1;
        }
    }

    /// Recall with the right address, in percent.
    pub fn recall(&self) -> f64 {
        pct(self.with_address, self.failures)
    }

    /// Of the lines read as failures, how many are labelled failures with
    /// the right address, in percent.
    pub fn precision(&self) -> f64 {
        pct(self.with_address, self.recognized + self.false_failures)
    }
}

fn pct(a: usize, b: usize) -> f64 {
    if b == 0 {
        100.0
    } else {
        100.0 * a as f64 / b as f64
    }
}

/// Scores per family (sorted by name) and in total.
pub fn score(cases: &[Case], got: &[Got]) -> (Vec<(String, Score)>, Score) {
    let mut by: std::collections::BTreeMap<String, Score> = Default::default();
    let mut total = Score::default();
    for (c, g) in cases.iter().zip(got) {
        by.entry(c.family.clone()).or_default().add(c, g);
        total.add(c, g);
    }
    (by.into_iter().collect(), total)
}
