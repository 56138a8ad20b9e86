//! One attempt, one failure: follows each connection (host and pid) so the
//! lines that describe the same password attempt count once, lines that
//! carry no address get the connection's, and a connection that ends after
//! failures nobody counted (an address-less refusal, refused keys) counts
//! once at its end.
//!
//! The state is a fixed table of `SLOTS` connections, placed by the hash of
//! host and pid: connections end, pids are reused, and a scanner opens
//! hundreds of thousands of them, so a connection whose slot a newer one
//! takes, or not heard of for `IDLE`, is forgotten. Memory is fixed (about
//! half a megabyte) and a line costs one lookup, with no allocation. The
//! table lives only as long as the parser (a restart, or a forgotten
//! connection, may count one attempt twice, never lose one).

use std::borrow::Cow;
use std::hash::BuildHasher;

use super::{AuthEvent, Role, action};
use vigil_domain::Outcome;

/// Connections followed at once (a power of two).
const SLOTS: usize = 8192;
/// Seconds after which a silent connection is forgotten.
const IDLE: i64 = 3600;

/// An address kept inline (an IPv6 address with its zone fits); a longer
/// host name is not kept.
#[derive(Debug, Clone, Copy)]
struct Addr {
    len: u8,
    buf: [u8; 46],
}

impl Addr {
    fn new(s: &str) -> Option<Addr> {
        (s.len() <= 46).then(|| {
            let mut buf = [0; 46];
            buf[..s.len()].copy_from_slice(s.as_bytes());
            Addr {
                len: s.len() as u8,
                buf,
            }
        })
    }

    fn as_str(&self) -> &str {
        std::str::from_utf8(&self.buf[..usize::from(self.len)]).unwrap_or("")
    }
}

#[derive(Debug, Default, Clone)]
struct Conn {
    addr: Option<Addr>,
    /// An attempt has begun (`Invalid user`, PAM's failure) and its
    /// `Failed …` line has not come yet: the action of the line that began
    /// it.
    open: Option<&'static str>,
    /// Attempts counted on this connection.
    counted: u32,
    /// Failure lines seen that were not attempts of their own.
    uncounted: bool,
    /// An attempt was counted on a line with no address.
    unaddressed: bool,
    last: i64,
}

/// The connections of one source, by host and pid.
#[derive(Debug, Default)]
pub struct Attempts {
    /// `SLOTS` entries once the first connection is seen.
    slots: Vec<Option<(u64, Conn)>>,
    // Seeded: host names come from the logs.
    hasher: foldhash::fast::RandomState,
}

/// A connection's key: its host and pid, hashed once per line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Key(u64);

impl Attempts {
    pub fn new() -> Self {
        Self::default()
    }

    /// The connection a line with this host and pid belongs to; none
    /// without a pid.
    fn key(&self, host: Option<&str>, pid: Option<u32>) -> Option<Key> {
        pid.map(|p| Key(self.hasher.hash_one((host, p))))
    }

    /// The address this connection's earlier lines gave, to settle a line
    /// that holds more than one well-formed address.
    fn known(&self, key: Option<Key>) -> Option<&str> {
        self.get(key?.0)?.addr.as_ref().map(Addr::as_str)
    }

    fn get(&self, key: u64) -> Option<&Conn> {
        match self.slots.get(key as usize & (SLOTS - 1))? {
            Some((k, c)) if *k == key => Some(c),
            _ => None,
        }
    }

    /// This connection's entry, taking its slot from whichever held it.
    fn entry(&mut self, key: u64) -> &mut Conn {
        if self.slots.is_empty() {
            self.slots.resize(SLOTS, None);
        }
        let slot = &mut self.slots[key as usize & (SLOTS - 1)];
        if !matches!(slot, Some((k, _)) if *k == key) {
            *slot = Some((key, Conn::default()));
        }
        match slot {
            Some((_, c)) => c,
            None => unreachable!("just filled"),
        }
    }

    fn remove(&mut self, key: u64) {
        if let Some(slot) = self.slots.get_mut(key as usize & (SLOTS - 1))
            && matches!(slot, Some((k, _)) if *k == key)
        {
            *slot = None;
        }
    }

