#!/usr/bin/env bash
# Review benchmark (README, "Benchmarks"): deciding 10,000 items in one
# action (one transaction, a ledger entry each) on SQLite, and `vigil verify`
# over a ledger of 1,000,000 entries. Needs /usr/bin/time (package `time`).
set -euo pipefail
cd "$(dirname "$0")/.."
LEDGER=${1:-1000000}
cargo build --release --quiet --bin vigil --example seed-review
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
vigil=./target/release/vigil

./target/release/examples/seed-review "$work/decide.db" 10000
/usr/bin/time -f "decide 10000 items in one action: %e s, peak RSS %M KiB" \
  $vigil --store "$work/decide.db" decide --filter status:new --disposition benign --format json >/dev/null

echo "seeding $LEDGER decisions (this takes a while)..."
/usr/bin/time -f "  seeded in %e s" ./target/release/examples/seed-review "$work/ledger.db" "$LEDGER" "$LEDGER"
for run in 1 2 3; do
  /usr/bin/time -f "verify over $LEDGER ledger entries (run $run): %e s, peak RSS %M KiB" \
    $vigil --store "$work/ledger.db" verify >/dev/null
done
