//! `vigil verify`: walk the ledger's hash chain, hold every review table to
//! it, check it against every checkpoint the witness kept and the seal of
//! every entry since; exit 1 naming the first thing that does not hold.
//! `--checkpoint` signs the head (with the ledger key) and hands it to the
//! witness; `--against` proves the ledger still holds a head printed
//! earlier, signed or as HASH@SEQ, which catches a rewritten or truncated
//! tail that the chain alone cannot.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::Args;
use color_eyre::eyre::{Result, bail};

use super::{Context, UsageError};
use vigil_review::witness::{self, Checkpoint, WitnessReport};
use vigil_store::Break;
use vigil_store::keys::{self, LedgerKey};

#[derive(Debug, Args)]
pub struct VerifyArgs {
    /// Print the current head (after verifying): a signed checkpoint, also
    /// handed to the witness, when a ledger key is configured; HASH@SEQ
    /// otherwise
    #[arg(long)]
    pub checkpoint: bool,
    /// Also prove the ledger still holds this earlier head: a signed
    /// checkpoint line, or HASH@SEQ
    #[arg(long, value_name = "CHECKPOINT")]
    pub against: Option<String>,
    /// Make a new ledger key at this path and rotate to it: the current key
    /// endorses it in the ledger, and older checkpoints stay verifiable
    #[arg(long, value_name = "NEW_KEY_FILE")]
    pub rotate_key: Option<PathBuf>,
    /// Output format: the sentences below, or one JSON object with the same
    /// facts (`intact`, `entries`, `head_seq`, `head_hash`, `broken`,
    /// `witness`, `checkpoint`)
    #[arg(long, value_enum, default_value_t = super::Format::Table)]
    pub format: super::Format,
}

/// What `verify` found, as `--format json` writes it.
#[derive(Debug, Default, serde::Serialize)]
struct Verdict {
    intact: bool,
    entries: u64,
    head_seq: i64,
    head_hash: String,
    /// The first thing that does not hold, in words.
    broken: Option<String>,
    /// What the witness covers: checkpoints matched, the last one's entry,
    /// entries sealed or only chained since, and the sentence.
    witness: Option<serde_json::Value>,
    /// The head, signed or as HASH@SEQ (with `--checkpoint`).
    checkpoint: Option<String>,
}

impl Verdict {
    /// Prints it as asked; exit 1 when the ledger does not hold.
    fn print(&self, format: super::Format) -> Result<ExitCode> {
        if format == super::Format::Json {
            println!("{}", serde_json::to_string(self)?);
        } else if let Some(b) = &self.broken {
            println!("{b}");
        } else if let Some(cp) = &self.checkpoint {
            println!("{cp}");
        } else {
            println!(
                "ledger intact: {} entries, head {} at entry {}",
                self.entries, self.head_hash, self.head_seq
            );
            if let Some(w) = self.witness.as_ref().and_then(|w| w["summary"].as_str()) {
                println!("{w}");
            }
        }
        Ok(if self.intact {
            ExitCode::SUCCESS
        } else {
            ExitCode::from(1)
        })
    }
}

enum Against {
    Signed(Result<Checkpoint, String>),
    Plain(String, i64),
}

fn against(s: &str) -> Result<Against> {
    if s.trim_start().starts_with("vigil-checkpoint") {
        return Ok(Against::Signed(Checkpoint::parse(s)));
    }
    s.split_once('@')
        .and_then(|(h, n)| Some((h.to_ascii_lowercase(), n.parse::<i64>().ok()?)))
        .filter(|(h, _)| h.len() == 64 && h.bytes().all(|b| b.is_ascii_hexdigit()))
        .map(|(h, n)| Against::Plain(h, n))
        .ok_or_else(|| {
            UsageError(
                "--against takes a checkpoint as printed by `vigil verify --checkpoint` (a signed line, or HASH@SEQ)".into(),
            )
            .into()
        })
}

fn broken(entries: u64, b: &Break) -> Verdict {
    Verdict {
        entries,
        broken: Some(format!("ledger BROKEN after {entries} good entries: {b}")),
        ..Verdict::default()
    }
}