    /// Puts one line in its connection's story: fills in the address,
    /// marks a line that restates a counted attempt (`SAME_ATTEMPT`) or a
    /// refused key (`KEY_OFFER`), and turns the end of a connection whose
    /// failures were never counted into the one failure that counts.
    /// `now`: the line's time in seconds.
    fn observe(&mut self, key: Option<Key>, now: i64, e: &mut AuthEvent<'_>) {
        if e.role == Role::Plain {
            // A probe's `fatal: Read from socket failed` names no address:
            // the connection it ends does, if it is being followed.
            if e.client.is_none()
                && e.outcome == Outcome::Failure
                && let Some(a) = self.known(key)
            {
                e.client = Some(Cow::Owned(a.to_owned()));
            }
            return;
        }
        let Some(Key(key)) = key else {
            // No connection to follow: lines that never stand alone say so.
            match e.role {
                Role::Aux | Role::Summary => mark(e, action::SAME_ATTEMPT),
                Role::KeyOffer => mark(e, action::KEY_OFFER),
                _ => {}
            }
            return;
        };
        // Only what may begin or continue an attempt opens a connection's
        // story: an `Accepted` or a close with none before it has nothing to
        // say (and a busy host writes mostly those).
        let opens = matches!(
            e.role,
            Role::Connect | Role::Try | Role::Prelude | Role::Aux | Role::KeyOffer | Role::Summary
        );
        if !opens && self.get(key).is_none() {
            return;
        }
        let c = self.entry(key);
        if now - c.last > IDLE || e.role == Role::Connect {
            *c = Conn::default();
        }
        c.last = now;
        match (&e.client, &c.addr) {
            (None, Some(a)) => e.client = Some(Cow::Owned(a.as_str().to_owned())),
            (Some(a), None) if !e.ambiguous => c.addr = Addr::new(a),
            _ => {}
        }
        if e.role == Role::Close {
            let failed_silently = c.uncounted && c.counted == 0;
            // Failures counted before the address was known: this line
            // ties them to it, and counts nothing itself.
            let ties = c.counted > 0 && c.unaddressed && e.client.is_some();
            if failed_silently || ties {
                e.outcome = Outcome::Failure;
                let d = e.detail.take().unwrap_or_default();
                e.detail = Some(format!("closed after failed authentication; {d}"));
            }
            if ties {
                mark(e, action::SAME_ATTEMPT);
            }
            self.remove(key);
            return;
        }
        let before = c.counted;
        match e.role {
            Role::Try => {
                if c.open.take().is_some() {
                    mark(e, action::SAME_ATTEMPT);
                } else {
                    c.counted += 1;
                }
            }
            Role::Prelude => {
                // A second PAM failure with no `Failed …` between is a
                // second attempt (services other than sshd write nothing
                // else); PAM's line after `Invalid user` is the same one.
                if c.open.is_some() && !(c.open == Some(action::AUTH) && e.action == action::AUTH) {
                    mark(e, action::SAME_ATTEMPT);
                } else {
                    c.counted += 1;
                }
                c.open = Some(e.action);
            }
            Role::Aux => {
                c.uncounted |= c.counted == 0;
                mark(e, action::SAME_ATTEMPT);
            }
            Role::KeyOffer => {
                c.uncounted = true;
                mark(e, action::KEY_OFFER);
            }
            Role::Summary => {
                c.open = None;
                if c.counted > 0 {
                    mark(e, action::SAME_ATTEMPT);
                } else {
                    c.counted = 1;
                }
            }
            Role::Success => {
                c.open = None;
                c.uncounted = false;
            }
            Role::Plain | Role::Connect | Role::Close => {}
        }
        c.unaddressed |= c.counted > before && e.client.is_none();
    }

    /// Reads one message of a connection (`host`, `pid`) at `now` (seconds):
    /// what `normalize` makes of it, settled and marked by the connection's
    /// story so far. The one door the syslog and journal kinds use.
    pub fn read<'a>(
        &mut self,
        host: Option<&str>,
        pid: Option<u32>,
        now: i64,
        program: &'a str,
        msg: &'a str,
    ) -> AuthEvent<'a> {
        let key = self.key(host, pid);
        let mut e = super::normalize(program, msg, self.known(key));
        self.observe(key, now, &mut e);
        e
    }
}

