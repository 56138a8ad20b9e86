//! Client addresses as sshd, PAM and dropbear write them, and where in a
//! message they stand.
//!
//! Every position before and after the address can hold attacker text (a
//! user name, a client user, the text after the protocol), so an address is
//! only taken where the program's own format puts it: `from ADDR port N
//! sshN` followed by nothing or by `: ` and the method's extra, `rhost=` in
//! PAM's fixed order, the parenthesized address tcpwrappers appends.

use std::net::IpAddr;
use std::sync::LazyLock;

use memchr::memmem;

// Every sshd line is searched for ` from `, often twice: a prebuilt
// searcher costs far less than `str::find`'s, set up anew each time.
static FROM: LazyLock<memmem::Finder<'static>> = LazyLock::new(|| memmem::Finder::new(" from "));
static FROM_REV: LazyLock<memmem::FinderRev<'static>> =
    LazyLock::new(|| memmem::FinderRev::new(" from "));

/// Where the first ` from ` in `s` at or after `at` starts.
fn find_from(s: &str, at: usize) -> Option<usize> {
    FROM.find(&s.as_bytes()[at..]).map(|i| i + at)
}

/// The address in a token, as written, minus what does not name a host: an
/// IPv6 zone (`%eth0`), the IPv4-mapped prefix (`::ffff:1.2.3.4`) and
/// brackets. `None` when the token cannot be an address or a host name.
pub fn clean(tok: &str) -> Option<&str> {
    let t = tok
        .strip_prefix('[')
        .and_then(|t| t.strip_suffix(']'))
        .unwrap_or(tok);
    let t = match t.find('%') {
        Some(i) if t[..i].contains(':') => &t[..i],
        _ => t,
    };
    if let Some(v4) = t
        .strip_prefix("::ffff:")
        .or_else(|| t.strip_prefix("::FFFF:"))
        && v4.parse::<std::net::Ipv4Addr>().is_ok()
    {
        return Some(v4);
    }
    if t.parse::<IpAddr>().is_ok() {
        return Some(t);
    }
    // A host name (UseDNS) or an address with leading zeros: letters,
    // digits, dots, dashes and underscores, and no colon.
    let ok = !t.is_empty()
        && t.len() <= 253
        && t.bytes().any(|b| b.is_ascii_alphanumeric())
        && t.bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b'_'));
    ok.then_some(t)
}

/// `HOST:PORT` as dropbear writes it (`1.2.3.4:22`, `::ffff:1.2.3.4:22`,
/// `[2001:db8::1]:22`, or a bare address).
pub fn host_port(tok: &str) -> Option<&str> {
    let tok = tok.trim_end_matches(['.', ',']);
    if let Some(inner) = tok.strip_prefix('[')
        && let Some((h, _)) = inner.split_once(']')
    {
        return clean(h);
    }
    if let Some((h, p)) = tok.rsplit_once(':')
        && !p.is_empty()
        && p.bytes().all(|b| b.is_ascii_digit())
        && let Some(a) = clean(h)
    {
        // `2001:db8::7` is an address, not `2001:db8:` and port 7.
        if tok.parse::<IpAddr>().is_err() || a != h {
            return Some(a);
        }
    }
    clean(tok)
}

/// One ` from ADDR…` in a message, and what follows its `port N` and
/// protocol.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Candidate<'a> {
    /// Byte index of the ` from `.
    at: usize,
    addr: &'a str,
    rest: &'a str,
    /// The protocol said `ssh1` (whose extra may be `ruser NAME`).
    ssh1: bool,
}

/// Every ` from ADDR[ port N][ on L port M][ sshN]` in `s`.
fn candidates(s: &str) -> Vec<Candidate<'_>> {
    let mut out = Vec::new();
    let mut from = 0;
    while let Some(i) = find_from(s, from) {
        from = i + 1;
        out.extend(candidate_at(s, i));
    }
    out
}

