//! The `pgaudit` kind: PostgreSQL server logs carrying pgAudit entries, in
//! `csvlog` format (recognized by its first column) or in the stderr format
//! with the server's `log_line_prefix` (a per-source setting, default
//! `%m [%p] `). `AUDIT: SESSION|OBJECT,…` becomes actor (the database user),
//! action (the class: read, write, ddl, role, …), subject (the object, such
//! as `public.patients`), client, and the statement, capped.
//!
//! A statement may span lines: a line that does not start with the prefix
//! continues the record only while one of its quoted fields is still open.
//! Zone abbreviations in the log's times (`CET`) are not guessed; they come
//! from `[source.zone_abbreviations]`, or the source's `timezone`.

use chrono::{DateTime, FixedOffset, NaiveDateTime, TimeZone, Utc};
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};

use super::{ParserOptions, RecordParser, Reject};
use vigil_domain::{NewEvent, Outcome, SafeText, TimeBasis, ZoneBasis};

/// PostgreSQL's default `log_line_prefix` (since version 10).
pub const DEFAULT_PREFIX: &str = "%m [%p] ";
/// Prefixes servers are commonly configured with, tried in this order when
/// the source names none: PostgreSQL's default, Debian's and RHEL's
/// packages, Amazon RDS, the pgBadger and pgaudit-analyze recommendations.
pub const COMMON_PREFIXES: &[&str] = &[
    "%m [%p] ",
    "%m [%p] %q%u@%d ",
    "%t [%p]: [%l-1] user=%u,db=%d,app=%a,client=%h ",
    "%t [%p]: [%l-1] ",
    "%m [%p]: [%l-1] user=%u,db=%d,app=%a,client=%h ",
    "%t:%r:%u@%d:[%p]:",
    "< %m > ",
    "%m [%p] %q[user=%u,db=%d,app=%a] ",
    "%m %u %d [%p]: ",
    "%t [%p] ",
    "%m ",
    "%t ",
];
/// Longest statement kept in an event's detail.
const MAX_STATEMENT: usize = 2000;
/// A record still open after this many bytes is cut and quarantined.
const MAX_RECORD: usize = 1024 * 1024;

#[derive(Debug, Clone, PartialEq)]
enum Part {
    Lit(String),
    Esc(char),
}

/// What the prefix and the record said around the audit payload.
#[derive(Debug, Default)]
struct Context {
    time: Option<String>,
    epoch: Option<String>,
    user: Option<String>,
    database: Option<String>,
    client: Option<String>,
    pid: Option<String>,
}

#[derive(Debug, Default, Serialize, Deserialize)]
struct Saved {
    /// A record whose quoted field was still open: offset and text.
    open: Option<(u64, String)>,
    /// The `log_line_prefix` detected on an earlier read.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    prefix: Option<String>,
}

pub struct PgauditParser {
    prefix: Vec<Part>,
    /// The configured prefix, or none when it is detected.
    configured: Option<String>,
    /// The detected prefix, once one matched.
    detected: Option<String>,
    /// An audit line no prefix could read: the file stops there.
    stop: Option<String>,
    zone: Option<Tz>,
    abbreviations: std::collections::BTreeMap<String, i32>,
    open: Option<(u64, String)>,
    rejects: Vec<Reject>,
}

fn compile(template: &str) -> Vec<Part> {
    let mut parts = Vec::new();
    let mut lit = String::new();
    let mut chars = template.chars();
    while let Some(c) = chars.next() {
        if c != '%' {
            lit.push(c);
            continue;
        }
        match chars.next() {
            Some('%') => lit.push('%'),
            // `%q` ends the prefix for background processes: what follows
            // is simply absent there, which the matcher tolerates.
            Some('q') | None => {}
            Some(e) => {
                if !lit.is_empty() {
                    parts.push(Part::Lit(std::mem::take(&mut lit)));
                }
                parts.push(Part::Esc(e));
            }
        }
    }
    if !lit.is_empty() {
        parts.push(Part::Lit(lit));
    }
    parts
}

