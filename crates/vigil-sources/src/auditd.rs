//! The `auditd` kind: `/var/log/audit/audit.log`. Records are grouped into
//! events by `(node, time, serial)`; records of different events interleave,
//! so kernel events (SYSCALL with its EXECVE, CWD, PATH, PROCTITLE, …) are
//! held until EOE, until enough later records have passed, or until the file
//! is complete. User-space records (PAM, sudo, account tools) are whole on
//! their own. Hex-encoded values are decoded; `node=` prefixes, the old RHEL 6
//! layouts and the ENRICHED `0x1D` tail are handled.
//!
//! Serial numbers that jump forward are reported as gaps: the kernel or
//! auditd lost records, or audit rules excluded them, and either way the
//! reviewer should know the trail has holes.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::{RecordParser, Reject};
use vigil_domain::{NewEvent, Outcome, SafeText, TimeBasis};

/// Records of other events after which a kernel event counts as complete.
const CLOSE_AFTER_RECORDS: u32 = 64;
/// Seconds of record time after which a kernel event counts as complete;
/// generous, because records arrive out of order (a late PATH after the
/// next event's SYSCALL).
const CLOSE_AFTER_SECS: i64 = 60;
/// audit.log records are capped near 9 KB; anything far longer is not one.
const MAX_RECORD: usize = 64 * 1024;
/// A forward jump in serials larger than this is a restart, not a loss.
const MAX_GAP: u32 = 100_000;
/// `auid`/`ses` value meaning "never set".
const UNSET: &str = "4294967295";

/// Kernel record types that belong to a SYSCALL event.
const COMPANIONS: &[&str] = &[
    "SYSCALL",
    "EXECVE",
    "CWD",
    "PATH",
    "PROCTITLE",
    "SOCKADDR",
    "EOE",
    "OBJ_PID",
    "MMAP",
    "FD_PAIR",
    "BPRM_FCAPS",
    "CAPSET",
    "IPC",
    "SOCKETCALL",
    "NETFILTER_CFG",
    "MQ_OPEN",
    "KERN_MODULE",
];

/// Text held by a record: a span of its own line (the common case, no
/// allocation) or a string made while parsing (a decoded hex value).
#[derive(Debug, Clone)]
enum Str {
    Span(u32, u32),
    Owned(Box<str>),
}

/// One record, split into fields.
#[derive(Debug, Clone)]
struct Record {
    node: Option<String>,
    kind: String,
    secs: i64,
    millis: u32,
    serial: u32,
    /// The record as text; field spans point into it.
    text: String,
    fields: Vec<(Str, Str)>,
    /// Values that looked hex-encoded but did not decode.
    undecodable: Vec<String>,
    /// A trailing stray quote or a value cut short.
    partial: Option<String>,
    offset: u64,
    raw: Vec<u8>,
}

impl Record {
    fn s<'a>(&'a self, v: &'a Str) -> &'a str {
        match v {
            Str::Span(a, b) => &self.text[*a as usize..*b as usize],
            Str::Owned(o) => o,
        }
    }

    fn get(&self, key: &str) -> Option<&str> {
        self.fields
            .iter()
            .rev()
            .find(|(k, _)| self.s(k) == key)
            .map(|(_, v)| self.s(v))
            .filter(|v| !matches!(*v, "?" | "(null)" | "(none)" | ""))
    }

    fn time(&self) -> Option<DateTime<Utc>> {
        DateTime::<Utc>::from_timestamp(self.secs, self.millis * 1_000_000)
    }

    /// Whether two records belong to one event: same node, time and serial.
    fn same_event(&self, o: &Record) -> bool {
        self.serial == o.serial
            && self.secs == o.secs
            && self.millis == o.millis
            && self.node == o.node
    }
}

/// A kernel event waiting for the rest of its records.
struct Open {
    records: Vec<Record>,
    /// Records parsed (of any event) when this one last grew.
    last: u64,
}

#[derive(Debug, Default, Serialize, Deserialize)]
struct Saved {
    /// Raw lines of events still open, with their offsets.
    open: Vec<(u64, String)>,
    /// Highest serial seen per node, for gap detection.
    last: BTreeMap<String, (u32, i64)>,
}

