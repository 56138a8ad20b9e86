//! sshd's messages (OpenSSH on Linux, the BSDs, macOS and Solaris, with
//! and without PAM) and dropbear's.

use super::addr::{self, host_port, last_from, sshd_from, user_addr_port};
use super::{AuthEvent, Role, action, non_empty};
use vigil_domain::Outcome;

/// Methods whose `Failed`/`Accepted` lines may carry an extra after the
/// protocol (`ssh2: RSA SHA256:…`); the others never do.
fn has_extra(method: &str) -> bool {
    let m = method.split('/').next().unwrap_or(method);
    matches!(m, "publickey" | "hostbased" | "rsa" | "rhosts-rsa")
}

pub(super) fn message<'a>(msg: &'a str, known: Option<&str>) -> AuthEvent<'a> {
    let m = msg.strip_suffix(" [preauth]").unwrap_or(msg).trim_end();
    let preauth = m.len() < msg.trim_end().len();
    let m = m
        .strip_prefix("error: ")
        .or_else(|| m.strip_prefix("fatal: "))
        .unwrap_or(m);
    if let Some(e) = auth_result(m, known) {
        return e;
    }
    if let Some(rest) = m
        .strip_prefix("Invalid user ")
        .or_else(|| m.strip_prefix("Illegal user "))
        .or_else(|| m.strip_prefix("invalid user "))
    {
        // `Invalid user  from 1.2.3.4`: an empty name leaves ` from …`.
        if let Some((user, ip)) = last_from(rest) {
            return AuthEvent::fail(action::INVALID_USER, Role::Prelude)
                .actor(user.trim_start())
                .client(Some(ip));
        }
    }
    if let Some(user) = m.strip_prefix("input_userauth_request: invalid user ") {
        return AuthEvent::fail(action::INVALID_USER, Role::Aux).actor(user);
    }
    if let Some(rest) = m.strip_prefix("PAM: ") {
        return pam_error(rest, m);
    }
    if let Some(rest) = m.strip_prefix("User ")
        && let Some(i) = rest.rfind(" not allowed because ")
    {
        let (who, why) = (&rest[..i], &rest[i + 21..]);
        return match last_from(who) {
            Some((user, ip)) => AuthEvent::fail(action::LOGIN, Role::Try)
                .actor(user)
                .client(Some(ip))
                .detail(format!("not allowed because {why}")),
            // `User root not allowed because account is locked`: the
            // address comes from the connection.
            None => AuthEvent::fail(action::LOGIN, Role::Aux)
                .actor(who)
                .detail(format!("not allowed because {why}")),
        };
    }
    if let Some(rest) = m.strip_prefix("ROOT LOGIN REFUSED FROM ") {
        let tok = rest.split(' ').next().unwrap_or(rest);
        return AuthEvent::fail(action::LOGIN, Role::Try)
            .actor("root")
            .client(addr::clean(tok))
            .detail("root login refused (PermitRootLogin)");
    }
    if let Some(rest) = m.strip_prefix("refused connect from ") {
        // tcpwrappers: `refused connect from IDENT@HOST (ADDR)`; the ident
        // and host are the client's word, the last parenthesis is not.
        let a = rest
            .rsplit_once(" (")
            .and_then(|(_, a)| a.strip_suffix(')'))
            .and_then(addr::clean);
        return AuthEvent::fail(action::PROBE, Role::Plain)
            .client(a)
            .detail("refused by tcpwrappers");
    }
    if let Some(rest) = m.strip_prefix("SSH: Server;Ltype: ") {
        // The BSDs' and Solaris's connection trace:
        // `SSH: Server;Ltype: Version;Remote: 127.0.0.1-1780;…`
        let remote = rest
            .split(';')
            .find_map(|f| f.strip_prefix("Remote: "))
            .and_then(|r| r.rsplit_once('-').map(|(a, _)| a));
        let e =
            AuthEvent::new(action::CONNECT, Outcome::Unknown).client(remote.and_then(addr::clean));
        // The first trace line opens the connection; the others repeat it.
        return if rest.starts_with("Version;") {
            e.role(Role::Connect)
        } else {
            e
        };
    }
    if let Some(rest) = m.strip_prefix("Connection from ") {
        let tok = rest.split(' ').next().unwrap_or(rest);
        return AuthEvent::new(action::CONNECT, Outcome::Unknown)
            .client(addr::clean(tok))
            .role(Role::Connect);
    }
    for prefix in [
        "Connection closed by ",
        "Connection reset by ",
        "Disconnected from ",
    ] {
        if let Some(rest) = m.strip_prefix(prefix) {
            let (user, ip) = user_addr_port(rest);
            // A client that leaves half-way through authenticating as
            // someone has tried that account.
            let authenticating = preauth
                && (rest.starts_with("authenticating user ") || rest.starts_with("invalid user "));
            let mut e = if authenticating {
                AuthEvent::fail(action::DISCONNECT, Role::Summary)
                    .detail(format!("{}before authenticating", prefix.to_lowercase()))
            } else {
                AuthEvent::new(action::DISCONNECT, Outcome::Unknown).role(Role::Close)
            };
            e = e.client(ip);
            e.actor = user.and_then(non_empty);
            return e;
        }
    }
    if let Some(rest) = m.strip_prefix("Received disconnect from ") {
        // `ADDR[ port P]:CODE: REASON`
        let (head, reason) = match rest.find(": ").or_else(|| rest.find(':')) {
            Some(i) => (&rest[..i], rest[i + 1..].trim_start_matches(':').trim()),
            None => (rest, ""),
        };
        let head = head.split(" port ").next().unwrap_or(head);
        let (code, why) = reason.split_once(':').unwrap_or(("", reason));
        let code = code.trim();
        let why = why.trim();
        let gave_up = why.contains("Auth fail")
            || why.contains("Auth cancel")
            || code == "14"
            || why.contains("authentication methods available");
        let e = if gave_up {
            AuthEvent::fail(action::DISCONNECT, Role::Summary)
        } else if preauth {
            AuthEvent::new(action::DISCONNECT, Outcome::Unknown).role(Role::Close)
        } else {
            AuthEvent::new(action::DISCONNECT, Outcome::Unknown)
        };
        return e
            .client(addr::clean(head.trim()).or_else(|| host_port(head.trim())))
            .detail(reason);
    }
    if let Some(rest) = m.strip_prefix("Did not receive identification string from ") {
        let ip = rest.split(' ').next().unwrap_or(rest);
        return AuthEvent::fail(action::PROBE, Role::Plain)
            .client(addr::clean(ip))
            .detail("no identification string");
    }
    if let Some(rest) = m.strip_prefix("Bad protocol version identification ") {
        return AuthEvent::fail(action::PROBE, Role::Plain)
            .client(last_from(rest).map(|(_, a)| a))
            .detail("bad protocol version identification");
    }
    if let Some(rest) = m.strip_prefix("Unable to negotiate with ") {
        let tok = rest.split([' ', ':']).next().unwrap_or(rest);
        let tok = if rest.contains(" port ") {
            rest.split(" port ").next().unwrap_or(tok)
        } else {
            tok
        };
        return AuthEvent::fail(action::PROBE, Role::Plain)
            .client(addr::clean(tok))
            .detail("key exchange failed");
    }
    if let Some(rest) = m.strip_prefix("Timeout before authentication for ") {
        let tok = rest.split(' ').next().unwrap_or(rest);
        return AuthEvent::fail(action::PROBE, Role::Plain)
            .client(addr::clean(tok))
            .detail("timeout before authentication");
    }
    if m.starts_with("Read from socket failed")
        || m.starts_with("kex_exchange_identification:")
        || m.starts_with("Unable to negotiate a key exchange method")
        || m.starts_with("no matching ")
        || m.starts_with("ssh_dispatch_run_fatal:")
    {
        return AuthEvent::fail(action::PROBE, Role::Plain).detail(m);
    }
    if let Some(rest) = m.strip_prefix("reverse mapping checking getaddrinfo for ") {
        let ip = rest
            .rsplit_once('[')
            .and_then(|(_, r)| r.split_once(']'))
            .map(|(ip, _)| ip);
        return AuthEvent::new(action::PROBE, Outcome::Unknown)
            .client(ip.and_then(addr::clean))
            .detail("reverse mapping failed: possible break-in attempt");
    }
    if let Some(rest) = m.strip_prefix("Address ")
        && rest.contains(" maps to ")
    {
        let ip = rest.split(' ').next().unwrap_or(rest);
        return AuthEvent::new(action::PROBE, Outcome::Unknown)
            .client(addr::clean(ip))
            .detail("address does not map back: possible break-in attempt");
    }
    if let Some(rest) = m.strip_prefix("Disconnecting: Too many authentication failures") {
        let user = rest.trim().strip_prefix("for ").unwrap_or("");
        let user = user.strip_prefix("invalid user ").unwrap_or(user);
        return AuthEvent::fail(action::AUTH, Role::Summary)
            .actor(user.trim())
            .detail("too many authentication failures");
    }
    if let Some(rest) = m.strip_prefix("Disconnecting ") {
        // `Disconnecting invalid user X ADDR port P: WHY`: the reason is
        // sshd's, the name before the address the client's.
        if let Some(i) = rest.find(": ") {
            let (who, why) = (&rest[..i], &rest[i + 2..]);
            let (user, ip) = user_addr_port(who);
            if ip.is_some() {
                let mut e = AuthEvent::fail(action::AUTH, Role::Summary)
                    .client(ip)
                    .detail(why);
                e.actor = user.and_then(non_empty);
                return e;
            }
        }
    }
    if let Some(rest) = m.strip_prefix("maximum authentication attempts exceeded for ") {
        let rest = rest.strip_prefix("invalid user ").unwrap_or(rest);
        if let Some((user, ip, _, amb)) = sshd_from(rest, known, false) {
            let mut e = AuthEvent::fail(action::AUTH, Role::Summary)
                .actor(user)
                .client(Some(ip))
                .detail("maximum authentication attempts exceeded");
            e.ambiguous = amb;
            return e;
        }
    }
    if let Some(rest) = m.strip_prefix("PAM ")
        && rest.contains("more authentication failure")
    {
        let actor = super::pam::account(rest);
        let mut e = AuthEvent::fail(action::AUTH, Role::Summary)
            .client(addr::pam_rhost(rest, known))
            .detail(m);
        e.actor = actor;
        return e;
    }
    if let Some(rest) = m.strip_prefix("Authentication refused: ") {
        return AuthEvent::fail(action::AUTH, Role::Aux).detail(format!("refused: {rest}"));
    }
    AuthEvent::other(msg)
}

