//! Connecting to a PostgreSQL store: the URL, where the password comes from
//! (never argv), and TLS by rustls.

use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::sync::Arc;

use color_eyre::eyre::{Result, WrapErr, bail, eyre};
use postgres::config::{Host, SslMode};
use postgres::{Client, NoTls};
use tokio_postgres_rustls::MakeRustlsConnect;

/// A `postgres://` store as configured: the URL and where its password is.
#[derive(Clone, PartialEq, Eq)]
pub struct PgTarget {
    pub url: String,
    pub password_env: Option<String>,
    pub password_file: Option<PathBuf>,
}

impl std::fmt::Debug for PgTarget {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PgTarget")
            .field("url", &redact(&self.url))
            .field("password_env", &self.password_env)
            .field("password_file", &self.password_file)
            .finish()
    }
}

/// The URL without any password it holds.
pub fn redact(url: &str) -> String {
    let (head, query) = match url.split_once('?') {
        Some((h, q)) => (h, Some(q)),
        None => (url, None),
    };
    let head = match head.split_once("://") {
        Some((scheme, rest)) => match rest.rsplit_once('@') {
            Some((userinfo, host)) => {
                let user = userinfo.split(':').next().unwrap_or("");
                format!("{scheme}://{user}@{host}")
            }
            None => head.to_owned(),
        },
        None => head.to_owned(),
    };
    let query = query.map(|q| {
        q.split('&')
            .filter(|kv| !kv.to_ascii_lowercase().starts_with("password="))
            .collect::<Vec<_>>()
            .join("&")
    });
    match query {
        Some(q) if !q.is_empty() => format!("{head}?{q}"),
        _ => head,
    }
}

/// Whether the URL carries a password itself.
pub fn url_has_password(url: &str) -> bool {
    let head = url.split('?').next().unwrap_or("");
    let in_userinfo = head
        .split_once("://")
        .and_then(|(_, rest)| rest.rsplit_once('@'))
        .is_some_and(|(userinfo, _)| userinfo.contains(':'));
    in_userinfo
        || url.split_once('?').is_some_and(|(_, q)| {
            q.split('&')
                .any(|kv| kv.to_ascii_lowercase().starts_with("password="))
        })
}

/// What `connect` needs, worked out once.
pub struct Connector {
    config: postgres::Config,
    tls: Option<MakeRustlsConnect>,
    pub display: String,
}

impl Connector {
    pub fn new(target: &PgTarget) -> Result<Connector> {
        let display = redact(&target.url);
        let (url, root_cert) = take_param(&target.url, "sslrootcert");
        let mut config = postgres::Config::from_str(&url)
            .map_err(|e| eyre!("the store URL {display} is not understood: {e}"))?;
        if config.get_application_name().is_none() {
            config.application_name("vigil");
        }
        if config.get_connect_timeout().is_none() {
            config.connect_timeout(std::time::Duration::from_secs(10));
        }
        if config.get_password().is_none()
            && let Some(p) = password(target, &config)?
        {
            config.password(p);
        }
        // Over the network the store carries ePHI: TLS with a verified
        // certificate unless the URL says sslmode=disable. libpq's `prefer`
        // would fall back to plain text silently; on loopback or a socket
        // there is no network to protect, so plain is used there.
        let explicit_mode = url.contains("sslmode=");
        let local = config.get_hosts().iter().all(|h| match h {
            Host::Unix(_) => true,
            Host::Tcp(name) => {
                name == "localhost"
                    || name
                        .parse::<std::net::IpAddr>()
                        .is_ok_and(|ip| ip.is_loopback())
            }
        });
        let tls = match config.get_ssl_mode() {
            SslMode::Disable => None,
            SslMode::Prefer if !explicit_mode && local => None,
            _ => {
                config.ssl_mode(SslMode::Require);
                Some(rustls_connector(root_cert.as_deref())?)
            }
        };
        Ok(Connector {
            config,
            tls,
            display,
        })
    }

