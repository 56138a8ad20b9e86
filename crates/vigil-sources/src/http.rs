//! The HTTP client layer the API sources share: auth from `*_env` and
//! `*_file` settings (never argv, never in logs or Debug output), timeouts
//! and a User-Agent, retries with exponential backoff and full jitter that
//! honour `Retry-After` in seconds or as an HTTP date, capped in attempts and
//! in total time, and the paging links in use (RFC 8288 `Link` headers and
//! FHIR Bundle `link[rel=next]`). Time and sleeping are injected, so the
//! retry schedule is tested without waiting.

use std::path::Path;
use std::time::Duration;

use chrono::{DateTime, Utc};
use color_eyre::eyre::{Result, WrapErr, bail, eyre};
use reqwest::StatusCode;
use reqwest::header::{HeaderMap, HeaderValue};

/// A credential: shown as `[redacted]` by Debug and Display.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    pub fn new(s: impl Into<String>) -> Secret {
        Secret(s.into())
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("[redacted]")
    }
}

impl std::fmt::Display for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("[redacted]")
    }
}

/// A secret from an environment variable or a private file (the file must
/// not be readable by group or others); `what` names the setting in errors.
pub fn secret_from(what: &str, env: Option<&str>, file: Option<&Path>) -> Result<Option<Secret>> {
    if let Some(var) = env {
        return match std::env::var(var) {
            Ok(v) if !v.is_empty() => Ok(Some(Secret(v))),
            _ => bail!("{what}_env names {var}, which is not set: export it, or use {what}_file"),
        };
    }
    if let Some(path) = file {
        vigil_domain::perms::check_private(path, &format!("{what} file")).map_err(|m| eyre!(m))?;
        let text = std::fs::read_to_string(path)
            .wrap_err_with(|| format!("cannot read the {what} file {}", path.display()))?;
        return Ok(Some(Secret(text.trim_end_matches(['\r', '\n']).to_owned())));
    }
    Ok(None)
}

/// How a source or destination authenticates: HTTP Basic when `user_env`
/// names the user (Jira, ServiceNow), else the token as a bearer token.
pub fn auth_from(token: Option<Secret>, user_env: Option<&str>) -> Result<Auth> {
    let Some(token) = token else {
        return Ok(Auth::None);
    };
    Ok(match user_env {
        Some(var) => Auth::Basic {
            user: std::env::var(var)
                .ok()
                .filter(|v| !v.is_empty())
                .ok_or_else(|| {
                    eyre!(
                        "user_env names {var}, which is not set: export it with the API user's name"
                    )
                })?,
            token,
        },
        None => Auth::Bearer(token),
    })
}

/// How a request proves who it is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Auth {
    None,
    Bearer(Secret),
    /// `user:token` as HTTP Basic (Jira, ServiceNow).
    Basic {
        user: String,
        token: Secret,
    },
    /// A named header carrying a key (PagerDuty's `Authorization: Token
    /// token=…` is written as this with the whole value).
    Header {
        name: String,
        value: Secret,
    },
}

/// Retry limits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Retry {
    pub max_attempts: u32,
    /// No retry is started that would end after this much time in all.
    pub max_total: Duration,
    pub base: Duration,
    pub cap: Duration,
}

impl Default for Retry {
    fn default() -> Self {
        Retry {
            max_attempts: 6,
            max_total: Duration::from_secs(120),
            base: Duration::from_millis(500),
            cap: Duration::from_secs(30),
        }
    }
}

/// A response read whole.
#[derive(Debug, Clone)]
pub struct Response {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: Vec<u8>,
}

impl Response {
    pub fn json(&self) -> Result<serde_json::Value> {
        serde_json::from_slice(&self.body).wrap_err("the response is not JSON")
    }
}

/// Why a request failed for good, in words a user can act on.
#[derive(Debug)]
pub struct HttpFailure {
    pub status: Option<u16>,
    pub message: String,
}

