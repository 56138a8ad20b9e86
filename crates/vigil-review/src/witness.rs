//! Signed checkpoints and the witness that keeps them outside the store.
//!
//! A hash chain alone proves nothing against someone who holds the store:
//! they can rewrite a row and recompute every hash after it. So vigil
//! signs the ledger's head with the ledger key (a file only the reviewer's
//! account can read) and hands the signed line to a witness the store's
//! holder cannot rewrite: an append-only file on another path, and syslog.
//! `verify` then holds the chain to every checkpoint the witness kept, and
//! checks each entry written since the last one for its writer's seal, so
//! an entry forged after the last checkpoint shows too.
//!
//! Keys rotate by a ledger entry that the old key endorses. Checkpoints
//! name the key that signed them and stay verifiable after a rotation;
//! what is not covered by a checkpoint is reported as such, never as
//! sealed (the trap of journald's forward-secure sealing, CVE-2023-31439).

use std::io::Write;
use std::path::{Path, PathBuf};

use chrono::{DateTime, SecondsFormat, Utc};
use color_eyre::eyre::{Result, WrapErr, bail};
use serde_json::json;

use super::Reviewer;
use vigil_store::keys::{self, KEY_ENTITY, LedgerKey};
use vigil_store::ledger::STORE_ID_KEY;
use vigil_store::{Break, LedgerEntry, NewLedgerEntry, Store};

/// `[ledger]`: the key and where checkpoints go.
#[derive(Debug, Clone, PartialEq)]
pub struct WitnessConfig {
    /// The ledger key (PKCS#8 PEM, mode 0600). Created on first use when the
    /// ledger has no key yet.
    pub key_file: Option<PathBuf>,
    /// An append-only file, on another path than the store, for checkpoints.
    pub file: Option<PathBuf>,
    /// Also send each checkpoint to syslog (authpriv.notice).
    pub syslog: bool,
    /// Write a checkpoint after this many new entries (and at least daily).
    pub every: u64,
}

impl Default for WitnessConfig {
    fn default() -> Self {
        WitnessConfig {
            key_file: None,
            file: None,
            syslog: false,
            every: 100,
        }
    }
}

impl WitnessConfig {
    pub fn enabled(&self) -> bool {
        self.key_file.is_some() && (self.file.is_some() || self.syslog)
    }
}

/// One signed head: the store, the entry, its hash, when, and the key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Checkpoint {
    pub store: String,
    pub seq: i64,
    pub head: String,
    pub at: String,
    pub key: String,
    pub sig: String,
}

const MAGIC: &str = "vigil-checkpoint v1";

impl Checkpoint {
    fn signed_text(&self) -> String {
        format!(
            "{MAGIC} store={} seq={} head={} at={} key={}",
            self.store, self.seq, self.head, self.at, self.key
        )
    }

    pub fn sign(key: &LedgerKey, store: &str, seq: i64, head: &str, at: DateTime<Utc>) -> Self {
        let mut c = Checkpoint {
            store: store.to_owned(),
            seq,
            head: head.to_owned(),
            at: at.to_rfc3339_opts(SecondsFormat::Secs, true),
            key: key.public(),
            sig: String::new(),
        };
        c.sig = key.sign(c.signed_text().as_bytes());
        c
    }

    pub fn line(&self) -> String {
        format!("{} sig={}", self.signed_text(), self.sig)
    }

    /// Reads a line as `line` wrote it; says what is wrong otherwise.
    pub fn parse(line: &str) -> Result<Checkpoint, String> {
        let rest = line
            .trim()
            .strip_prefix(MAGIC)
            .ok_or("not a vigil checkpoint (it should start with `vigil-checkpoint v1`)")?;
        let mut fields = std::collections::HashMap::new();
        for part in rest.split_whitespace() {
            let (k, v) = part
                .split_once('=')
                .ok_or_else(|| format!("`{part}` is not a field"))?;
            fields.insert(k, v);
        }
        let get = |k: &str| {
            fields
                .get(k)
                .map(|v| v.to_string())
                .ok_or_else(|| format!("the checkpoint has no {k}= (it was cut short?)"))
        };
        let c = Checkpoint {
            store: get("store")?,
            seq: get("seq")?
                .parse()
                .map_err(|_| "seq= is not a number".to_owned())?,
            head: get("head")?,
            at: get("at")?,
            key: get("key")?,
            sig: get("sig")?,
        };
        if c.head.len() != 64 || c.sig.len() != 128 || c.key.len() != 64 {
            return Err("the checkpoint's head, key or signature has the wrong length".into());
        }
        Ok(c)
    }

    /// Whether the signature is `self.key`'s over the rest of the line.
    pub fn signature_holds(&self) -> bool {
        keys::verify(&self.key, self.signed_text().as_bytes(), &self.sig)
    }
}