    pub fn connect(&self) -> Result<Client> {
        let r = match &self.tls {
            None => self.config.connect(NoTls),
            Some(t) => self.config.connect(t.clone()),
        };
        let mut client = r.map_err(|e| {
            // the cause says which: refused, a certificate not trusted, …
            let cause = std::error::Error::source(&e)
                .map(|c| format!(" ({c})"))
                .unwrap_or_default();
            let what = format!(
                "store unavailable: cannot connect to {}: {e}{cause}",
                self.display
            );
            // kept in the chain, so `is_transient` can tell a server that is
            // down from one that is refused for good
            color_eyre::Report::new(e).wrap_err(what)
        })?;
        // A client that vanished inside a transaction must not hold the
        // ledger lock (and so every other reviewer) for long.
        client.batch_execute("SET idle_in_transaction_session_timeout = '10min'")?;
        Ok(client)
    }

    pub fn config(&self) -> &postgres::Config {
        &self.config
    }
}

/// Removes `key=value` from the URL's query, returning the value.
fn take_param(url: &str, key: &str) -> (String, Option<String>) {
    let Some((head, query)) = url.split_once('?') else {
        return (url.to_owned(), None);
    };
    let mut value = None;
    let kept: Vec<&str> = query
        .split('&')
        .filter(|kv| match kv.split_once('=') {
            Some((k, v)) if k == key => {
                value = Some(percent_decode(v));
                false
            }
            _ => true,
        })
        .collect();
    let url = if kept.is_empty() {
        head.to_owned()
    } else {
        format!("{head}?{}", kept.join("&"))
    };
    (url, value)
}

fn percent_decode(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%'
            && i + 2 < b.len()
            && b[i + 1].is_ascii_hexdigit()
            && b[i + 2].is_ascii_hexdigit()
        {
            let hex = |c: u8| (c as char).to_digit(16).unwrap_or(0) as u8;
            out.push(hex(b[i + 1]) * 16 + hex(b[i + 2]));
            i += 3;
            continue;
        }
        out.push(b[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn rustls_connector(root_cert: Option<&str>) -> Result<MakeRustlsConnect> {
    let mut roots = rustls::RootCertStore::empty();
    match root_cert {
        Some(path) => {
            let pem =
                std::fs::read(path).wrap_err_with(|| format!("cannot read sslrootcert {path}"))?;
            let mut added = 0;
            for cert in rustls_pki_types_certs(&pem)? {
                roots.add(cert)?;
                added += 1;
            }
            if added == 0 {
                bail!("sslrootcert {path} holds no PEM certificate");
            }
        }
        None => roots.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned()),
    }
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()?
        .with_root_certificates(roots)
        .with_no_client_auth();
    Ok(MakeRustlsConnect::new(config))
}

fn rustls_pki_types_certs(pem: &[u8]) -> Result<Vec<rustls::pki_types::CertificateDer<'static>>> {
    use rustls::pki_types::pem::PemObject;
    rustls::pki_types::CertificateDer::pem_slice_iter(pem)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| eyre!("sslrootcert is not PEM: {e:?}"))
}

