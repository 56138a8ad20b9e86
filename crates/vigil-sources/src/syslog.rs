//! The `syslog` kind: auth.log, secure and friends, one record per line.
//!
//! Headers come as RFC 3164 (`Nov  1 00:00:00 host prog[pid]: msg`, no year
//! and no zone), RFC 3339 (`2026-11-26T06:09:25.943276+00:00 host …`, with or
//! without an offset) or RFC 5424 (`<PRI>1 TS host app procid msgid sd msg`).
//! The year of an RFC 3164 line is inferred from the file's own time, walking
//! forward across New Year (ARCHITECTURE.md, "Formats"); the zone of a zone-less header is
//! the source's configured one, and the event says it was assumed.

use chrono::{DateTime, Datelike, Duration, NaiveDate, NaiveDateTime, TimeZone, Utc};
use chrono_tz::Tz;

use super::RecordParser;
use super::auth;
use vigil_domain::{NewEvent, SafeText, TimeBasis, ZoneBasis};

/// Longest line kept whole (parser rule 3 in ARCHITECTURE.md); longer ones are cut.
pub const MAX_LINE: usize = 64 * 1024;
/// Most events one `message repeated N times` line may expand into.
const MAX_REPEAT: u32 = 100_000;

pub struct SyslogParser {
    attempts: auth::Attempts,
    zone: Option<Tz>,
    reference: DateTime<Utc>,
    year: Option<i32>,
    last_month: u32,
}

impl SyslogParser {
    /// `zone`: the hosts' configured zone, `None` for UTC. `reference`: when
    /// the file was last written, to anchor year inference. `state`: what
    /// `state()` returned when this file was last read.
    pub fn new(zone: Option<Tz>, reference: DateTime<Utc>, state: &str) -> Self {
        let mut p = SyslogParser {
            attempts: auth::Attempts::new(),
            zone,
            reference,
            year: None,
            last_month: 0,
        };
        if let Some((y, m)) = state.split_once(',')
            && let (Ok(y), Ok(m)) = (y.parse(), m.parse())
        {
            p.year = Some(y);
            p.last_month = m;
        }
        p
    }

    fn zone_basis(&self) -> ZoneBasis {
        if self.zone.is_some() {
            ZoneBasis::AssumedHostLocal
        } else {
            ZoneBasis::AssumedUtc
        }
    }

    fn localize(&self, naive: NaiveDateTime) -> DateTime<Utc> {
        match self.zone {
            None => naive.and_utc(),
            Some(tz) => tz
                .from_local_datetime(&naive)
                .earliest()
                // a wall time inside a spring-forward gap: an hour later exists
                .or_else(|| {
                    tz.from_local_datetime(&(naive + Duration::hours(1)))
                        .earliest()
                })
                .map(|t| t.with_timezone(&Utc))
                .unwrap_or_else(|| naive.and_utc()),
        }
    }

    /// `Mmm dd hh:mm:ss` with the year inferred; the day may be padded with
    /// a space (`Feb  7`), or not (`Feb 7`, as many daemons write it).
    /// Returns the time and the length of the stamp.
    fn rfc3164(&mut self, h: &[u8]) -> Option<(DateTime<Utc>, TimeBasis, usize)> {
        if h.len() < 14 || h[3] != b' ' {
            return None;
        }
        let month = month_number(&h[..3])?;
        let (day, at) = match (h[4], h[5], h[6]) {
            (b' ', d, b' ') if d.is_ascii_digit() => (u32::from(d - b'0'), 7),
            (a, b, b' ') => (two_digits(a, b)?, 7),
            (d, b' ', _) if d.is_ascii_digit() => (u32::from(d - b'0'), 6),
            _ => return None,
        };
        let t = h.get(at..at + 8)?;
        if t[2] != b':' || t[5] != b':' {
            return None;
        }
        let (hh, mm, ss) = (
            two_digits(t[0], t[1])?,
            two_digits(t[3], t[4])?,
            two_digits(t[6], t[7])?,
        );
        let mut year = self.year.unwrap_or_else(|| self.reference.year());
        if self.last_month != 0 && month < self.last_month {
            year += 1; // December -> January
        }
        let build = |y: i32| {
            NaiveDate::from_ymd_opt(y, month, day)
                .and_then(|d| d.and_hms_opt(hh, mm, ss))
                .map(|n| self.localize(n))
        };
        // Feb 29 only exists in some years; fall back to the year before.
        let mut t = build(year).or_else(|| {
            year -= 1;
            build(year)
        })?;
        if t > self.reference + Duration::days(1)
            && let Some(earlier) = build(year - 1)
        {
            year -= 1;
            t = earlier;
        }
        self.year = Some(year);
        self.last_month = month;
        Some((
            t,
            TimeBasis {
                zone: self.zone_basis(),
                year_inferred: true,
            },
            at + 8,
        ))
    }

