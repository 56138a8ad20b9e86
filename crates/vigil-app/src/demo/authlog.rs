//! A generator of realistic auth logs (sshd, sudo, su, PAM, cron), for the
//! demo workspace and the ingest benchmark. Deterministic for a seed.

use std::io::{self, Write};

use chrono::{DateTime, Duration, Utc};
use chrono_tz::Tz;

use vigil_domain::rng::Rng;

/// How line headers are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Header {
    /// `Nov 26 06:09:25` in the host's zone, as RHEL and older Debian write.
    Rfc3164(Option<Tz>),
    /// `2026-11-26T06:09:25.943276+00:00`, Debian 12's rsyslog default.
    Rfc3339,
}

/// Writes one syslog line.
pub fn write_line(
    w: &mut impl Write,
    header: Header,
    t: DateTime<Utc>,
    host: &str,
    tag: &str,
    msg: &str,
) -> io::Result<()> {
    match header {
        Header::Rfc3164(zone) => {
            let stamp = match zone {
                Some(tz) => t.with_timezone(&tz).format("%b %e %H:%M:%S").to_string(),
                None => t.format("%b %e %H:%M:%S").to_string(),
            };
            writeln!(w, "{stamp} {host} {tag}: {msg}")
        }
        Header::Rfc3339 => writeln!(
            w,
            "{} {host} {tag}: {msg}",
            t.format("%Y-%m-%dT%H:%M:%S%.6f+00:00")
        ),
    }
}

const COMMANDS: &[&str] = &[
    "/usr/bin/systemctl restart nginx",
    "/usr/bin/journalctl -u postgresql --since today",
    "/usr/bin/apt-get upgrade -y",
    "/usr/bin/tail -n 200 /var/log/syslog",
    "/usr/bin/docker ps",
    "/bin/cat /etc/hosts",
    "/usr/sbin/ss -tlnp",
];

const PROBE_USERS: &[&str] = &[
    "admin", "test", "oracle", "postgres", "ubnt", "guest", "user", "ftpuser", "git", "pi",
];