/// `Accepted`, `Failed` and `Postponed` `METHOD for [invalid user ]USER from
/// ADDR port N ssh2[: EXTRA]`.
fn auth_result<'a>(m: &'a str, known: Option<&str>) -> Option<AuthEvent<'a>> {
    let (verb, rest) = m.split_once(' ')?;
    if !matches!(verb, "Accepted" | "Failed" | "Postponed" | "Partial") {
        return None;
    }
    let (method, rest) = rest.split_once(" for ")?;
    if method.contains(' ') {
        return None;
    }
    let (user, ip, _, ambiguous) = sshd_from(rest, known, has_extra(method))?;
    let (user, invalid) = match user.strip_prefix("invalid user ") {
        Some(u) => (u, true),
        None => match user {
            "<invalid username>" | "invalid user" => ("", true),
            u => (u, false),
        },
    };
    let detail = if invalid {
        format!("{method}; invalid user")
    } else {
        method.to_owned()
    };
    let mut e = match verb {
        "Accepted" => AuthEvent::new(action::LOGIN, Outcome::Success).role(Role::Success),
        "Failed" if method.starts_with("publickey") && !invalid => {
            AuthEvent::fail(action::LOGIN, Role::KeyOffer)
        }
        "Failed" => AuthEvent::fail(action::LOGIN, Role::Try),
        // Postponed and Partial are steps of an attempt still going on,
        // except that a name that does not exist can never succeed.
        _ if invalid => AuthEvent::fail(action::INVALID_USER, Role::Prelude),
        _ => AuthEvent::new(action::AUTH, Outcome::Unknown),
    }
    .actor(user)
    .client(Some(ip))
    .detail(detail);
    e.ambiguous = ambiguous;
    Some(e)
}

