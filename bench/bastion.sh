#!/usr/bin/env bash
# The internet-facing bastion (README, "Benchmarks"; issue "Ingest at
# lnav's speed"): N and 2N lines where 85% come from scanners across the
# whole IPv4 space (about 800,000 distinct addresses per million lines),
# RFC 3164 headers, and N lines with RFC 3339 headers. Each is ingested
# into a fresh SQLite store without and with the rules, alternated with
# lnav indexing the same file, RUNS times; prints every run, the medians,
# peak RSS, and the ratios to lnav.
# Needs /usr/bin/time (Debian package `time`) and lnav (package `lnav`).
set -euo pipefail
cd "$(dirname "$0")/.."
N=${1:-1000000}
RUNS=${RUNS:-3}
command -v lnav >/dev/null || { echo "lnav not installed (apt-get install lnav)"; exit 1; }
cargo build --release --quiet --bin vigil --example gen-authlog
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
./target/release/examples/gen-authlog "$N" "$work/1x.log" rfc3164 bastion
./target/release/examples/gen-authlog "$((2 * N))" "$work/2x.log" rfc3164 bastion
./target/release/examples/gen-authlog "$N" "$work/3339.log" rfc3339 bastion
echo "lines: $N and $((2 * N)); $(nproc) cores; $(lnav -V)"

one() { # label, command...: appends "label secs kib"
  local label=$1; shift
  rm -f "$work"/bench.db*
  /usr/bin/time -f "%e %M" -o "$work/time" "$@" >/dev/null 2>&1
  read -r secs kib <"$work/time"
  echo "$label $secs $kib" >>"$work/runs"
  printf '%-22s %6.2f s  %7.1f MiB\n' "$label" "$secs" "$(awk "BEGIN{print $kib/1024}")"
}
vigil=(./target/release/vigil --store "$work/bench.db" ingest --kind syslog)
: >"$work/runs"
for run in $(seq 1 "$RUNS"); do
  echo "round $run"
  for f in 1x 2x 3339; do
    one "lnav-$f" lnav -n -c ';SELECT count(*) FROM syslog_log' "$work/$f.log"
    one "vigil-$f" "${vigil[@]}" --no-rules "$work/$f.log"
    one "vigil-$f+rules" "${vigil[@]}" "$work/$f.log"
  done
done
echo
awk '{t[$1]=t[$1] " " $2; if ($3>m[$1]) m[$1]=$3}
     END {for (k in t) {n=split(substr(t[k],2),v," "); asort(v); med[k]=v[int((n+1)/2)]}
          for (k in t) printf "%-22s median %6.2f s  max RSS %6.1f MiB\n", k, med[k], m[k]/1024
          for (f in med) if (f ~ /^lnav-/) { s=substr(f,6)
            printf "%-6s vigil/lnav %.2fx, with rules %.2fx\n", s, med["vigil-" s]/med[f], med["vigil-" s "+rules"]/med[f] }
          printf "2N/N: vigil %.2fx, with rules %.2fx\n", med["vigil-2x"]/med["vigil-1x"], med["vigil-2x+rules"]/med["vigil-1x+rules"] }' "$work/runs" | sort