pub fn run(ctx: &Context, a: &VerifyArgs) -> Result<ExitCode> {
    let against = a.against.as_deref().map(against).transpose()?;
    // Opened as it is: a broken key history must be reported, not refused.
    let mut store = ctx.store_url.open()?;
    if let Some(new_path) = &a.rotate_key {
        return rotate(ctx, store.as_mut(), new_path);
    }
    if let Some(key) = keys::sealer()
        && witness::key_history(store.as_ref())?.is_ok()
    {
        // A key's first use registers it, here as at any other command (an
        // entry appended to a broken chain hides nothing: it still breaks).
        witness::register(store.as_mut(), key, &vigil_review::Reviewer::current())?;
    }
    let v = store.verify_ledger()?;
    if let Some(b) = &v.broken {
        return broken(v.entries, b).print(a.format);
    }
    let report = match witness::check_configured(store.as_ref(), &ctx.config.ledger)? {
        Ok(r) => r,
        Err(b) => return broken(v.entries, &b).print(a.format),
    };
    match against {
        Some(Against::Plain(hash, seq))
            if store.ledger_entry(seq)?.is_none_or(|e| e.hash != hash) =>
        {
            return Verdict {
                entries: v.entries,
                broken: Some(format!(
                    "ledger BROKEN: {}",
                    Break::MissingHead { seq, hash }
                )),
                ..Verdict::default()
            }
            .print(a.format);
        }
        Some(Against::Signed(cp)) => {
            let given = [("the checkpoint given".to_owned(), cp)];
            if let Err(b) = witness::check(store.as_ref(), &given)? {
                return broken(v.entries, &b).print(a.format);
            }
        }
        _ => {}
    }
    let checkpoint = if a.checkpoint {
        Some(match keys::sealer() {
            Some(key) => witness::checkpoint(
                store.as_ref(),
                &ctx.config.ledger,
                key,
                (v.head_seq, &v.head_hash),
                chrono::Utc::now(),
            )?
            .line(),
            None => format!("{}@{}", v.head_hash, v.head_seq),
        })
    } else {
        None
    };
    Verdict {
        intact: true,
        entries: v.entries,
        head_seq: v.head_seq,
        head_hash: v.head_hash.clone(),
        broken: None,
        witness: Some(serde_json::json!({
            "checkpoints": report.checkpoints,
            "last_witnessed_entry": report.witnessed,
            "sealed_after": report.sealed_after,
            "unsealed_after": report.unsealed_after,
            "summary": witnessed(&report, ctx.config.ledger.file.is_some()),
        })),
        checkpoint,
    }
    .print(a.format)
}

/// What the witness covers, and what it does not: never more than it checked.
fn witnessed(r: &WitnessReport, has_file: bool) -> String {
    let mut out = match r.witnessed {
        Some(seq) => format!(
            "witnessed: {} checkpoint{} match, the last at entry {seq}",
            r.checkpoints,
            if r.checkpoints == 1 { "" } else { "s" }
        ),
        None if has_file => "witnessed: no checkpoint yet".to_owned(),
        None => "not witnessed: with no [ledger] witness_file, a rewrite of the whole chain by someone holding the store would pass".to_owned(),
    };
    if r.sealed_after > 0 {
        let since = if r.witnessed.is_some() {
            "after it"
        } else {
            "so far"
        };
        out.push_str(&format!(
            "; {} entries {since} carry a valid seal, awaiting the next checkpoint",
            r.sealed_after
        ));
    }
    if r.unsealed_after > 0 {
        out.push_str(&format!(
            "; {} entries were written before the ledger had a key and are chained only",
            r.unsealed_after
        ));
    }
    out
}

fn rotate(
    ctx: &Context,
    store: &mut dyn vigil_store::Store,
    new_path: &std::path::Path,
) -> Result<ExitCode> {
    let Some(current) = keys::sealer() else {
        bail!("--rotate-key needs the current key: set [ledger] key_file");
    };
    let v = store.verify_ledger()?;
    if let Some(b) = &v.broken {
        println!("refusing to rotate the key of a broken ledger");
        return broken(v.entries, b).print(super::Format::Table);
    }
    let new = LedgerKey::generate()?;
    new.save(new_path)?;
    let e = witness::rotate(store, current, &new, &vigil_review::Reviewer::current())?;
    // The head the old key last vouches for goes to the witness too.
    if ctx.config.ledger.enabled() {
        witness::checkpoint(
            store,
            &ctx.config.ledger,
            current,
            (e.seq, &e.hash),
            chrono::Utc::now(),
        )?;
    }
    println!(
        "rotated the ledger key: {} endorses {} in entry {}. Point [ledger] key_file at {} now; keep the old key offline (its checkpoints stay verifiable without it)",
        current.id(),
        new.id(),
        e.seq,
        new_path.display()
    );
    Ok(ExitCode::SUCCESS)
}
