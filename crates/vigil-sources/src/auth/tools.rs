//! sudo, su, console login, the shadow-utils account tools (useradd,
//! usermod, gpasswd, passwd, …), unix_chkpwd, systemd-logind and
//! PostgreSQL's own authentication failures.

use super::{AuthEvent, Role, action, non_empty};
use vigil_domain::Outcome;

/// `alice : TTY=pts/0 ; PWD=/home/alice ; USER=root ; COMMAND=/bin/ls`, or
/// with a complaint first: `alice : user NOT in sudoers ; TTY=…`, `alice : 3
/// incorrect password attempts ; TTY=…`.
pub(super) fn sudo(msg: &str) -> AuthEvent<'_> {
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

pub(super) fn su(msg: &str) -> AuthEvent<'_> {
    let msg = msg.trim_end();
    // util-linux: `(to root) alice on pts/0`, `FAILED SU (to root) alice on pts/0`
    for (prefix, outcome) in [
        ("(to ", Outcome::Success),
        ("FAILED SU (to ", Outcome::Failure),
    ] {
        if let Some(rest) = msg.strip_prefix(prefix)
            && let Some((target, rest)) = rest.split_once(") ")
        {
            let (user, tty) = rest.rsplit_once(" on ").unwrap_or((rest, ""));
            return AuthEvent::new(action::SU, outcome)
                .actor(user)
                .subject(target)
                .detail(tty);
        }
    }
    // shadow-utils: `Successful su for root by alice`, `FAILED su for root by alice`
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
    // `BAD SU alice to root on /dev/pts/0` (older su, BSD)
    if let Some(rest) = msg.strip_prefix("BAD SU ")
        && let Some((user, rest)) = rest.split_once(" to ")
    {
        let (target, tty) = rest.split_once(" on ").unwrap_or((rest, ""));
        return AuthEvent::new(action::SU, Outcome::Failure)
            .actor(user)
            .subject(target)
            .detail(tty);
    }
    // `failed: /dev/pts/0 changing from alice to root` (busybox, Slackware)
    if let Some(rest) = msg
        .strip_prefix("failed: ")
        .or_else(|| msg.strip_prefix("FAILED: "))
        && let Some((tty, pair)) = rest.split_once(" changing from ")
        && let Some((user, target)) = pair.rsplit_once(" to ")
    {
        return AuthEvent::new(action::SU, Outcome::Failure)
            .actor(user)
            .subject(target)
            .detail(tty);
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
        // The failure PAM already logged, with the names.
        return AuthEvent::fail(action::SU, Role::Aux).detail(msg);
    }
    AuthEvent::other(msg)
}

/// The value after `key=` up to the next comma.
fn field<'a>(msg: &'a str, key: &str) -> Option<&'a str> {
    let i = msg.find(key)?;
    let r = &msg[i + key.len()..];
    non_empty(r.split(',').next().unwrap_or(r).trim())
}

/// The first and second `'quoted'` names.
fn quoted(msg: &str) -> (Option<&str>, Option<&str>) {
    let mut parts = msg.split('\'');
    parts.next();
    let a = parts.next();
    parts.next();
    let b = parts.next();
    (a.and_then(non_empty), b.and_then(non_empty))
}

