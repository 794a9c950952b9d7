#!/usr/bin/env bash
# The whole test suite: installs packages, builds, and runs every test
# (unit tests on recorded fixtures, integration tests against real servers
# that the tests start themselves on free loopback ports).
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
bash "$root/tests/scripts/install-deps.sh"
bash "$root/tests/scripts/build.sh"
cd "${BUILD_DIR:-$root/build}"
# --no-tests=error: a run that finds no test fails.
ctest --output-on-failure --no-tests=error --timeout 900 "$@"