/// A key the ledger registered, and from which entry on it seals entries.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeySpan {
    pub public: String,
    /// The entry that registered it (which it seals itself, for the first).
    pub from: i64,
    /// The entry that retired it (sealed by it, endorsing the next key).
    pub until: Option<i64>,
}

/// The ledger's keys in order, each checked: the first is taken on first
/// use (a checkpoint protects it from then on); every later one must be
/// endorsed by the key before it.
pub fn key_history(store: &dyn Store) -> Result<Result<Vec<KeySpan>, Break>> {
    #[derive(serde::Deserialize)]
    struct KeyEntry {
        key: String,
        endorsement: Option<String>,
    }
    let mut spans: Vec<KeySpan> = Vec::new();
    for e in store.ledger_for(KEY_ENTITY)? {
        let bad = |what: String| Err(Break::Mismatch { seq: e.seq, what });
        let Ok(k) = serde_json::from_str::<KeyEntry>(&e.payload) else {
            return Ok(bad("a ledger key entry that cannot be read".into()));
        };
        match (e.action.as_str(), spans.last_mut()) {
            ("key.add", None) => {}
            ("key.rotate", Some(last)) => {
                let endorsed = k
                    .endorsement
                    .as_deref()
                    .is_some_and(|s| keys::verify(&last.public, k.key.as_bytes(), s));
                if !endorsed {
                    return Ok(bad(format!(
                        "key {} was not endorsed by the key before it ({})",
                        keys::key_id(&k.key),
                        keys::key_id(&last.public)
                    )));
                }
                last.until = Some(e.seq);
            }
            _ => {
                return Ok(bad(format!(
                    "{} of key {} is not allowed here: a ledger has one first key, and later keys come by rotation",
                    e.action,
                    keys::key_id(&k.key)
                )));
            }
        }
        spans.push(KeySpan {
            public: k.key,
            from: e.seq,
            until: None,
        });
    }
    Ok(Ok(spans))
}

/// The key that must seal entry `seq`, if any key was registered by then.
fn sealing_key(spans: &[KeySpan], seq: i64) -> Option<&KeySpan> {
    // In order, so a rotation entry is sealed by the key it retires.
    spans
        .iter()
        .find(|s| s.from <= seq && s.until.is_none_or(|u| seq <= u))
}

/// Makes sure the ledger knows this process's key: registers it if the
/// ledger has none, refuses a key the ledger has retired or never had.
pub fn register(store: &mut dyn Store, key: &LedgerKey, who: &Reviewer) -> Result<()> {
    let spans = match key_history(store)? {
        Ok(s) => s,
        Err(b) => bail!("the ledger's key history is broken: {b}"),
    };
    match spans.last() {
        None => {
            store.append_ledger(&NewLedgerEntry {
                at: Utc::now(),
                actor: who.name.clone(),
                action: "key.add".into(),
                entity: KEY_ENTITY.into(),
                payload: json!({ "key": key.public() }),
            })?;
            Ok(())
        }
        Some(s) if s.public == key.public() => Ok(()),
        Some(s) => bail!(
            "[ledger] key_file holds key {}, but this store's ledger is sealed by key {}{}: point key_file at the current key",
            key.id(),
            keys::key_id(&s.public),
            if spans.iter().any(|x| x.public == key.public()) {
                " (the configured key was rotated out)"
            } else {
                ""
            }
        ),
    }
}

/// Rotates the ledger key: the current key endorses `new` in a ledger entry
/// sealed by the current key. Checkpoints signed by the old key stay valid.
pub fn rotate(
    store: &mut dyn Store,
    current: &LedgerKey,
    new: &LedgerKey,
    who: &Reviewer,
) -> Result<LedgerEntry> {
    register(store, current, who)?;
    store.append_ledger(&NewLedgerEntry {
        at: Utc::now(),
        actor: who.name.clone(),
        action: "key.rotate".into(),
        entity: KEY_ENTITY.into(),
        payload: json!({
            "key": new.public(),
            "from": current.id(),
            "endorsement": current.sign(new.public().as_bytes()),
        }),
    })
}

/// The checkpoints a witness file holds, with their line numbers.
pub fn read_file(path: &Path) -> Result<Vec<(usize, Result<Checkpoint, String>)>> {
    let text = match std::fs::read_to_string(path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => {
            return Err(e).wrap_err_with(|| format!("cannot read the witness {}", path.display()));
        }
    };
    Ok(text
        .lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty())
        .map(|(i, l)| (i + 1, Checkpoint::parse(l)))
        .collect())
}

