//! What sshd, dropbear, sudo, su, PAM and the account tools say, turned
//! into actions.
//!
//! Shared by every kind that carries these messages (syslog files, the
//! journal's MESSAGE field): give it the program and the message, get the
//! action, outcome, actor, subject and client. User names and much else
//! are attacker text, so each field is taken by the position the program's
//! own format gives it (`addr`), never by searching the line. `attempts`
//! follows each connection so one password typed wrong is one attempt,
//! however many lines it writes.

mod addr;
mod attempts;
mod pam;
mod sshd;
mod tools;

use std::borrow::Cow;

pub use attempts::Attempts;
use vigil_domain::Outcome;
pub use vigil_domain::action;

/// What a line is to the attempt it belongs to (see `attempts`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    /// Not part of authenticating.
    Plain,
    /// A connection opened: what follows on this pid is a new connection.
    Connect,
    /// One attempt, complete (`Failed password …`).
    Try,
    /// The start of an attempt another line may complete (`Invalid user`,
    /// PAM's `authentication failure`).
    Prelude,
    /// Says an attempt failed but is never an attempt of its own (`check
    /// pass; user unknown` is always followed by PAM's failure line).
    Aux,
    /// A refused public key: a client offers every key it has.
    KeyOffer,
    /// Sums up the attempts before it (`Too many authentication failures`).
    Summary,
    /// The connection ended; a failure when it had failures nobody counted.
    Close,
    /// Authenticated.
    Success,
}

/// One message, understood. Borrowed slices of the message where possible.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuthEvent<'a> {
    pub action: &'static str,
    pub outcome: Outcome,
    pub actor: Option<&'a str>,
    pub subject: Option<&'a str>,
    pub client: Option<Cow<'a, str>>,
    pub detail: Option<String>,
    /// How many events the line stands for (`message repeated N times`).
    pub repeat: u32,
    pub role: Role,
    /// The address was one of several well-formed ones in the line: it is
    /// not learnt as the connection's address.
    pub ambiguous: bool,
}

impl<'a> AuthEvent<'a> {
    fn new(action: &'static str, outcome: Outcome) -> Self {
        AuthEvent {
            action,
            outcome,
            actor: None,
            subject: None,
            client: None,
            detail: None,
            repeat: 1,
            role: Role::Plain,
            ambiguous: false,
        }
    }

    fn other(msg: &str) -> Self {
        AuthEvent {
            detail: Some(msg.to_owned()),
            ..Self::new(action::OTHER, Outcome::Unknown)
        }
    }

    fn fail(action: &'static str, role: Role) -> Self {
        AuthEvent {
            role,
            ..Self::new(action, Outcome::Failure)
        }
    }

    fn actor(mut self, a: &'a str) -> Self {
        self.actor = non_empty(a);
        self
    }

    fn subject(mut self, s: &'a str) -> Self {
        self.subject = non_empty(s);
        self
    }

    fn client(mut self, c: Option<&'a str>) -> Self {
        self.client = c.and_then(non_empty).map(Cow::Borrowed);
        self
    }

    fn detail(mut self, d: impl Into<String>) -> Self {
        self.detail = Some(d.into());
        self
    }

    fn role(mut self, r: Role) -> Self {
        self.role = r;
        self
    }

    /// The client, borrowed.
    pub fn client_str(&self) -> Option<&str> {
        self.client.as_deref()
    }
}

fn non_empty(s: &str) -> Option<&str> {
    if s.is_empty() { None } else { Some(s) }
}

/// The program a syslog tag names: `sshd(pam_unix)` -> `sshd`, `-- root` ->
/// `root`, `[sshd]` -> `sshd`, `/usr/sbin/sshd` -> `sshd`.
pub fn base_program(tag: &str) -> &str {
    // The common case, a plain name: nothing to take off.
    if tag
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'))
    {
        return tag;
    }
    let t = tag.trim();
    let t = t
        .strip_prefix('[')
        .and_then(|t| t.strip_suffix(']'))
        .unwrap_or(t);
    let t = t.split('(').next().unwrap_or(t);
    let t = t.rsplit(' ').next().unwrap_or(t);
    t.rsplit('/').next().unwrap_or(t)
}