impl PgauditParser {
    pub fn new(zone: Option<Tz>, options: &ParserOptions, state: &str) -> Self {
        let saved: Saved = serde_json::from_str(state).unwrap_or_default();
        let configured = options.log_line_prefix.clone();
        let detected = saved.prefix.filter(|_| configured.is_none());
        let template = configured
            .as_deref()
            .or(detected.as_deref())
            .unwrap_or(DEFAULT_PREFIX);
        PgauditParser {
            prefix: compile(template),
            configured,
            detected,
            stop: None,
            zone,
            abbreviations: options.zone_abbreviations.clone(),
            open: saved.open,
            rejects: Vec::new(),
        }
    }

    /// Matches the prefix at the start of `line`; returns what it captured
    /// and the rest of the line.
    fn match_prefix<'a>(&self, line: &'a str) -> Option<(Context, &'a str)> {
        match_with(&self.prefix, line)
    }

    /// The line is an audit record the prefix in use cannot read: finds a
    /// common prefix that can (and, when none was configured, uses it from
    /// now on), or says which setting to fix.
    fn unreadable(&mut self, line: &str) -> Result<bool, String> {
        let fits = COMMON_PREFIXES.iter().find(|p| {
            let parts = compile(p);
            match_with(&parts, line).is_some_and(|(ctx, rest)| {
                audit_payload(rest).is_some() && (ctx.time.is_some() || ctx.epoch.is_some())
            })
        });
        match (fits, &self.configured) {
            (Some(p), None) => {
                self.prefix = compile(p);
                self.detected = Some((*p).to_owned());
                Ok(true)
            }
            (Some(p), Some(c)) => Err(format!(
                "an AUDIT line does not match the source's log_line_prefix {c:?}, but matches {p:?}: set log_line_prefix = {p:?} (the server's setting) and pull again; the source waits at this line"
            )),
            (None, Some(c)) => Err(format!(
                "an AUDIT line does not match the source's log_line_prefix {c:?}: set log_line_prefix to the server's (SHOW log_line_prefix;) and pull again; the source waits at this line"
            )),
            (None, None) => Err(format!(
                "an AUDIT line matches none of the common log_line_prefix settings (tried {}): set the source's log_line_prefix to the server's (SHOW log_line_prefix;) and pull again; the source waits at this line",
                COMMON_PREFIXES.len()
            )),
        }
    }
}

/// Matches `prefix` at the start of `line`; returns what it captured and
/// the rest of the line.
fn match_with<'a>(prefix: &[Part], line: &'a str) -> Option<(Context, &'a str)> {
    {
        let mut ctx = Context::default();
        let mut rest = line;
        for (i, part) in prefix.iter().enumerate() {
            match part {
                Part::Lit(l) => rest = rest.strip_prefix(l.as_str())?,
                Part::Esc(e) => {
                    let next = prefix[i + 1..].iter().find_map(|p| match p {
                        Part::Lit(l) => Some(l.as_str()),
                        Part::Esc(_) => None,
                    });
                    let (value, after) = match e {
                        'm' | 't' | 's' => take_timestamp(rest, next)?,
                        _ => match next {
                            Some(n) => {
                                let at = rest.find(n)?;
                                (&rest[..at], &rest[at..])
                            }
                            None => {
                                let at = rest.find(' ').unwrap_or(rest.len());
                                (&rest[..at], &rest[at..])
                            }
                        },
                    };
                    let v = Some(value.to_owned()).filter(|v| !v.is_empty() && v != "[unknown]");
                    match e {
                        'm' | 't' => ctx.time = v,
                        'n' => ctx.epoch = v,
                        'u' => ctx.user = v,
                        'd' => ctx.database = v,
                        'r' | 'h' => ctx.client = v.map(|c| strip_port(&c).to_owned()),
                        'p' => ctx.pid = v,
                        _ => {}
                    }
                    rest = after;
                }
            }
        }
        Some((ctx, rest))
    }
}

