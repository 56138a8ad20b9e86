#!/usr/bin/env bash
# FHIR pull benchmark (README, "Benchmarks"): 100,000 AuditEvents in 1,000
# pages from a local server through the `fhir` source's client, against the
# same records ingested from an NDJSON file (examples/fhir-pull-bench).
set -euo pipefail
cd "$(dirname "$0")/.."
PAGES=${1:-1000}
cargo build --release --quiet --example gen-access --example fhir-pull-bench
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
./target/release/examples/gen-access "$work/ehr" "$((PAGES * 100))" >/dev/null
for run in 1 2 3; do
  ./target/release/examples/fhir-pull-bench "$work/ehr/fhir.ndjson" "$PAGES" 100
done
