//! `vigil verify`: walk the ledger's hash chain; exit 1 naming the first bad
//! entry. `--checkpoint` prints the head to keep off-host; `--against
//! HASH@SEQ` proves the ledger still holds a head printed earlier, which
//! catches a truncated tail that the chain alone cannot.

use std::process::ExitCode;

use clap::Args;
use color_eyre::eyre::Result;

use super::{Context, UsageError};
use crate::store::Break;

#[derive(Debug, Args)]
pub struct VerifyArgs {
    /// Print the current head as HASH@SEQ (after verifying the chain)
    #[arg(long)]
    pub checkpoint: bool,
    /// Also prove the ledger still contains this earlier head (HASH@SEQ)
    #[arg(long, value_name = "HASH@SEQ")]
    pub against: Option<String>,
}

pub fn run(ctx: &Context, a: &VerifyArgs) -> Result<ExitCode> {
    let against = match &a.against {
        Some(s) => {
            let (hash, seq) = s
                .split_once('@')
                .and_then(|(h, n)| Some((h.to_ascii_lowercase(), n.parse::<i64>().ok()?)))
                .filter(|(h, _)| h.len() == 64 && h.bytes().all(|b| b.is_ascii_hexdigit()))
                .ok_or_else(|| {
                    UsageError(
                        "--against takes HASH@SEQ as printed by `vigil verify --checkpoint`".into(),
                    )
                })?;
            Some((hash, seq))
        }
        None => None,
    };
    let store = ctx.open_store()?;
    let v = store.verify_ledger()?;
    if let Some(b) = &v.broken {
        println!("ledger BROKEN after {} good entries: {b}", v.entries);
        return Ok(ExitCode::from(1));
    }
    if let Some((hash, seq)) = against {
        let ok = store.ledger_entry(seq)?.is_some_and(|e| e.hash == hash);
        if !ok {
            println!(
                "ledger BROKEN: {}",
                Break::MissingHead {
                    seq,
                    hash: hash.clone()
                }
            );
            return Ok(ExitCode::from(1));
        }
    }
    if a.checkpoint {
        println!("{}@{}", v.head_hash, v.head_seq);
    } else if v.entries == 0 {
        println!("ledger intact: no entries yet");
    } else {
        println!(
            "ledger intact: {} entries, head {} at entry {}",
            v.entries, v.head_hash, v.head_seq
        );
    }
    Ok(ExitCode::SUCCESS)
}