impl std::fmt::Display for HttpFailure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for HttpFailure {}

/// The wait a `Retry-After` header asks for: seconds, or an HTTP date.
pub fn retry_after(headers: &HeaderMap, now: DateTime<Utc>) -> Option<Duration> {
    let v = headers
        .get(reqwest::header::RETRY_AFTER)?
        .to_str()
        .ok()?
        .trim();
    if let Ok(secs) = v.parse::<u64>() {
        return Some(Duration::from_secs(secs));
    }
    let at = DateTime::parse_from_rfc2822(v).ok()?.with_timezone(&Utc);
    Some((at - now).to_std().unwrap_or(Duration::ZERO))
}

/// When a rate limit that is used up resets, as a wait: GitHub's
/// `X-RateLimit-Remaining: 0` with `X-RateLimit-Reset` in epoch seconds,
/// PagerDuty's `ratelimit-remaining: 0` with `ratelimit-reset` in seconds
/// to wait.
pub fn rate_limit_reset(headers: &HeaderMap, now: DateTime<Utc>) -> Option<Duration> {
    let get = |n: &str| headers.get(n)?.to_str().ok()?.trim().parse::<i64>().ok();
    if get("x-ratelimit-remaining") == Some(0) {
        let at = get("x-ratelimit-reset")?;
        return Some(Duration::from_secs((at - now.timestamp()).max(0) as u64));
    }
    if get("ratelimit-remaining") == Some(0) {
        return Some(Duration::from_secs(get("ratelimit-reset")?.max(0) as u64));
    }
    None
}

/// Exponential backoff with full jitter: a uniform draw in [0, min(cap,
/// base * 2^attempt)), `unit` being the draw in [0, 1).
pub fn backoff(r: &Retry, attempt: u32, unit: f64) -> Duration {
    let ceiling = r.base.saturating_mul(1u32 << attempt.min(20)).min(r.cap);
    ceiling.mul_f64(unit.clamp(0.0, 1.0))
}

/// The `rel="next"` target of RFC 8288 `Link` headers (GitHub's paging).
pub fn next_link(headers: &HeaderMap) -> Option<String> {
    for v in headers.get_all(reqwest::header::LINK) {
        let Ok(v) = v.to_str() else { continue };
        for part in v.split(',') {
            let mut pieces = part.split(';');
            let target = pieces.next()?.trim();
            let is_next = pieces.any(|p| {
                let p = p.trim();
                p.eq_ignore_ascii_case("rel=\"next\"") || p.eq_ignore_ascii_case("rel=next")
            });
            if is_next && target.starts_with('<') && target.ends_with('>') {
                return Some(target[1..target.len() - 1].to_owned());
            }
        }
    }
    None
}

/// A FHIR Bundle's `link[relation=next].url`, read from the page's bytes
/// without building the rest of it; an error if it is not JSON.
pub fn fhir_next(bundle: &[u8]) -> Result<Option<String>> {
    #[derive(serde::Deserialize)]
    struct Links<'a> {
        #[serde(default, borrow)]
        link: Vec<Link<'a>>,
    }
    #[derive(serde::Deserialize)]
    struct Link<'a> {
        #[serde(default)]
        relation: &'a str,
        #[serde(default)]
        url: &'a str,
    }
    let links: Links<'_> = serde_json::from_slice(bundle)?;
    Ok(links
        .link
        .iter()
        .find(|l| l.relation == "next")
        .map(|l| l.url.to_owned()))
}

type Sleeper = Box<dyn FnMut(Duration) + Send>;
type Clock = Box<dyn Fn() -> DateTime<Utc> + Send>;

/// One request: GET, or a POST/PATCH with a JSON body.
#[derive(Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Req {
    #[serde(default = "get_method")]
    pub method: String,
    pub url: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub body: Option<serde_json::Value>,
    /// A form body instead (OAuth token requests); may hold a credential,
    /// so it is never serialized into a checkpoint.
    #[serde(skip)]
    pub form: Option<Vec<(String, String)>>,
    /// A GET, or a POST that only reads (TheHive's Query API): safe to
    /// send again after a dropped connection. (Checkpoints only ever hold
    /// such requests.)
    #[serde(default = "yes")]
    pub reads_only: bool,
}