fn mark(e: &mut AuthEvent<'_>, m: &str) {
    let d = e.detail.take().unwrap_or_default();
    e.detail = Some(if d.is_empty() {
        m.to_owned()
    } else {
        format!("{d} {m}")
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    /// (pid, message) lines through the tracker: each line's (counted as an
    /// attempt, client).
    fn run(lines: &[(u32, &str)]) -> Vec<(bool, Option<String>)> {
        let mut a = Attempts::new();
        lines
            .iter()
            .enumerate()
            .map(|(i, (pid, m))| {
                let e = a.read(Some("h"), Some(*pid), i as i64, "sshd", m);
                let counts = action::is_failed_attempt(e.action, e.outcome, e.detail.as_deref());
                (counts, e.client.map(|c| c.into_owned()))
            })
            .collect()
    }

    fn attempts(r: &[(bool, Option<String>)]) -> usize {
        r.iter().filter(|(c, _)| *c).count()
    }

    #[test]
    fn one_typo_is_one_attempt() {
        let r = run(&[
            (7, "Invalid user admin from 10.0.0.5 port 4000"),
            (7, "input_userauth_request: invalid user admin [preauth]"),
            (7, "pam_unix(sshd:auth): check pass; user unknown"),
            (
                7,
                "pam_unix(sshd:auth): authentication failure; logname= uid=0 euid=0 tty=ssh ruser= rhost=10.0.0.5",
            ),
            (
                7,
                "Failed password for invalid user admin from 10.0.0.5 port 4000 ssh2",
            ),
            (7, "pam_unix(sshd:auth): check pass; user unknown"),
            (
                7,
                "pam_unix(sshd:auth): authentication failure; logname= uid=0 euid=0 tty=ssh ruser= rhost=10.0.0.5",
            ),
            (
                7,
                "Failed password for invalid user admin from 10.0.0.5 port 4000 ssh2",
            ),
            (
                7,
                "Connection closed by invalid user admin 10.0.0.5 port 4000 [preauth]",
            ),
        ]);
        assert_eq!(attempts(&r), 2, "{r:?}");
        assert!(
            r.iter().all(|(_, c)| c.as_deref() == Some("10.0.0.5")),
            "{r:?}"
        );
    }

    #[test]
    fn interleaved_connections_are_kept_apart() {
        let r = run(&[
            (
                1,
                "pam_unix(sshd:auth): authentication failure; logname= uid=0 euid=0 tty=ssh ruser= rhost=1.1.1.1  user=root",
            ),
            (
                2,
                "pam_unix(sshd:auth): authentication failure; logname= uid=0 euid=0 tty=ssh ruser= rhost=2.2.2.2  user=root",
            ),
            (1, "Failed password for root from 1.1.1.1 port 1 ssh2"),
            (2, "Failed password for root from 2.2.2.2 port 2 ssh2"),
            (1, "Failed password for root from 1.1.1.1 port 1 ssh2"),
            (
                2,
                "PAM 1 more authentication failure; logname= uid=0 euid=0 tty=ssh ruser= rhost=2.2.2.2  user=root",
            ),
        ]);
        assert_eq!(attempts(&r), 3, "{r:?}");
        assert_eq!(r[3].1.as_deref(), Some("2.2.2.2"));
    }

    #[test]
    fn a_connection_without_an_address_gets_it_at_the_end() {
        let r = run(&[
            (3, "User root not allowed because account is locked"),
            (3, "input_userauth_request: invalid user root [preauth]"),
            (
                3,
                "Received disconnect from 198.51.100.34: 11: Bye Bye [preauth]",
            ),
        ]);
        assert_eq!(attempts(&r), 1);
        assert!(r[2].0);
        assert_eq!(r[2].1.as_deref(), Some("198.51.100.34"));
        // refused keys only, then too many: one attempt
        let r = run(&[
            (
                4,
                "Failed publickey for git from 192.0.2.111 port 57910 ssh2: ECDSA 1e:fe",
            ),
            (
                4,
                "Failed publickey for git from 192.0.2.111 port 57910 ssh2: RSA 14:ba",
            ),
            (
                4,
                "Disconnecting: Too many authentication failures for git [preauth]",
            ),
            (4, "Connection closed by 192.0.2.111 [preauth]"),
        ]);
        assert_eq!(attempts(&r), 1, "{r:?}");
        assert!(r[2].0);
        assert_eq!(r[2].1.as_deref(), Some("192.0.2.111"));
        // keys refused, then one accepted: no failure at all
        let r = run(&[
            (
                5,
                "Failed publickey for git from 192.0.2.1 port 57904 ssh2: ECDSA 0e:ff",
            ),
            (
                5,
                "Accepted publickey for git from 192.0.2.1 port 57904 ssh2: DSA 36:48",
            ),
            (5, "Connection closed by 192.0.2.1"),
        ]);
        assert_eq!(attempts(&r), 0, "{r:?}");
        // counted before the address was known: the close ties it to one
        let r = run(&[
            (
                8,
                "Disconnecting: Too many authentication failures for root [preauth]",
            ),
            (8, "Connection closed by 61.0.0.1 [preauth]"),
        ]);
        assert_eq!(attempts(&r), 1, "{r:?}");
        assert_eq!(r[1].1.as_deref(), Some("61.0.0.1"));
        // a probe's last words get the address of the trace that opened it
        let r = run(&[
            (
                9,
                "SSH: Server;Ltype: Version;Remote: 127.0.0.1-1780;Protocol: 2.0;Client: libssh2_1.4.3",
            ),
            (
                9,
                "fatal: Read from socket failed: Connection reset by peer [preauth]",
            ),
        ]);
        assert_eq!(r[1].1.as_deref(), Some("127.0.0.1"));
        // the address a connection announced settles an injected tail
        let r = run(&[
            (
                6,
                "Connection from 127.0.0.1 port 58946 on 10.0.0.1 port 22",
            ),
            (
                6,
                "Failed password for invalid user test from 127.0.0.1 port 58946 ssh2: from 10.10.1.2 port 55555 ssh2",
            ),
        ]);
        assert_eq!(r[1].1.as_deref(), Some("127.0.0.1"));
    }
}
