#!/usr/bin/env bash
# Builds the libFuzzer targets with clang (ASan + UBSan) and runs each for a
# while, seeded from the recorded fixtures. Usage:
#   bash tests/fuzz/run.sh [SECONDS_PER_TARGET]   (default 20; CI uses 20)
# For long runs pass e.g. 3600. Findings (crash-*, leak-*, timeout-*) are
# written to build-fuzz/findings/ and make the script fail.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
seconds=${1:-20}
build=${FUZZ_BUILD_DIR:-$root/build-fuzz}
CC=clang CXX=clang++ cmake -S "$root" -B "$build" -DDSE_FUZZ=ON -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
targets=$(find "$root" -name '*_fuzz.cc' -not -path '*/build*' -exec basename {} .cc \; | sort)
# shellcheck disable=SC2086
cmake --build "$build" -j "$(nproc)" --target $targets
mkdir -p "$build/findings"
failed=0
for target in $targets; do
  corpus="$build/corpus/$target"
  mkdir -p "$corpus"
  # Seeds: every recorded fixture and example configuration in the tree.
  find "$root/collectors" "$root/tests" -path '*/fixtures/*' -type f -not -name '*.sh' \
    -exec cp -n {} "$corpus/" \; 2>/dev/null || true
  find "$root" -name '*.yml' -not -path '*/build*' -exec cp -n {} "$corpus/" \; 2>/dev/null || true
  echo "fuzzing $target for ${seconds}s ($(ls "$corpus" | wc -l) inputs in corpus)"
  if ! "$build/$(find "$build" -name "$target" -type f -perm -u+x -printf '%P\n' | head -1)" \
      -max_total_time="$seconds" -max_len=65536 -timeout=10 -rss_limit_mb=2048 \
      -artifact_prefix="$build/findings/$target-" -print_final_stats=1 "$corpus" \
      >"$build/$target.log" 2>&1; then
    echo "FUZZ FINDING in $target:" >&2
    tail -40 "$build/$target.log" >&2
    failed=1
  else
    grep -E "stat::number_of_executed_units|cov:" "$build/$target.log" | tail -2
  fi
done
exit "$failed"