    /// An RFC 3339 stamp, with or without an offset.
    fn rfc3339(&self, tok: &str) -> Option<(DateTime<Utc>, TimeBasis)> {
        if let Ok(t) = DateTime::parse_from_rfc3339(tok) {
            return Some((t.with_timezone(&Utc), TimeBasis::default()));
        }
        // macOS `log show --style syslog`: `-0700`, no colon.
        if let Ok(t) = DateTime::parse_from_str(tok, "%Y-%m-%dT%H:%M:%S%.f%z") {
            return Some((t.with_timezone(&Utc), TimeBasis::default()));
        }
        let naive = NaiveDateTime::parse_from_str(tok, "%Y-%m-%dT%H:%M:%S%.f").ok()?;
        Some((
            self.localize(naive),
            TimeBasis {
                zone: self.zone_basis(),
                year_inferred: false,
            },
        ))
    }
}

fn month_number(m: &[u8]) -> Option<u32> {
    Some(match m {
        b"Jan" => 1,
        b"Feb" => 2,
        b"Mar" => 3,
        b"Apr" => 4,
        b"May" => 5,
        b"Jun" => 6,
        b"Jul" => 7,
        b"Aug" => 8,
        b"Sep" => 9,
        b"Oct" => 10,
        b"Nov" => 11,
        b"Dec" => 12,
        _ => return None,
    })
}

fn two_digits(a: u8, b: u8) -> Option<u32> {
    if a.is_ascii_digit() && b.is_ascii_digit() {
        Some(u32::from(a - b'0') * 10 + u32::from(b - b'0'))
    } else {
        None
    }
}

fn opt(s: Option<&str>) -> Option<SafeText> {
    s.filter(|s| !s.is_empty()).map(SafeText::new)
}

/// Where the first `: ` in `s` is (the tag's end): found by its colon, with
/// no searcher to set up for every line.
fn colon_space(s: &str) -> Option<usize> {
    let b = s.as_bytes();
    let mut at = 0;
    while let Some(i) = memchr::memchr(b':', &b[at..]) {
        let i = at + i;
        if b.get(i + 1) == Some(&b' ') {
            return Some(i);
        }
        at = i + 1;
    }
    None
}

/// A `facility.level` word some relays put before the tag (`auth.info`).
fn is_facility_level(tok: &str) -> bool {
    const FACILITIES: &[&str] = &[
        "auth", "authpriv", "user", "daemon", "kern", "mail", "syslog", "cron", "local0", "local1",
        "local2", "local3", "local4", "local5", "local6", "local7", "security",
    ];
    const LEVELS: &[&str] = &[
        "emerg", "alert", "crit", "err", "error", "warning", "warn", "notice", "info", "debug",
    ];
    tok.split_once('.')
        .is_some_and(|(f, l)| FACILITIES.contains(&f) && LEVELS.contains(&l))
}

/// Whether a word is a tag, not a host: `sshd[42]:`, `sudo:`, `[sshd]:`,
/// `[sshd]` (a host name never ends with a colon or is bracketed).
fn looks_like_tag(tok: &str) -> bool {
    tok.ends_with(':') || (tok.starts_with('[') && tok.ends_with(']'))
}

