//! PAM modules' messages, the same for every service: `pam_unix(sshd:auth):
//! …`, `pam_unix: …`, `(pam_unix) …`, `sshd(pam_unix)[pid]: …`, and
//! pam_sss, pam_ldap, pam_faillock and pam_tally2.

use super::addr::{self, pam_rhost_at};
use super::{AuthEvent, Role, action, non_empty};
use vigil_domain::Outcome;

/// `pam_unix(sshd:auth): REST` -> (`sshd`, `REST`); `pam_unix: REST` and
/// `(pam_unix) REST` -> (none, `REST`).
pub(super) fn module_prefix(msg: &str) -> Option<(Option<&str>, &str)> {
    if let Some(r) = msg.strip_prefix("(pam_")
        && let Some((_, rest)) = r.split_once(") ")
    {
        return Some((None, rest));
    }
    let r = msg.strip_prefix("pam_")?;
    let name_len = r
        .bytes()
        .take_while(|b| b.is_ascii_alphanumeric() || *b == b'_')
        .count();
    let r = &r[name_len..];
    if let Some(r) = r.strip_prefix('(')
        && let Some((svc, rest)) = r.split_once("): ")
    {
        let service = svc.split(':').next().unwrap_or(svc);
        return Some((non_empty(service), rest));
    }
    r.strip_prefix(": ").map(|rest| (None, rest))
}

/// The names in a PAM failure's key=value tail: (`ruser`, `user`), each as
/// written, found by position around the real `rhost=`.
fn names<'a>(s: &'a str, known: Option<&str>) -> (Option<&'a str>, Option<&'a str>) {
    let Some((at, tok)) = pam_rhost_at(s, known) else {
        // No rhost (local services): `user=` is last.
        let user = s.rsplit_once("user=").map(|(_, u)| u.trim());
        return (None, user.and_then(non_empty));
    };
    let ruser = s[..at]
        .find("ruser=")
        .map(|i| s[i + 6..at].trim())
        .and_then(non_empty);
    let after = s[at + 6 + tok.len()..].trim_start();
    let user = after
        .strip_prefix("user=")
        .map(|u| u.strip_suffix("[preauth]").unwrap_or(u).trim())
        .and_then(non_empty);
    (ruser, user)
}

/// The account a PAM failure summary is about: `user`, else `ruser`.
pub(super) fn account(s: &str) -> Option<&str> {
    let (ruser, user) = names(s, None);
    user.or(ruser)
}

pub(super) fn message<'a>(
    service: &'a str,
    msg: &'a str,
    known: Option<&str>,
) -> Option<AuthEvent<'a>> {
    let msg = msg.trim_end();
    let escalation = matches!(service, "su" | "su-l" | "sudo" | "sudo-i" | "runuser");
    if let Some(rest) = msg.strip_prefix("authentication failure;") {
        let (ruser, user) = names(rest, known);
        let client = addr::pam_rhost(rest, known);
        let mut e = AuthEvent::fail(action::AUTH, Role::Prelude).detail(service);
        if escalation {
            let logname = rest
                .split_once("logname=")
                .map(|(_, r)| r.split(' ').next().unwrap_or(r));
            e.actor = ruser.or(logname.and_then(non_empty));
            e.subject = user;
        } else {
            e.actor = user.or(ruser);
        }
        e.client = client.map(std::borrow::Cow::Borrowed);
        if matches!(service, "passwd" | "chpasswd") {
            e.action = action::PASSWORD_CHANGE;
        }
        return Some(e);
    }
    if msg.starts_with("check pass; user unknown") {
        return Some(
            AuthEvent::fail(action::AUTH, Role::Aux).detail(format!("{service}: user unknown")),
        );
    }
    if msg.starts_with(|c: char| c.is_ascii_digit())
        && let Some(i) = msg.find(" more authentication failure")
    {
        let actor = account(&msg[i..]);
        let mut e = AuthEvent::fail(action::AUTH, Role::Summary)
            .client(addr::pam_rhost(&msg[i..], known))
            .detail(format!("{service}: {msg}"));
        e.actor = actor;
        return Some(e);
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
            AuthEvent::new(action::PASSWORD_CHANGE, Outcome::Success)
                .subject(rest.trim())
                .detail(format!("{service}: password changed")),
        );
    }
    // pam_faillock's `Consecutive login failures for user root account
    // temporarily locked`, pam_tally2's `user root (0) tally 4, deny 3`
    let locked = msg
        .strip_prefix("Consecutive login failures for user ")
        .or_else(|| {
            msg.strip_prefix("user ")
                .filter(|r| r.contains(" tally ") && r.contains(", deny "))
        });
    if let Some(rest) = locked {
        let user = rest.split(' ').next().unwrap_or(rest);
        return Some(
            AuthEvent::new(action::ACCOUNT_LOCK, Outcome::Success)
                .actor(user)
                .subject(user)
                .detail(format!("{service}: {msg}")),
        );
    }
    if msg.starts_with("conversation failed")
        || msg.starts_with("auth could not identify password for")
    {
        let user = msg
            .split_once('[')
            .and_then(|(_, r)| r.split_once(']'))
            .map(|(u, _)| u);
        let mut e = AuthEvent::fail(action::AUTH, Role::Aux).detail(format!("{service}: {msg}"));
        e.actor = user.and_then(non_empty);
        return Some(e);
    }
    if let Some(rest) = msg.strip_prefix("account ")
        && let Some((user, why)) = rest.split_once(" has expired")
    {
        return Some(
            AuthEvent::fail(action::LOGIN, Role::Aux)
                .actor(user)
                .detail(format!("{service}: account has expired{why}")),
        );
    }
    None
}