pub struct AuditdParser {
    open: Vec<Open>,
    seen: u64,
    last: BTreeMap<String, (u32, i64)>,
    rejects: Vec<Reject>,
}

impl AuditdParser {
    pub fn new(state: &str) -> Self {
        let saved: Saved = serde_json::from_str(state).unwrap_or_default();
        let mut p = AuditdParser {
            open: Vec::new(),
            seen: 0,
            last: saved.last,
            rejects: Vec::new(),
        };
        for (offset, hexed) in saved.open {
            if let Ok(raw) = hex::decode(hexed)
                && let Ok(r) = parse_record(&raw, offset)
            {
                p.hold(r);
            }
        }
        p
    }

    fn hold(&mut self, r: Record) {
        match self.open.iter_mut().find(|o| o.records[0].same_event(&r)) {
            Some(o) => {
                o.records.push(r);
                o.last = self.seen;
            }
            None => self.open.push(Open {
                records: vec![r],
                last: self.seen,
            }),
        }
    }

    /// Closes events that have waited long enough (or all of them).
    fn close(&mut self, now_secs: Option<i64>, out: &mut Vec<NewEvent>) {
        let seen = self.seen;
        let mut i = 0;
        while i < self.open.len() {
            let o = &self.open[i];
            let done = match now_secs {
                None => true,
                Some(t) => {
                    seen - o.last > u64::from(CLOSE_AFTER_RECORDS)
                        || t - o.records[0].secs > CLOSE_AFTER_SECS
                        || o.records.iter().any(|r| r.kind == "EOE")
                }
            };
            if done {
                let o = self.open.remove(i);
                out.push(event(&o.records));
            } else {
                i += 1;
            }
        }
    }

    fn track_serial(&mut self, r: &Record) {
        let node = r.node.clone().unwrap_or_default();
        match self.last.get(&node).copied() {
            Some((last, _)) if r.serial == last => {}
            Some((last, secs)) => {
                let next = last.wrapping_add(1);
                let jump = r.serial.wrapping_sub(next);
                if r.serial != next && jump > 0 && jump <= MAX_GAP && r.secs >= secs {
                    let missing = if jump == 1 {
                        format!("serial {next} is missing")
                    } else {
                        format!(
                            "serials {next}..{} are missing",
                            next.wrapping_add(jump - 1)
                        )
                    };
                    self.rejects.push(Reject::gap(
                        r.offset,
                        format!(
                            "gap in the audit trail{}: {missing} before serial {} (records lost by the kernel or auditd, or excluded by audit rules)",
                            r.node.as_deref().map(|n| format!(" of {n}")).unwrap_or_default(),
                            r.serial
                        ),
                    ));
                }
                // Out-of-order arrivals (a smaller serial at the same time)
                // do not move the mark back.
                if jump <= MAX_GAP || r.secs > secs {
                    self.last.insert(node, (r.serial, r.secs));
                }
            }
            None => {
                self.last.insert(node, (r.serial, r.secs));
            }
        }
    }
}

impl RecordParser for AuditdParser {
    fn parse(&mut self, line: &[u8], offset: u64, out: &mut Vec<NewEvent>) -> Result<(), String> {
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        if line.iter().all(u8::is_ascii_whitespace) {
            return Ok(());
        }
        let r = parse_record(line, offset)?;
        self.seen += 1;
        self.track_serial(&r);
        let secs = r.secs;
        if COMPANIONS.contains(&r.kind.as_str())
            || self.open.iter().any(|o| o.records[0].same_event(&r))
        {
            self.hold(r);
        } else {
            out.push(event(std::slice::from_ref(&r)));
        }
        self.close(Some(secs), out);
        Ok(())
    }

    fn state(&self) -> String {
        let saved = Saved {
            open: self
                .open
                .iter()
                .flat_map(|o| o.records.iter().map(|r| (r.offset, hex::encode(&r.raw))))
                .collect(),
            last: self.last.clone(),
        };
        serde_json::to_string(&saved).unwrap_or_default()
    }

    fn rejects(&mut self) -> Vec<Reject> {
        std::mem::take(&mut self.rejects)
    }

    fn finish(&mut self, out: &mut Vec<NewEvent>) {
        self.close(None, out);
    }
}

