#!/usr/bin/env bash
# Builds with AddressSanitizer + UndefinedBehaviorSanitizer and runs every
# unit and integration test, then builds with ThreadSanitizer and runs the
# unit tests and the concurrent-scrape tests. Any report fails the run.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1:strict_string_checks=1
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
# civetweb and the other system libraries are not instrumented for TSan;
# history_size=4 keeps reports useful on a 2-core machine.
export TSAN_OPTIONS="halt_on_error=1:history_size=4:second_deadlock_stack=1:suppressions=$root/tests/scripts/tsan.supp"

BUILD_DIR=$root/build-asan bash "$root/tests/scripts/build.sh" -DDSE_SANITIZE=address
(cd "$root/build-asan" && ctest --output-on-failure --no-tests=error --timeout 900 -L "unit|integration")

BUILD_DIR=$root/build-tsan bash "$root/tests/scripts/build.sh" -DDSE_SANITIZE=thread
(cd "$root/build-tsan" && ctest --output-on-failure --no-tests=error --timeout 900 -L "unit|concurrency")