impl PgauditParser {
    fn time(&self, ctx: &Context) -> Result<(DateTime<Utc>, TimeBasis), String> {
        if let Some(e) = &ctx.epoch {
            let secs: f64 = e.parse().map_err(|_| format!("bad epoch time {e:?}"))?;
            let t = DateTime::<Utc>::from_timestamp_millis((secs * 1000.0).round() as i64)
                .ok_or("epoch time out of range")?;
            return Ok((t, TimeBasis::default()));
        }
        let text = ctx.time.as_deref().ok_or(
            "no time in the line: set the source's log_line_prefix to the server's (with %m or %t)",
        )?;
        let (stamp, abbr) = text.rsplit_once(' ').unwrap_or((text, ""));
        let naive = NaiveDateTime::parse_from_str(stamp, "%Y-%m-%d %H:%M:%S%.f")
            .map_err(|_| format!("bad time {text:?}"))?;
        let offset = match abbr {
            "UTC" | "GMT" | "Z" | "UCT" => Some(0),
            a if a.starts_with(['+', '-']) && a[1..].bytes().all(|b| b.is_ascii_digit()) => {
                a.parse::<i32>().ok().map(|h| h * 3600)
            }
            a => self.abbreviations.get(a).copied(),
        };
        if let Some(secs) = offset {
            let off = FixedOffset::east_opt(secs).ok_or("zone offset out of range")?;
            let t = off
                .from_local_datetime(&naive)
                .single()
                .ok_or("time does not exist")?;
            return Ok((t.with_timezone(&Utc), TimeBasis::default()));
        }
        match self.zone {
            Some(tz) => {
                let t = tz
                    .from_local_datetime(&naive)
                    .earliest()
                    .ok_or_else(|| format!("{stamp} does not exist in {tz}"))?;
                Ok((
                    t.with_timezone(&Utc),
                    TimeBasis {
                        zone: ZoneBasis::AssumedHostLocal,
                        year_inferred: false,
                    },
                ))
            }
            None => Err(format!(
                "time zone abbreviation {abbr:?} is not known: add it to the source as [source.zone_abbreviations] {abbr} = \"+01:00\" (its offset), or set the source's timezone"
            )),
        }
    }

    /// One complete record (its lines joined).
    fn record(&self, text: &str, offset: u64, out: &mut Vec<NewEvent>) -> Result<(), String> {
        let (ctx, payload) = if is_csvlog(text) {
            let cols = split_csv(text)?;
            if cols.len() < 14 {
                return Err(format!(
                    "csvlog row has {} columns, expected at least 23",
                    cols.len()
                ));
            }
            let message = cols[13].clone();
            let Some(payload) = message.strip_prefix("AUDIT: ") else {
                return Ok(()); // a server message that is not an audit entry
            };
            let ctx = Context {
                time: Some(cols[0].clone()),
                epoch: None,
                user: Some(cols[1].clone()).filter(|v| !v.is_empty()),
                database: Some(cols[2].clone()).filter(|v| !v.is_empty()),
                pid: Some(cols[3].clone()),
                client: Some(strip_port(&cols[4]).to_owned()).filter(|v| !v.is_empty()),
            };
            (ctx, payload.to_owned())
        } else {
            // A line without the prefix continues some other multi-line
            // message (DETAIL, a long plain statement): not ours, unless it
            // is an audit record the prefix cannot read.
            let payload = self
                .match_prefix(text)
                .and_then(|(ctx, rest)| audit_payload(rest).map(|p| (ctx, p.to_owned())));
            match payload {
                Some(p) => p,
                None if looks_like_audit(text) => return Err(AUDIT_UNREAD.into()),
                None => return Ok(()),
            }
        };
        let f = split_csv(&payload)?;
        if f.len() < 7 {
            return Err(format!(
                "AUDIT entry has {} fields, expected 9 or 10",
                f.len()
            ));
        }
        let (t, basis) = self.time(&ctx)?;
        let class = f[3].to_ascii_lowercase().replace('_', "-");
        let get = |i: usize| f.get(i).map(String::as_str).unwrap_or("");
        let mut detail = format!(
            "{} {} {}{}",
            get(0),
            get(4),
            get(5),
            ctx.database
                .as_deref()
                .map(|d| format!(" in database {d}"))
                .unwrap_or_default()
        );
        let statement = get(7);
        if !statement.is_empty() {
            let cut: String = statement.chars().take(MAX_STATEMENT).collect();
            detail.push_str("; statement: ");
            detail.push_str(&cut);
            if cut.len() < statement.len() {
                detail.push_str(" [cut]");
            }
        }
        let param = get(8);
        if !param.is_empty() && param != "<none>" && param != "<not logged>" {
            detail.push_str("; parameters: ");
            detail.push_str(&param.chars().take(500).collect::<String>());
        }
        if let Some(rows) = f.get(9).filter(|r| !r.is_empty()) {
            detail.push_str(&format!("; rows: {rows}"));
        }
        if f.len() < 9 {
            detail.push_str(" [partial: statement not logged]");
        }
        out.push(NewEvent {
            occurred_at: t,
            time_basis: basis,
            host: None,
            program: Some(SafeText::from_static("postgres")),
            actor: ctx.user.as_deref().map(SafeText::new),
            subject: Some(get(6)).filter(|s| !s.is_empty()).map(SafeText::new),
            action: SafeText::new(&class),
            outcome: Outcome::Success,
            client: ctx.client.as_deref().map(SafeText::new),
            detail: Some(SafeText::new(&detail)),
            raw: text.as_bytes().to_vec(),
            offset,
            seq: 0,
        });
        Ok(())
    }