/// Splits `[node=N ]type=T msg=audit(S.MS:SERIAL):[ ]fields[0x1D enriched]`.
fn parse_record(line: &[u8], offset: u64) -> Result<Record, String> {
    if line.len() > MAX_RECORD {
        return Err(format!("record longer than {MAX_RECORD} bytes"));
    }
    let raw = line.to_vec();
    let (main, enriched) = match line.iter().position(|b| *b == 0x1d) {
        Some(i) => (&line[..i], Some(&line[i + 1..])),
        None => (line, None),
    };
    let text = String::from_utf8_lossy(main);
    let mut s = text.trim_start();
    let mut node = None;
    if let Some(r) = s.strip_prefix("node=") {
        let (n, rest) = r.split_once(' ').ok_or("node= without a record after it")?;
        node = Some(n.to_owned());
        s = rest.trim_start();
    }
    let r = s
        .strip_prefix("type=")
        .ok_or("no type= at the start of the record")?;
    let (kind, r) = r.split_once(' ').ok_or("no msg=audit(…) after type=")?;
    let r = r.trim_start();
    let r = r
        .strip_prefix("msg=audit(")
        .ok_or("no msg=audit(…) after type=")?;
    let (stamp, rest) = r.split_once(')').ok_or("msg=audit( is not closed")?;
    if stamp.contains('/') {
        return Err(
            "this is `ausearch -i` output (local, interpreted times), not audit.log: ingest the raw /var/log/audit/audit.log instead".into(),
        );
    }
    let (time, serial) = stamp.split_once(':').ok_or("no serial in msg=audit(…)")?;
    let (secs, millis) = time.split_once('.').unwrap_or((time, "0"));
    let secs: i64 = secs.parse().map_err(|_| "bad seconds in msg=audit(…)")?;
    let millis: u32 = millis
        .parse()
        .map_err(|_| "bad milliseconds in msg=audit(…)")?;
    if millis > 999 {
        return Err("bad milliseconds in msg=audit(…)".into());
    }
    let serial: u32 = serial.parse().map_err(|_| "bad serial in msg=audit(…)")?;
    let rest = rest.strip_prefix(':').unwrap_or(rest);
    let start = text.len() - rest.len();
    let kind = kind.to_owned();
    let mut rec = Record {
        node,
        kind,
        secs,
        millis,
        serial,
        text: String::new(),
        fields: Vec::new(),
        undecodable: Vec::new(),
        partial: None,
        offset,
        raw,
    };
    rec.text = text.into_owned();
    let end = rec.text.len();
    split_fields(&mut rec, start, end, 0, false);
    if let Some(e) = enriched {
        // Interpreted names come after 0x1D: kept as `@NAME` fields.
        let from = rec.text.len() + 1;
        rec.text.push('\u{1d}');
        rec.text.push_str(&String::from_utf8_lossy(e));
        let to = rec.text.len();
        split_fields(&mut rec, from, to, 0, true);
    }
    if rec.time().is_none() {
        return Err("time in msg=audit(…) is out of range".into());
    }
    Ok(rec)
}

