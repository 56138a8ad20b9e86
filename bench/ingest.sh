#!/usr/bin/env bash
# Ingest benchmark (README, "Benchmarks"): generates N- and 2N-line auth
# logs, ingests each into a fresh SQLite store with `vigil ingest --kind
# syslog` (plain, then with the rules), times lnav indexing the same N-line
# file, and does the same for an N-row EHR access report and N FHIR
# AuditEvents (NDJSON) with a 10,000-person roster and 100,000 patients.
# Needs /usr/bin/time (Debian package `time`) and lnav (package `lnav`).
set -euo pipefail
cd "$(dirname "$0")/.."
N=${1:-1000000}
RUNS=${RUNS:-5}
cargo build --release --quiet --bin vigil --example gen-authlog --example gen-access
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
./target/release/examples/gen-authlog "$N" "$work/auth-1x.log"
./target/release/examples/gen-authlog "$((2 * N))" "$work/auth-2x.log"

measure() { # label, command...: prints each run, then the median
  local label=$1; shift
  : >"$work/runs"
  for run in $(seq 1 "$RUNS"); do
    rm -f "$work"/bench.db*
    /usr/bin/time -f "%e %M" -o "$work/time" "$@" >/dev/null 2>&1
    read -r secs kib <"$work/time"
    echo "$secs $kib" >>"$work/runs"
    printf '%-24s run %d  %6.2f s  %7.1f MiB peak RSS\n' "$label" "$run" "$secs" "$(awk "BEGIN{print $kib/1024}")"
  done
  sort -n "$work/runs" | awk -v l="$label" '{t[NR]=$1; m=($2>m?$2:m)} END {printf "%-24s median %6.2f s  max RSS %.1f MiB\n", l, t[int((NR+1)/2)], m/1024}' | tee -a "$work/summary"
}

./target/release/examples/gen-access "$work/ehr" "$N"

echo "lines: $N and $((2 * N)); $(nproc) cores"
measure "syslog ${N}" ./target/release/vigil --store "$work/bench.db" ingest --no-rules --kind syslog "$work/auth-1x.log"
measure "syslog $((2 * N))" ./target/release/vigil --store "$work/bench.db" ingest --no-rules --kind syslog "$work/auth-2x.log"
measure "syslog ${N} + rules" ./target/release/vigil --store "$work/bench.db" ingest --kind syslog "$work/auth-1x.log"
ehr=(./target/release/vigil --config "$work/ehr/config.toml" --store "$work/bench.db" ingest --kind access-csv --source ehr)
measure "access-csv ${N}" "${ehr[@]}" --no-rules "$work/ehr/access.csv"
measure "access-csv ${N} + rules" "${ehr[@]}" "$work/ehr/access.csv"
fhir=(./target/release/vigil --config "$work/ehr/config.toml" --store "$work/bench.db" ingest --kind fhir-auditevent --source fhir)
measure "fhir ${N}" "${fhir[@]}" --no-rules "$work/ehr/fhir.ndjson"
measure "fhir ${N} + rules" "${fhir[@]}" "$work/ehr/fhir.ndjson"
if command -v lnav >/dev/null 2>&1; then
  measure "lnav index ${N}" lnav -n -c ';SELECT count(*) FROM syslog_log' "$work/auth-1x.log"
else
  echo "lnav not installed (apt-get install lnav): no comparison"
fi
echo; cat "$work/summary"
