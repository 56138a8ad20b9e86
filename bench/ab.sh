#!/usr/bin/env bash
# Two vigil binaries side by side on one generated workload, alternated so
# both meet the same machine: `bench/ab.sh OLD_VIGIL NEW_VIGIL [N]`
# (build the old one from another checkout with its own CARGO_TARGET_DIR).
# KIND picks the workload: `syslog` (the default auth log), `bastion` (the
# internet-facing bastion of bench/bastion.sh), `access-csv` or `fhir` (N
# chart accesses with a 10,000-person roster and 100,000 patients).
# Prints each run and the medians, plain and with the rules, and the ratio;
# with sqlite3 installed, also a fingerprint of the items each rules run
# filed (keys, titles, severities, reasons and linked events), and says so
# when the two builds disagree.
# Needs /usr/bin/time (Debian package `time`).
set -euo pipefail
cd "$(dirname "$0")/.."
old=$(realpath "$1"); new=$(realpath "$2"); N=${3:-1000000}; PAIRS=${PAIRS:-5}
KIND=${KIND:-syslog}
cargo build --release --quiet --example gen-authlog --example gen-access
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
case $KIND in
  syslog) ./target/release/examples/gen-authlog "$N" "$work/in" >/dev/null
    args=(ingest --kind syslog "$work/in") ;;
  bastion) ./target/release/examples/gen-authlog "$N" "$work/in" rfc3164 bastion >/dev/null
    args=(ingest --kind syslog "$work/in") ;;
  access-csv | fhir) ./target/release/examples/gen-access "$work/ehr" "$N" >/dev/null
    chmod 600 "$work/ehr/config.toml"
    if [ "$KIND" = fhir ]; then file=(--kind fhir-auditevent --source fhir "$work/ehr/fhir.ndjson")
    else file=(--kind access-csv --source ehr "$work/ehr/access.csv"); fi
    args=(--config "$work/ehr/config.toml" ingest "${file[@]}") ;;
  *) echo "KIND is syslog, bastion, access-csv or fhir"; exit 2 ;;
esac
items() { # the fingerprint of what the rules filed
  command -v sqlite3 >/dev/null || { echo -; return; }
  sqlite3 "$work/bench.db" "SELECT i.group_key, i.title, i.severity,
      (SELECT group_concat(rule || ' ' || reason, '|') FROM item_rules r WHERE r.item_id = i.id),
      (SELECT group_concat(event_id) FROM item_events e WHERE e.item_id = i.id)
    FROM items i ORDER BY i.id" | md5sum | cut -c1-12
}
run() { # label binary extra-args...
  local label=$1 bin=$2; shift 2
  rm -f "$work"/bench.db*
  local a=("${args[@]}")
  # (the store goes before the subcommand, extra flags after it)
  local sub=0; for i in "${!a[@]}"; do [ "${a[$i]}" = ingest ] && sub=$i; done
  /usr/bin/time -f "%e %M" -o "$work/time" "$bin" --store "$work/bench.db" \
    "${a[@]:0:$sub}" ingest "$@" "${a[@]:$((sub + 1))}" >/dev/null 2>&1
  read -r secs kib <"$work/time"
  local fp=-
  [ "$#" -eq 0 ] && fp=$(items) && echo "$label $fp" >>"$work/prints"
  echo "$label $secs $kib" >>"$work/runs"
  printf '%-12s %6.2f s  %6.1f MiB  %s\n' "$label" "$secs" "$(awk "BEGIN{print $kib/1024}")" "$fp"
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
if [ "$(awk '{print $2}' "$work/prints" | sort -u | wc -l)" -gt 1 ]; then
  echo "the builds filed different items:"; sort -u "$work/prints"
fi