/// useradd, userdel, usermod, groupadd, groupdel, groupmod, gpasswd,
/// passwd, chpasswd and chage, each change its own action.
pub(super) fn account<'a>(prog: &'a str, msg: &'a str) -> AuthEvent<'a> {
    let m = msg.trim();
    let detail = format!("{prog}: {m}");
    let lower = m.to_ascii_lowercase();
    let outcome =
        if lower.starts_with("failed") || lower.contains(" failed") || lower.contains("error") {
            Outcome::Failure
        } else {
            Outcome::Success
        };
    let ev = |action: &'static str| AuthEvent::new(action, outcome).detail(detail.clone());
    // gpasswd: `user bob added by alice to group sudo`, `user bob removed
    // by alice from group sudo`
    for (by_word, group_word, act) in [
        (" added by ", " to group ", action::GROUP_MEMBER_ADD),
        (" removed by ", " from group ", action::GROUP_MEMBER_REMOVE),
    ] {
        if let Some(rest) = m.strip_prefix("user ")
            && let Some((user, rest)) = rest.split_once(by_word)
            && let Some((by, group)) = rest.split_once(group_word)
        {
            return AuthEvent::new(act, outcome)
                .actor(by)
                .subject(user)
                .detail(format!("group {group}"));
        }
    }
    if let Some(rest) = m.strip_prefix("members of group ")
        && let Some((group, rest)) = rest.split_once(" set by ")
        && let Some((by, members)) = rest.split_once(" to ")
    {
        return ev(action::GROUP_MEMBER_ADD)
            .actor(by)
            .subject(members)
            .detail(format!("group {group}"));
    }
    // usermod/useradd: `add 'bob' to group 'sudo'`, `add 'bob' to shadow group 'sudo'`
    if let Some(rest) = m.strip_prefix("add '")
        && rest.contains("' to ")
    {
        let (user, group) = quoted(m);
        let shadow = rest.contains(" to shadow group ");
        let mut e = ev(action::GROUP_MEMBER_ADD).detail(format!(
            "group {}{}",
            group.unwrap_or("?"),
            if shadow { " (gshadow)" } else { "" }
        ));
        e.subject = user;
        return e;
    }
    if let Some(rest) = m.strip_prefix("delete '")
        && rest.contains("' from ")
    {
        let (user, group) = quoted(m);
        let mut e =
            ev(action::GROUP_MEMBER_REMOVE).detail(format!("group {}", group.unwrap_or("?")));
        e.subject = user;
        return e;
    }
    if m.starts_with("new user:") {
        return ev(action::USER_ADD).subject(field(m, "name=").unwrap_or(""));
    }
    if m.starts_with("new group:") || m.starts_with("group added to ") {
        return ev(action::GROUP_ADD).subject(field(m, "name=").unwrap_or(""));
    }
    if lower.starts_with("failed adding user") {
        let mut e = AuthEvent::new(action::USER_ADD, Outcome::Failure).detail(detail.clone());
        e.subject = quoted(m).0;
        return e;
    }
    if m.starts_with("delete user '") {
        let mut e = ev(action::USER_DELETE);
        e.subject = quoted(m).0;
        return e;
    }
    if let Some(rest) = m.strip_prefix("removed group '") {
        let mut e = ev(action::GROUP_DELETE);
        e.subject = rest.split('\'').next().and_then(non_empty);
        return e;
    }
    if let Some(rest) = m.strip_prefix("group '")
        && rest.contains("' removed")
    {
        let mut e = ev(action::GROUP_DELETE);
        e.subject = rest.split('\'').next().and_then(non_empty);
        return e;
    }
    if m.starts_with("group changed in ") {
        let group = m
            .split_once("(group ")
            .map(|(_, r)| r.split(['/', ',', ')']).next().unwrap_or(r));
        let mut e = ev(action::GROUP_MODIFY);
        e.subject = group.and_then(non_empty);
        return e;
    }
    if (m.starts_with("lock user '") || m.starts_with("lock user")) && prog == "usermod" {
        let mut e = ev(action::ACCOUNT_LOCK);
        e.subject = quoted(m).0;
        return e;
    }
    if m.starts_with("unlock user '") {
        let mut e = ev(action::ACCOUNT_UNLOCK);
        e.subject = quoted(m).0;
        return e;
    }
    if m.starts_with("change user '") && m.contains(" password") {
        let mut e = ev(action::PASSWORD_CHANGE);
        e.subject = quoted(m).0;
        return e;
    }
    // passwd (shadow): `password for 'bob' changed by 'alice'`
    if let Some(rest) = m.strip_prefix("password for '") {
        let user = rest.split('\'').next();
        let by = rest
            .split_once(" by '")
            .and_then(|(_, r)| r.split('\'').next());
        let mut e = ev(action::PASSWORD_CHANGE);
        e.subject = user.and_then(non_empty);
        e.actor = by.and_then(non_empty);
        return e;
    }
    if matches!(prog, "passwd" | "chpasswd") {
        let mut e = ev(action::PASSWORD_CHANGE);
        e.subject = quoted(m).0;
        return e;
    }
    let action = match prog {
        "usermod" | "chage" | "chsh" | "chfn" => action::USER_MODIFY,
        "useradd" | "newusers" => action::USER_ADD,
        "userdel" => action::USER_DELETE,
        "groupadd" => action::GROUP_ADD,
        "groupdel" => action::GROUP_DELETE,
        "groupmod" | "gpasswd" => action::GROUP_MODIFY,
        _ => action::ACCOUNT,
    };
    let mut e = ev(action);
    let (a, _) = quoted(m);
    e.subject = field(m, "name=").or(a);
    e.actor = m
        .split_once(" by '")
        .and_then(|(_, r)| r.split('\'').next())
        .and_then(non_empty);
    e
}