impl std::fmt::Debug for Req {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Req")
            .field("method", &self.method)
            .field("url", &redact_url(&self.url))
            .field("body", &self.body.as_ref().map(|_| "[json]"))
            .field("form", &self.form.as_ref().map(|_| "[redacted]"))
            .finish()
    }
}

fn yes() -> bool {
    true
}

fn get_method() -> String {
    "GET".into()
}

impl Req {
    pub fn get(url: impl Into<String>) -> Req {
        Req {
            method: "GET".into(),
            url: url.into(),
            body: None,
            form: None,
            reads_only: true,
        }
    }

    pub fn post(url: impl Into<String>, body: serde_json::Value) -> Req {
        Req {
            method: "POST".into(),
            url: url.into(),
            body: Some(body),
            form: None,
            reads_only: false,
        }
    }

    /// A POST that only asks (a query API): retried like a GET.
    pub fn query(url: impl Into<String>, body: serde_json::Value) -> Req {
        Req {
            reads_only: true,
            ..Req::post(url, body)
        }
    }

    /// A form POST (`application/x-www-form-urlencoded`).
    pub fn form(url: impl Into<String>, form: Vec<(String, String)>) -> Req {
        Req {
            method: "POST".into(),
            url: url.into(),
            body: None,
            form: Some(form),
            reads_only: false,
        }
    }
}

/// One API's client.
pub struct HttpClient {
    client: reqwest::blocking::Client,
    auth: Auth,
    /// Headers every request of this API carries (an `Accept` with a
    /// version, an organisation).
    headers: HeaderMap,
    retry: Retry,
    sleep: Sleeper,
    now: Clock,
    /// xorshift state for the jitter draws.
    rng: u64,
    /// A success that used up the rate limit: the next request waits for
    /// its reset rather than spending a refusal.
    hold_until: Option<DateTime<Utc>>,
    /// Gets a new bearer token when the server says the one in use has
    /// expired (SMART tokens live minutes; a long pull outlives them).
    refresh: Option<Refresher>,
}

type Refresher = Box<dyn FnMut() -> Result<Secret> + Send>;

impl std::fmt::Debug for HttpClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HttpClient")
            .field("auth", &self.auth)
            .field("retry", &self.retry)
            .finish()
    }
}

