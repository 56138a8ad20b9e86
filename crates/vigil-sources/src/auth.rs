//! What sshd, sudo, su, PAM and the account tools say, turned into actions.
//!
//! Shared by every kind that carries these messages (syslog files today, the
//! journal's MESSAGE field too): give it the program and the message, get the
//! action, outcome, actor, subject and client. User names are attacker text,
//! so they are taken by position from the right-hand side (`… from IP port N`)
//! rather than by splitting on spaces.

use vigil_domain::Outcome;

/// Actions an auth message can stand for.
pub mod action {
    pub const LOGIN: &str = "login";
    pub const LOGOUT: &str = "logout";
    pub const AUTH: &str = "auth";
    pub const INVALID_USER: &str = "invalid-user";
    pub const SESSION_OPEN: &str = "session-open";
    pub const SESSION_CLOSE: &str = "session-close";
    pub const SUDO: &str = "sudo";
    pub const SU: &str = "su";
    pub const DISCONNECT: &str = "disconnect";
    pub const PROBE: &str = "probe";
    pub const ACCOUNT: &str = "account";
    pub const OTHER: &str = "other";
}

/// One message, understood. Borrowed slices of the message where possible.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuthEvent<'a> {
    pub action: &'static str,
    pub outcome: Outcome,
    pub actor: Option<&'a str>,
    pub subject: Option<&'a str>,
    pub client: Option<&'a str>,
    pub detail: Option<String>,
    /// How many events the line stands for (`message repeated N times`).
    pub repeat: u32,
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
        }
    }

    fn other(msg: &str) -> Self {
        AuthEvent {
            detail: Some(msg.to_owned()),
            ..Self::new(action::OTHER, Outcome::Unknown)
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

    fn client(mut self, c: &'a str) -> Self {
        self.client = non_empty(c);
        self
    }

    fn detail(mut self, d: impl Into<String>) -> Self {
        self.detail = Some(d.into());
        self
    }
}

fn non_empty(s: &str) -> Option<&str> {
    if s.is_empty() { None } else { Some(s) }
}

/// The program a syslog tag names: `sshd(pam_unix)` -> `sshd`, `-- root` -> `root`.
pub fn base_program(tag: &str) -> &str {
    let t = tag.trim();
    let t = t.split('(').next().unwrap_or(t);
    t.rsplit(' ').next().unwrap_or(t)
}

/// Understands one message from `program` (a syslog tag or `_COMM`).
pub fn normalize<'a>(program: &'a str, msg: &'a str) -> AuthEvent<'a> {
    if let Some((n, inner)) = repeated(msg) {
        let mut e = normalize(program, inner);
        e.repeat = n;
        return e;
    }
    let prog = base_program(program);
    // Old PAM logs put the module in the tag: `sshd(pam_unix)[pid]: …`.
    if let Some(pam_service) = program.strip_suffix("(pam_unix)")
        && let Some(e) = pam(base_program(pam_service), msg)
    {
        return e;
    }
    if let Some(rest) = msg.strip_prefix("pam_unix(")
        && let Some((svc, rest)) = rest.split_once("): ")
    {
        let service = svc.split(':').next().unwrap_or(svc);
        if let Some(e) = pam(service, rest) {
            return e;
        }
    }
    if let Some(e) = console_login(msg) {
        return e;
    }
    match prog {
        "sshd" | "sshd-session" | "sshd-auth" => sshd(msg),
        "sudo" => sudo(msg),
        "su" => su(msg),
        "useradd" | "userdel" | "usermod" | "groupadd" | "groupdel" | "groupmod" | "passwd"
        | "chpasswd" | "chage" | "gpasswd" => account(prog, msg),
        "systemd-logind" => logind(msg),
        "pam" | "login" => {
            if let Some(user) = msg
                .strip_prefix("user ")
                .and_then(|r| r.strip_suffix(" logged out."))
            {
                AuthEvent::new(action::LOGOUT, Outcome::Success).actor(user)
            } else {
                AuthEvent::other(msg)
            }
        }
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

/// Splits `… from IP port N …` at the last ` from `, returning what stands
/// before it and the address.
fn from_addr(s: &str) -> Option<(&str, &str)> {
    let i = s.rfind(" from ")?;
    let (before, after) = (&s[..i], &s[i + 6..]);
    let addr = after.split([' ', ':']).next().unwrap_or("");
    // An IPv6 address contains ':'; keep it whole when followed by ` port`.
    let addr = match after.find(" port ") {
        Some(p) if !after[..p].contains(' ') => &after[..p],
        _ => addr,
    };
    if addr.is_empty() {
        None
    } else {
        Some((before, addr))
    }
}

/// `user X IP port N`, `authenticating user X IP port N`, `invalid user X IP
/// port N`, or just `IP port N`: the newer sshd disconnect forms.
fn user_ip_port(s: &str) -> (Option<&str>, &str) {
    let s = s.trim();
    let s = s.strip_suffix(" [preauth]").unwrap_or(s);
    let (head, _port) = match s.rfind(" port ") {
        Some(i) => (&s[..i], &s[i..]),
        None => (s, ""),
    };
    let (who, ip) = match head.rfind(' ') {
        Some(i) => (&head[..i], &head[i + 1..]),
        None => ("", head),
    };
    let user = who
        .strip_prefix("authenticating user ")
        .or_else(|| who.strip_prefix("invalid user "))
        .or_else(|| who.strip_prefix("user "));
    (user, ip.trim_end_matches(':'))
}

fn sshd(msg: &str) -> AuthEvent<'_> {
    let m = msg.strip_suffix(" [preauth]").unwrap_or(msg);
    if let Some(rest) = m.strip_prefix("Accepted ") {
        if let Some((method, rest)) = rest.split_once(" for ")
            && let Some((user, ip)) = from_addr(rest)
        {
            return AuthEvent::new(action::LOGIN, Outcome::Success)
                .actor(user)
                .client(ip)
                .detail(method);
        }
    } else if let Some(rest) = m.strip_prefix("Failed ") {
        if let Some((method, rest)) = rest.split_once(" for ")
            && let Some((user, ip)) = from_addr(rest)
        {
            return match user.strip_prefix("invalid user ") {
                Some(u) => AuthEvent::new(action::LOGIN, Outcome::Failure)
                    .actor(u)
                    .client(ip)
                    .detail(format!("{method}; invalid user")),
                None => AuthEvent::new(action::LOGIN, Outcome::Failure)
                    .actor(user)
                    .client(ip)
                    .detail(method),
            };
        }
    } else if let Some(rest) = m.strip_prefix("Invalid user ") {
        // `Invalid user  from 1.2.3.4`: an empty name leaves ` from …`.
        if let Some((user, ip)) = from_addr(rest) {
            return AuthEvent::new(action::INVALID_USER, Outcome::Failure)
                .actor(user)
                .client(ip);
        }
    } else if let Some(user) = m.strip_prefix("input_userauth_request: invalid user ") {
        return AuthEvent::new(action::INVALID_USER, Outcome::Failure).actor(user);
    } else if let Some(rest) = m.strip_prefix("Connection closed by ") {
        let (user, ip) = user_ip_port(rest);
        let mut e = AuthEvent::new(action::DISCONNECT, Outcome::Unknown).client(ip);
        e.actor = user.and_then(non_empty);
        return e;
    } else if let Some(rest) = m.strip_prefix("Disconnected from ") {
        let (user, ip) = user_ip_port(rest);
        let mut e = AuthEvent::new(action::DISCONNECT, Outcome::Unknown).client(ip);
        e.actor = user.and_then(non_empty);
        return e;
    } else if let Some(rest) = m.strip_prefix("Received disconnect from ") {
        let (addr, reason) = rest.split_once(':').unwrap_or((rest, ""));
        let ip = addr.split(" port ").next().unwrap_or(addr);
        return AuthEvent::new(action::DISCONNECT, Outcome::Unknown)
            .client(ip.trim())
            .detail(reason.trim());
    } else if let Some(rest) = m.strip_prefix("Did not receive identification string from ") {
        let ip = rest.split(' ').next().unwrap_or(rest);
        return AuthEvent::new(action::PROBE, Outcome::Failure)
            .client(ip)
            .detail("no identification string");
    } else if let Some(rest) = m.strip_prefix("reverse mapping checking getaddrinfo for ") {
        let ip = rest
            .split_once('[')
            .and_then(|(_, r)| r.split_once(']'))
            .map(|(ip, _)| ip)
            .unwrap_or("");
        return AuthEvent::new(action::PROBE, Outcome::Unknown)
            .client(ip)
            .detail("reverse mapping failed: possible break-in attempt");
    } else if let Some(rest) =
        m.strip_prefix("Disconnecting: Too many authentication failures for ")
    {
        return AuthEvent::new(action::AUTH, Outcome::Failure)
            .actor(rest.trim())
            .detail("too many authentication failures");
    } else if let Some(rest) = m.strip_prefix("Disconnecting ") {
        if let Some((who, why)) = rest.split_once(": ") {
            let (user, ip) = user_ip_port(who);
            let mut e = AuthEvent::new(action::AUTH, Outcome::Failure)
                .client(ip)
                .detail(why);
            e.actor = user.and_then(non_empty);
            return e;
        }
    } else if let Some(rest) =
        m.strip_prefix("error: maximum authentication attempts exceeded for ")
    {
        let rest = rest.strip_prefix("invalid user ").unwrap_or(rest);
        if let Some((user, ip)) = from_addr(rest) {
            return AuthEvent::new(action::AUTH, Outcome::Failure)
                .actor(user)
                .client(ip)
                .detail("maximum authentication attempts exceeded");
        }
    } else if let Some(rest) = m.strip_prefix("PAM ")
        && rest.contains("more authentication failure")
    {
        let (actor, client) = pam_kv(rest);
        let mut e = AuthEvent::new(action::AUTH, Outcome::Failure).detail(m);
        e.actor = actor;
        e.client = client;
        return e;
    }
    AuthEvent::other(msg)
}

/// `user=` (or `ruser=`, `logname=`) and `rhost=` out of a PAM key=value tail.
fn pam_kv(s: &str) -> (Option<&str>, Option<&str>) {
    let mut user = None;
    let mut ruser = None;
    let mut rhost = None;
    for kv in s.split(' ') {
        if let Some(v) = kv.strip_prefix("user=") {
            user = non_empty(v);
        } else if let Some(v) = kv.strip_prefix("ruser=") {
            ruser = non_empty(v);
        } else if let Some(v) = kv.strip_prefix("rhost=") {
            rhost = non_empty(v);
        }
    }
    (user.or(ruser), rhost)
}

/// `X(uid=N)` -> `X`; `(uid=0)` -> none.
fn pam_user(s: &str) -> &str {
    s.split('(').next().unwrap_or(s).trim()
}

/// pam_unix messages, the same for every service.
fn pam<'a>(service: &'a str, msg: &'a str) -> Option<AuthEvent<'a>> {
    if let Some(rest) = msg.strip_prefix("authentication failure;") {
        let (actor, client) = pam_kv(rest);
        let mut e = AuthEvent::new(action::AUTH, Outcome::Failure).detail(service);
        e.actor = actor;
        e.client = client;
        return Some(e);
    }
    if msg.starts_with("check pass; user unknown") {
        return Some(
            AuthEvent::new(action::AUTH, Outcome::Failure)
                .detail(format!("{service}: user unknown")),
        );
    }
    if let Some(rest) = msg.strip_prefix("session opened for user ") {
        let (user, by) = match rest.split_once(" by ") {
            Some((u, b)) => (pam_user(u), pam_user(b)),
            None => (pam_user(rest), ""),
        };
        let e = AuthEvent::new(action::SESSION_OPEN, Outcome::Success).detail(service);
        return Some(if !by.is_empty() && by != user {
            e.actor(by).subject(user)
        } else {
            e.actor(user)
        });
    }
    if let Some(rest) = msg.strip_prefix("session closed for user ") {
        return Some(
            AuthEvent::new(action::SESSION_CLOSE, Outcome::Success)
                .actor(pam_user(rest))
                .detail(service),
        );
    }
    if let Some(rest) = msg.strip_prefix("password changed for ") {
        return Some(
            AuthEvent::new(action::ACCOUNT, Outcome::Success)
                .subject(rest.trim())
                .detail("password changed"),
        );
    }
    None
}

/// `alice : TTY=pts/0 ; PWD=/home/alice ; USER=root ; COMMAND=/bin/ls`, or
/// with a complaint first: `alice : user NOT in sudoers ; TTY=…`.
fn sudo(msg: &str) -> AuthEvent<'_> {
    let m = msg.trim_start();
    let Some((user, rest)) = m.split_once(" : ") else {
        return AuthEvent::other(msg);
    };
    let mut target = None;
    let mut command = None;
    let mut complaint = None;
    let mut rest = rest;
    // COMMAND= comes last and may itself contain " ; ".
    if let Some(i) = rest.find("COMMAND=") {
        command = Some(&rest[i + 8..]);
        rest = &rest[..i];
    }
    for (n, field) in rest.split(" ; ").enumerate() {
        let field = field.trim();
        if let Some(v) = field.strip_prefix("USER=") {
            target = Some(v);
        } else if n == 0 && !field.contains('=') && !field.is_empty() {
            complaint = Some(field);
        }
    }
    let outcome = if complaint.is_some() {
        Outcome::Failure
    } else {
        Outcome::Success
    };
    let detail = match (complaint, command) {
        (Some(c), Some(cmd)) => format!("{c}; {cmd}"),
        (Some(c), None) => c.to_owned(),
        (None, Some(cmd)) => cmd.to_owned(),
        (None, None) => rest.trim().to_owned(),
    };
    let mut e = AuthEvent::new(action::SUDO, outcome)
        .actor(user.trim())
        .detail(detail);
    e.subject = target.and_then(non_empty);
    e
}

fn su(msg: &str) -> AuthEvent<'_> {
    // Debian: `(to root) alice on pts/0`
    if let Some(rest) = msg.strip_prefix("(to ")
        && let Some((target, rest)) = rest.split_once(") ")
    {
        let (user, tty) = rest.split_once(" on ").unwrap_or((rest, ""));
        return AuthEvent::new(action::SU, Outcome::Success)
            .actor(user)
            .subject(target)
            .detail(tty);
    }
    for (prefix, outcome) in [
        ("Successful su for ", Outcome::Success),
        ("FAILED su for ", Outcome::Failure),
    ] {
        if let Some(rest) = msg.strip_prefix(prefix)
            && let Some((target, user)) = rest.split_once(" by ")
        {
            return AuthEvent::new(action::SU, outcome)
                .actor(user.trim())
                .subject(target);
        }
    }
    // RHEL: `+ pts/0 alice:root` / `- pts/0 alice:root`
    for (prefix, outcome) in [("+ ", Outcome::Success), ("- ", Outcome::Failure)] {
        if let Some(rest) = msg.strip_prefix(prefix)
            && let Some((tty, pair)) = rest.split_once(' ')
            && let Some((user, target)) = pair.split_once(':')
        {
            return AuthEvent::new(action::SU, outcome)
                .actor(user)
                .subject(target.trim())
                .detail(tty);
        }
    }
    if msg.starts_with("pam_authenticate: Authentication failure") {
        return AuthEvent::new(action::SU, Outcome::Failure).detail(msg);
    }
    AuthEvent::other(msg)
}

