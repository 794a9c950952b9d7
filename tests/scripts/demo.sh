#!/usr/bin/env bash
# The main job: installs packages, builds, then (tests/scripts/demo.py) starts a
# real Redis primary and replica, a 3-node NATS JetStream cluster and a 3-node
# RabbitMQ cluster on free loopback ports (data in a temporary folder), runs the
# exporter against them, and a Prometheus (bundled rules loaded) and an
# Alertmanager scraping and alerting on it, until Ctrl-C. With --smoke it skips
# installing and building, checks the roles, the rules and the recorded series
# once and stops (a test runs it that way).
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
if [ "${1:-}" != "--smoke" ]; then
  bash "$root/tests/scripts/install-deps.sh"
  bash "$root/tests/scripts/build.sh"
fi
exec python3 "$root/tests/scripts/demo.py" "$@"