impl HttpClient {
    pub fn new(auth: Auth, retry: Retry) -> Result<HttpClient> {
        let client = reqwest::blocking::Client::builder()
            .user_agent(concat!("vigil/", env!("CARGO_PKG_VERSION")))
            .connect_timeout(Duration::from_secs(10))
            .timeout(Duration::from_secs(60))
            .build()?;
        let seed = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos() as u64)
            .unwrap_or(0x9E37_79B9_7F4A_7C15)
            | 1;
        Ok(HttpClient {
            client,
            auth,
            headers: HeaderMap::new(),
            retry,
            sleep: Box::new(std::thread::sleep),
            now: Box::new(Utc::now),
            rng: seed,
            hold_until: None,
            refresh: None,
        })
    }

    /// Replaces sleeping and the clock (tests, and a caller that waits its
    /// own way).
    pub fn with_time(mut self, sleep: Sleeper, now: Clock, seed: u64) -> HttpClient {
        self.sleep = sleep;
        self.now = now;
        self.rng = seed | 1;
        self
    }

    /// Renews the bearer token with `f` when a request is refused with 401,
    /// once per request.
    pub fn with_refresh(mut self, f: Refresher) -> HttpClient {
        self.refresh = Some(f);
        self
    }

    /// The headers GitHub's REST API asks for.
    pub fn for_github(self) -> Result<HttpClient> {
        self.with_header("accept", "application/vnd.github+json")?
            .with_header("x-github-api-version", "2022-11-28")
    }

    /// Adds a header every request carries (replacing `Accept` if named).
    pub fn with_header(mut self, name: &'static str, value: &str) -> Result<HttpClient> {
        self.headers.insert(
            name,
            HeaderValue::from_str(value).wrap_err("a header value")?,
        );
        Ok(self)
    }

    fn unit(&mut self) -> f64 {
        let mut x = self.rng;
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        self.rng = x;
        (x >> 11) as f64 / (1u64 << 53) as f64
    }

    fn request(&self, req: &Req) -> reqwest::blocking::RequestBuilder {
        let method = reqwest::Method::from_bytes(req.method.as_bytes()).unwrap_or_default();
        let mut r = self
            .client
            .request(method, &req.url)
            .header(
                reqwest::header::ACCEPT,
                "application/json, application/fhir+json",
            )
            .headers(self.headers.clone());
        if let Some(b) = &req.body {
            r = r.json(b);
        }
        if let Some(f) = &req.form {
            r = r.form(f);
        }
        match &self.auth {
            Auth::None => r,
            Auth::Bearer(t) => r.bearer_auth(t.expose()),
            Auth::Basic { user, token } => r.basic_auth(user, Some(token.expose())),
            Auth::Header { name, value } => match HeaderValue::from_str(value.expose()) {
                Ok(mut v) => {
                    v.set_sensitive(true);
                    r.header(name.as_str(), v)
                }
                Err(_) => r,
            },
        }
    }

    /// GETs `url`, retrying what is worth retrying (429, 5xx, a dropped
    /// connection or a body cut short) on the schedule above. Anything else
    /// that is not a success is an error naming the status and what to do.
    pub fn get(&mut self, url: &str) -> Result<Response> {
        self.send(&Req::get(url), &[])
    }

    /// Sends `req` as `get` does; statuses in `accept` are handed back as
    /// responses rather than errors (ServiceNow's 404 for an empty page). A
    /// request with a body is not resent after a dropped connection, which
    /// may have carried it: only after an answer that says it was not done.
    pub fn send(&mut self, req: &Req, accept: &[u16]) -> Result<Response> {
        let url = req.url.as_str();
        let shown = redact_url(url);
        // A next-page link or a discovered endpoint can point anywhere.
        if let Some(problem) = cleartext_problem(url) {
            bail!("{problem}");
        }
        let mut waited = Duration::ZERO;
        let mut attempt = 0;
        let mut refreshed = false;
        if let Some(until) = self.hold_until.take() {
            let wait = (until - (self.now)()).to_std().unwrap_or(Duration::ZERO);
            if !wait.is_zero() {
                tracing::info!(url = %shown, wait_s = wait.as_secs(), "rate limit used up; waiting for its reset");
                (self.sleep)(wait.min(self.retry.max_total));
            }
        }
        loop {
            attempt += 1;
            let outcome = self.request(req).send().and_then(|resp| {
                let status = resp.status();
                let headers = resp.headers().clone();
                resp.bytes().map(|b| Response {
                    status,
                    headers,
                    body: b.to_vec(),
                })
            });
            let (retryable, wait, failure) = match outcome {
                Ok(r) if r.status.is_success() || accept.contains(&r.status.as_u16()) => {
                    let now = (self.now)();
                    self.hold_until = rate_limit_reset(&r.headers, now)
                        .and_then(|d| chrono::Duration::from_std(d).ok())
                        .map(|d| now + d);
                    return Ok(r);
                }
                Ok(r) if r.status.as_u16() == 401 && !refreshed && self.refresh.is_some() => {
                    refreshed = true;
                    let token = (self.refresh.as_mut().expect("checked"))()?;
                    self.auth = Auth::Bearer(token);
                    tracing::info!(url = %shown, "token expired; renewed it");
                    attempt -= 1;
                    continue;
                }
                Ok(r) => {
                    let code = r.status.as_u16();
                    let now = (self.now)();
                    let exhausted = rate_limit_reset(&r.headers, now);
                    let retryable = code == 429
                        || r.status.is_server_error()
                        || (code == 403 && exhausted.is_some());
                    let asked = retry_after(&r.headers, now).or(exhausted);
                    let message = match code {
                        401 => format!(
                            "{shown}: 401 unauthorized: the token is missing, wrong or expired; renew it and check the source's token setting"
                        ),
                        403 => format!(
                            "{shown}: 403 forbidden: the account lacks permission for this API"
                        ),
                        404 => format!("{shown}: 404 not found: check the source's url"),
                        _ => format!("{shown}: HTTP {code}: {}", snippet(&r.body)),
                    };
                    (
                        retryable,
                        asked,
                        HttpFailure {
                            status: Some(code),
                            message,
                        },
                    )
                }
                Err(e) => (
                    req.reads_only,
                    None,
                    HttpFailure {
                        status: None,
                        message: format!("{shown}: {}", without_url(&e)),
                    },
                ),
            };
            if !retryable || attempt >= self.retry.max_attempts {
                return Err(failure.into());
            }
            let u = self.unit();
            let pause = wait.unwrap_or_else(|| backoff(&self.retry, attempt - 1, u));
            if waited + pause > self.retry.max_total {
                return Err(HttpFailure {
                    status: failure.status,
                    message: format!(
                        "{} (gave up: waiting {}s more would pass the {}s retry limit)",
                        failure.message,
                        pause.as_secs(),
                        self.retry.max_total.as_secs()
                    ),
                }
                .into());
            }
            tracing::info!(url = %shown, attempt, pause_ms = pause.as_millis() as u64, "retrying");
            (self.sleep)(pause);
            waited += pause;
        }
    }
}

