#!/usr/bin/env bash
# Two vigil binaries side by side on one generated auth log, alternated so
# both meet the same machine: `bench/ab.sh OLD_VIGIL NEW_VIGIL [LINES]`
# (build the old one from another checkout with its own CARGO_TARGET_DIR).
# Prints each run and the medians, plain and with the rules, and the ratio.
# Needs /usr/bin/time (Debian package `time`).
set -euo pipefail
cd "$(dirname "$0")/.."
old=$(realpath "$1"); new=$(realpath "$2"); N=${3:-1000000}; PAIRS=${PAIRS:-5}
cargo build --release --quiet --example gen-authlog
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
./target/release/examples/gen-authlog "$N" "$work/auth.log"
run() { # label binary args...
  local label=$1 bin=$2; shift 2
  rm -f "$work"/bench.db*
  /usr/bin/time -f "%e %M" -o "$work/time" "$bin" --store "$work/bench.db" ingest --kind syslog "$@" "$work/auth.log" >/dev/null 2>&1
  read -r secs kib <"$work/time"
  echo "$label $secs $kib" >>"$work/runs"
  printf '%-12s %6.2f s  %6.1f MiB\n' "$label" "$secs" "$(awk "BEGIN{print $kib/1024}")"
}
for i in $(seq 1 "$PAIRS"); do
  run old-plain "$old" --no-rules
  run new-plain "$new" --no-rules
  run old-rules "$old"
  run new-rules "$new"
done
for mode in plain rules; do
  o=$(awk -v l="old-$mode" '$1==l{print $2}' "$work/runs" | sort -n | awk '{a[NR]=$1} END{print a[int((NR+1)/2)]}')
  n=$(awk -v l="new-$mode" '$1==l{print $2}' "$work/runs" | sort -n | awk '{a[NR]=$1} END{print a[int((NR+1)/2)]}')
  printf '%s: old median %.2f s, new median %.2f s, new/old %.3f\n' "$mode" "$o" "$n" "$(awk "BEGIN{print $n/$o}")"
done
