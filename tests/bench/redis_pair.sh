#!/usr/bin/env bash
# Benchmark (not a test): scrape latency, CPU and RSS of the exporter over a
# real Redis primary+replica on loopback. Usage:
#   bash tests/bench/redis_pair.sh [SCRAPES]   (default 1000; build first)
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
scrapes=${1:-1000}
exporter=${EXPORTER:-${BUILD_DIR:-$root/build}/exporter/datastore_exporter}
work=$(mktemp -d)
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT INT TERM
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
start_redis() {
  local port=$1; shift
  redis-server --port "$port" --bind 127.0.0.1 --dir "$work" --save '' --appendonly no \
    --repl-diskless-sync-delay 0 --dbfilename "dump-$port.rdb" "$@" >/dev/null 2>&1 &
  pids+=($!)
  for _ in $(seq 100); do redis-cli -p "$port" ping >/dev/null 2>&1 && return; sleep 0.05; done
  echo "redis on $port did not start" >&2; exit 1
}
p=$(free_port); start_redis "$p"
r=$(free_port); start_redis "$r" --replicaof 127.0.0.1 "$p"
cat >"$work/bench.yml" <<YAML
targets:
  - {name: primary, kind: redis, address: "127.0.0.1:$p", cluster_id: bench}
  - {name: replica, kind: redis, address: "127.0.0.1:$r", cluster_id: bench}
YAML
source "$root/tests/bench/run_exporter_bench.sh"
bench_exporter redis-pair