/// What the witness and the seals say about a ledger that itself verified.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct WitnessReport {
    /// Checkpoints found and checked.
    pub checkpoints: usize,
    /// The last entry a witnessed checkpoint covers.
    pub witnessed: Option<i64>,
    /// Entries after it whose seals were checked.
    pub sealed_after: u64,
    /// Entries after it written before the ledger had a key: chained only.
    pub unsealed_after: u64,
    /// The ledger's last entry: seq and hash.
    pub head: Option<(i64, String)>,
}

/// Holds the ledger to every checkpoint `checkpoints` lists, then checks
/// the seal of every entry after the last of them.
pub fn check(
    store: &dyn Store,
    checkpoints: &[(String, Result<Checkpoint, String>)],
) -> Result<Result<WitnessReport, Break>> {
    let spans = match key_history(store)? {
        Ok(s) => s,
        Err(b) => return Ok(Err(b)),
    };
    let id = store.meta(STORE_ID_KEY)?.unwrap_or_default();
    let mut report = WitnessReport::default();
    for (place, cp) in checkpoints {
        let cp = match cp {
            Ok(c) => c,
            Err(why) => {
                return Ok(Err(Break::Witnessed {
                    seq: 0,
                    what: format!("{place} cannot be read: {why}"),
                }));
            }
        };
        if cp.store != id {
            // another store's checkpoint in a shared witness
            continue;
        }
        let fail = |what: String| {
            Ok(Err(Break::Witnessed {
                seq: cp.seq,
                what: format!("{place}: {what}"),
            }))
        };
        if !cp.signature_holds() {
            return fail("its signature does not hold (altered or cut short)".into());
        }
        if !spans.iter().any(|s| s.public == cp.key) {
            return fail(format!(
                "it is signed by key {}, which this ledger never registered",
                keys::key_id(&cp.key)
            ));
        }
        match store.ledger_entry(cp.seq)? {
            Some(e) if e.hash == cp.head => {}
            Some(_) => {
                return fail(
                    "the entry there has another hash now: the ledger was rewritten".into(),
                );
            }
            None => {
                return fail("the ledger no longer reaches that entry: it was truncated".into());
            }
        }
        report.checkpoints += 1;
        report.witnessed = report.witnessed.max(Some(cp.seq));
    }
    // Seals are checked from the last checkpoint on; with none, from the
    // ledger's first key (nothing before it was sealed). A ledger with
    // neither has nothing more to check than its chain.
    let from = match (report.witnessed, spans.first()) {
        (Some(seq), _) => seq,
        (None, Some(k)) => k.from - 1,
        (None, None) => return Ok(Ok(report)),
    };
    let mut chain = match from {
        0 => vigil_store::ledger::Verifier::default(),
        seq => {
            let e = store
                .ledger_entry(seq)?
                .expect("checked above, or before a key entry");
            report.head = Some((seq, e.hash.clone()));
            vigil_store::ledger::Verifier::resume(seq, &e.hash)
        }
    };
    let mut after = from;
    loop {
        let page = store.ledger_after(after, 10_000)?;
        let Some(last) = page.last() else { break };
        after = last.seq;
        report.head = Some((last.seq, last.hash.clone()));
        for e in &page {
            if let Err(b) = chain.check(e) {
                return Ok(Err(b));
            }
            match sealing_key(&spans, e.seq) {
                None => report.unsealed_after += 1,
                Some(k) => {
                    let ok = e
                        .seal
                        .as_deref()
                        .is_some_and(|s| keys::seal_is_valid(&k.public, &e.hash, s));
                    if !ok {
                        return Ok(Err(Break::Mismatch {
                            seq: e.seq,
                            what: format!(
                                "it carries no valid seal of ledger key {}: vigil did not write it",
                                keys::key_id(&k.public)
                            ),
                        }));
                    }
                    report.sealed_after += 1;
                }
            }
        }
    }
    Ok(Ok(report))
}

/// Checks the witnesses `cfg` names (its file; syslog cannot be read back).
pub fn check_configured(
    store: &dyn Store,
    cfg: &WitnessConfig,
) -> Result<Result<WitnessReport, Break>> {
    let lines = match &cfg.file {
        Some(f) => read_file(f)?
            .into_iter()
            .map(|(n, c)| (format!("{} line {n}", f.display()), c))
            .collect(),
        None => Vec::new(),
    };
    check(store, &lines)
}

/// Signs the current head (after checking it against the witness and the
/// seals), hands it to every configured witness and returns it.
pub fn checkpoint(
    store: &dyn Store,
    cfg: &WitnessConfig,
    key: &LedgerKey,
    head: (i64, &str),
    now: DateTime<Utc>,
) -> Result<Checkpoint> {
    let id = store.meta(STORE_ID_KEY)?.unwrap_or_default();
    let cp = Checkpoint::sign(key, &id, head.0, head.1, now);
    write(cfg, &cp)?;
    Ok(cp)
}