/// `password check failed for user (root)`: the checker PAM calls when the
/// caller is not root; PAM's own line for the attempt follows.
pub(super) fn chkpwd(msg: &str) -> AuthEvent<'_> {
    if let Some(rest) = msg.strip_prefix("password check failed for user (") {
        let user = rest.strip_suffix(')').unwrap_or(rest);
        return AuthEvent::fail(action::AUTH, Role::Aux)
            .actor(user)
            .detail("unix_chkpwd: password check failed");
    }
    AuthEvent::other(msg)
}

pub(super) fn logind(msg: &str) -> AuthEvent<'_> {
    if let Some(rest) = msg.strip_prefix("New session ")
        && let Some((_, user)) = rest.split_once(" of user ")
    {
        return AuthEvent::new(action::SESSION_OPEN, Outcome::Success)
            .actor(user.trim_end_matches('.'))
            .detail("systemd-logind");
    }
    AuthEvent::other(msg)
}

/// PostgreSQL through syslog: `[3-1] FATAL:  password authentication failed
/// for user "bob"`. The client address is in whatever `log_line_prefix`
/// the server has; the quoted name is the client's.
pub(super) fn postgres(msg: &str) -> AuthEvent<'_> {
    for (needle, how) in [
        ("password authentication failed for user \"", "password"),
        ("authentication failed for user \"", "authentication"),
        ("no pg_hba.conf entry for host \"", "no pg_hba.conf entry"),
    ] {
        if let Some(i) = msg.find(needle) {
            let rest = &msg[i + needle.len()..];
            let (first, tail) = rest.split_once('"').unwrap_or((rest, ""));
            let mut e =
                AuthEvent::fail(action::LOGIN, Role::Try).detail(format!("postgres: {how}"));
            if how == "no pg_hba.conf entry" {
                e.client = super::addr::clean(first).map(std::borrow::Cow::Borrowed);
                let user = tail
                    .split_once("user \"")
                    .and_then(|(_, r)| r.split_once('"'))
                    .map(|(u, _)| u);
                e.actor = user.and_then(non_empty);
            } else {
                e.actor = non_empty(first);
            }
            return e;
        }
    }
    AuthEvent::other(msg)
}

/// What the kernel and the service manager say about the audit trail and
/// the network: the audit daemon stopping, SELinux switched to
/// permissive, an AppArmor profile removed, an interface put into
/// promiscuous mode.
pub(super) fn system<'a>(prog: &str, msg: &'a str) -> AuthEvent<'a> {
    let m = msg.trim();
    let event = |a: &'static str, d: String| AuthEvent::new(a, Outcome::Success).detail(d);
    if let Some(i) = m.find(" promiscuous mode") {
        let head = m[..i].trim_end_matches([' ', ':']);
        // `[123.4] device eth0 entered`, `ens4: entered`: the word before
        // the verb names the device.
        let mut words = head.rsplit(' ');
        let verb = words.next().unwrap_or("");
        let dev = words.next().unwrap_or("").trim_end_matches(':');
        return event(
            action::PROMISCUOUS,
            format!("{dev} {verb} promiscuous mode"),
        )
        .subject(dev);
    }
    match prog {
        "auditd" | "audispd"
            if m.contains("audit daemon is exiting") || m.contains("normal halt") =>
        {
            return event(action::AUDIT_STOP, format!("{prog}: {m}"));
        }
        "systemd"
            if m.starts_with("Stopped Security Auditing Service")
                || m.starts_with("Stopped auditd")
                || m.starts_with("auditd.service: Deactivated") =>
        {
            return event(action::AUDIT_STOP, format!("{prog}: {m}"));
        }
        _ => {}
    }
    if m.contains(" enforcing=0") && m.contains("old_enforcing=1") {
        return event(action::MAC_MODE, format!("SELinux set to permissive: {m}"));
    }
    if m.contains("audit_enabled=0") {
        return event(action::AUDIT_CONFIG, format!("auditing disabled: {m}"));
    }
    if m.contains("apparmor=\"STATUS\"") && m.contains("operation=\"profile_remove\"") {
        return event(action::MAC_MODE, format!("AppArmor profile removed: {m}"));
    }
    AuthEvent::other(msg)
}