/// A header's host, program, pid and message, after the timestamp. The
/// host may be missing (`Nov 23 21:50:19 sshd[8148]: …`), the tag may hold
/// spaces and parentheses (`sshd(pam_unix)`, `syslogd 1.4.1`, `-- root`),
/// be bracketed (`[sshd]`) or follow a `facility.level` word.
fn split_host_tag(rest: &str) -> (Option<&str>, Option<&str>, Option<u32>, &str) {
    let rest = rest.trim_start_matches(' ');
    let first = rest.split(' ').next().unwrap_or(rest);
    let (host, after) = if looks_like_tag(first) {
        (None, rest)
    } else {
        match rest.split_once(' ') {
            Some((h, a)) => (Some(h), a.trim_start_matches(' ')),
            None => return (non_empty(rest), None, None, ""),
        }
    };
    let after = match after.split_once(' ') {
        Some((f, a)) if is_facility_level(f) => a,
        _ => after,
    };
    // `[sshd] User root from …`: a bracketed tag with no colon.
    if let Some(r) = after.strip_prefix('[')
        && let Some((tag, msg)) = r.split_once("] ")
        && !tag.is_empty()
        && !tag.contains(' ')
    {
        return (host.and_then(non_empty), Some(tag), None, msg);
    }
    let (tag, msg) = match colon_space(after) {
        Some(i) => (&after[..i], &after[i + 2..]),
        None => match after.strip_suffix(':') {
            Some(t) => (t, ""),
            None => return (host.and_then(non_empty), None, None, after),
        },
    };
    let tag = tag.trim();
    let (program, pid) = match tag.strip_suffix(']').and_then(|t| t.rsplit_once('[')) {
        Some((p, pid)) if pid.bytes().all(|b| b.is_ascii_digit()) => (p, pid.parse().ok()),
        _ => (tag, None),
    };
    // (a `[sshd]` tag keeps its brackets here: `auth::base_program` takes
    // them off, as it does `(pam_unix)`)
    (host.and_then(non_empty), non_empty(program), pid, msg)
}

fn non_empty(s: &str) -> Option<&str> {
    if s.is_empty() { None } else { Some(s) }
}

/// RFC 5424 after `<PRI>1 `: `TS HOST APP PROCID MSGID SD MSG`.
fn rfc5424_fields(rest: &str) -> Option<(&str, &str, &str, &str, &str)> {
    let mut it = rest.splitn(6, ' ');
    let ts = it.next()?;
    let host = it.next()?;
    let app = it.next()?;
    let procid = it.next()?;
    let _msgid = it.next()?;
    let tail = it.next().unwrap_or("");
    // Skip structured data: `-` or one or more `[…]` blocks.
    let msg = if let Some(m) = tail.strip_prefix("- ") {
        m
    } else if tail == "-" {
        ""
    } else if tail.starts_with('[') {
        match tail.find("] ") {
            Some(i) => &tail[i + 2..],
            None => "",
        }
    } else {
        tail
    };
    let host = if host == "-" { "" } else { host };
    let app = if app == "-" { "" } else { app };
    Some((ts, host, app, procid, msg))
}

