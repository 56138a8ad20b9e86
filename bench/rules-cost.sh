#!/usr/bin/env bash
# The rules' share of the syslog ingest (README, "Benchmarks"): ingests one
# generated N-line auth log into a fresh SQLite store without and with the
# rules, alternating PAIRS times so both see the same machine, and prints
# the medians and their ratio (the target: rules add at most 30%).
# Needs /usr/bin/time (Debian package `time`).
set -euo pipefail
cd "$(dirname "$0")/.."
N=${1:-1000000}
PAIRS=${PAIRS:-10}
cargo build --release --quiet --bin vigil --example gen-authlog
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
./target/release/examples/gen-authlog "$N" "$work/auth.log" >/dev/null
run() { # mode: prints elapsed seconds
  rm -f "$work"/bench.db*
  local extra=()
  [ "$1" = plain ] && extra=(--no-rules)
  /usr/bin/time -f "%e" -o "$work/t" ./target/release/vigil --store "$work/bench.db" \
    ingest "${extra[@]}" --kind syslog "$work/auth.log" >/dev/null 2>&1
  cat "$work/t"
}
: >"$work/plain"; : >"$work/rules"
for i in $(seq 1 "$PAIRS"); do
  p=$(run plain); r=$(run rules)
  echo "$p" >>"$work/plain"; echo "$r" >>"$work/rules"
  printf 'pair %2d  plain %5.2f s  rules %5.2f s\n' "$i" "$p" "$r"
done
median() { sort -n "$1" | awk '{v[NR]=$1} END {print (NR%2) ? v[(NR+1)/2] : (v[NR/2]+v[NR/2+1])/2}'; }
mp=$(median "$work/plain"); mr=$(median "$work/rules")
awk -v p="$mp" -v r="$mr" -v n="$N" 'BEGIN {printf "%d lines: plain median %.3f s, rules median %.3f s: the rules add %.1f%%\n", n, p, r, (r/p-1)*100}'