fn account<'a>(prog: &'a str, msg: &'a str) -> AuthEvent<'a> {
    let name = msg
        .split_once("name=")
        .map(|(_, r)| r.split(',').next().unwrap_or(r))
        .or_else(|| {
            msg.split_once('\'')
                .and_then(|(_, r)| r.split_once('\''))
                .map(|(n, _)| n)
        });
    let by = msg
        .split_once(" by '")
        .and_then(|(_, r)| r.split_once('\''))
        .map(|(n, _)| n);
    let mut e = AuthEvent::new(action::ACCOUNT, Outcome::Success).detail(format!("{prog}: {msg}"));
    e.subject = name.and_then(non_empty);
    e.actor = by.and_then(non_empty);
    e
}

fn logind(msg: &str) -> AuthEvent<'_> {
    if let Some(rest) = msg.strip_prefix("New session ")
        && let Some((_, user)) = rest.split_once(" of user ")
    {
        return AuthEvent::new(action::SESSION_OPEN, Outcome::Success)
            .actor(user.trim_end_matches('.'))
            .detail("systemd-logind");
    }
    AuthEvent::other(msg)
}

/// Console logins from `login`, whatever the tag says (`combo  -- root[2421]:`).
fn console_login(msg: &str) -> Option<AuthEvent<'_>> {
    if let Some(rest) = msg.strip_prefix("ROOT LOGIN ON ") {
        return Some(
            AuthEvent::new(action::LOGIN, Outcome::Success)
                .actor("root")
                .detail(rest),
        );
    }
    if msg.starts_with("FAILED LOGIN ") {
        let user = msg
            .split_once(" FOR '")
            .and_then(|(_, r)| r.split_once('\''))
            .map(|(u, _)| u)
            .unwrap_or("");
        return Some(
            AuthEvent::new(action::LOGIN, Outcome::Failure)
                .actor(user)
                .detail(msg),
        );
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn n<'a>(p: &'a str, m: &'a str) -> AuthEvent<'a> {
        normalize(p, m)
    }

    #[test]
    fn sshd_logins() {
        let e = n(
            "sshd",
            "Accepted publickey for vagrant from 10.0.2.2 port 63673 ssh2: RSA 39:33:99:e9:a0",
        );
        assert_eq!((e.action, e.outcome), (action::LOGIN, Outcome::Success));
        assert_eq!((e.actor, e.client), (Some("vagrant"), Some("10.0.2.2")));
        assert_eq!(e.detail.as_deref(), Some("publickey"));

        let e = n(
            "sshd-session",
            "Failed password for invalid user admin from 2001:db8::7 port 22 ssh2",
        );
        assert_eq!((e.action, e.outcome), (action::LOGIN, Outcome::Failure));
        assert_eq!((e.actor, e.client), (Some("admin"), Some("2001:db8::7")));

        // attacker-chosen name containing the keywords
        let e = n(
            "sshd",
            "Failed password for invalid user x from 1.1.1.1 port 1 from 9.9.9.9 port 22 ssh2",
        );
        assert_eq!(
            (e.actor, e.client),
            (Some("x from 1.1.1.1 port 1"), Some("9.9.9.9"))
        );
    }

    #[test]
    fn sshd_unknown_users_and_probes() {
        let e = n("sshd", "Invalid user webmaster from 173.234.31.186");
        assert_eq!(
            (e.action, e.actor, e.client),
            (
                action::INVALID_USER,
                Some("webmaster"),
                Some("173.234.31.186")
            )
        );
        let e = n("sshd", "Invalid user  from 1.2.3.4");
        assert_eq!((e.actor, e.client), (None, Some("1.2.3.4")));
        let e = n("sshd", "Invalid user bob from 1.2.3.4 port 4242");
        assert_eq!((e.actor, e.client), (Some("bob"), Some("1.2.3.4")));
        let e = n(
            "sshd",
            "input_userauth_request: invalid user test9 [preauth]",
        );
        assert_eq!((e.action, e.actor), (action::INVALID_USER, Some("test9")));
        let e = n(
            "sshd",
            "reverse mapping checking getaddrinfo for ns.x.com [173.234.31.186] failed - POSSIBLE BREAK-IN ATTEMPT!",
        );
        assert_eq!(
            (e.action, e.client),
            (action::PROBE, Some("173.234.31.186"))
        );
        let e = n(
            "sshd",
            "Did not receive identification string from 5.36.59.76",
        );
        assert_eq!((e.action, e.client), (action::PROBE, Some("5.36.59.76")));
    }

    #[test]
    fn sshd_disconnects() {
        let e = n("sshd", "Connection closed by 212.47.254.145 [preauth]");
        assert_eq!(
            (e.action, e.actor, e.client),
            (action::DISCONNECT, None, Some("212.47.254.145"))
        );
        let e = n(
            "sshd",
            "Received disconnect from 139.59.209.18: 11: Bye Bye [preauth]",
        );
        assert_eq!(e.client, Some("139.59.209.18"));
        let e = n(
            "sshd-session",
            "Disconnected from user alice 10.1.2.3 port 51234",
        );
        assert_eq!((e.actor, e.client), (Some("alice"), Some("10.1.2.3")));
        let e = n(
            "sshd",
            "Connection closed by authenticating user root 10.9.8.7 port 40000 [preauth]",
        );
        assert_eq!((e.actor, e.client), (Some("root"), Some("10.9.8.7")));
        let e = n(
            "sshd",
            "Disconnecting: Too many authentication failures for root [preauth]",
        );
        assert_eq!(
            (e.action, e.outcome, e.actor),
            (action::AUTH, Outcome::Failure, Some("root"))
        );
    }

    #[test]
    fn pam_messages() {
        let e = n(
            "sshd",
            "pam_unix(sshd:auth): authentication failure; logname= uid=0 euid=0 tty=ssh ruser= rhost=60.30.224.116  user=root",
        );
        assert_eq!(
            (e.action, e.actor, e.client),
            (action::AUTH, Some("root"), Some("60.30.224.116"))
        );
        let e = n(
            "sshd(pam_unix)",
            "authentication failure; logname= uid=0 euid=0 tty=NODEVssh ruser= rhost=218.188.2.4 ",
        );
        assert_eq!(
            (e.action, e.actor, e.client),
            (action::AUTH, None, Some("218.188.2.4"))
        );
        let e = n(
            "sshd",
            "pam_unix(sshd:session): session opened for user fztu by (uid=0)",
        );
        assert_eq!(
            (e.action, e.actor, e.subject),
            (action::SESSION_OPEN, Some("fztu"), None)
        );
        let e = n(
            "sudo",
            "pam_unix(sudo:session): session opened for user root(uid=0) by alice(uid=1000)",
        );
        assert_eq!((e.actor, e.subject), (Some("alice"), Some("root")));
        let e = n("su(pam_unix)", "session opened for user cyrus by (uid=0)");
        assert_eq!((e.action, e.actor), (action::SESSION_OPEN, Some("cyrus")));
        let e = n(
            "sshd",
            "pam_unix(sshd:session): session closed for user fztu",
        );
        assert_eq!((e.action, e.actor), (action::SESSION_CLOSE, Some("fztu")));
        let e = n(
            "sshd",
            "PAM 5 more authentication failures; logname= uid=0 euid=0 tty=ssh ruser= rhost=183.62.140.253  user=root",
        );
        assert_eq!(
            (e.action, e.actor, e.client),
            (action::AUTH, Some("root"), Some("183.62.140.253"))
        );
    }

    #[test]
    fn sudo_and_su() {
        let e = n(
            "sudo",
            "vagrant : TTY=pts/0 ; PWD=/home/vagrant ; USER=root ; COMMAND=/bin/ls",
        );
        assert_eq!(
            (e.action, e.outcome, e.actor, e.subject),
            (
                action::SUDO,
                Outcome::Success,
                Some("vagrant"),
                Some("root")
            )
        );
        assert_eq!(e.detail.as_deref(), Some("/bin/ls"));
        let e = n(
            "sudo",
            "     tsg : user NOT in sudoers ; TTY=pts/2 ; PWD=/home/tsg ; USER=root ; COMMAND=/bin/sh -c 'a ; b'",
        );
        assert_eq!(
            (e.outcome, e.actor, e.subject),
            (Outcome::Failure, Some("tsg"), Some("root"))
        );
        assert_eq!(
            e.detail.as_deref(),
            Some("user NOT in sudoers; /bin/sh -c 'a ; b'")
        );
        let e = n("su", "(to root) alice on pts/1");
        assert_eq!(
            (e.action, e.actor, e.subject),
            (action::SU, Some("alice"), Some("root"))
        );
        let e = n("su", "FAILED su for root by mallory");
        assert_eq!(
            (e.outcome, e.actor, e.subject),
            (Outcome::Failure, Some("mallory"), Some("root"))
        );
    }

    #[test]
    fn repeats_accounts_and_console() {
        let e = n(
            "sshd",
            "message repeated 5 times: [ Failed password for root from 1.2.3.4 port 22 ssh2]",
        );
        assert_eq!(
            (e.action, e.actor, e.repeat),
            (action::LOGIN, Some("root"), 5)
        );
        let e = n(
            "useradd",
            "new user: name=apache, UID=48, GID=48, home=/var/www, shell=/sbin/nologin",
        );
        assert_eq!((e.action, e.subject), (action::ACCOUNT, Some("apache")));
        let e = n("-- root", "ROOT LOGIN ON tty2");
        assert_eq!((e.action, e.actor), (action::LOGIN, Some("root")));
        let e = n("pam", "user nobody logged out.");
        assert_eq!((e.action, e.actor), (action::LOGOUT, Some("nobody")));
        let e = n("kernel", "something else entirely");
        assert_eq!(
            (e.action, e.detail.as_deref()),
            (action::OTHER, Some("something else entirely"))
        );
    }
}