/// The password: `password_env`, then `password_file`, then `PGPASSWORD`,
/// then the `.pgpass` file (`PGPASSFILE` or `~/.pgpass`, which must be
/// private, as libpq requires).
fn password(target: &PgTarget, config: &postgres::Config) -> Result<Option<Vec<u8>>> {
    if let Some(var) = &target.password_env {
        return match std::env::var(var) {
            Ok(v) => Ok(Some(v.into_bytes())),
            Err(_) => bail!(
                "[store] password_env names {var}, which is not set: export it, or use password_file"
            ),
        };
    }
    if let Some(path) = &target.password_file {
        let text = std::fs::read_to_string(path)
            .wrap_err_with(|| format!("cannot read the store password file {}", path.display()))?;
        return Ok(Some(
            text.trim_end_matches(['\r', '\n']).as_bytes().to_vec(),
        ));
    }
    if let Ok(v) = std::env::var("PGPASSWORD") {
        return Ok(Some(v.into_bytes()));
    }
    let file = match std::env::var_os("PGPASSFILE") {
        Some(p) => PathBuf::from(p),
        None => match std::env::var_os("HOME") {
            Some(h) => Path::new(&h).join(".pgpass"),
            None => return Ok(None),
        },
    };
    let Ok(text) = std::fs::read_to_string(&file) else {
        return Ok(None);
    };
    if vigil_domain::perms::check_private(&file, "password file").is_err() {
        tracing::warn!(
            "ignoring {}: it must not be readable by group or others (chmod 600)",
            file.display()
        );
        return Ok(None);
    }
    let host = match config.get_hosts().first() {
        Some(Host::Tcp(h)) => h.clone(),
        _ => "localhost".to_owned(),
    };
    let port = config
        .get_ports()
        .first()
        .copied()
        .unwrap_or(5432)
        .to_string();
    let user = config.get_user().unwrap_or_default();
    let db = config.get_dbname().unwrap_or(user);
    Ok(pgpass_lookup(&text, &host, &port, db, user).map(String::into_bytes))
}

/// The first `host:port:database:user:password` line that matches; `*`
/// matches anything and `\:`/`\\` are escapes, as in libpq.
pub fn pgpass_lookup(text: &str, host: &str, port: &str, db: &str, user: &str) -> Option<String> {
    for line in text.lines() {
        if line.starts_with('#') || line.trim().is_empty() {
            continue;
        }
        let mut fields = Vec::new();
        let mut cur = String::new();
        let mut chars = line.chars();
        while let Some(c) = chars.next() {
            match c {
                '\\' => {
                    if let Some(n) = chars.next() {
                        cur.push(n);
                    }
                }
                ':' if fields.len() < 4 => fields.push(std::mem::take(&mut cur)),
                _ => cur.push(c),
            }
        }
        fields.push(cur);
        if fields.len() != 5 {
            continue;
        }
        let ok = |pat: &str, v: &str| pat == "*" || pat == v;
        if ok(&fields[0], host)
            && ok(&fields[1], port)
            && ok(&fields[2], db)
            && ok(&fields[3], user)
        {
            return fields.pop();
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_never_shown() {
        let u = "postgres://vigil:s3cret@db.example:5432/vigil?sslmode=require&password=x";
        let r = redact(u);
        assert!(!r.contains("s3cret") && !r.contains("password=x"), "{r}");
        assert!(
            r.contains("vigil@db.example:5432/vigil?sslmode=require"),
            "{r}"
        );
        assert!(url_has_password(u));
        assert!(!url_has_password(
            "postgres://vigil@db/vigil?sslmode=require"
        ));
        assert!(url_has_password("postgres://vigil@db/vigil?password=x"));
        let t = PgTarget {
            url: u.into(),
            password_env: None,
            password_file: None,
        };
        assert!(!format!("{t:?}").contains("s3cret"));
    }

    #[test]
    fn pgpass_lines_match_like_libpq() {
        let text = "# comment\ndb:5432:other:vigil:no\ndb:5432:*:vigil:pa\\:ss\n*:*:*:*:fallback\n";
        assert_eq!(
            pgpass_lookup(text, "db", "5432", "vigil", "vigil").as_deref(),
            Some("pa:ss")
        );
        assert_eq!(
            pgpass_lookup(text, "other", "5432", "vigil", "bob").as_deref(),
            Some("fallback")
        );
        assert_eq!(pgpass_lookup("db:1:x:y:z\n", "db", "5432", "x", "y"), None);
    }

    #[test]
    fn sslrootcert_is_taken_out_of_the_url() {
        let (url, cert) = take_param(
            "postgres://v@db/vigil?sslmode=require&sslrootcert=%2Fetc%2Fca.pem",
            "sslrootcert",
        );
        assert_eq!(url, "postgres://v@db/vigil?sslmode=require");
        assert_eq!(cert.as_deref(), Some("/etc/ca.pem"));
    }
}