/// The ingest benchmark's input: `lines` lines over many users and
/// addresses, the mix a busy bastion writes.
pub fn write_bench_log(
    w: &mut impl Write,
    lines: u64,
    seed: u64,
    start: DateTime<Utc>,
    header: Header,
) -> io::Result<()> {
    let mut rng = Rng::new(seed);
    let users: Vec<String> = (0..2000).map(|i| format!("user{i:04}")).collect();
    let hosts = ["bastion1", "bastion2", "db1", "app1", "app2"];
    let mut t = start;
    let mut pid = 10_000u64;
    let mut written = 0;
    while written < lines {
        t += Duration::milliseconds(rng.below(400) as i64 + 1);
        pid += 1;
        let host = *rng.pick(&hosts);
        let u = rng.below(users.len() as u64) as usize;
        let user = users[u].clone();
        // People work from their own desk (now and then from elsewhere);
        // password guessing comes from a few hundred scanners.
        let ip = if rng.chance(95) {
            format!("10.{}.{}.{}", u / 250, u % 250, 10 + u % 7)
        } else {
            format!(
                "{}.{}.{}.{}",
                rng.below(223) + 1,
                rng.below(256),
                rng.below(256),
                rng.below(254) + 1
            )
        };
        let scanner = format!("203.0.{}.{}", rng.below(2), rng.below(250) + 1);
        let port = 1024 + rng.below(60_000);
        let sshd = format!("sshd[{pid}]");
        let (tag, msg) = match rng.below(100) {
            0..=2 => (
                sshd,
                format!("Failed password for {user} from {ip} port {port} ssh2"),
            ),
            3..=19 => (
                sshd,
                format!("Failed password for root from {scanner} port {port} ssh2"),
            ),
            20..=29 => (
                sshd,
                format!(
                    "Failed password for invalid user {} from {scanner} port {port} ssh2",
                    rng.pick(PROBE_USERS)
                ),
            ),
            30..=37 => (
                sshd,
                format!(
                    "Invalid user {} from {scanner} port {port}",
                    rng.pick(PROBE_USERS)
                ),
            ),
            38..=49 => (
                sshd,
                format!(
                    "Accepted publickey for {user} from {ip} port {port} ssh2: ED25519 SHA256:{:016x}",
                    rng.next_u64()
                ),
            ),
            50..=59 => (
                sshd,
                format!(
                    "pam_unix(sshd:session): session opened for user {user}(uid={}) by (uid=0)",
                    1000 + rng.below(2000)
                ),
            ),
            60..=67 => (
                sshd,
                format!("pam_unix(sshd:session): session closed for user {user}"),
            ),
            68..=75 => (
                "sudo".to_owned(),
                format!(
                    "{user} : TTY=pts/{} ; PWD=/home/{user} ; USER=root ; COMMAND={}",
                    rng.below(9),
                    rng.pick(COMMANDS)
                ),
            ),
            76..=81 => (
                sshd,
                format!(
                    "pam_unix(sshd:auth): authentication failure; logname= uid=0 euid=0 tty=ssh ruser= rhost={scanner}  user=root"
                ),
            ),
            82..=87 => (
                sshd,
                format!("Connection closed by {scanner} port {port} [preauth]"),
            ),
            88..=91 => (
                sshd,
                format!("Received disconnect from {scanner} port {port}:11: Bye Bye [preauth]"),
            ),
            92..=94 => (
                format!("CRON[{pid}]"),
                "pam_unix(cron:session): session opened for user root(uid=0) by (uid=0)".to_owned(),
            ),
            95..=96 => (
                sshd,
                format!(
                    "message repeated {} times: [ Failed password for root from {scanner} port {port} ssh2]",
                    2 + rng.below(4)
                ),
            ),
            97 => (
                "su".to_owned(),
                format!("(to root) {user} on pts/{}", rng.below(9)),
            ),
            _ => (
                format!("systemd-logind[{}]", 400 + rng.below(10)),
                format!("New session {} of user {user}.", rng.below(90_000)),
            ),
        };
        write_line(w, header, t, host, &tag, &msg)?;
        written += 1;
    }
    Ok(())
}

