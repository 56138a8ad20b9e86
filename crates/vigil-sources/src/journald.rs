//! The `journald-json` kind: `journalctl -o json` output, one entry per line
//! (also `json-pretty`, `json-seq` and a JSON array of entries), read from a
//! file or from `journalctl` run as a command with the last `__CURSOR` as its
//! checkpoint.
//!
//! sshd, sudo and PAM messages are understood by the same code as the syslog
//! kind (`auth::normalize`), but only when journald's trusted fields say the
//! message came from that program running as root: anyone can run
//! `logger -t sshd "Accepted password for root …"`, and `SYSLOG_IDENTIFIER`
//! would repeat the lie where `_COMM`/`_UID` do not.

use chrono::{DateTime, Utc};
use serde_json::Value;

use super::json_frame::{JsonKind, JsonParser};
use super::{Reject, auth};
use vigil_domain::{NewEvent, Outcome, SafeText, TimeBasis};

/// Programs whose messages are normalized as auth events when trusted.
const AUTH_COMMS: &[&str] = &[
    "sshd",
    "sshd-session",
    "sshd-auth",
    "dropbear",
    "sudo",
    "su",
    "login",
    "unix_chkpwd",
    "useradd",
    "userdel",
    "usermod",
    "groupadd",
    "groupdel",
    "groupmod",
    "gpasswd",
    "passwd",
    "chpasswd",
    "chage",
    "systemd-logind",
];

/// Longest text kept in a field (journald fields reach 100 KB).
const MAX_FIELD: usize = 8 * 1024;

/// The `journald-json` kind: remembers the last `__CURSOR` it saw.
pub struct Journald {
    cursor: Option<String>,
    attempts: auth::Attempts,
}

/// A parser for journald JSON, resuming from a stored state.
pub fn parser(state: &str) -> JsonParser<Journald> {
    JsonParser::new(state, |saved| Journald {
        cursor: saved.map(str::to_owned),
        attempts: auth::Attempts::new(),
    })
}

/// The last entry's `__CURSOR` in a stored state, to continue with
/// `journalctl --after-cursor`.
pub fn cursor_in(state: &str) -> Option<String> {
    JsonParser::<Journald>::saved(state)
}

impl JsonKind for Journald {
    fn document(
        &mut self,
        doc: &[u8],
        offset: u64,
        out: &mut Vec<NewEvent>,
        rejects: &mut Vec<Reject>,
    ) {
        if let Err(reason) = self.entries(doc, offset, out, rejects) {
            rejects.push(Reject::record(offset, reason, doc.to_vec()));
        }
    }

    fn whole_line(
        &mut self,
        line: &[u8],
        offset: u64,
        out: &mut Vec<NewEvent>,
        rejects: &mut Vec<Reject>,
    ) -> bool {
        // (`journalctl -o json` writes one object per line)
        let Ok(v) = serde_json::from_slice::<Value>(line) else {
            return false;
        };
        if let Err(reason) = self.entry(&v, line, offset, 0, out) {
            rejects.push(Reject::record(offset, reason, line.to_vec()));
        }
        true
    }

    fn save(&self) -> Option<String> {
        self.cursor.clone()
    }
}

impl Journald {
    fn entries(
        &mut self,
        doc: &[u8],
        offset: u64,
        out: &mut Vec<NewEvent>,
        rejects: &mut Vec<Reject>,
    ) -> Result<(), String> {
        let bad = |e: serde_json::Error| format!("not valid JSON: {e}");
        if doc.iter().find(|b| !b.is_ascii_whitespace()) != Some(&b'[') {
            let v: Value = serde_json::from_slice(doc).map_err(bad)?;
            return self.entry(&v, doc, offset, 0, out);
        }
        // Test fixtures and some exporters wrap entries in an array: each
        // entry keeps its own raw bytes.
        let raws: Vec<&serde_json::value::RawValue> = serde_json::from_slice(doc).map_err(bad)?;
        for (i, raw) in raws.into_iter().enumerate() {
            let item = raw.get().as_bytes();
            let parsed = serde_json::from_slice::<Value>(item).map_err(bad);
            if let Err(reason) = parsed.and_then(|v| self.entry(&v, item, offset, i as u32, out)) {
                rejects.push(Reject::record(offset, format!("entry {i}: {reason}"), item));
            }
        }
        Ok(())
    }