    fn starts_record(&self, line: &str) -> bool {
        is_csvlog(line) || self.match_prefix(line).is_some()
    }
}

/// What `record` says of an audit line the prefix cannot read; `parse`
/// then looks for one that can.
const AUDIT_UNREAD: &str = "AUDIT line not matched by log_line_prefix";

/// A line that carries a pgAudit record whatever prefix stands before it.
fn looks_like_audit(line: &str) -> bool {
    line.contains(":  AUDIT: SESSION,") || line.contains(":  AUDIT: OBJECT,")
}

/// `LOG:  AUDIT: …` (any severity) after the prefix.
fn audit_payload(rest: &str) -> Option<&str> {
    let (sev, after) = rest.split_once(":  ")?;
    if sev.is_empty()
        || !sev
            .bytes()
            .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit())
    {
        return None;
    }
    after.strip_prefix("AUDIT: ")
}

fn strip_port(c: &str) -> &str {
    // `%r` is `host(port)`; csvlog's connection_from is `host:port`.
    if let Some(i) = c.find('(') {
        return &c[..i];
    }
    match c.rsplit_once(':') {
        Some((h, p)) if !h.contains(':') && p.bytes().all(|b| b.is_ascii_digit()) => h,
        _ => c,
    }
}

/// `YYYY-MM-DD HH:MM:SS[.fff] ZONE` at the start of `s`.
fn take_timestamp<'a>(s: &'a str, next: Option<&str>) -> Option<(&'a str, &'a str)> {
    let b = s.as_bytes();
    if b.len() < 19
        || !b[..19].iter().enumerate().all(|(i, c)| match i {
            4 | 7 => *c == b'-',
            10 => *c == b' ',
            13 | 16 => *c == b':',
            _ => c.is_ascii_digit(),
        })
    {
        return None;
    }
    let mut i = 19;
    if b.get(i) == Some(&b'.') {
        i += 1;
        while b.get(i).is_some_and(u8::is_ascii_digit) {
            i += 1;
        }
    }
    if b.get(i) == Some(&b' ') {
        let stop = next.and_then(|n| n.chars().next()).unwrap_or(' ');
        let z = i + 1;
        let mut j = z;
        while j < b.len() && b[j] != b' ' && b[j] as char != stop {
            j += 1;
        }
        i = j;
        if !s.is_char_boundary(i) {
            return None;
        }
    }
    Some((&s[..i], &s[i..]))
}

fn is_csvlog(line: &str) -> bool {
    // The first column is the log time with its zone, then a comma.
    let Some((first, _)) = line.split_once(',') else {
        return false;
    };
    first.len() >= 23
        && first.len() <= 40
        && take_timestamp(first, None)
            .is_some_and(|(t, rest)| rest.is_empty() && t.len() == first.len())
        && first.bytes().filter(|c| *c == b' ').count() == 2
}

fn split_csv(s: &str) -> Result<Vec<String>, String> {
    super::access_csv::split_record(s, false)
}

/// Whether a quoted field is open at the end of `s` (quotes are doubled
/// inside fields, so the count's parity tells).
fn quote_open(s: &str) -> bool {
    !s.bytes().filter(|b| *b == b'"').count().is_multiple_of(2)
}