/// The ` from ADDR…` at byte `i` of `s`, if an address follows it.
fn candidate_at(s: &str, i: usize) -> Option<Candidate<'_>> {
    let tail = &s[i + 6..];
    let end = tail.find(' ').unwrap_or(tail.len());
    let tok = &tail[..end];
    // `from 1.2.3.4:` before the extra of an old sshd, or dropbear's
    // `from 1.2.3.4:22`.
    let tok_clean = tok.strip_suffix(':').unwrap_or(tok);
    let addr = clean(tok_clean).or_else(|| host_port(tok_clean))?;
    let mut rest = &tail[end..];
    if tok_clean.len() < tok.len() {
        rest = &tail[end - 1..];
    }
    if let Some(r) = rest.strip_prefix(" port ") {
        let d = r.bytes().take_while(u8::is_ascii_digit).count();
        if d == 0 {
            return None;
        }
        rest = &r[d..];
    }
    // `on 10.0.0.1 port 22` (the local end, sshd's `Connection from`).
    if let Some(r) = rest.strip_prefix(" on ")
        && let Some((local, r)) = r.split_once(' ')
        && clean(local).is_some()
        && let Some(r) = r.strip_prefix("port ")
    {
        let d = r.bytes().take_while(u8::is_ascii_digit).count();
        rest = &r[d..];
    }
    let mut ssh1 = false;
    if let Some(r) = rest.strip_prefix(" ssh")
        && r.as_bytes().first().is_none_or(u8::is_ascii_digit)
    {
        ssh1 = r.starts_with('1');
        rest = r.trim_start_matches(|c: char| c.is_ascii_digit());
    }
    Some(Candidate {
        at: i,
        addr,
        rest,
        ssh1,
    })
}

/// Whether what follows an address is what sshd may write there: nothing,
/// `: ` and the method's extra, ` via LOCAL`, or ` [preauth]`.
fn ends_well(rest: &str) -> bool {
    let rest = rest.strip_suffix(" [preauth]").unwrap_or(rest).trim_end();
    rest.is_empty()
        || rest.starts_with(": ")
        || rest == ":"
        || rest.strip_prefix(" via ").is_some_and(|v| !v.contains(' '))
}

/// Whether what follows an address is an extra sshd writes: a key's type
/// and fingerprint (`: RSA SHA256:…`), then nothing, a certificate's ` ID
/// …`, or a host-based login's `, client user "…"`.
fn plausible_extra(rest: &str, ssh1: bool) -> bool {
    let Some(x) = rest.strip_prefix(": ") else {
        return false;
    };
    // Protocol 1's rhosts logins: `ssh1: ruser NAME`.
    if ssh1 && x.starts_with("ruser ") {
        return true;
    }
    let mut it = x.splitn(3, ' ');
    let (Some(kind), Some(fp)) = (it.next(), it.next()) else {
        return false;
    };
    let after = it.next().map(|a| format!(" {a}")).unwrap_or_default();
    let fp = fp.trim_end_matches(',');
    kind.bytes()
        .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'@' | b'.'))
        && fp.contains(':')
        && !fp.contains(' ')
        && (after.is_empty()
            || after.starts_with(" ID ")
            || x[kind.len() + 1 + fp.len()..].starts_with(", client user \""))
}

/// Where sshd's address stands in `s` (the text after `for`): returns what
/// precedes it (the user name, as sshd wrote it), the address, and what
/// follows. `known` is the address this connection's earlier lines gave:
/// when an attacker has put a second well-formed `from … port … ssh2` into
/// the user name or the extra, the one the connection really has wins.
/// Otherwise what follows decides: an extra sshd writes (a key, a host key,
/// protocol 1's `ruser`) marks the real tail; for the methods that write
/// none, the first tail after a real (space-free) account name, else the
/// last.
pub fn sshd_from<'a>(
    s: &'a str,
    known: Option<&str>,
    has_extra: bool,
) -> Option<(&'a str, &'a str, &'a str, bool)> {
    // Almost every line has one ` from `: nothing to choose between.
    if let Some(i) = find_from(s, 0)
        && FROM_REV.rfind(s.as_bytes()) == Some(i)
    {
        let c = candidate_at(s, i)?;
        return ends_well(c.rest).then_some((&s[..i], c.addr, c.rest, false));
    }
    let all = candidates(s);
    let good: Vec<_> = all.iter().filter(|c| ends_well(c.rest)).collect();
    let chosen = if good.len() > 1
        && let Some(k) = known
        && let Some(c) = good.iter().find(|c| c.addr == k)
    {
        Some(**c)
    } else if let Some(c) = good
        .iter()
        .filter(|_| good.len() > 1)
        .find(|c| plausible_extra(c.rest, c.ssh1))
    {
        // What follows is an extra sshd writes (a key's type and
        // fingerprint, a host key and the client's quoted names).
        Some(**c)
    } else if has_extra {
        // The extra never holds a well-formed tail of its own; a user name
        // holding one leaves the real tail in its extra.
        good.iter()
            .find(|c| !candidates(c.rest).iter().any(|o| ends_well(o.rest)))
            .or(good.first())
            .map(|c| **c)
    } else {
        // A real account's name has no spaces, so a tail after it is the
        // address; a name with spaces is the client's text (an invalid
        // user) and the extra of these methods is empty: the last tail.
        match good.first() {
            Some(c) if !s[..c.at].contains(' ') => Some(**c),
            _ => good.last().map(|c| **c),
        }
    };
    let c = chosen?;
    Some((&s[..c.at], c.addr, c.rest, good.len() > 1))
}