/// OpenSSH's own PAM messages (BSD, macOS, Solaris, and Linux with
/// `UsePAM`): `PAM: Authentication failure for [illegal user ]USER from
/// HOST[ via LOCAL]`.
fn pam_error<'a>(rest: &'a str, m: &'a str) -> AuthEvent<'a> {
    let Some((what, tail)) = rest.split_once(" for ") else {
        return AuthEvent::other(m);
    };
    let lower = what.to_ascii_lowercase();
    if !(lower.contains("fail") || lower.contains("error") || lower.contains("known")) {
        return AuthEvent::other(m);
    }
    let Some((user, ip)) = last_from(tail) else {
        return AuthEvent::other(m);
    };
    let (user, invalid) = match user
        .strip_prefix("illegal user ")
        .or_else(|| user.strip_prefix("invalid user "))
    {
        Some(u) => (u, true),
        None => (
            user,
            lower.contains("not known") || lower.contains("unknown user"),
        ),
    };
    let action = if invalid {
        action::INVALID_USER
    } else {
        action::LOGIN
    };
    AuthEvent::fail(action, Role::Try)
        .actor(user)
        .client(Some(ip))
        .detail(format!("PAM: {what}"))
}

/// The `ADDR:PORT` after dropbear's last ` from ` (or `from <ADDR:PORT>`).
fn from_tail(s: &str) -> Option<&str> {
    let (_, tail) = s.rsplit_once(" from ")?;
    let tok = tail.split(' ').next().unwrap_or(tail);
    let tok = tok.trim_start_matches('<').trim_end_matches(['>', ':']);
    host_port(tok)
}

