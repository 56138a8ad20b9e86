#!/usr/bin/env bash
# Shared-store benchmark (README, "Benchmarks"): the local PostgreSQL server
# (VIGIL_BENCH_PG, default postgres://postgres@127.0.0.1:5432) against SQLite
# on the same machine: ingesting N syslog lines (plain and with the rules),
# deciding 10,000 items in one action, and 1, 2 and 8 reviewers claiming and
# deciding 10,000 items at once. Needs /usr/bin/time (package `time`) and psql.
set -euo pipefail
cd "$(dirname "$0")/.."
N=${1:-1000000}
RUNS=${RUNS:-3}
PG=${VIGIL_BENCH_PG:-postgres://postgres@127.0.0.1:5432}
DB=vigil_bench_$$
cargo build --release --quiet --bin vigil --example gen-authlog --example seed-review --example team-bench
work=$(mktemp -d)
trap 'rm -rf "$work"; psql "$PG/postgres" -qc "DROP DATABASE IF EXISTS $DB" >/dev/null 2>&1 || true' EXIT
vigil=./target/release/vigil
./target/release/examples/gen-authlog "$N" "$work/auth.log"

fresh() { # store kind: sqlite or pg; prints the store URL
  if [ "$1" = sqlite ]; then
    rm -f "$work"/bench.db*
    echo "$work/bench.db"
  else
    psql "$PG/postgres" -qc "DROP DATABASE IF EXISTS $DB" -c "CREATE DATABASE $DB" >/dev/null
    echo "$PG/$DB"
  fi
}

measure() { # label, store kind, command with @STORE@...
  local label=$1 kind=$2; shift 2
  : >"$work/runs"
  for run in $(seq 1 "$RUNS"); do
    local url; url=$(fresh "$kind")
    local cmd=("${@//@STORE@/$url}")
    /usr/bin/time -f "%e %M" -o "$work/time" "${cmd[@]}" >/dev/null 2>&1
    read -r secs kib <"$work/time"
    echo "$secs $kib" >>"$work/runs"
    printf '%-34s run %d  %6.2f s  %7.1f MiB peak RSS\n' "$label" "$run" "$secs" "$(awk "BEGIN{print $kib/1024}")"
  done
  sort -n "$work/runs" | awk -v l="$label" '{t[NR]=$1; m=($2>m?$2:m)} END {printf "%-34s median %6.2f s  max RSS %.1f MiB\n", l, t[int((NR+1)/2)], m/1024}' | tee -a "$work/summary"
}

echo "lines: $N; $(nproc) cores; $(psql "$PG/postgres" -tAc 'SELECT version()' | cut -d, -f1)"
for kind in sqlite pg; do
  measure "$kind syslog $N" $kind $vigil --store @STORE@ ingest --no-rules --kind syslog "$work/auth.log"
done
for kind in sqlite pg; do
  measure "$kind syslog $N + rules" $kind $vigil --store @STORE@ ingest --kind syslog "$work/auth.log"
done
for kind in sqlite pg; do
  url=$(fresh $kind)
  ./target/release/examples/seed-review "$url" 10000
  /usr/bin/time -f "$kind decide 10000 items in one action: %e s, peak RSS %M KiB" \
    $vigil --store "$url" decide --filter status:new --disposition benign --format json >/dev/null
done
for n in 1 2 8; do
  url=$(fresh pg)
  ./target/release/examples/seed-review "$url" 10000
  ./target/release/examples/team-bench "$url" "$n" | sed 's/^/pg: /'
done
url=$(fresh sqlite)
./target/release/examples/seed-review "$url" 10000
./target/release/examples/team-bench "$url" 8 | sed 's/^/sqlite: /'
echo; cat "$work/summary"
