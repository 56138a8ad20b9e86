//! Reviewers deciding one queue at once, for the shared-store benchmark:
//! `cargo run --release --example team-bench -- STORE REVIEWERS` has
//! REVIEWERS threads, each with its own store connection, claim a page of
//! open items at a time and decide the ones they won until the queue is
//! empty, then prints the decisions per second.

use std::time::Instant;

use chrono::Utc;
use vigil_domain::Disposition;
use vigil_domain::query::Query;
use vigil_review::{Act, ActOutcome, Policy, Reviewer, ops};
use vigil_store::StoreUrl;

fn main() -> color_eyre::Result<()> {
    let mut args = std::env::args().skip(1);
    let usage = "usage: team-bench STORE REVIEWERS";
    let url = args.next().expect(usage);
    let n: usize = args.next().and_then(|n| n.parse().ok()).expect(usage);
    let start = Instant::now();
    let workers: Vec<_> = (0..n)
        .map(|i| {
            let url = url.clone();
            std::thread::spawn(move || -> color_eyre::Result<usize> {
                let mut s = StoreUrl::parse(&url, None)?.open()?;
                let me = Reviewer {
                    name: format!("reviewer{i}"),
                    session: format!("bench{i}"),
                };
                let p = Policy::default();
                let open = Query::parse("status:new")?;
                let act = Act::Decide {
                    disposition: Disposition::Benign,
                    note: None,
                    reopen: false,
                };
                let mut decided = 0;
                let mut offset = (i * 50) as u64;
                loop {
                    let page: Vec<i64> = s
                        .items_page(&open, offset, 25)?
                        .iter()
                        .map(|i| i.id)
                        .collect();
                    if page.is_empty() {
                        if offset == 0 {
                            return Ok(decided);
                        }
                        offset = 0;
                        continue;
                    }
                    let won: Vec<i64> =
                        ops::apply(&mut *s, &p, &me, Utc::now(), &page, &Act::Claim, None)?
                            .iter()
                            .filter(|o| matches!(o, ActOutcome::Done { .. }))
                            .map(|o| o.item())
                            .collect();
                    if won.is_empty() {
                        continue;
                    }
                    decided += ops::apply(&mut *s, &p, &me, Utc::now(), &won, &act, None)?
                        .iter()
                        .filter(|o| matches!(o, ActOutcome::Done { .. }))
                        .count();
                }
            })
        })
        .collect();
    let mut total = 0;
    for w in workers {
        total += w.join().expect("reviewer thread")?;
    }
    let secs = start.elapsed().as_secs_f64();
    println!(
        "{n} reviewers decided {total} items in {secs:.2} s: {:.0} decisions/s (each also claimed: {:.0} review acts/s)",
        total as f64 / secs,
        2.0 * total as f64 / secs
    );
    Ok(())
}
