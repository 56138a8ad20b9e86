#!/usr/bin/env bash
# Review-screen benchmark (README, "Benchmarks"): a store of N events (a
# generated auth log) with 100,000 open items, and one of 10,000 events with
# the same items; `examples/tui-bench` times the first full frame from process
# start and the UI thread's cost per key (reducer + full render, median and
# p99) for j, G, PageDown and a filter keystroke, and peak RSS. lnav opening
# the same N-line log is timed for comparison. Needs /usr/bin/time; lnav is
# optional (package `lnav`).
set -euo pipefail
cd "$(dirname "$0")/.."
N=${1:-1000000}
cargo build --release --quiet --bin vigil --example gen-authlog --example seed-review --example tui-bench
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
./target/release/examples/gen-authlog "$N" "$work/auth.log"
head -10000 "$work/auth.log" >"$work/auth-10k.log"
for case in "big:auth.log" "small:auth-10k.log"; do
  db="$work/${case%%:*}.db"
  ./target/release/vigil --store "$db" ingest --no-rules --kind syslog "$work/${case#*:}" >/dev/null
  ./target/release/examples/seed-review "$db" 100000 >/dev/null
  echo "== $(wc -l <"$work/${case#*:}") events, 100000 items"
  ./target/release/examples/tui-bench "$db"
done
if command -v lnav >/dev/null 2>&1; then
  for run in 1 2 3; do
    /usr/bin/time -f "lnav opening the $N-line log (run $run): %e s, peak RSS %M KiB" \
      lnav -n -c ';SELECT count(*) FROM syslog_log' "$work/auth.log" >/dev/null
  done
fi