pub(super) fn login(msg: &str) -> AuthEvent<'_> {
    if let Some(user) = msg
        .strip_prefix("user ")
        .and_then(|r| r.strip_suffix(" logged out."))
    {
        AuthEvent::new(action::LOGOUT, Outcome::Success).actor(user)
    } else {
        AuthEvent::other(msg)
    }
}

/// Console logins from `login`, whatever the tag says (`combo  -- root[2421]:`).
pub(super) fn console_login(msg: &str) -> Option<AuthEvent<'_>> {
    if let Some(rest) = msg.strip_prefix("ROOT LOGIN ON ") {
        return Some(
            AuthEvent::new(action::LOGIN, Outcome::Success)
                .actor("root")
                .role(Role::Success)
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
            AuthEvent::fail(action::LOGIN, Role::Try)
                .actor(user)
                .detail(msg),
        );
    }
    None
}

#[cfg(test)]
mod tests {
    use super::super::normalize;
    use super::*;

    fn n<'a>(p: &'a str, m: &'a str) -> AuthEvent<'a> {
        normalize(p, m, None)
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
        let e = n(
            "sudo",
            "bob : 3 incorrect password attempts ; TTY=pts/1 ; PWD=/ ; USER=root ; COMMAND=/bin/bash",
        );
        assert_eq!(e.outcome, Outcome::Failure);
        for (m, outcome, user, target) in [
            (
                "(to root) alice on pts/1",
                Outcome::Success,
                "alice",
                "root",
            ),
            (
                "FAILED su for root by mallory",
                Outcome::Failure,
                "mallory",
                "root",
            ),
            (
                "FAILED SU (to root) bob on pts/0",
                Outcome::Failure,
                "bob",
                "root",
            ),
            (
                "BAD SU bob to root on /dev/ttyp0",
                Outcome::Failure,
                "bob",
                "root",
            ),
            (
                "failed: /dev/pts/3 changing from bob to root",
                Outcome::Failure,
                "bob",
                "root",
            ),
            ("- pts/0 eve:root", Outcome::Failure, "eve", "root"),
        ] {
            let e = n("su", m);
            assert_eq!(
                (e.action, e.outcome, e.actor, e.subject),
                (action::SU, outcome, Some(user), Some(target)),
                "{m}"
            );
        }
    }