/// What stands between the first and the last `'` (dropbear quotes names).
fn quoted(s: &str) -> Option<&str> {
    let (_, r) = s.split_once('\'')?;
    Some(r.rsplit_once('\'').map_or(r, |(u, _)| u))
}

/// dropbear: `Bad password attempt for 'USER' from ADDR:PORT`, `Login
/// attempt for nonexistent user from ADDR:PORT`, `Exit before auth …`.
pub(super) fn dropbear(msg: &str) -> AuthEvent<'_> {
    let m = msg.trim_end();
    let lower = m.to_ascii_lowercase();
    if lower.starts_with("bad password attempt for ") || lower.starts_with("bad pam password") {
        let head = m.rsplit_once(" from ").map_or(m, |(h, _)| h);
        let mut e = AuthEvent::fail(action::LOGIN, Role::Try).detail("password");
        e.actor = quoted(head).and_then(non_empty);
        return e.client(from_tail(m));
    }
    if lower.starts_with("login attempt for nonexistent user") {
        let head = m.rsplit_once(" from ").map_or(m, |(h, _)| h);
        let mut e = AuthEvent::fail(action::INVALID_USER, Role::Try).detail("nonexistent user");
        e.actor = quoted(head).and_then(non_empty);
        return e.client(from_tail(m));
    }
    if let Some(rest) = m.strip_prefix("Exit before auth") {
        let failed = rest.contains("Max auth tries") || rest.contains("fails)");
        let user = rest
            .split_once("(user '")
            .and_then(|(_, r)| r.split_once("', "))
            .map(|(u, _)| u);
        let client = rest
            .strip_prefix(" from <")
            .and_then(|r| r.split_once('>'))
            .and_then(|(a, _)| host_port(a))
            .or_else(|| from_tail(rest));
        let mut e = if failed {
            AuthEvent::fail(action::AUTH, Role::Summary)
        } else {
            AuthEvent::new(action::DISCONNECT, Outcome::Unknown).role(Role::Close)
        };
        e.actor = user.and_then(non_empty);
        return e.client(client).detail(rest.trim_start_matches([' ', ':']));
    }
    for (prefix, method) in [
        ("Password auth succeeded for ", "password"),
        ("Pubkey auth succeeded for ", "publickey"),
    ] {
        if let Some(rest) = m.strip_prefix(prefix) {
            let head = rest.rsplit_once(" from ").map_or(rest, |(h, _)| h);
            let mut e = AuthEvent::new(action::LOGIN, Outcome::Success)
                .role(Role::Success)
                .detail(method);
            e.actor = quoted(head).and_then(non_empty);
            return e.client(from_tail(m));
        }
    }
    if let Some(rest) = m.strip_prefix("Child connection from ") {
        return AuthEvent::new(action::CONNECT, Outcome::Unknown)
            .role(Role::Connect)
            .client(host_port(rest.trim()));
    }
    AuthEvent::other(msg)
}

#[cfg(test)]
mod tests {
    use super::super::normalize;
    use super::*;

