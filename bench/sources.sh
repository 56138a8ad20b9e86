#!/usr/bin/env bash
# Source-kind ingest benchmark (README, "Benchmarks"): N generated records of
# each kind into a fresh SQLite store with `vigil ingest --no-rules`: the
# syslog auth log (the reference), the EHR access report (access-csv), FHIR
# AuditEvents as NDJSON, and an audit.log (logins, sudo, and watched file
# reads as SYSCALL+PATH pairs, so 1.8 records per access). Prints records/s,
# each kind's share of the syslog rate (target: at least 40%) and peak RSS
# (target: at most 100 MiB). Needs /usr/bin/time (Debian package `time`).
set -euo pipefail
cd "$(dirname "$0")/.."
N=${1:-1000000}
RUNS=${RUNS:-3}
cargo build --release --quiet --bin vigil --example gen-authlog --example gen-access
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
./target/release/examples/gen-authlog "$N" "$work/auth.log"
./target/release/examples/gen-access "$work/ehr" "$N"
echo "records: $N per kind; $(nproc) cores"

run() { # label, records, source-or-empty, kind, file: prints runs and the median
  local label=$1 records=$2 src=$3 kind=$4 file=$5
  : >"$work/runs"
  for r in $(seq 1 "$RUNS"); do
    rm -f "$work"/bench.db*
    local args=(--config "$work/ehr/config.toml" --store "$work/bench.db" ingest --no-rules --kind "$kind")
    [ -n "$src" ] && args+=(--source "$src")
    /usr/bin/time -f "%e %M" -o "$work/time" ./target/release/vigil "${args[@]}" "$file" >/dev/null 2>&1
    read -r secs kib <"$work/time"
    echo "$secs $kib" >>"$work/runs"
  done
  sort -n "$work/runs" | awk -v l="$label" -v n="$records" '{t[NR]=$1; m=($2>m?$2:m)} END {s=t[int((NR+1)/2)]; printf "%s %.2f %.0f %.1f\n", l, s, n/s, m/1024}' >>"$work/summary"
}

run syslog "$N" "" syslog "$work/auth.log"
run access-csv "$N" ehr access-csv "$work/ehr/access.csv"
run fhir-auditevent "$N" fhir fhir-auditevent "$work/ehr/fhir.ndjson"
run auditd "$(wc -l <"$work/ehr/audit.log")" audit auditd "$work/ehr/audit.log"
awk 'NR==1{base=$3} {printf "%-16s median %6.2f s  %8.0f records/s  %4.0f%% of syslog  peak RSS %5.1f MiB\n", $1, $2, $3, 100*$3/base, $4}' "$work/summary"