impl RecordParser for SyslogParser {
    fn parse(&mut self, line: &[u8], offset: u64, out: &mut Vec<NewEvent>) -> Result<(), String> {
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        if line.iter().all(|b| b.is_ascii_whitespace()) {
            return Ok(());
        }
        let (line, cut) = if line.len() > MAX_LINE {
            (&line[..MAX_LINE], true)
        } else {
            (line, false)
        };
        // Valid UTF-8 is the common case and needs no copy.
        let text = match std::str::from_utf8(line) {
            Ok(t) => std::borrow::Cow::Borrowed(t),
            Err(_) => String::from_utf8_lossy(line),
        };
        let mut s: &str = &text;
        // A `<PRI>` prefix, as relays write it.
        if let Some(r) = s.strip_prefix('<')
            && let Some((pri, r)) = r.split_once('>')
            && !pri.is_empty()
            && pri.len() <= 3
            && pri.bytes().all(|b| b.is_ascii_digit())
        {
            s = r;
        }
        let (t, basis, host, program, pid, msg) = if let Some(r) = s.strip_prefix("1 ")
            && r.as_bytes().first().is_some_and(u8::is_ascii_digit)
        {
            let (ts, host, app, procid, msg) =
                rfc5424_fields(r).ok_or("RFC 5424 header is incomplete")?;
            let (t, b) = self
                .rfc3339(ts)
                .ok_or_else(|| "RFC 5424 timestamp is not RFC 3339".to_owned())?;
            (
                t,
                b,
                non_empty(host),
                non_empty(app),
                procid.parse().ok(),
                msg,
            )
        } else if s.as_bytes().first().is_some_and(u8::is_ascii_digit) {
            let (tok, mut rest) = s.split_once(' ').unwrap_or((s, ""));
            // `2020-03-23 06:47:42.801612-0700` (a space, not a `T`)
            let joined;
            let mut tok = tok;
            if tok.len() == 10
                && let Some((time, r)) = rest.split_once(' ')
                && time.as_bytes().get(2) == Some(&b':')
            {
                joined = format!("{tok}T{time}");
                tok = &joined;
                rest = r;
            }
            let (t, b) = self
                .rfc3339(tok)
                .ok_or_else(|| "timestamp is neither RFC 3164 nor RFC 3339".to_owned())?;
            let (h, p, pid, m) = split_host_tag(rest);
            (t, b, h, p, pid, m)
        } else {
            let (t, b, len) = self
                .rfc3164(s.as_bytes())
                .ok_or_else(|| "no syslog timestamp at the start of the line".to_owned())?;
            let (h, p, pid, m) = split_host_tag(s.get(len..).unwrap_or(""));
            (t, b, h, p, pid, m)
        };
        let n = self
            .attempts
            .read(host, pid, t.timestamp(), program.unwrap_or(""), msg);
        let mut detail = n.detail.as_deref().map(SafeText::new);
        if cut {
            let d = format!(
                "[line cut at {MAX_LINE} bytes] {}",
                detail.as_ref().map(SafeText::as_str).unwrap_or("")
            );
            detail = Some(SafeText::new(&d));
        }
        let event = NewEvent {
            occurred_at: t,
            time_basis: basis,
            host: opt(host),
            program: opt(program.map(auth::base_program)),
            actor: opt(n.actor),
            subject: opt(n.subject),
            action: SafeText::from_static(n.action),
            outcome: n.outcome,
            client: opt(n.client_str()),
            detail,
            raw: line.to_vec(),
            offset,
            seq: 0,
        };
        let repeat = n.repeat.clamp(1, MAX_REPEAT);
        for seq in 1..repeat {
            out.push(NewEvent {
                seq,
                ..event.clone()
            });
        }
        out.push(event);
        Ok(())
    }