/// reqwest's error text without the URL (which may carry a query secret).
fn without_url(e: &reqwest::Error) -> String {
    let mut e2 = e.to_string();
    if let Some(u) = e.url() {
        e2 = e2.replace(u.as_str(), &redact_url(u.as_str()));
    }
    e2
}

/// Why `url` may not be used: plain http:// to another host would carry a
/// token and PHI in clear. Loopback (a local proxy or test server) may.
pub fn cleartext_problem(url: &str) -> Option<String> {
    let u = reqwest::Url::parse(url).ok()?;
    if u.scheme() != "http" {
        return None;
    }
    let host = u.host_str()?.trim_start_matches('[').trim_end_matches(']');
    let loopback = host.eq_ignore_ascii_case("localhost")
        || host
            .parse::<std::net::IpAddr>()
            .is_ok_and(|a| a.is_loopback());
    (!loopback).then(|| {
        format!(
            "{} is plain http:// to another host: tokens and patient data would cross the network in clear. Use https:// (http:// is accepted only for this host: localhost, 127.0.0.1, [::1])",
            redact_url(url)
        )
    })
}

/// `url` with `pairs` set in its query (replacing any of the same name).
pub fn with_query(url: &str, pairs: &[(&str, String)]) -> Result<String> {
    let mut u = reqwest::Url::parse(url).map_err(|e| eyre!("not a URL: {e}"))?;
    let kept: Vec<(String, String)> = u
        .query_pairs()
        .filter(|(k, _)| !pairs.iter().any(|(n, _)| n == k))
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect();
    u.query_pairs_mut()
        .clear()
        .extend_pairs(kept)
        .extend_pairs(pairs.iter().map(|(k, v)| (*k, v.as_str())));
    Ok(u.to_string())
}