/// `key=value` pairs with the audit quirks (ARCHITECTURE.md, "Formats"), from
/// `rec.text[from..to]`; `enriched` names keys `@KEY`.
fn split_fields(rec: &mut Record, from: usize, to: usize, depth: u8, enriched: bool) {
    let execve = rec.kind == "EXECVE";
    let mut i = from;
    let mut prefix: Option<&'static str> = None;
    let mut last_unquoted = false;
    while i < to {
        let bytes = &rec.text.as_bytes()[..to];
        while i < to && bytes[i] == b' ' {
            i += 1;
        }
        if i >= to {
            break;
        }
        let start = i;
        while i < to && bytes[i] != b'=' && bytes[i] != b' ' {
            i += 1;
        }
        if i >= to || bytes[i] == b' ' {
            // A word with no `=`: `old auid=`, `new ses=`, a value holding
            // spaces (`op=adding group to /etc/group`), or a leading tag.
            let word = &rec.text[start..i];
            if word == "old" {
                prefix = Some("old");
            } else if word == "new" {
                prefix = Some("new");
            } else if last_unquoted && word != ":" {
                let end = i;
                if let Some((_, v)) = rec.fields.last_mut() {
                    match v {
                        Str::Span(_, b) if (*b as usize) < end => *b = end as u32,
                        Str::Span(..) => {}
                        Str::Owned(o) => {
                            let mut s = o.to_string();
                            s.push(' ');
                            s.push_str(&rec.text[start..end]);
                            *o = s.into_boxed_str();
                        }
                    }
                }
            }
            continue;
        }
        let key_span = (start, i);
        i += 1; // '='
        let (vstart, vend, quoted) = match bytes.get(i) {
            Some(&q @ (b'"' | b'\'')) => {
                let vstart = i + 1;
                match bytes[vstart..to].iter().position(|b| *b == q) {
                    Some(end) => {
                        i = vstart + end + 1;
                        (vstart, vstart + end, Some(q))
                    }
                    None => {
                        i = to;
                        rec.partial = Some(format!(
                            "value of {} has no closing quote",
                            &rec.text[key_span.0..key_span.1]
                        ));
                        (vstart, to, Some(q))
                    }
                }
            }
            _ => {
                let vstart = i;
                while i < to && bytes[i] != b' ' {
                    i += 1;
                }
                (vstart, i, None)
            }
        };
        last_unquoted = quoted.is_none();
        if quoted == Some(b'\'') && depth == 0 && !enriched {
            // The nested user-space payload: its own key=value list. The old
            // PAM layout wraps parts in ` : `, parentheses and commas; that
            // one is cleaned into a copy at the end of the text.
            if rec.text[vstart..vend].starts_with("PAM:") {
                let cleaned = rec.text[vstart..vend].replace([',', '(', ')'], " ");
                let from = rec.text.len() + 1;
                rec.text.push('\u{1f}');
                rec.text.push_str(&cleaned);
                let end = rec.text.len();
                split_fields(rec, from, end, depth + 1, false);
            } else {
                split_fields(rec, vstart, vend, depth + 1, false);
            }
            last_unquoted = false;
            continue;
        }
        let key = match (prefix.take(), enriched) {
            (Some(p), _) => Str::Owned(format!("{p}-{}", &rec.text[key_span.0..key_span.1]).into()),
            (None, true) => Str::Owned(format!("@{}", &rec.text[key_span.0..key_span.1]).into()),
            (None, false) => Str::Span(key_span.0 as u32, key_span.1 as u32),
        };
        let mut value = Str::Span(vstart as u32, vend as u32);
        let raw_value = &rec.text[vstart..vend];
        let stray = quoted.is_none() && raw_value.ends_with('"') && !raw_value.starts_with('"');
        if stray {
            value = Str::Span(vstart as u32, (vend - 1) as u32);
        }
        let (encoded, decoded, bad_hex) = {
            let k = rec.s(&key);
            let encoded = !enriched
                && (is_encoded(k)
                    || (execve
                        && k.starts_with('a')
                        && k[1..].starts_with(|c: char| c.is_ascii_digit())));
            let v = rec.s(&value);
            if quoted.is_none() && encoded && !matches!(v, "(null)" | "?" | "(none)") {
                let d = decode_hex(v);
                let bad = d.is_none() && looks_hex(v);
                (true, d, bad)
            } else {
                (encoded, None, false)
            }
        };
        let _ = encoded;
        if stray {
            rec.partial = Some(format!("stray quote after {}", rec.s(&key)));
        }
        if let Some(d) = decoded {
            value = Str::Owned(d.into_boxed_str());
        } else if bad_hex {
            let k = rec.s(&key).to_owned();
            rec.undecodable.push(k);
        }
        rec.fields.push((key, value));
    }
}

/// Fields the dictionary marks `encoded`.
fn is_encoded(k: &str) -> bool {
    matches!(
        k,
        "acct"
            | "cmd"
            | "comm"
            | "cwd"
            | "data"
            | "dir"
            | "exe"
            | "file"
            | "grp"
            | "key"
            | "name"
            | "ocomm"
            | "path"
            | "proctitle"
            | "vm"
            | "watch"
            | "device"
            | "cgroup"
    )
}

fn looks_hex(v: &str) -> bool {
    v.len() >= 2 && v.bytes().all(|b| b.is_ascii_hexdigit())
}