/// The last ` from ADDR` whose tail is only a port, `[preauth]` or ` via`
/// (messages sshd ends with the address: `Invalid user X from A port P`).
pub fn last_from(s: &str) -> Option<(&str, &str)> {
    let s = s.strip_suffix(" [preauth]").unwrap_or(s).trim_end();
    // From the end, with no list: these lines are most of a scanner's.
    let mut end = s.len();
    while let Some(i) = FROM_REV.rfind(&s.as_bytes()[..end]) {
        if let Some(c) = candidate_at(s, i)
            && ends_well(c.rest)
            && !c.rest.starts_with(':')
        {
            return Some((&s[..i], c.addr));
        }
        end = i;
    }
    None
}

/// `[who ]ADDR port N` at the end of sshd's newer disconnect lines
/// (`Connection closed by authenticating user root 1.2.3.4 port 22`): the
/// address is the word before `port`, the user name everything before it.
pub fn user_addr_port(s: &str) -> (Option<&str>, Option<&str>) {
    let s = s.trim();
    let s = s.strip_suffix("[preauth]").unwrap_or(s).trim_end();
    let head = match s.rfind(" port ") {
        Some(i) if s[i + 6..].bytes().all(|b| b.is_ascii_digit()) => &s[..i],
        _ => s,
    };
    let (who, tok) = match head.rfind(' ') {
        Some(i) => (&head[..i], &head[i + 1..]),
        None => ("", head),
    };
    let user = who
        .strip_prefix("authenticating user ")
        .or_else(|| who.strip_prefix("invalid user "))
        .or_else(|| who.strip_prefix("user "))
        .or_else(|| (who == "authenticating user" || who == "invalid user").then_some(""));
    (user, clean(tok.trim_end_matches(':')))
}

/// PAM's `rhost=` among `logname= uid= euid= tty= ruser= rhost= user=`. Both
/// `ruser` and `user` may be names an attacker typed and may hold a
/// `rhost=` of their own, so the real one is the one followed by nothing or
/// by ` user=`, and when several are, the one the connection already has.
/// Returns where `rhost=` starts and its value as written (maybe empty).
pub fn pam_rhost_at<'a>(s: &'a str, known: Option<&str>) -> Option<(usize, &'a str)> {
    let mut good = Vec::new();
    let mut from = 0;
    while let Some(i) = s[from..].find("rhost=").map(|i| i + from) {
        from = i + 6;
        if i > 0 && s.as_bytes()[i - 1] != b' ' {
            continue;
        }
        let tail = &s[i + 6..];
        let end = tail.find(' ').unwrap_or(tail.len());
        let rest = tail[end..].trim_start();
        if rest.is_empty() || rest.starts_with("user=") || rest == "[preauth]" {
            good.push((i, &tail[..end]));
        }
    }
    match known {
        Some(k) if good.len() > 1 => good
            .iter()
            .find(|(_, g)| clean(g) == Some(k))
            .or(good.first())
            .copied(),
        _ => good.first().copied(),
    }
}