/// `X(uid=N)` -> `X`; `(uid=0)` -> none.
fn pam_user(s: &str) -> &str {
    s.split('(').next().unwrap_or(s).trim()
}

#[cfg(test)]
mod tests {
    use super::super::normalize;
    use super::*;

    #[test]
    fn failures_in_every_layout() {
        for (prog, m, user, ip) in [
            (
                "sshd",
                "pam_unix(sshd:auth): authentication failure; logname= uid=0 euid=0 tty=ssh ruser= rhost=60.30.224.116  user=root",
                Some("root"),
                Some("60.30.224.116"),
            ),
            (
                "sshd(pam_unix)",
                "authentication failure; logname= uid=0 euid=0 tty=NODEVssh ruser= rhost=218.188.2.4 ",
                None,
                Some("218.188.2.4"),
            ),
            (
                "sshd",
                "(pam_unix) authentication failure; logname= uid=0 euid=0 tty=ssh ruser= rhost=71-13-115-12.static.mdsn.wi.charter.com  user=root",
                Some("root"),
                Some("71-13-115-12.static.mdsn.wi.charter.com"),
            ),
            (
                "pure-ftpd",
                "(pam_unix) authentication failure; logname= uid=0 euid=0 tty=pure-ftpd ruser=sample-user rhost=192.168.1.1 ",
                Some("sample-user"),
                Some("192.168.1.1"),
            ),
            (
                "vsftpd",
                "pam_unix: authentication failure; logname= uid=0 euid=0 tty=ftp ruser=an8767 rhost=www3.google.com",
                Some("an8767"),
                Some("www3.google.com"),
            ),
            (
                "cockpit-session",
                "pam_unix(cockpit:auth): authentication failure; logname= uid=0 euid=0 tty= ruser= rhost=2001:db8::a11:beef:7ac0 user=root",
                Some("root"),
                Some("2001:db8::a11:beef:7ac0"),
            ),
            (
                "sshd",
                "pam_sss(sshd:auth): authentication failure; logname= uid=0 euid=0 tty=ssh ruser= rhost=10.0.0.9 user=bob",
                Some("bob"),
                Some("10.0.0.9"),
            ),
            // a name holding a second rhost
            (
                "sshd",
                "pam_unix(sshd:auth): authentication failure; logname= uid=0 euid=0 tty=ssh ruser= rhost=1.1.1.1  user=x rhost=6.6.6.6",
                Some("x rhost=6.6.6.6"),
                Some("1.1.1.1"),
            ),
        ] {
            let e = normalize(prog, m, None);
            assert_eq!(
                (e.action, e.outcome),
                (action::AUTH, Outcome::Failure),
                "{m}"
            );
            assert_eq!((e.actor, e.client_str()), (user, ip), "{m}");
        }
    }

    #[test]
    fn escalation_names_who_and_whom() {
        let e = normalize(
            "su",
            "pam_unix(su:auth): authentication failure; logname=alice uid=1000 euid=0 tty=pts/0 ruser=alice rhost=  user=root",
            None,
        );
        assert_eq!((e.actor, e.subject), (Some("alice"), Some("root")));
        assert_eq!(e.client, None);
        let e = normalize(
            "sudo",
            "pam_unix(sudo:session): session opened for user root(uid=0) by alice(uid=1000)",
            None,
        );
        assert_eq!((e.actor, e.subject), (Some("alice"), Some("root")));
    }

    #[test]
    fn lockouts_summaries_and_sessions() {
        let e = normalize(
            "sshd",
            "pam_faillock(sshd:auth): Consecutive login failures for user root account temporarily locked",
            None,
        );
        assert_eq!((e.action, e.actor), (action::ACCOUNT_LOCK, Some("root")));
        let e = normalize(
            "sshd",
            "pam_tally2(sshd:auth): user root (0) tally 4, deny 3",
            None,
        );
        assert_eq!(e.action, action::ACCOUNT_LOCK);
        let e = normalize(
            "sshd",
            "PAM 5 more authentication failures; logname= uid=0 euid=0 tty=ssh ruser= rhost=183.62.140.253  user=root",
            None,
        );
        assert_eq!(
            (e.role, e.actor, e.client_str()),
            (Role::Summary, Some("root"), Some("183.62.140.253"))
        );
        let e = normalize(
            "sshd",
            "pam_unix(sshd:auth): check pass; user unknown",
            None,
        );
        assert_eq!((e.outcome, e.role), (Outcome::Failure, Role::Aux));
        let e = normalize(
            "sshd",
            "pam_unix(sshd:session): session opened for user fztu by (uid=0)",
            None,
        );
        assert_eq!(
            (e.action, e.actor, e.subject),
            (action::SESSION_OPEN, Some("fztu"), None)
        );
        let e = normalize(
            "su(pam_unix)",
            "session opened for user cyrus by (uid=0)",
            None,
        );
        assert_eq!((e.action, e.actor), (action::SESSION_OPEN, Some("cyrus")));
        let e = normalize(
            "passwd",
            "pam_unix(passwd:chauthtok): password changed for bob",
            None,
        );
        assert_eq!(
            (e.action, e.subject),
            (action::PASSWORD_CHANGE, Some("bob"))
        );
    }
}