    fn n(m: &str) -> AuthEvent<'_> {
        normalize("sshd", m, None)
    }

    fn who(e: &AuthEvent<'_>) -> (Outcome, Option<String>, Option<String>) {
        (
            e.outcome,
            e.actor.map(str::to_owned),
            e.client.as_deref().map(str::to_owned),
        )
    }

    fn fails(actor: &str, client: &str) -> (Outcome, Option<String>, Option<String>) {
        (
            Outcome::Failure,
            non_empty(actor).map(str::to_owned),
            Some(client.to_owned()),
        )
    }

    #[test]
    fn logins() {
        let e =
            n("Accepted publickey for vagrant from 10.0.2.2 port 63673 ssh2: RSA 39:33:99:e9:a0");
        assert_eq!((e.action, e.outcome), (action::LOGIN, Outcome::Success));
        assert_eq!(e.client_str(), Some("10.0.2.2"));
        assert_eq!(e.detail.as_deref(), Some("publickey"));
        let e = n("Failed password for invalid user admin from 2001:db8::7 port 22 ssh2");
        assert_eq!(who(&e), fails("admin", "2001:db8::7"));
        assert_eq!(e.role, Role::Try);
        let e = n("Failed password for invalid user ROOT from aaaa:bbbb:cccc:1234::1:1");
        assert_eq!(who(&e), fails("ROOT", "aaaa:bbbb:cccc:1234::1:1"));
        let e = n("Failed password for dan from 127.0.0.1 port 45416 ssh1");
        assert_eq!(who(&e), fails("dan", "127.0.0.1"));
        let e = n(
            "Failed keyboard-interactive for <invalid username> from 205.186.180.55 port 42742 ssh2",
        );
        assert_eq!(who(&e), fails("", "205.186.180.55"));
        let e = n(
            "[ID 800047 auth.info] Failed keyboard-interactive for james from 205.186.180.30 port 54520 ssh2",
        );
        assert_eq!(who(&e), fails("james", "205.186.180.30"));
        let e = n("Failed publickey for git from 192.0.2.1 port 57904 ssh2: ECDSA 0e:ff");
        assert_eq!(e.role, Role::KeyOffer);
        let e = n(
            "Postponed keyboard-interactive for invalid user x from 1.2.3.4 port 5 ssh2 [preauth]",
        );
        assert_eq!(who(&e), fails("x", "1.2.3.4"));
        let e = n("Postponed publickey for git from 192.0.2.1 port 57904 ssh2 [preauth]");
        assert_eq!(e.outcome, Outcome::Unknown);
    }

    #[test]
    fn injected_names_and_extras() {
        let e =
            n("Failed password for invalid user x from 1.1.1.1 port 1 from 9.9.9.9 port 22 ssh2");
        assert_eq!(who(&e), fails("x from 1.1.1.1 port 1", "9.9.9.9"));
        let e = n("Failed password for invalid user from 10.10.1.1 from 127.0.0.1 port 58946 ssh2");
        assert_eq!(e.client_str(), Some("127.0.0.1"));
        let e = n(
            "Failed hostbased for dan from 127.0.0.1 port 45785 ssh2: RSA 8c:e3, client user \"dan from 6.6.6.6 port 1 ssh2\", client host \"h\"",
        );
        assert_eq!(who(&e), fails("dan", "127.0.0.1"));
        let e = n(
            "Connection closed by authenticating user test 127.0.0.1 port 12345 192.0.2.11 port 46039 [preauth]",
        );
        assert_eq!(who(&e), fails("test 127.0.0.1 port 12345", "192.0.2.11"));
        let e = n(
            "User x from 6.6.6.6 not allowed because y from 1.2.3.4 not allowed because listed in DenyUsers",
        );
        assert_eq!(e.client_str(), Some("1.2.3.4"));
        let e = n(
            "Bad protocol version identification 'dummy string' from 192.0.2.1' from 69.61.56.115 port 31778",
        );
        assert_eq!(e.client_str(), Some("69.61.56.115"));
    }

    #[test]
    fn refusals_and_pam_errors() {
        for (m, user, ip) in [
            (
                "User root from 46.45.128.3 not allowed because listed in DenyUsers",
                "root",
                "46.45.128.3",
            ),
            (
                "User root from example.com not allowed because not listed in AllowUsers",
                "root",
                "example.com",
            ),
            (
                "User root from 192.51.100.54 not allowed because a group is listed in DenyGroups",
                "root",
                "192.51.100.54",
            ),
            ("ROOT LOGIN REFUSED FROM ::ffff:1.2.3.4", "root", "1.2.3.4"),
            (
                "ROOT LOGIN REFUSED FROM 1.2.3.4 port 12345 [preauth]",
                "root",
                "1.2.3.4",
            ),
            (
                "error: PAM: Authentication failure for myhlj1374 from 192.030.0.6",
                "myhlj1374",
                "192.030.0.6",
            ),
            (
                "error: PAM: authentication error for james from example.com via 192.168.1.201",
                "james",
                "example.com",
            ),
            (
                "error: PAM: User not known to the underlying authentication module for illegal user kernelitshell from 10.215.4.227 ",
                "kernelitshell",
                "10.215.4.227",
            ),
            (
                "Invalid user ftp from 192.0.2.2 port 37220",
                "ftp",
                "192.0.2.2",
            ),
            ("Invalid user  from 192.0.2.68 port 34916", "", "192.0.2.68"),
            ("Illegal user test from 1.2.3.4", "test", "1.2.3.4"),
            (
                "error: maximum authentication attempts exceeded for root from 61.0.0.1 port 49940 ssh2 [preauth]",
                "root",
                "61.0.0.1",
            ),
            (
                "Disconnecting invalid user admin 192.0.2.117 port 44004: Change of username or service not allowed: (admin,ssh-connection) -> (user,ssh-connection) [preauth]",
                "admin",
                "192.0.2.117",
            ),
        ] {
            assert_eq!(who(&n(m)), fails(user, ip), "{m}");
        }
        let e = n("refused connect from _U2F=_@::ffff:218.249.210.161 (::ffff:218.249.210.161)");
        assert_eq!(
            (e.action, e.client_str()),
            (action::PROBE, Some("218.249.210.161"))
        );
        let e = n("User root not allowed because account is locked");
        assert_eq!((e.outcome, e.role), (Outcome::Failure, Role::Aux));
    }

    #[test]
    fn disconnects_and_probes() {
        let e = n("Connection closed by 212.47.254.145 [preauth]");
        assert_eq!((e.outcome, e.role), (Outcome::Unknown, Role::Close));
        assert_eq!(e.client_str(), Some("212.47.254.145"));
        let e = n("Received disconnect from 139.59.209.18: 11: Bye Bye [preauth]");
        assert_eq!(
            (e.client_str(), e.role),
            (Some("139.59.209.18"), Role::Close)
        );
        let e = n(
            "error: Received disconnect from 10.0.0.1 port 7736:3: com.jcraft.jsch.JSchException: Auth fail [preauth]",
        );
        assert_eq!(who(&e), fails("", "10.0.0.1"));
        let e = n("Received disconnect from 1.2.3.4 port 60058:11: disconnected by user");
        assert_eq!(e.outcome, Outcome::Unknown);
        let e = n("Disconnected from user alice 10.1.2.3 port 51234");
        assert_eq!((e.actor, e.client_str()), (Some("alice"), Some("10.1.2.3")));
        let e = n("Did not receive identification string from 2001:db8::a11:beef:7ac0%eth0");
        assert_eq!(
            (e.action, e.client_str()),
            (action::PROBE, Some("2001:db8::a11:beef:7ac0"))
        );
        let e = n(
            "fatal: Unable to negotiate with 6.6.6.6 port 2222: no matching key exchange method found.",
        );
        assert_eq!(e.client_str(), Some("6.6.6.6"));
        let e = n("Connection from 115.249.163.77 port 51353 on 127.0.0.1 port 22");
        assert_eq!(
            (e.role, e.client_str()),
            (Role::Connect, Some("115.249.163.77"))
        );
        let e = n("Disconnecting: Too many authentication failures for root [preauth]");
        assert_eq!(
            (e.action, e.outcome, e.actor),
            (action::AUTH, Outcome::Failure, Some("root"))
        );
        let e = n(
            "Address 1.2.3.4 maps to x.com, but this does not map back to the address - POSSIBLE BREAK-IN ATTEMPT!",
        );
        assert_eq!(e.outcome, Outcome::Unknown);
    }

    #[test]
    fn dropbear_lines() {
        let d = |m| normalize("dropbear", m, None);
        assert_eq!(
            who(&d(
                "bad password attempt for 'root' from 198.51.100.87:5543"
            )),
            fails("root", "198.51.100.87")
        );
        assert_eq!(
            who(&d(
                "Login attempt for nonexistent user from ::ffff:198.51.100.215:60495"
            )),
            fails("", "198.51.100.215")
        );
        assert_eq!(
            who(&d(
                "Exit before auth (user 'root', 10 fails): Max auth tries reached - user 'root' from 1.2.3.4:60588"
            )),
            fails("root", "1.2.3.4")
        );
        assert_eq!(
            who(&d(
                "[825] Jul 10 23:53:52 Bad password attempt for 'root' from 1.2.3.4:52289"
            )),
            fails("root", "1.2.3.4")
        );
        let e = d("Password auth succeeded for 'alice' from 10.0.0.2:4000");
        assert_eq!(
            (e.outcome, e.actor, e.client_str()),
            (Outcome::Success, Some("alice"), Some("10.0.0.2"))
        );
    }
}