    #[test]
    fn account_changes_have_their_own_actions() {
        for (p, m, action, actor, subject) in [
            (
                "useradd",
                "new user: name=apache, UID=48, GID=48, home=/var/www, shell=/sbin/nologin",
                action::USER_ADD,
                None,
                Some("apache"),
            ),
            (
                "useradd",
                "new group: name=apache, GID=48",
                action::GROUP_ADD,
                None,
                Some("apache"),
            ),
            (
                "useradd",
                "add 'bob' to group 'sudo'",
                action::GROUP_MEMBER_ADD,
                None,
                Some("bob"),
            ),
            (
                "usermod",
                "add 'bob' to shadow group 'wheel'",
                action::GROUP_MEMBER_ADD,
                None,
                Some("bob"),
            ),
            (
                "gpasswd",
                "user bob added by alice to group sudo",
                action::GROUP_MEMBER_ADD,
                Some("alice"),
                Some("bob"),
            ),
            (
                "gpasswd",
                "user bob removed by alice from group sudo",
                action::GROUP_MEMBER_REMOVE,
                Some("alice"),
                Some("bob"),
            ),
            (
                "userdel",
                "delete user 'bob'",
                action::USER_DELETE,
                None,
                Some("bob"),
            ),
            (
                "userdel",
                "removed group 'bob' owned by 'bob'",
                action::GROUP_DELETE,
                None,
                Some("bob"),
            ),
            (
                "groupadd",
                "group added to /etc/group: name=ops, GID=1001",
                action::GROUP_ADD,
                None,
                Some("ops"),
            ),
            (
                "groupdel",
                "group 'ops' removed",
                action::GROUP_DELETE,
                None,
                Some("ops"),
            ),
            (
                "usermod",
                "lock user 'bob' password",
                action::ACCOUNT_LOCK,
                None,
                Some("bob"),
            ),
            (
                "usermod",
                "change user 'bob' password",
                action::PASSWORD_CHANGE,
                None,
                Some("bob"),
            ),
            (
                "passwd",
                "password for 'bob' changed by 'root'",
                action::PASSWORD_CHANGE,
                Some("root"),
                Some("bob"),
            ),
        ] {
            let e = n(p, m);
            assert_eq!(
                (e.action, e.outcome, e.actor, e.subject),
                (action, Outcome::Success, actor, subject),
                "{m}"
            );
        }
        let e = n("useradd", "failed adding user 'bob', data deleted");
        assert_eq!(
            (e.action, e.outcome, e.subject),
            (action::USER_ADD, Outcome::Failure, Some("bob"))
        );
        let e = n("usermod", "add 'bob' to shadow group 'wheel'");
        assert_eq!(e.detail.as_deref(), Some("group wheel (gshadow)"));
        let e = n(
            "passwd",
            "pam_unix(passwd:chauthtok): authentication failure; logname=bob uid=1000 euid=0 tty=pts/0 ruser= rhost=  user=bob",
        );
        assert_eq!(
            (e.action, e.outcome),
            (action::PASSWORD_CHANGE, Outcome::Failure)
        );
    }

    #[test]
    fn tampering_with_the_audit_trail() {
        let e = n("kernel", "device eth0 entered promiscuous mode");
        assert_eq!((e.action, e.subject), (action::PROMISCUOUS, Some("eth0")));
        let e = n("kernel", "[ 12.5] ens4: entered promiscuous mode");
        assert_eq!((e.action, e.subject), (action::PROMISCUOUS, Some("ens4")));
        assert_eq!(
            n("auditd", "The audit daemon is exiting.").action,
            action::AUDIT_STOP
        );
        assert_eq!(
            n("systemd", "Stopped Security Auditing Service.").action,
            action::AUDIT_STOP
        );
        let e = n(
            "kernel",
            "audit: type=1404 audit(1:2): enforcing=0 old_enforcing=1 auid=1000 ses=2",
        );
        assert_eq!(e.action, action::MAC_MODE);
        let e = n(
            "kernel",
            "audit: type=1305 audit(1:3): audit_enabled=0 old=1 auid=0 ses=1 res=1",
        );
        assert_eq!(e.action, action::AUDIT_CONFIG);
        assert_eq!(
            n("systemd", "Started Session 4 of user bob.").action,
            action::OTHER
        );
    }

    #[test]
    fn checkers_consoles_and_databases() {
        let e = n("unix_chkpwd", "password check failed for user (root)");
        assert_eq!(
            (e.outcome, e.actor, e.role),
            (Outcome::Failure, Some("root"), Role::Aux)
        );
        let e = n("-- root", "ROOT LOGIN ON tty2");
        assert_eq!((e.action, e.actor), (action::LOGIN, Some("root")));
        let e = n(
            "login",
            "FAILED LOGIN (1) on '/dev/tty1' FOR 'UNKNOWN', Authentication failure",
        );
        assert_eq!((e.outcome, e.actor), (Outcome::Failure, Some("UNKNOWN")));
        let e = n("pam", "user nobody logged out.");
        assert_eq!((e.action, e.actor), (action::LOGOUT, Some("nobody")));
        let e = n(
            "postgres",
            "[3-1] FATAL:  password authentication failed for user \"bob\"",
        );
        assert_eq!(
            (e.action, e.outcome, e.actor),
            (action::LOGIN, Outcome::Failure, Some("bob"))
        );
        let e = n(
            "postgres",
            "[4-1] FATAL:  no pg_hba.conf entry for host \"10.1.1.1\", user \"eve\", database \"ehr\", SSL off",
        );
        assert_eq!((e.actor, e.client_str()), (Some("eve"), Some("10.1.1.1")));
    }
}
