#!/usr/bin/env bash
# Review benchmark (README, "Benchmarks"): deciding 10,000 items in one
# action (one transaction, a ledger entry each) on SQLite, and `vigil verify`
# over a ledger of 1,000,000 entries with full reconciliation (every
# decision's fields, every item's review state, the registers): once on a
# ledger without a key, once on one sealed with a ledger key whose head a
# witness file holds. Needs /usr/bin/time (package `time`).
# `bench/review.sh [ENTRIES] [VIGIL_BINARY]` (a binary of another build, to
# compare: `VIGIL_SEED` names its seed-review example).
set -euo pipefail
cd "$(dirname "$0")/.."
LEDGER=${1:-1000000}
cargo build --release --quiet --bin vigil --example seed-review
vigil=${2:-./target/release/vigil}
seed=${VIGIL_SEED:-./target/release/examples/seed-review}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

$seed "$work/decide.db" 10000
/usr/bin/time -f "decide 10000 items in one action: %e s, peak RSS %M KiB" \
  $vigil --store "$work/decide.db" decide --filter status:new --disposition benign --format json >/dev/null

echo "seeding $LEDGER decisions (this takes a while)..."
/usr/bin/time -f "  seeded in %e s" $seed "$work/ledger.db" "$LEDGER" "$LEDGER"
for run in 1 2 3; do
  /usr/bin/time -f "verify over $LEDGER ledger entries, no key (run $run): %e s, peak RSS %M KiB" \
    $vigil --store "$work/ledger.db" verify >/dev/null
done

if [ -z "${2:-}" ]; then
  echo "seeding $LEDGER sealed decisions..."
  mkdir -m 700 "$work/sealed"
  /usr/bin/time -f "  seeded in %e s" $seed "$work/sealed/ledger.db" "$LEDGER" "$LEDGER" "$work/sealed/ledger.key"
  printf '[store]\nurl = "sqlite:ledger.db"\n[ledger]\nkey_file = "ledger.key"\nwitness_file = "witness"\n' >"$work/sealed/config.toml"
  chmod 600 "$work/sealed/config.toml"
  /usr/bin/time -f "verify --checkpoint, the first (whole ledger and every seal): %e s, peak RSS %M KiB" \
    $vigil --config "$work/sealed/config.toml" verify --checkpoint >/dev/null
  for run in 1 2 3; do
    /usr/bin/time -f "verify over $LEDGER sealed entries, witnessed head (run $run): %e s, peak RSS %M KiB" \
      $vigil --config "$work/sealed/config.toml" verify >/dev/null
  done
fi