impl RecordParser for PgauditParser {
    fn parse(&mut self, line: &[u8], offset: u64, out: &mut Vec<NewEvent>) -> Result<(), String> {
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        let text = String::from_utf8_lossy(line);
        if let Some((start, mut held)) = self.open.take() {
            // Only a record with a quoted field still open is held, and
            // every line belongs to it until the quote closes.
            held.push('\n');
            held.push_str(&text);
            // The held text has an odd number of quotes: it stays open
            // while the new line adds an even number.
            if !quote_open(&text) {
                if held.len() > MAX_RECORD {
                    self.rejects.push(Reject::record(
                        start,
                        format!("quoted statement still open after {MAX_RECORD} bytes"),
                        held.into_bytes(),
                    ));
                } else {
                    self.open = Some((start, held));
                }
                return Ok(());
            }
            if let Err(reason) = self.record(&held, start, out) {
                self.rejects
                    .push(Reject::record(start, reason, held.into_bytes()));
            }
            return Ok(());
        }
        if quote_open(&text) {
            // An audit entry whose quoted statement goes on below is held;
            // any other line with an open quote is someone else's message.
            if (is_csvlog(&text) || text.contains("AUDIT: ")) && self.starts_record(&text) {
                self.open = Some((offset, text.into_owned()));
            } else if looks_like_audit(&text) {
                match self.unreadable(&text) {
                    Ok(_) => self.open = Some((offset, text.into_owned())),
                    Err(why) => {
                        self.stop = Some(why.clone());
                        return Err(why);
                    }
                }
            }
            return Ok(());
        }
        match self.record(&text, offset, out) {
            Err(e) if e == AUDIT_UNREAD => match self.unreadable(&text) {
                Ok(_) => self.record(&text, offset, out),
                Err(why) => {
                    self.stop = Some(why.clone());
                    Err(why)
                }
            },
            other => other,
        }
    }

    fn state(&self) -> String {
        if self.open.is_none() && self.detected.is_none() {
            return String::new();
        }
        serde_json::to_string(&Saved {
            open: self.open.clone(),
            prefix: self.detected.clone(),
        })
        .unwrap_or_default()
    }

    fn fatal(&self) -> Option<String> {
        self.stop.clone()
    }

    fn notice(&self) -> Option<String> {
        self.detected
            .as_ref()
            .map(|p| format!("log_line_prefix detected: {p:?}"))
    }

    fn rejects(&mut self) -> Vec<Reject> {
        std::mem::take(&mut self.rejects)
    }

    fn finish(&mut self, _out: &mut Vec<NewEvent>) {
        if let Some((offset, held)) = self.open.take() {
            self.rejects.push(Reject::record(
                offset,
                "the log ended inside a quoted statement",
                held.into_bytes(),
            ));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prefix_templates_match_what_servers_write() {
        let p = PgauditParser::new(
            None,
            &ParserOptions {
                log_line_prefix: Some("%t:%r:%u@%d:[%p]:".into()),
                ..ParserOptions::default()
            },
            "",
        );
        let line = "2020-11-13 08:07:36 UTC:10.0.1.123(50322):audit_user1@auditdb:[24298]:LOG:  AUDIT: SESSION,2,1,READ,SELECT,TABLE,public.t1,select count(*) from t1;,<none>";
        let mut out = Vec::new();
        p.record(line, 0, &mut out).unwrap();
        let e = &out[0];
        assert_eq!(e.actor.as_ref().unwrap().as_str(), "audit_user1");
        assert_eq!(e.client.as_ref().unwrap().as_str(), "10.0.1.123");
        assert_eq!(e.subject.as_ref().unwrap().as_str(), "public.t1");
        assert_eq!(e.action.as_str(), "read");
        assert_eq!(e.occurred_at.to_rfc3339(), "2020-11-13T08:07:36+00:00");
        // A background process leaves the session parts empty.
        let bg = "2020-11-13 08:07:36 UTC::@:[32064]:LOG:  AUDIT: SESSION,1,1,DDL,CREATE TABLE,TABLE,public.x,create table x(),<none>";
        let mut out = Vec::new();
        p.record(bg, 0, &mut out).unwrap();
        assert!(out[0].actor.is_none());
    }
}
