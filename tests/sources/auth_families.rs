//! Every sshd, PAM, dropbear, su, sudo, account-tool and audit-trail family
//! read as labelled (tests/fixtures/auth-families.log), SSHGuard's own
//! parser tests, and addresses an attacker cannot choose.

use std::path::Path;

use vigil_domain::Outcome;
use vigil_sources::RecordParser;
use vigil_sources::auth;
use vigil_sources::eval;
use vigil_sources::syslog::SyslogParser;

fn fixture(name: &str) -> String {
    std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/fixtures")
            .join(name),
    )
    .unwrap()
}

fn report(
    cases: &[eval::Case],
    got: &[eval::Got],
    keep: impl Fn(&eval::Case) -> bool,
) -> Vec<String> {
    cases
        .iter()
        .zip(got)
        .filter(|(c, _)| keep(c))
        .filter_map(|(c, g)| {
            let m = eval::mismatches(c, g);
            (!m.is_empty()).then(|| {
                format!(
                    "line {} [{}]: {}\n  {}",
                    c.number,
                    c.family,
                    m.join("; "),
                    c.line
                )
            })
        })
        .collect()
}

#[test]
fn every_family_reads_as_labelled() {
    let cases = eval::read(&fixture("auth-families.log"));
    assert!(cases.len() > 80, "{} labelled lines", cases.len());
    let got = eval::as_syslog(&cases);
    let bad = report(&cases, &got, |_| true);
    assert!(
        bad.is_empty(),
        "{} of {}:\n{}",
        bad.len(),
        cases.len(),
        bad.join("\n")
    );
    let (families, total) = eval::score(&cases, &got);
    assert!(families.len() >= 12);
    assert_eq!((total.recall(), total.precision()), (100.0, 100.0));
}

#[test]
fn the_journal_form_reads_the_same() {
    // What journald trusts as the program's own (`_COMM`, root): the other
    // programs' messages stay as they are there, by design.
    const TRUSTED: &[&str] = &[
        "sshd[",
        "dropbear[",
        "su[",
        "sudo[",
        "unix_chkpwd[",
        "passwd[",
        "useradd[",
        "usermod[",
        "userdel[",
        "gpasswd[",
    ];
    let cases = eval::read(&fixture("auth-families.log"));
    let got = eval::as_journal(&cases);
    let keep = |c: &eval::Case| TRUSTED.iter().any(|t| c.line.contains(&format!(" {t}")));
    assert!(cases.iter().filter(|c| keep(c)).count() > 70);
    let bad = report(&cases, &got, keep);
    assert!(bad.is_empty(), "{}", bad.join("\n"));
}

/// SSHGuard's verdicts: (line, attacker address or none).
fn sshguard() -> Vec<(String, Option<String>)> {
    let text = fixture("sshguard-ssh-tests.txt");
    let lines: Vec<&str> = text.lines().filter(|l| !l.starts_with('#')).collect();
    lines
        .chunks(3)
        .map(|c| {
            let verdict = c[1].split(' ').nth(1).filter(|_| c[1] != "*");
            (c[0].to_owned(), verdict.map(str::to_owned))
        })
        .collect()
}

#[test]
fn sshguards_attacks_are_failures_from_the_same_address() {
    let cases = sshguard();
    assert_eq!(cases.len(), 52);
    let reference = "2026-12-31T00:00:00Z".parse().unwrap();
    let mut checked = 0;
    for (line, want) in &cases {
        const MONTHS: &[&str] = &[
            "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
        ];
        let dated = MONTHS.iter().any(|m| line.starts_with(&format!("{m} ")));
        let (outcome, client) = if dated || line.starts_with("2015-") {
            let mut p = SyslogParser::new(None, reference, "");
            let mut out = Vec::new();
            p.parse(line.as_bytes(), 0, &mut out).unwrap();
            let e = out.pop().unwrap();
            (e.outcome, e.client.map(|c| c.as_str().to_owned()))
        } else {
            let e = auth::normalize("sshd", line, None);
            (e.outcome, e.client_str().map(str::to_owned))
        };
        if line.contains(" auth.info: ") {
            // No program named at all: nobody's message to trust.
            assert_eq!(outcome, Outcome::Unknown, "{line}");
            continue;
        }
        // A connection closed before authenticating, with no failure
        // before it on the same connection, is not a failed login (SSHGuard
        // gives these danger 2 or lumps them with scanners; fail2ban only
        // in its aggressive mode).
        let bare_close = (line.contains("Connection closed by")
            && !line.contains("authenticating user"))
            || (line.contains("Received disconnect") && line.contains(": 11: "));
        checked += 1;
        match want {
            Some(addr) => {
                assert_eq!(client.as_deref(), Some(addr.as_str()), "{line}");
                if !bare_close {
                    assert_eq!(outcome, Outcome::Failure, "{line}");
                }
            }
            None => assert_ne!(outcome, Outcome::Failure, "{line}"),
        }
    }
    assert_eq!(checked, 50);
}

