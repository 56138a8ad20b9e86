#!/usr/bin/env bash
# Build benchmark (README, "Benchmarks"): a clean release build, release
# rebuilds after touching one TUI file and one rules file, and the wall time
# of `cargo test` (build and run) from a clean debug target.
# Each build uses its own target directory under $BENCH_TARGET (default: a
# temporary one) so the numbers never depend on what was built before.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ -d crates/vigil-tui ]; then
  tui=${TUI_FILE:-crates/vigil-tui/src/view.rs}
  rules=${RULES_FILE:-crates/vigil-rules/src/failed_burst.rs}
else
  tui=${TUI_FILE:-src/tui/view.rs}
  rules=${RULES_FILE:-src/rules/failed_burst.rs}
fi
target=${BENCH_TARGET:-$(mktemp -d)}
export CARGO_TARGET_DIR=$target
export CARGO_TERM_COLOR=never
timed() { # label, command...
  local label=$1; shift
  local start end
  start=$(date +%s.%N)
  local ok=""
  "$@" >/dev/null 2>&1 || ok=" (failed)"
  end=$(date +%s.%N)
  printf '%-40s %7.1f s%s\n' "$label" "$(echo "$end - $start" | bc)" "$ok"
}
echo "$(nproc) cores; target dir $target"
rm -rf "$target"
timed "clean cargo build --release" cargo build --release --locked
touch "$tui"
timed "release rebuild after touching $(basename "$tui") (TUI)" cargo build --release --locked
touch "$rules"
timed "release rebuild after touching $(basename "$rules") (rules)" cargo build --release --locked
timed "cargo test, clean debug target" cargo test --locked
[ -n "${BENCH_TARGET:-}" ] || rm -rf "$target"
