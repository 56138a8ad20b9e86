#!/usr/bin/env bash
# Report benchmark (README, "Benchmarks"): an N-line generated auth log
# (default 10,000,000: about 23 days of a busy bastion fleet) ingested with
# the rules into a fresh SQLite store, then `vigil report` for 30 days in
# each format, timed with peak RSS. Needs /usr/bin/time (package `time`).
set -euo pipefail
cd "$(dirname "$0")/.."
N=${1:-10000000}
cargo build --release --quiet --bin vigil --example gen-authlog
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
vigil=./target/release/vigil
./target/release/examples/gen-authlog "$N" "$work/auth.log"
touch -d "2026-11-26 00:00:00" "$work/auth.log"   # the year the headers lack
/usr/bin/time -f "ingest $N lines with the rules: %e s, peak RSS %M KiB" \
  $vigil --store "$work/r.db" ingest --kind syslog "$work/auth.log" >/dev/null
echo "store: $(sqlite3 "$work/r.db" "SELECT (SELECT count(*) FROM events) || ' events, ' || (SELECT count(*) FROM items) || ' items'" 2>/dev/null || echo unknown)"
for f in md json html csv; do
  /usr/bin/time -f "report 30 days, $f: %e s, peak RSS %M KiB" \
    $vigil --store "$work/r.db" report --from 2026-10-01 --to 2026-10-30 --format $f --output "$work/report.$f"
done