    fn state(&self) -> String {
        match self.year {
            Some(y) => format!("{y},{}", self.last_month),
            None => String::new(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
    }

    fn parse_all(p: &mut SyslogParser, text: &str) -> Vec<NewEvent> {
        let mut out = Vec::new();
        let mut off = 0;
        for line in text.split_inclusive('\n') {
            p.parse(line.trim_end_matches('\n').as_bytes(), off, &mut out)
                .unwrap();
            off += line.len() as u64;
        }
        out
    }

    #[test]
    fn rfc3164_year_comes_from_the_reference_and_rolls_over() {
        let mut p = SyslogParser::new(None, at("2027-01-02T12:00:00Z"), "");
        let ev = parse_all(
            &mut p,
            "Dec 31 23:59:58 bastion sshd[1]: Accepted password for alice from 10.0.0.1 port 1 ssh2\n\
             Jan  1 00:00:03 bastion sshd[2]: Failed password for bob from 10.0.0.2 port 2 ssh2\n",
        );
        assert_eq!(ev[0].occurred_at, at("2026-12-31T23:59:58Z"));
        assert_eq!(ev[1].occurred_at, at("2027-01-01T00:00:03Z"));
        assert!(ev[0].time_basis.year_inferred);
        assert_eq!(ev[0].time_basis.zone, ZoneBasis::AssumedUtc);
        assert_eq!(p.state(), "2027,1");
    }

    #[test]
    fn resumes_with_the_saved_year() {
        let mut p = SyslogParser::new(None, at("2030-06-01T00:00:00Z"), "2027,1");
        let ev = parse_all(&mut p, "Jan  5 10:00:00 h sshd[1]: x\n");
        assert_eq!(ev[0].occurred_at, at("2027-01-05T10:00:00Z"));
    }

    #[test]
    fn configured_zone_is_applied_and_flagged() {
        let tz: Tz = "America/New_York".parse().unwrap();
        let mut p = SyslogParser::new(Some(tz), at("2026-07-02T00:00:00Z"), "");
        let ev = parse_all(
            &mut p,
            "Jul  1 08:00:00 h sudo: a : TTY=x ; USER=root ; COMMAND=/bin/id\n",
        );
        assert_eq!(ev[0].occurred_at, at("2026-07-01T12:00:00Z"));
        assert_eq!(ev[0].time_basis.zone, ZoneBasis::AssumedHostLocal);
    }

    #[test]
    fn rfc3339_with_and_without_offset() {
        let mut p = SyslogParser::new(None, at("2026-11-26T00:00:00Z"), "");
        let ev = parse_all(
            &mut p,
            "2026-11-26T06:09:25.943276+00:00 bastion sshd-session[912]: Accepted publickey for alice from 10.0.0.9 port 50000 ssh2: ED25519 SHA256:abc\n\
             2019-06-14T13:01:15.412+01:30 localhost pam: user nobody logged out.\n\
             2019-06-14T10:40:20.912134 localhost sudo: pam_unix(sudo-i:session): session opened for user root by userauth3(uid=0)\n",
        );
        assert_eq!(ev[0].occurred_at, at("2026-11-26T06:09:25.943276Z"));
        assert_eq!(ev[0].time_basis, TimeBasis::default());
        assert_eq!(ev[0].program.as_ref().unwrap().as_str(), "sshd-session");
        assert_eq!(ev[0].actor.as_ref().unwrap().as_str(), "alice");
        assert_eq!(ev[1].occurred_at, at("2019-06-14T11:31:15.412Z"));
        assert_eq!(ev[2].occurred_at, at("2019-06-14T10:40:20.912134Z"));
        assert_eq!(ev[2].time_basis.zone, ZoneBasis::AssumedUtc);
        assert_eq!(ev[2].actor.as_ref().unwrap().as_str(), "userauth3");
    }

    #[test]
    fn rfc5424_and_pri_prefixes() {
        let mut p = SyslogParser::new(None, at("2026-11-26T00:00:00Z"), "");
        let ev = parse_all(
            &mut p,
            "<38>1 2026-11-20T10:00:00Z web1 sshd 77 - - Failed password for root from 203.0.113.5 port 2222 ssh2\n\
             <86>Nov 20 10:00:01 web1 sudo: bob : TTY=pts/1 ; PWD=/ ; USER=root ; COMMAND=/bin/sh\n",
        );
        assert_eq!(ev[0].host.as_ref().unwrap().as_str(), "web1");
        assert_eq!(ev[0].client.as_ref().unwrap().as_str(), "203.0.113.5");
        assert_eq!(ev[1].action.as_str(), "sudo");
    }

    #[test]
    fn odd_tags_and_repeats() {
        let mut p = SyslogParser::new(None, at("2026-11-26T00:00:00Z"), "");
        let ev = parse_all(
            &mut p,
            "Jun 14 15:16:01 combo sshd(pam_unix)[19939]: authentication failure; logname= uid=0 euid=0 tty=NODEVssh ruser= rhost=218.188.2.4 \n\
             Jun 15 04:06:18 combo syslogd 1.4.1: restart.\n\
             Jun 15 04:06:20 combo  -- root[2421]: ROOT LOGIN ON tty2\n\
             Jun 16 00:00:00 combo sshd[1]: message repeated 3 times: [ Failed password for root from 1.2.3.4 port 22 ssh2]\n",
        );
        assert_eq!(ev[0].program.as_ref().unwrap().as_str(), "sshd");
        assert_eq!(ev[0].client.as_ref().unwrap().as_str(), "218.188.2.4");
        assert_eq!(ev[1].program.as_ref().unwrap().as_str(), "1.4.1");
        assert_eq!(ev[2].actor.as_ref().unwrap().as_str(), "root");
        let repeated: Vec<_> = ev[3..].iter().map(|e| (e.offset, e.seq)).collect();
        assert_eq!(repeated.len(), 3);
        assert!(repeated.iter().all(|(o, _)| *o == repeated[0].0));
    }

    #[test]
    fn headers_as_daemons_really_write_them() {
        let mut p = SyslogParser::new(None, at("2026-11-26T00:00:00Z"), "");
        let ev = parse_all(
            &mut p,
            "Feb 7 16:01:07 linux-m899 sshd[5106]: User root from 192.51.100.54 not allowed because a group is listed in DenyGroups\n\
             2020-03-23 06:47:42.801612-0700  mac sshd[77]: error: PAM: Authentication failure for bob from 10.2.3.4\n\
             Nov 23 21:50:19 sshd[8148]: Disconnecting: Too many authentication failures for root [preauth]\n\
             Mar  3 00:17:22 [sshd]: User root from 211.188.220.49 not allowed because not listed in AllowUsers\n\
             Jun 25 23:53:34 [sshd] User root from 1.2.3.4 not allowed because not listed in AllowUsers\n\
             Jun 20 02:18:39 vps auth.info sshd[13482]: Invalid user admin from 192.168.2.2\n",
        );
        assert_eq!(ev.len(), 6);
        assert_eq!(ev[0].occurred_at, at("2026-02-07T16:01:07Z"));
        assert_eq!(ev[0].client.as_ref().unwrap().as_str(), "192.51.100.54");
        assert_eq!(ev[1].occurred_at, at("2020-03-23T13:47:42.801612Z"));
        assert_eq!(ev[1].host.as_ref().unwrap().as_str(), "mac");
        assert_eq!(ev[1].outcome, vigil_domain::Outcome::Failure);
        assert!(ev[2].host.is_none());
        assert_eq!(ev[2].program.as_ref().unwrap().as_str(), "sshd");
        assert_eq!(ev[2].actor.as_ref().unwrap().as_str(), "root");
        for e in &ev[3..5] {
            assert_eq!(e.program.as_ref().unwrap().as_str(), "sshd");
            assert_eq!(e.outcome, vigil_domain::Outcome::Failure);
        }
        assert_eq!(ev[5].host.as_ref().unwrap().as_str(), "vps");
        assert_eq!(ev[5].client.as_ref().unwrap().as_str(), "192.168.2.2");
    }

    #[test]
    fn one_attempt_counts_once_across_lines() {
        let mut p = SyslogParser::new(None, at("2026-11-26T00:00:00Z"), "");
        let ev = parse_all(
            &mut p,
            "Nov 20 10:00:00 h sshd[9]: pam_unix(sshd:auth): authentication failure; logname= uid=0 euid=0 tty=ssh ruser= rhost=203.0.113.9  user=root\n\
             Nov 20 10:00:02 h sshd[9]: Failed password for root from 203.0.113.9 port 4 ssh2\n\
             Nov 20 10:00:02 h sshd[10]: Connection from 198.51.100.1 port 5 on 10.0.0.1 port 22\n\
             Nov 20 10:00:03 h sshd[10]: Disconnecting: Too many authentication failures [preauth]\n",
        );
        let counted: Vec<bool> = ev
            .iter()
            .map(|e| {
                e.outcome == vigil_domain::Outcome::Failure
                    && !vigil_domain::action::not_an_attempt(e.detail.as_ref().map(|d| d.as_str()))
            })
            .collect();
        assert_eq!(counted, [true, false, false, true]);
        assert_eq!(ev[3].client.as_ref().unwrap().as_str(), "198.51.100.1");
    }

    #[test]
    fn garbage_is_refused_with_a_reason() {
        let mut p = SyslogParser::new(None, at("2026-11-26T00:00:00Z"), "");
        let mut out = Vec::new();
        let err = p.parse(b"\x1b[2Jhello", 0, &mut out).unwrap_err();
        assert!(err.contains("no syslog timestamp"), "{err}");
        assert!(p.parse(b"Foo 99 99:99:99 x y: z", 0, &mut out).is_err());
        assert!(p.parse(b"2026-13-45T99:00:00 x y: z", 0, &mut out).is_err());
        assert!(out.is_empty());
        p.parse(b"   ", 0, &mut out).unwrap();
        assert!(out.is_empty());
    }

    #[test]
    fn hostile_text_is_neutralized_but_raw_is_kept() {
        let mut p = SyslogParser::new(None, at("2026-11-26T00:00:00Z"), "");
        let line =
            "Nov 20 10:00:00 h sshd[1]: Invalid user \x1b]0;pwn\x07\u{9b}2J\u{202e} from 1.2.3.4";
        let ev = parse_all(&mut p, line);
        let actor = ev[0].actor.as_ref().unwrap().as_str();
        assert!(!actor.chars().any(|c| c.is_control()), "{actor:?}");
        assert_eq!(actor, "^[]0;pwn^G<U+009B>2J<U+202E>");
        assert_eq!(ev[0].raw, line.as_bytes());
    }
}