/// An internet-facing bastion's log (the ingest benchmark's hard case):
/// 60% of lines are password guessing and 25% scanners' pre-auth
/// disconnects, one in twenty from 2,000 persistent scanners and the rest
/// from addresses drawn across the whole IPv4 space (so most appear once:
/// about 800,000 in a million lines), then staff logins, sessions, sudo
/// and cron. Returns how many distinct scanner addresses it wrote.
pub fn write_bastion_log(
    w: &mut impl Write,
    lines: u64,
    seed: u64,
    start: DateTime<Utc>,
    header: Header,
) -> io::Result<usize> {
    let mut rng = Rng::new(seed);
    let public = |rng: &mut Rng| loop {
        let a = rng.next_u64() as u32;
        let first = a >> 24;
        // (no private, loopback, multicast or reserved first octets)
        if first != 0 && first != 10 && first != 127 && first < 224 {
            break a;
        }
    };
    let persistent: Vec<u32> = (0..2000).map(|_| public(&mut rng)).collect();
    let mut seen = std::collections::HashSet::new();
    let mut t = start;
    let mut pid = 10_000u64;
    for _ in 0..lines {
        t += Duration::milliseconds(rng.below(120) as i64 + 1);
        pid += 1;
        let sshd = format!("sshd[{pid}]");
        let port = 1024 + rng.below(60_000);
        let u = rng.below(2000) as usize;
        let user = format!("user{u:04}");
        let desk = format!("10.{}.{}.{}", u / 250, u % 250, 10 + u % 7);
        let roll = rng.below(100);
        let (tag, msg) = if roll < 85 {
            let a = if rng.chance(5) {
                *rng.pick(&persistent)
            } else {
                public(&mut rng)
            };
            seen.insert(a);
            let ip = std::net::Ipv4Addr::from(a);
            let probe = rng.pick(PROBE_USERS);
            let msg = match if roll < 60 {
                rng.below(5)
            } else {
                5 + rng.below(2)
            } {
                0 | 1 => format!("Failed password for root from {ip} port {port} ssh2"),
                2 => format!("Failed password for invalid user {probe} from {ip} port {port} ssh2"),
                3 => format!("Invalid user {probe} from {ip} port {port}"),
                4 => format!(
                    "pam_unix(sshd:auth): authentication failure; logname= uid=0 euid=0 tty=ssh ruser= rhost={ip}  user=root"
                ),
                5 => format!(
                    "Connection closed by authenticating user root {ip} port {port} [preauth]"
                ),
                _ => format!("Received disconnect from {ip} port {port}:11: Bye Bye [preauth]"),
            };
            (sshd, msg)
        } else {
            match rng.below(40) {
                0..=14 => (
                    sshd,
                    format!(
                        "Accepted publickey for {user} from {desk} port {port} ssh2: ED25519 SHA256:{:016x}",
                        rng.next_u64()
                    ),
                ),
                15..=19 => (
                    sshd,
                    format!(
                        "pam_unix(sshd:session): session opened for user {user}(uid={}) by (uid=0)",
                        1000 + u
                    ),
                ),
                20..=24 => (
                    sshd,
                    format!("pam_unix(sshd:session): session closed for user {user}"),
                ),
                25..=32 => (
                    "sudo".to_owned(),
                    format!(
                        "{user} : TTY=pts/{} ; PWD=/home/{user} ; USER=root ; COMMAND={}",
                        rng.below(9),
                        rng.pick(COMMANDS)
                    ),
                ),
                33..=36 => (
                    sshd,
                    format!("Disconnected from user {user} {desk} port {port}"),
                ),
                _ => (
                    format!("CRON[{pid}]"),
                    "pam_unix(cron:session): session opened for user root(uid=0) by (uid=0)"
                        .to_owned(),
                ),
            }
        };
        write_line(w, header, t, "bastion", &tag, &msg)?;
    }
    Ok(seen.len())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bench_log_is_deterministic_and_has_the_asked_length() {
        let start = DateTime::parse_from_rfc3339("2026-11-01T00:00:00Z")
            .unwrap()
            .with_timezone(&Utc);
        let mut a = Vec::new();
        let mut b = Vec::new();
        write_bench_log(&mut a, 500, 7, start, Header::Rfc3164(None)).unwrap();
        write_bench_log(&mut b, 500, 7, start, Header::Rfc3164(None)).unwrap();
        assert_eq!(a, b);
        assert_eq!(a.iter().filter(|&&c| c == b'\n').count(), 500);
        assert!(String::from_utf8(a).unwrap().starts_with("Nov  1 00:00:00"));
    }

    #[test]
    fn a_bastion_log_has_scanners_across_the_address_space() {
        let start = DateTime::parse_from_rfc3339("2026-11-01T00:00:00Z")
            .unwrap()
            .with_timezone(&Utc);
        let mut a = Vec::new();
        let distinct = write_bastion_log(&mut a, 10_000, 7, start, Header::Rfc3339).unwrap();
        let text = String::from_utf8(a).unwrap();
        assert_eq!(text.lines().count(), 10_000);
        // about 8,500 scanner lines, nearly all from fresh addresses
        assert!((7_500..8_600).contains(&distinct), "{distinct}");
        assert!(text.starts_with("2026-11-01T00:00:00"), "{}", &text[..40]);
        // scanners never come from private or loopback space
        assert!(
            text.lines()
                .filter(|l| l.contains("Failed password"))
                .all(|l| !l.contains(" from 10.") && !l.contains(" from 127.")),
        );
    }
}
