//! The actions host and audit-log events are given: the names the parsers
//! write and the rules, filters and summaries read, kept in one place so a
//! rule cannot match a name no parser writes.

pub const LOGIN: &str = "login";
pub const LOGOUT: &str = "logout";
/// An authentication module's (PAM's) own word on an attempt.
pub const AUTH: &str = "auth";
pub const INVALID_USER: &str = "invalid-user";
pub const SESSION_OPEN: &str = "session-open";
pub const SESSION_CLOSE: &str = "session-close";
pub const SUDO: &str = "sudo";
pub const SU: &str = "su";
pub const DISCONNECT: &str = "disconnect";
/// A connection opened (sshd's `Connection from`, dropbear's `Child
/// connection from`).
pub const CONNECT: &str = "connect";
/// A connection that never got as far as authenticating (scanners,
/// refused by tcpwrappers, failed key exchange).
pub const PROBE: &str = "probe";
pub const USER_ADD: &str = "user-add";
pub const USER_DELETE: &str = "user-delete";
pub const USER_MODIFY: &str = "user-modify";
pub const GROUP_ADD: &str = "group-add";
pub const GROUP_DELETE: &str = "group-delete";
pub const GROUP_MODIFY: &str = "group-modify";
/// Someone was put into a group; the subject is the account, the detail
/// names the group.
pub const GROUP_MEMBER_ADD: &str = "group-member-add";
pub const GROUP_MEMBER_REMOVE: &str = "group-member-remove";
pub const PASSWORD_CHANGE: &str = "password-change";
/// An account locked by a failure counter (pam_faillock, pam_tally) or by
/// an administrator.
pub const ACCOUNT_LOCK: &str = "account-lock";
pub const ACCOUNT_UNLOCK: &str = "account-unlock";
/// Any other account change.
pub const ACCOUNT: &str = "account";
/// The audit daemon stopped, aborted or was reconfigured.
pub const AUDIT_STOP: &str = "audit-stop";
pub const AUDIT_CONFIG: &str = "audit-config";
/// SELinux or AppArmor enforcement switched (the detail says to what).
pub const MAC_MODE: &str = "mac-mode";
/// A network interface put into promiscuous mode.
pub const PROMISCUOUS: &str = "promiscuous";
/// A program ended abnormally (core dump, signal).
pub const CRASH: &str = "crash";
pub const OTHER: &str = "other";

/// Account-change actions, for filters and the daily summary.
pub const ACCOUNT_CHANGES: &[&str] = &[
    USER_ADD,
    USER_DELETE,
    USER_MODIFY,
    GROUP_ADD,
    GROUP_DELETE,
    GROUP_MODIFY,
    GROUP_MEMBER_ADD,
    GROUP_MEMBER_REMOVE,
    PASSWORD_CHANGE,
    ACCOUNT_LOCK,
    ACCOUNT_UNLOCK,
    ACCOUNT,
];

/// Ends the detail of a failure line that describes an attempt another
/// line of the same connection already counted (one password typed wrong
/// writes up to four lines): the rules count attempts, not lines.
pub const SAME_ATTEMPT: &str = "[same attempt]";

/// Ends the detail of a public key sshd did not accept: a client offers
/// every key it holds, so a refused key is not a guessed password.
pub const KEY_OFFER: &str = "[key not accepted]";

/// Whether a failure line is not an attempt of its own: it restates one
/// counted already, or is a key offer.
pub fn not_an_attempt(detail: Option<&str>) -> bool {
    detail.is_some_and(|d| d.ends_with(SAME_ATTEMPT) || d.ends_with(KEY_OFFER))
}

/// Whether an event is one failed attempt to authenticate: what the burst
/// rules, the host summary and the families benchmark count.
pub fn is_failed_attempt(action: &str, outcome: crate::Outcome, detail: Option<&str>) -> bool {
    outcome == crate::Outcome::Failure
        && matches!(action, LOGIN | AUTH | INVALID_USER | DISCONNECT)
        && !not_an_attempt(detail)
}

/// Groups that give their members administrative power on common
/// distributions; membership changes into them are worth a look.
pub const PRIVILEGED_GROUPS: &[&str] = &[
    "root", "wheel", "sudo", "admin", "adm", "docker", "lxd", "libvirt", "disk", "shadow",
    "sudoers",
];