/// Hex-decodes a value; NULs (argv separators, joined keys) become spaces.
fn decode_hex(v: &str) -> Option<String> {
    if !looks_hex(v) || !v.len().is_multiple_of(2) {
        return None;
    }
    // Short all-digit values (`a0=top`'s cousins like `key=1`) are text.
    if v.len() < 4 && v.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let bytes = hex::decode(v).ok()?;
    let bytes: Vec<u8> = bytes
        .into_iter()
        .map(|b| if b == 0 || b == 1 { b' ' } else { b })
        .collect();
    Some(String::from_utf8_lossy(&bytes).trim_end().to_owned())
}

fn outcome(r: &Record) -> Outcome {
    match r.get("res").or(r.get("success")) {
        Some("success" | "yes" | "1") => Outcome::Success,
        Some("failed" | "no" | "0") => Outcome::Failure,
        _ => Outcome::Unknown,
    }
}

/// The person behind a record: the login uid if set (the human who logged
/// in, even after sudo), else the uid; an interpreted name when the log is
/// ENRICHED.
fn person(r: &Record) -> Option<String> {
    for (key, name) in [("auid", "@AUID"), ("uid", "@UID")] {
        if let Some(v) = r.get(key).filter(|v| *v != UNSET && *v != "-1") {
            return Some(match r.get(name).filter(|n| *n != "unset") {
                Some(n) => n.to_owned(),
                None => format!("uid:{v}"),
            });
        }
    }
    None
}

/// The action of an account-management record: its type, and for the
/// generic ones the `op` shadow-utils and PAM wrote.
fn account_action(kind: &str, op: &str) -> &'static str {
    use vigil_domain::action as a;
    let op = op.to_ascii_lowercase();
    match kind {
        "ADD_USER" => a::USER_ADD,
        "DEL_USER" => a::USER_DELETE,
        "ADD_GROUP" => a::GROUP_ADD,
        "DEL_GROUP" => a::GROUP_DELETE,
        "USER_CHAUTHTOK" => a::PASSWORD_CHANGE,
        "ACCT_LOCK" => a::ACCOUNT_LOCK,
        "ACCT_UNLOCK" => a::ACCOUNT_UNLOCK,
        _ if op.contains("add") && (op.contains("group") || op.contains("member")) => {
            a::GROUP_MEMBER_ADD
        }
        _ if (op.contains("delete") || op.contains("remove"))
            && (op.contains("group") || op.contains("member")) =>
        {
            a::GROUP_MEMBER_REMOVE
        }
        _ if op.contains("password") || op.contains("chauthtok") => a::PASSWORD_CHANGE,
        _ if op.contains("lock") => a::ACCOUNT_LOCK,
        "GRP_MGMT" => a::GROUP_MODIFY,
        "USER_MGMT" => a::USER_MODIFY,
        _ => a::ACCOUNT,
    }
}