fn write(cfg: &WitnessConfig, cp: &Checkpoint) -> Result<()> {
    let line = cp.line();
    if let Some(path) = &cfg.file {
        use std::os::unix::fs::OpenOptionsExt;
        let mut f = std::fs::OpenOptions::new()
            .append(true)
            .create(true)
            .mode(0o600)
            .open(path)
            .wrap_err_with(|| format!("cannot write to the witness {}", path.display()))?;
        f.write_all(format!("{line}\n").as_bytes())?;
        f.sync_data()?;
    }
    if cfg.syslog {
        syslog(&line);
    }
    Ok(())
}

fn syslog(line: &str) {
    let Ok(msg) = std::ffi::CString::new(format!("vigil: {line}")) else {
        return;
    };
    // SAFETY: both are NUL-terminated C strings; "%s" takes one argument.
    unsafe {
        libc::syslog(
            libc::LOG_AUTHPRIV | libc::LOG_NOTICE,
            c"%s".as_ptr(),
            msg.as_ptr(),
        );
    }
}

/// Writes a checkpoint when `cfg.every` entries have come since the last
/// one the witness file holds, or a day has passed. Before signing, the
/// entries since the last checkpoint are checked: vigil never signs a
/// forgery. Returns the checkpoint written, if any.
pub fn maybe_checkpoint(
    store: &dyn Store,
    cfg: &WitnessConfig,
    now: DateTime<Utc>,
) -> Result<Option<Checkpoint>> {
    let Some(key) = keys::sealer() else {
        return Ok(None);
    };
    if !cfg.enabled() {
        return Ok(None);
    }
    let id = store.meta(STORE_ID_KEY)?.unwrap_or_default();
    let last = match &cfg.file {
        Some(f) => read_file(f)?
            .into_iter()
            .filter_map(|(_, c)| c.ok())
            .filter(|c| c.store == id)
            .max_by_key(|c| c.seq),
        None => None,
    };
    if last.is_none()
        && let Some(b) = store.verify_ledger()?.broken
    {
        // The first checkpoint vouches for everything before it.
        bail!("no checkpoint written: the ledger does not hold up: {b}");
    }
    // The tail from the last checkpoint on is what a new one vouches for;
    // every older one is `verify`'s to check (this runs after any command).
    let from_last: Vec<(String, Result<Checkpoint, String>)> = last
        .iter()
        .map(|c| ("the witness's last checkpoint".to_owned(), Ok(c.clone())))
        .collect();
    let report = match check(store, &from_last)? {
        Ok(r) => r,
        Err(b) => bail!("no checkpoint written: the ledger does not hold up: {b}"),
    };
    let Some((seq, hash)) = report.head else {
        return Ok(None);
    };
    let since = seq - last.as_ref().map_or(0, |c| c.seq);
    let stale = last
        .as_ref()
        .and_then(|c| DateTime::parse_from_rfc3339(&c.at).ok())
        .is_none_or(|t| now - t.with_timezone(&Utc) >= chrono::Duration::days(1));
    if since as u64 >= cfg.every.max(1) || stale {
        return Ok(Some(checkpoint(store, cfg, key, (seq, &hash), now)?));
    }
    Ok(None)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_checkpoint_line_round_trips_and_any_change_breaks_its_signature() {
        let k = LedgerKey::generate().unwrap();
        let head = "ab".repeat(32);
        let c = Checkpoint::sign(&k, "s1", 42, &head, Utc::now());
        let back = Checkpoint::parse(&c.line()).unwrap();
        assert_eq!(back, c);
        assert!(back.signature_holds());
        let forged = c.line().replace("seq=42", "seq=43");
        assert!(!Checkpoint::parse(&forged).unwrap().signature_holds());
        let other = LedgerKey::generate().unwrap();
        let rekeyed = c.line().replace(&k.public(), &other.public());
        assert!(!Checkpoint::parse(&rekeyed).unwrap().signature_holds());
        let cut = &c.line()[..c.line().len() - 10];
        assert!(Checkpoint::parse(cut).is_err());
        assert!(Checkpoint::parse("abc@12").is_err());
    }

    #[test]
    fn the_sealing_key_of_an_entry_follows_rotations() {
        let spans = vec![
            KeySpan {
                public: "a".into(),
                from: 3,
                until: Some(10),
            },
            KeySpan {
                public: "b".into(),
                from: 10,
                until: None,
            },
        ];
        assert_eq!(sealing_key(&spans, 2), None);
        assert_eq!(sealing_key(&spans, 3).unwrap().public, "a");
        // the rotation entry is sealed by the key it retires
        assert_eq!(sealing_key(&spans, 10).unwrap().public, "a");
        assert_eq!(sealing_key(&spans, 11).unwrap().public, "b");
    }
}
