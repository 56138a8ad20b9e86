//! Seeds a store for the review benchmark:
//! `cargo run --release --example seed-review -- STORE ITEMS [DECIDED]` (a
//! SQLite path or a postgres:// URL) adds
//! ITEMS open items, then decides the first DECIDED of them in batches of
//! 10,000 (each decision with its ledger entry). With a fourth argument,
//! a ledger key file (made if missing), every entry is sealed with it, as
//! a vigil with `[ledger] key_file` seals them.

use chrono::Utc;
use vigil_domain::{Disposition, ItemKind, Severity};
use vigil_review::{Act, Policy, Reviewer, ops};
use vigil_store::{NewItem, StoreUrl};

fn main() -> color_eyre::Result<()> {
    let mut args = std::env::args().skip(1);
    let usage = "usage: seed-review DB ITEMS [DECIDED]";
    let db = args.next().expect(usage);
    let items: usize = args.next().and_then(|n| n.parse().ok()).expect(usage);
    let decided: usize = args.next().and_then(|n| n.parse().ok()).unwrap_or(0);
    let key = args.next().map(std::path::PathBuf::from);
    if let Some(path) = &key {
        use vigil_store::keys::{LedgerKey, install};
        let k = if path.exists() {
            LedgerKey::load(path)?
        } else {
            let k = LedgerKey::generate()?;
            k.save(path)?;
            k
        };
        install(k);
    }
    let mut s = StoreUrl::parse(&db, None)?.open()?;
    if let Some(k) = vigil_store::keys::sealer() {
        let who = Reviewer {
            name: "bench".into(),
            session: "bench".into(),
        };
        vigil_review::witness::register(&mut *s, k, &who)?;
    }
    let now = Utc::now();
    for chunk in (0..items).collect::<Vec<_>>().chunks(50_000) {
        let batch: Vec<NewItem> = chunk
            .iter()
            .map(|i| NewItem {
                kind: ItemKind::Finding,
                source_id: None,
                occurred_at: now,
                actor: Some(format!("user{}", i % 5000)),
                subject: Some(format!("MRN {}", 100_000 + i)),
                title: format!("finding {i}"),
                severity: Severity::Medium,
                group_key: None,
                rules: vec![(
                    "after-hours".into(),
                    format!("user{} after hours", i % 5000),
                )],
                event_ids: vec![],
                score: 0,
                score_note: None,
            })
            .collect();
        s.add_items(&batch)?;
    }
    let who = Reviewer {
        name: "bench".into(),
        session: "bench".into(),
    };
    let act = Act::Decide {
        disposition: Disposition::Benign,
        note: None,
        reopen: false,
    };
    let ids: Vec<i64> = (1..=decided as i64).collect();
    for chunk in ids.chunks(10_000) {
        ops::apply(&mut *s, &Policy::default(), &who, now, chunk, &act, None)?;
    }
    Ok(())
}