/// Turns one event's records into a normalized event.
fn event(records: &[Record]) -> NewEvent {
    let first = &records[0];
    let main = records
        .iter()
        .find(|r| r.kind == "SYSCALL")
        .or_else(|| records.iter().find(|r| r.kind == "EXECVE"))
        .unwrap_or(first);
    let mut detail = Vec::new();
    let mut actor = person(main);
    let mut subject = None;
    let mut client = None;
    let acct = main.get("acct").map(str::to_owned);
    let exe = main.get("exe").map(str::to_owned);
    let via = exe
        .as_deref()
        .map(|e| format!(" via {e}"))
        .unwrap_or_default();
    let action: String = match main.kind.as_str() {
        "USER_LOGIN" | "USER_LOGOUT" | "USER_AUTH" | "USER_ERR" | "USER_START" | "USER_END"
        | "USER_ACCT" | "CRED_ACQ" | "CRED_DISP" | "CRED_REFR" => {
            // PAM and login records: the account is the one being logged in.
            actor = acct.clone().or(actor);
            client = main.get("addr").map(str::to_owned);
            if let Some(op) = main.get("op") {
                detail.push(format!("op={op}"));
            }
            detail.push(format!("{}{via}", main.kind));
            match main.kind.as_str() {
                "USER_LOGIN" => "login",
                "USER_LOGOUT" => "logout",
                "USER_AUTH" | "USER_ERR" => "auth",
                "USER_START" => "session-open",
                "USER_END" => "session-close",
                "USER_ACCT" => "account-check",
                _ => "credential",
            }
            .into()
        }
        "USER_CMD" => {
            if let Some(cmd) = main.get("cmd") {
                detail.push(format!("command: {cmd}"));
            }
            if let Some(cwd) = main.get("cwd") {
                detail.push(format!("cwd {cwd}"));
            }
            "sudo".into()
        }
        "ADD_USER" | "DEL_USER" | "ADD_GROUP" | "DEL_GROUP" | "USER_MGMT" | "GRP_MGMT"
        | "USER_CHAUTHTOK" | "USER_ROLE_CHANGE" | "ACCT_LOCK" | "ACCT_UNLOCK" => {
            subject = acct.clone().or(main.get("id").map(|i| format!("id:{i}")));
            let op = main.get("op").unwrap_or("");
            detail.push(format!("{} {op}{via}", main.kind));
            if let Some(g) = main.get("grp") {
                detail.push(format!("group {g}"));
            }
            account_action(&main.kind, op).into()
        }
        "LOGIN" => {
            // RHEL 6 writes `old auid=… new auid=…`.
            let auid = main.get("new-auid").or(main.get("auid"));
            subject = auid.map(|a| format!("uid:{a}"));
            detail.push(format!(
                "login uid set to {} (session {})",
                auid.unwrap_or("?"),
                main.get("new-ses").or(main.get("ses")).unwrap_or("?")
            ));
            "loginuid".into()
        }
        "SYSCALL" | "EXECVE" => syscall(records, &mut subject, &mut detail),
        k if k.starts_with("ANOM_LOGIN") => {
            actor = acct.clone().or(actor);
            client = main.get("addr").map(str::to_owned);
            detail.push(k.to_owned());
            "anomaly".into()
        }
        "CONFIG_CHANGE" | "DAEMON_START" | "DAEMON_END" | "DAEMON_ABORT" | "DAEMON_CONFIG" => {
            let op = main.get("op").unwrap_or("");
            let text = String::from_utf8_lossy(&main.raw);
            let payload = text.split_once("): ").map_or(&*text, |(_, p)| p);
            // `audit_enabled=0 old=1` and the like say what changed.
            let setting = payload
                .split(' ')
                .take_while(|kv| !kv.starts_with("auid="))
                .collect::<Vec<_>>()
                .join(" ");
            detail.push(
                format!(
                    "{} {op} {} {setting}",
                    main.kind,
                    main.get("key").unwrap_or("")
                )
                .split_whitespace()
                .collect::<Vec<_>>()
                .join(" "),
            );
            match main.kind.as_str() {
                "DAEMON_END" | "DAEMON_ABORT" => vigil_domain::action::AUDIT_STOP,
                _ => vigil_domain::action::AUDIT_CONFIG,
            }
            .into()
        }
        "MAC_STATUS" | "MAC_CONFIG_CHANGE" => {
            for k in ["enforcing", "old_enforcing", "bool", "val", "old_val"] {
                if let Some(v) = main.get(k) {
                    detail.push(format!("{k}={v}"));
                }
            }
            if main.get("enforcing") == Some("0") {
                detail.push("SELinux set to permissive".into());
            }
            vigil_domain::action::MAC_MODE.into()
        }
        "ANOM_PROMISCUOUS" => {
            let dev = main.get("dev").unwrap_or("?");
            let on = main.get("prom").is_some_and(|p| p != "0");
            subject = Some(dev.to_owned());
            detail.push(format!(
                "{dev} {} promiscuous mode",
                if on { "entered" } else { "left" }
            ));
            vigil_domain::action::PROMISCUOUS.into()
        }
        "ANOM_ABEND" => {
            detail.push(format!(
                "{} ended abnormally: {} (signal {})",
                main.get("comm").unwrap_or("?"),
                main.get("reason").unwrap_or("?"),
                main.get("sig").unwrap_or("?")
            ));
            vigil_domain::action::CRASH.into()
        }
        other => {
            let text = String::from_utf8_lossy(&main.raw);
            let payload = text.split_once("): ").map_or(&*text, |(_, p)| p);
            detail.push(payload.chars().take(400).collect());
            other.to_ascii_lowercase().replace('_', "-")
        }
    };
    let mut out_come = outcome(main);
    if action == "sudo" && out_come == Outcome::Unknown {
        out_come = Outcome::Success;
    }
    if let Some(p) = records.iter().find_map(|r| r.partial.as_deref()) {
        detail.push(format!("[partial: {p}]"));
    }
    for r in records {
        if !r.undecodable.is_empty() {
            detail.push(format!(
                "[partial: {} kept raw, not valid hex]",
                r.undecodable.join(", ")
            ));
        }
    }
    let mut raw = Vec::new();
    for (i, r) in records.iter().enumerate() {
        if i > 0 {
            raw.push(b'\n');
        }
        raw.extend_from_slice(&r.raw);
    }
    let action = SafeText::new(&action);
    NewEvent {
        occurred_at: first.time().unwrap_or_default(),
        time_basis: TimeBasis::default(),
        host: first.node.as_deref().map(SafeText::new),
        program: exe
            .as_deref()
            .or(main.get("comm"))
            .map(|e| SafeText::new(e.rsplit('/').next().unwrap_or(e))),
        actor: actor.as_deref().map(SafeText::new),
        subject: subject.as_deref().map(SafeText::new),
        action,
        outcome: out_come,
        client: client.as_deref().map(SafeText::new),
        detail: (!detail.is_empty()).then(|| SafeText::new(&detail.join("; "))),
        raw,
        offset: first.offset,
        seq: 0,
    }
}