    fn entry(
        &mut self,
        v: &Value,
        raw: &[u8],
        offset: u64,
        seq: u32,
        out: &mut Vec<NewEvent>,
    ) -> Result<(), String> {
        let Value::Object(m) = v else {
            return Err("a journal entry must be a JSON object".into());
        };
        let micros = ["_SOURCE_REALTIME_TIMESTAMP", "__REALTIME_TIMESTAMP"]
            .iter()
            .find_map(|k| {
                m.get(*k)
                    .and_then(Value::as_str)
                    .and_then(|s| s.parse::<i64>().ok())
            })
            .ok_or("no __REALTIME_TIMESTAMP or _SOURCE_REALTIME_TIMESTAMP")?;
        let occurred_at = DateTime::<Utc>::from_timestamp_micros(micros)
            .ok_or_else(|| format!("timestamp {micros} is out of range"))?;
        if let Some(c) = m.get("__CURSOR").and_then(Value::as_str) {
            self.cursor = Some(c.to_owned());
        }
        let comm = text(m.get("_COMM"));
        let ident = text(m.get("SYSLOG_IDENTIFIER"));
        let uid = text(m.get("_UID"));
        let unit = text(m.get("_SYSTEMD_UNIT"));
        let message = text(m.get("MESSAGE")).unwrap_or_default();
        let trusted_prog =
            comm.as_deref()
                .filter(|c| AUTH_COMMS.contains(c))
                .or(match unit.as_deref() {
                    Some("ssh.service" | "sshd.service") => Some("sshd"),
                    _ => None,
                });
        let program = comm.clone().or_else(|| ident.clone());
        let host = text(m.get("_HOSTNAME"));
        let pid = text(m.get("_PID")).and_then(|p| p.parse::<u32>().ok());
        let mut detail: Option<String> = None;
        let n = match trusted_prog {
            Some(p) if uid.as_deref() == Some("0") => {
                Some(
                    self.attempts
                        .read(host.as_deref(), pid, occurred_at.timestamp(), p, &message),
                )
            }
            _ => {
                if let Some(claimed) = ident.as_deref().filter(|i| AUTH_COMMS.contains(i)) {
                    // A message that claims to be from sshd but is not: the
                    // claim itself is worth a look.
                    detail = Some(format!(
                        "untrusted: SYSLOG_IDENTIFIER says {claimed} but _COMM={} _UID={}: {message}",
                        comm.as_deref().unwrap_or("?"),
                        uid.as_deref().unwrap_or("?")
                    ));
                } else if !message.is_empty() {
                    detail = Some(message.clone());
                }
                None
            }
        };
        let (action, outcome, actor, subject, client) = match &n {
            Some(n) => {
                if detail.is_none() {
                    detail = n.detail.clone();
                }
                (n.action, n.outcome, n.actor, n.subject, n.client_str())
            }
            None => (auth::action::OTHER, Outcome::Unknown, None, None, None),
        };
        let repeat = n.as_ref().map_or(1, |n| n.repeat.clamp(1, 1000));
        let event = NewEvent {
            occurred_at,
            time_basis: TimeBasis::default(),
            host: host.as_deref().map(SafeText::new),
            program: program.map(|p| SafeText::new(&p)),
            actor: actor.map(SafeText::new),
            subject: subject.map(SafeText::new),
            action: SafeText::from_static(action),
            outcome,
            client: client.map(SafeText::new),
            detail: detail.map(|d| SafeText::new(cap(&d))),
            raw: raw.to_vec(),
            offset,
            seq: seq * 1000,
        };
        for k in 1..repeat {
            out.push(NewEvent {
                seq: seq * 1000 + k,
                ..event.clone()
            });
        }
        out.push(event);
        Ok(())
    }
}

fn cap(s: &str) -> &str {
    if s.len() <= MAX_FIELD {
        return s;
    }
    let mut end = MAX_FIELD;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    &s[..end]
}

/// A field's value as text: strings as they are, byte arrays decoded
/// lossily, a repeated field's values joined, `null` (too large) as absent.
fn text(v: Option<&Value>) -> Option<String> {
    match v? {
        Value::String(s) => Some(s.clone()),
        Value::Null => None,
        Value::Array(a) if a.iter().all(Value::is_u64) => {
            let bytes: Vec<u8> = a
                .iter()
                .filter_map(Value::as_u64)
                .map(|b| b.min(255) as u8)
                .collect();
            Some(String::from_utf8_lossy(&bytes).into_owned())
        }
        Value::Array(a) => {
            let parts: Vec<String> = a.iter().filter_map(|x| text(Some(x))).collect();
            (!parts.is_empty()).then(|| parts.join(" | "))
        }
        other => Some(other.to_string()),
    }
}