/// Text some systems put before the message itself: Solaris's `[ID 800047
/// auth.info] `, a kernel-style `kernel:[  970.69]: ` stamp, dropbear's own
/// `[825] Jul 10 23:53:52 ` in the journal.
fn strip_prefixes(msg: &str) -> &str {
    let mut m = msg.trim_start();
    loop {
        let before = m;
        if let Some(r) = m.strip_prefix("[ID ")
            && let Some((_, r)) = r.split_once("] ")
        {
            m = r;
        }
        if let Some(r) = m.strip_prefix("kernel:") {
            let r = r.trim_start();
            if let Some(r) = r.strip_prefix('[')
                && let Some((_, r)) = r.split_once(']')
            {
                m = r.strip_prefix(':').unwrap_or(r).trim_start();
            }
        }
        if let Some(r) = m.strip_prefix('[')
            && let Some((pid, r)) = r.split_once("] ")
            && pid.bytes().all(|b| b.is_ascii_digit())
        {
            // `[825] Jul 10 23:53:52 `: the stamp is 15 bytes.
            m = match r.get(15..) {
                Some(rest) if r.as_bytes().get(3) == Some(&b' ') => rest.trim_start(),
                _ => r,
            };
        }
        if m == before {
            return m;
        }
    }
}

/// Understands one message from `program` (a syslog tag or `_COMM`).
/// `known`: the client address this connection's earlier lines gave.
pub fn normalize<'a>(program: &'a str, msg: &'a str, known: Option<&str>) -> AuthEvent<'a> {
    if let Some((n, inner)) = repeated(msg) {
        let mut e = normalize(program, inner, known);
        e.repeat = n;
        return e;
    }
    let msg = strip_prefixes(msg);
    let prog = base_program(program);
    // Old PAM logs put the module in the tag: `sshd(pam_unix)[pid]: …`.
    if program.trim_end().ends_with("(pam_unix)")
        && let Some(e) = pam::message(prog, msg, known)
    {
        return e;
    }
    if let Some((service, rest)) = pam::module_prefix(msg) {
        let service = service.unwrap_or(prog);
        if let Some(e) = pam::message(service, rest, known) {
            return e;
        }
    }
    if let Some(e) = tools::console_login(msg) {
        return e;
    }
    match prog {
        "sshd" | "sshd-session" | "sshd-auth" => sshd::message(msg, known),
        "dropbear" => sshd::dropbear(msg),
        "sudo" => tools::sudo(msg),
        "su" => tools::su(msg),
        "useradd" | "userdel" | "usermod" | "groupadd" | "groupdel" | "groupmod" | "passwd"
        | "chpasswd" | "chage" | "gpasswd" | "chsh" | "chfn" | "newusers" => {
            tools::account(prog, msg)
        }
        "unix_chkpwd" => tools::chkpwd(msg),
        "systemd-logind" => tools::logind(msg),
        "postgres" | "postgresql" | "postmaster" => tools::postgres(msg),
        "pam" | "login" => tools::login(msg),
        "kernel" | "auditd" | "audispd" | "systemd" => tools::system(prog, msg),
        _ => AuthEvent::other(msg),
    }
}

/// `message repeated 5 times: [ Failed password for root from … ]`
fn repeated(msg: &str) -> Option<(u32, &str)> {
    let rest = msg.strip_prefix("message repeated ")?;
    let (n, rest) = rest.split_once(" times: [")?;
    let n: u32 = n.parse().ok()?;
    let inner = rest.strip_suffix(']').unwrap_or(rest).trim();
    Some((n.max(1), inner))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tags_and_prefixes() {
        assert_eq!(base_program("sshd(pam_unix)"), "sshd");
        assert_eq!(base_program("[sshd]"), "sshd");
        assert_eq!(base_program("-- root"), "root");
        assert_eq!(base_program("/usr/sbin/sshd"), "sshd");
        assert_eq!(
            strip_prefixes("[ID 800047 auth.info] Failed keyboard-interactive for x"),
            "Failed keyboard-interactive for x"
        );
        assert_eq!(
            strip_prefixes("kernel:[  970.699396]: Failed password"),
            "Failed password"
        );
        assert_eq!(
            strip_prefixes("kernel: [  970.699397] Failed password"),
            "Failed password"
        );
        assert_eq!(
            strip_prefixes("[825] Jul 10 23:53:52 Bad password attempt"),
            "Bad password attempt"
        );
    }

    #[test]
    fn repeats_keep_their_count() {
        let e = normalize(
            "sshd",
            "message repeated 5 times: [ Failed password for root from 1.2.3.4 port 22 ssh2]",
            None,
        );
        assert_eq!(
            (e.action, e.actor, e.repeat),
            (action::LOGIN, Some("root"), 5)
        );
        let e = normalize("kernel", "something else entirely", None);
        assert_eq!(
            (e.action, e.detail.as_deref()),
            (action::OTHER, Some("something else entirely"))
        );
    }
}
