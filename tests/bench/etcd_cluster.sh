#!/usr/bin/env bash
# Benchmark (not a test): scrape latency, CPU and RSS of the exporter over a
# real 3-member etcd cluster on loopback. Usage:
#   bash tests/bench/etcd_cluster.sh [SCRAPES]   (default 1000; build first)
# In the steady state each target costs one HTTP request per scrape
# (maintenance status) over a kept-alive connection.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
scrapes=${1:-1000}
exporter=${EXPORTER:-${BUILD_DIR:-$root/build}/exporter/datastore_exporter}
work=$(mktemp -d)
pids=()
cleanup() { for p in "${pids[@]}"; do kill -9 "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT INT TERM
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
has_leader() {
  curl -s --noproxy '*' -m 2 -X POST "http://127.0.0.1:$1/v3/maintenance/status" -d '{}' | grep -q '"leader"'
}
clients=(); peers=(); initial=""
for id in 1 2 3; do
  clients+=("$(free_port)"); peers+=("$(free_port)")
  initial+="${initial:+,}etcd$id=http://127.0.0.1:${peers[$((id - 1))]}"
done
echo "targets:" >"$work/bench.yml"
for id in 1 2 3; do
  client=http://127.0.0.1:${clients[$((id - 1))]} peer=http://127.0.0.1:${peers[$((id - 1))]}
  etcd --name "etcd$id" --data-dir "$work/etcd$id" --listen-client-urls "$client" \
    --advertise-client-urls "$client" --listen-peer-urls "$peer" --initial-advertise-peer-urls "$peer" \
    --initial-cluster "$initial" --initial-cluster-token "bench-${clients[0]}" \
    --initial-cluster-state new >"$work/etcd$id.log" 2>&1 &
  pids+=($!)
  echo "  - {name: etcd$id, kind: etcd, address: \"127.0.0.1:${clients[$((id - 1))]}\"}" >>"$work/bench.yml"
done
for port in "${clients[@]}"; do
  for _ in $(seq 300); do has_leader "$port" && break; sleep 0.1; done
  has_leader "$port" || { echo "etcd on $port has no leader" >&2; exit 1; }
done
source "$root/tests/bench/run_exporter_bench.sh"
bench_exporter etcd-cluster
