#!/usr/bin/env bash
# Benchmark (not a test): scrape latency, CPU and RSS of the exporter over a
# real 3-server ZooKeeper ensemble on loopback. Usage:
#   bash tests/bench/zookeeper_ensemble.sh [SCRAPES]   (default 1000; build first)
# With conf whitelisted and no node configured, each target costs two short
# TCP connections per scrape (srvr, then conf).
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
scrapes=${1:-1000}
exporter=${EXPORTER:-${BUILD_DIR:-$root/build}/exporter/datastore_exporter}
work=$(mktemp -d)
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT INT TERM
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
mode() { ( exec 3<>"/dev/tcp/127.0.0.1/$1" && printf srvr >&3 && timeout 2 cat <&3 ) 2>/dev/null | sed -n 's/^Mode: //p'; }
members=""; clients=()
for id in 1 2 3; do
  clients+=("$(free_port)")
  members+="server.$id=127.0.0.1:$(free_port):$(free_port)"$'\n'
done
echo "targets:" >"$work/bench.yml"
for id in 1 2 3; do
  port=${clients[$((id - 1))]}
  mkdir -p "$work/$id/data"; echo "$id" >"$work/$id/data/myid"
  printf 'tickTime=500\ninitLimit=20\nsyncLimit=10\ndataDir=%s\nclientPort=%s\nclientPortAddress=127.0.0.1\nadmin.enableServer=false\npreAllocSize=1024\n4lw.commands.whitelist=srvr, conf\n%s' \
    "$work/$id/data" "$port" "$members" >"$work/$id/zoo.cfg"
  java -Xmx128m -XX:+UseSerialGC -cp /usr/share/java/zookeeper.jar:/usr/share/java/slf4j-nop.jar \
    org.apache.zookeeper.server.quorum.QuorumPeerMain "$work/$id/zoo.cfg" >/dev/null 2>&1 &
  pids+=($!)
  echo "  - {name: zk$id, kind: zookeeper, address: \"127.0.0.1:$port\", cluster_id: bench}" >>"$work/bench.yml"
done
for port in "${clients[@]}"; do
  for _ in $(seq 600); do [ -n "$(mode "$port")" ] && break; sleep 0.1; done
  [ -n "$(mode "$port")" ] || { echo "zookeeper on $port did not serve" >&2; exit 1; }
done
source "$root/tests/bench/run_exporter_bench.sh"
bench_exporter zookeeper-ensemble
