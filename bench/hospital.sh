#!/usr/bin/env bash
# The simulated hospital (README, "Benchmarks"; issue "Explained accesses
# and cases"): generates 2,000 staff, 40,000 patients and 14 days of chart
# accesses (ACCESSES, 362,000 by default) with encounters and injected
# violations, pulls them with the ADT context and then alone, alternating
# PAIRS times, and prints the medians, their ratio, peak RSS, and the
# scores: items per day, the share of accesses explained, and how many
# injected violations some item lists.
# Needs /usr/bin/time (Debian package `time`).
set -euo pipefail
cd "$(dirname "$0")/.."
ACCESSES=${1:-362000}
PAIRS=${PAIRS:-3}
cargo build --release --quiet --bin vigil --example hospital
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
./target/release/examples/hospital gen "$work" "$ACCESSES"
chmod 600 "$work"/*.toml
run() { # config: prints "elapsed-s peak-KiB"
  rm -f "$work"/hospital.db* "$work"/plain.db*
  /usr/bin/time -f "%e %M" -o "$work/t" ./target/release/vigil --config "$work/$1" pull >/dev/null 2>&1
  cat "$work/t"
}
: >"$work/ctx"; : >"$work/plain"
for i in $(seq 1 "$PAIRS"); do
  c=$(run vigil.toml); cp "$work/hospital.db" "$work/kept.db"; p=$(run plain.toml)
  echo "$c" >>"$work/ctx"; echo "$p" >>"$work/plain"
  printf 'pair %2d  with context %s  plain %s   (s KiB)\n' "$i" "$c" "$p"
done
median() { cut -d' ' -f"$2" "$1" | sort -n | awk '{v[NR]=$1} END {print (NR%2) ? v[(NR+1)/2] : (v[NR/2]+v[NR/2+1])/2}'; }
mc=$(median "$work/ctx" 1); mp=$(median "$work/plain" 1)
awk -v c="$mc" -v p="$mp" 'BEGIN {printf "ingest: with context and explanations median %.2f s, plain access-csv median %.2f s: %.2fx\n", c, p, c/p}'
echo "peak RSS with context: $(median "$work/ctx" 2) KiB, plain: $(median "$work/plain" 2) KiB"
echo "with context:"
./target/release/examples/hospital score "$work" "sqlite://$work/kept.db"
echo "plain (no context):"
./target/release/examples/hospital score "$work" "sqlite://$work/plain.db"
