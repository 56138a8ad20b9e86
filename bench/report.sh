#!/usr/bin/env bash
# Report and investigation benchmark (README, "Benchmarks"): a store of
# about 11 million events (an AUTH-line generated auth log, default
# 8,000,000, ingested with the rules; then ACCESS EHR chart accesses,
# default 1,000,000, written as an access-report CSV, FHIR AuditEvents and
# an audit.log, pulled with the roster and the patient index), then
# `vigil report` for 30 days in every format, an access report for one
# patient and an activity timeline for one person, each timed with peak
# RSS. Needs /usr/bin/time (package `time`). With KEEP=DIR the store is
# built in DIR and kept, and a later run with the same DIR reuses it.
set -euo pipefail
cd "$(dirname "$0")/.."
AUTH=${1:-8000000}
ACCESS=${2:-1000000}
cargo build --release --quiet --bin vigil --example gen-authlog --example gen-access
if [ -n "${KEEP:-}" ]; then
  work=$KEEP
  mkdir -p "$work"
else
  work=$(mktemp -d)
  trap 'rm -rf "$work"' EXIT
fi
vigil=./target/release/vigil
if [ ! -f "$work/r.db" ]; then
  ./target/release/examples/gen-authlog "$AUTH" "$work/auth.log"
  touch -d "2026-11-26 00:00:00" "$work/auth.log"   # the year the headers lack
  ./target/release/examples/gen-access "$work/ehr" "$ACCESS"
  /usr/bin/time -f "ingest $AUTH auth lines with the rules: %e s, peak RSS %M KiB" \
    $vigil --store "$work/r.db" ingest --kind syslog "$work/auth.log" >/dev/null
  /usr/bin/time -f "pull $ACCESS chart accesses (CSV, FHIR, auditd) with the rules: %e s, peak RSS %M KiB" \
    $vigil --config "$work/ehr/config.toml" --store "$work/r.db" pull >/dev/null
fi
echo "store: $(sqlite3 "$work/r.db" "SELECT (SELECT count(*) FROM events) || ' events, ' || (SELECT count(*) FROM items) || ' items, ' || (SELECT count(*) FROM patient_events) || ' patient accesses indexed'" 2>/dev/null || echo unknown)"
for f in md json html csv pdf; do
  /usr/bin/time -f "report 30 days, $f: %e s, peak RSS %M KiB" \
    $vigil --config "$work/ehr/config.toml" --store "$work/r.db" report --from 2026-10-01 --to 2026-10-30 --format $f --output "$work/report.$f" 2>&1 | grep -v "written to"
done
# the patient and the person with the most accesses in the generated data
busiest() { awk -F, -v c="$1" 'NR > 1 { n[$c]++ } END { for (k in n) if (n[k] > m) { m = n[k]; b = k } print b }' "$work/ehr/access.csv"; }
patient=$(busiest 2)
account=$(busiest 1)
/usr/bin/time -f "access report, one patient ($patient), 30 days: %e s, peak RSS %M KiB" \
  $vigil --config "$work/ehr/config.toml" --store "$work/r.db" access-report --patient "$patient" --reason "benchmark" --from 2026-10-01 --to 2026-10-30 --format json >"$work/access.json"
echo "  $(grep -c '"at"' "$work/access.json") accesses listed"
/usr/bin/time -f "activity timeline, one person ($account), 30 days: %e s, peak RSS %M KiB" \
  $vigil --config "$work/ehr/config.toml" --store "$work/r.db" activity --person "$account" --reason "benchmark" --from 2026-10-01 --to 2026-10-30 --format json >"$work/activity.json"
echo "  $(grep -c '"at"' "$work/activity.json") events listed"