/// A URL with any user info and query values that look secret removed.
pub fn redact_url(url: &str) -> String {
    let Ok(mut u) = reqwest::Url::parse(url) else {
        return "[a url]".into();
    };
    let _ = u.set_password(None);
    let _ = u.set_username("");
    let pairs: Vec<(String, String)> = u
        .query_pairs()
        .map(|(k, v)| {
            let secret = ["token", "key", "secret", "password", "sig", "access_token"]
                .iter()
                .any(|s| k.to_ascii_lowercase().contains(s));
            (
                k.into_owned(),
                if secret {
                    "[redacted]".into()
                } else {
                    v.into_owned()
                },
            )
        })
        .collect();
    if pairs.is_empty() {
        u.set_query(None);
    } else {
        u.query_pairs_mut().clear().extend_pairs(pairs);
    }
    u.to_string()
}

/// The start of a body, safe to show.
fn snippet(body: &[u8]) -> String {
    let s = vigil_domain::SafeText::from_bytes(&body[..body.len().min(200)]);
    s.into_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retry_after_in_seconds_and_as_a_date() {
        let now: DateTime<Utc> = "2026-11-26T12:00:00Z".parse().unwrap();
        let mut h = HeaderMap::new();
        h.insert("retry-after", "2".parse().unwrap());
        assert_eq!(retry_after(&h, now), Some(Duration::from_secs(2)));
        h.insert(
            "retry-after",
            "Thu, 26 Nov 2026 12:00:07 GMT".parse().unwrap(),
        );
        assert_eq!(retry_after(&h, now), Some(Duration::from_secs(7)));
        h.insert(
            "retry-after",
            "Thu, 26 Nov 2026 11:00:00 GMT".parse().unwrap(),
        );
        assert_eq!(retry_after(&h, now), Some(Duration::ZERO));
        h.insert("retry-after", "soon".parse().unwrap());
        assert_eq!(retry_after(&h, now), None);
    }

    #[test]
    fn backoff_grows_to_its_cap_with_full_jitter() {
        let r = Retry::default();
        assert_eq!(
            backoff(&r, 0, 0.999),
            Duration::from_millis(500).mul_f64(0.999)
        );
        assert_eq!(backoff(&r, 3, 0.5), Duration::from_secs(2));
        assert_eq!(backoff(&r, 30, 1.0), Duration::from_secs(30));
        assert_eq!(backoff(&r, 5, 0.0), Duration::ZERO);
    }

    #[test]
    fn paging_links() {
        let mut h = HeaderMap::new();
        h.insert(
            "link",
            "<https://api.github.com/repositories/1/issues?page=2>; rel=\"next\", <https://api.github.com/repositories/1/issues?page=9>; rel=\"last\""
                .parse()
                .unwrap(),
        );
        assert_eq!(
            next_link(&h).as_deref(),
            Some("https://api.github.com/repositories/1/issues?page=2")
        );
        h.insert("link", "<https://x/?page=1>; rel=\"prev\"".parse().unwrap());
        assert_eq!(next_link(&h), None);
        let bundle = serde_json::json!({"resourceType": "Bundle", "link": [
            {"relation": "self", "url": "https://fhir/AuditEvent?_count=2"},
            {"relation": "next", "url": "https://fhir/AuditEvent?_count=2&_getpages=abc"}]});
        assert_eq!(
            fhir_next(bundle.to_string().as_bytes()).unwrap().as_deref(),
            Some("https://fhir/AuditEvent?_count=2&_getpages=abc")
        );
        assert!(fhir_next(b"not json").is_err());
    }

    #[test]
    fn queries_are_replaced_not_doubled() {
        let u = with_query("https://x/a?b=1&startAt=0", &[("startAt", "100".into())]).unwrap();
        assert_eq!(u, "https://x/a?b=1&startAt=100");
    }

    #[test]
    fn secrets_never_show() {
        let a = Auth::Basic {
            user: "svc".into(),
            token: Secret::new("hunter2"),
        };
        assert!(!format!("{a:?}").contains("hunter2"));
        let u = redact_url("https://user:pw@jira.example/rest?jql=x&access_token=abc");
        assert!(
            !u.contains("pw") && !u.contains("abc") && u.contains("jql=x"),
            "{u}"
        );
    }
}