/// A syscall event: a command run (EXECVE), a watched file touched (a rule
/// key with PATH records), or some other audited call.
fn syscall(records: &[Record], subject: &mut Option<String>, detail: &mut Vec<String>) -> String {
    let sys = records
        .iter()
        .find(|r| r.kind == "SYSCALL")
        .unwrap_or(&records[0]);
    let key = sys.get("key").map(str::to_owned);
    let paths: Vec<&Record> = records.iter().filter(|r| r.kind == "PATH").collect();
    let target = paths
        .iter()
        .filter(|p| p.get("nametype").or(p.get("objtype")) != Some("PARENT"))
        .find_map(|p| p.get("name"))
        .or_else(|| paths.iter().find_map(|p| p.get("name")));
    let mut notes = vec![format!(
        "syscall {}",
        sys.get("@SYSCALL").or(sys.get("syscall")).unwrap_or("?")
    )];
    if let Some(c) = sys.get("comm") {
        notes.push(format!("comm {c}"));
    }
    if let Some(k) = &key {
        notes.push(format!("key {k}"));
    }
    if let Some(items) = sys.get("items").and_then(|n| n.parse::<usize>().ok())
        && items > paths.len()
    {
        notes.push(format!(
            "[partial: {items} PATH records announced, {} seen]",
            paths.len()
        ));
    }
    let action = if let Some(exec) = records.iter().find(|r| r.kind == "EXECVE") {
        let argc: usize = exec.get("argc").and_then(|a| a.parse().ok()).unwrap_or(0);
        let mut argv = Vec::new();
        for n in 0..argc.min(64) {
            let k = format!("a{n}");
            if let Some(a) = exec.get(&k) {
                argv.push(a.to_owned());
            } else {
                // Long arguments come in pieces: a1[0]=… a1[1]=…
                let piece = format!("{k}[");
                let pieces: String = exec
                    .fields
                    .iter()
                    .filter(|(f, _)| exec.s(f).starts_with(&piece))
                    .map(|(_, v)| exec.s(v))
                    .collect();
                argv.push(pieces);
            }
        }
        detail.push(format!("ran: {}", argv.join(" ")));
        *subject = target
            .map(str::to_owned)
            .or_else(|| sys.get("exe").map(str::to_owned));
        "exec"
    } else if key.is_some() && target.is_some() {
        // A watch rule on files (`-w /srv/ehr -k phi_access`): the file is
        // what was touched.
        *subject = target.map(str::to_owned);
        "access"
    } else {
        *subject = target.map(str::to_owned);
        "syscall"
    };
    detail.extend(notes);
    if let Some(t) = records.iter().find(|r| r.kind == "PROCTITLE")
        && let Some(p) = t.get("proctitle")
    {
        detail.push(format!("proctitle {p}"));
    }
    action.into()
}