/// The address in PAM's `rhost=`, if it names one.
pub fn pam_rhost<'a>(s: &'a str, known: Option<&str>) -> Option<&'a str> {
    pam_rhost_at(s, known).and_then(|(_, t)| clean(t))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens() {
        assert_eq!(clean("::ffff:1.2.3.4"), Some("1.2.3.4"));
        assert_eq!(
            clean("2001:db8::a11:beef:7ac0%eth0"),
            Some("2001:db8::a11:beef:7ac0")
        );
        assert_eq!(
            clean("aaaa:bbbb:cccc:1234::1:1"),
            Some("aaaa:bbbb:cccc:1234::1:1")
        );
        assert_eq!(clean("example.com"), Some("example.com"));
        assert_eq!(clean("192.030.0.6"), Some("192.030.0.6"));
        assert_eq!(clean("<invalid>"), None);
        assert_eq!(clean(""), None);
        assert_eq!(host_port("198.51.100.87:5543"), Some("198.51.100.87"));
        assert_eq!(
            host_port("::ffff:198.51.100.215:60495"),
            Some("198.51.100.215")
        );
        assert_eq!(host_port("[2001:db8::1]:22"), Some("2001:db8::1"));
        assert_eq!(host_port("2001:db8::7"), Some("2001:db8::7"));
    }

    #[test]
    fn the_address_sshd_wrote_wins() {
        let f = |s, k, x| sshd_from(s, k, x).map(|(u, a, _, _)| (u, a));
        assert_eq!(
            f("root from 1.2.3.4 port 22 ssh2", None, false),
            Some(("root", "1.2.3.4"))
        );
        // a user name holding a whole fake tail
        assert_eq!(
            f(
                "invalid user test from 10.10.1.2 port 55555 ssh2 from 127.0.0.1 port 58946 ssh2",
                None,
                false
            ),
            Some((
                "invalid user test from 10.10.1.2 port 55555 ssh2",
                "127.0.0.1"
            ))
        );
        // text after the protocol, resolved by what the connection said before
        assert_eq!(
            f(
                "invalid user test from 127.0.0.1 port 58946 ssh2: from 10.10.1.2 port 55555 ssh2",
                Some("127.0.0.1"),
                false
            ),
            Some(("invalid user test", "127.0.0.1"))
        );
        // a key's extra never holds an address: the first is the one
        assert_eq!(
            f(
                "dan from 127.0.0.1 port 45785 ssh2: RSA 8c:e3, client user \"x from 9.9.9.9 port 1 ssh2\", client host \"h\"",
                None,
                true
            ),
            Some(("dan", "127.0.0.1"))
        );
        assert_eq!(
            f(
                "user from 127.0.0.1 port 20000 ssh1: ruser from 1.2.3.4",
                None,
                true
            ),
            Some(("user", "127.0.0.1"))
        );
        assert_eq!(
            f("james from example.com via 192.168.1.201", None, false),
            Some(("james", "example.com"))
        );
    }

    #[test]
    fn rhost_in_its_place() {
        let s = "logname= uid=0 euid=0 tty=ssh ruser= rhost=60.30.224.116  user=root";
        assert_eq!(pam_rhost(s, None), Some("60.30.224.116"));
        let s = "logname= uid=0 euid=0 tty=ssh ruser= rhost=1.1.1.1  user=x rhost=6.6.6.6";
        assert_eq!(pam_rhost(s, None), Some("1.1.1.1"));
        let s = "logname= uid=0 euid=0 tty=ssh ruser=x rhost=6.6.6.6  user= rhost=1.1.1.1";
        assert_eq!(pam_rhost(s, Some("1.1.1.1")), Some("1.1.1.1"));
        assert_eq!(pam_rhost("ruser= rhost= ", None), None);
    }

    #[test]
    fn disconnect_tails() {
        assert_eq!(
            user_addr_port(
                "authenticating user test 127.0.0.1 port 12345 192.0.2.11 port 46039 [preauth]"
            ),
            (Some("test 127.0.0.1 port 12345"), Some("192.0.2.11"))
        );
        assert_eq!(
            user_addr_port("invalid user  192.0.2.68 port 34916 [preauth]"),
            (Some(""), Some("192.0.2.68"))
        );
        assert_eq!(
            user_addr_port("212.47.254.145 [preauth]"),
            (None, Some("212.47.254.145"))
        );
    }
}