/// A tiny deterministic generator for the property tests.
struct Lcg(u64);

impl Lcg {
    fn next(&mut self, n: usize) -> usize {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        ((self.0 >> 33) % n as u64) as usize
    }
}

/// Attacker text: every word sshd and PAM use to mark where an address is.
fn hostile(r: &mut Lcg) -> String {
    const WORDS: &[&str] = &[
        "from",
        "port",
        "ssh2",
        "ssh2:",
        ":",
        "rhost=10.6.6.6",
        "user=",
        "10.6.6.6",
        "2001:db8::66",
        "66",
        "'",
        "\"",
        "via",
        "[preauth]",
        "on",
        "x",
        "root",
        "ruser=",
        "::ffff:10.7.7.7",
    ];
    let n = 1 + r.next(8);
    (0..n)
        .map(|_| WORDS[r.next(WORDS.len())])
        .collect::<Vec<_>>()
        .join(" ")
}

#[test]
fn the_address_is_always_the_one_at_sshds_position() {
    let mut r = Lcg(7);
    let reals = ["203.0.113.77", "2001:db8:1::77", "bastion.example.org"];
    for i in 0..4000 {
        let real = reals[i % reals.len()];
        let user = hostile(&mut r);
        let extra = hostile(&mut r);
        let port = 1024 + r.next(60000);
        // A name that exists is the system's (no spaces); one that does not
        // is the client's, and sshd says so (`invalid user`, `illegal
        // user`) before it.
        let acct = ["root", "alice", "svc-backup"][r.next(3)];
        let lines = [
            format!("Failed password for invalid user {user} from {real} port {port} ssh2"),
            format!("Failed password for {acct} from {real} port {port} ssh2"),
            format!("Accepted password for {acct} from {real} port {port} ssh2"),
            format!(
                "Failed publickey for invalid user {user} from {real} port {port} ssh2: RSA SHA256:k3y"
            ),
            format!(
                "Failed hostbased for {acct} from {real} port {port} ssh2: RSA SHA256:k3y, client user \"{extra}\", client host \"{extra}\""
            ),
            format!("Invalid user {user} from {real} port {port}"),
            format!("User {acct} from {real} not allowed because listed in DenyUsers"),
            format!("error: PAM: Authentication failure for illegal user {user} from {real}"),
            format!("Connection closed by invalid user {user} {real} port {port} [preauth]"),
            format!("Connection closed by authenticating user {acct} {real} port {port} [preauth]"),
            format!(
                "pam_unix(sshd:auth): authentication failure; logname= uid=0 euid=0 tty=ssh ruser= rhost={real}  user={user}"
            ),
        ];
        for line in &lines {
            let e = auth::normalize("sshd", line, None);
            assert_eq!(e.client_str(), Some(real), "{line}");
        }
        // With the connection's address known, even a tail after the
        // protocol cannot move it.
        let line = format!(
            "Failed password for invalid user {user} from {real} port {port} ssh2: {extra} from 10.9.9.9 port 1 ssh2"
        );
        let e = auth::normalize("sshd", &line, Some(real));
        assert_eq!(e.client_str(), Some(real), "{line}");
    }
}
