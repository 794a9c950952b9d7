#!/usr/bin/env bash
# The main job: installs packages, builds, starts a real Redis primary and
# replica on free loopback ports (data in a temporary folder), and runs the
# exporter against them until Ctrl-C. With --smoke it scrapes once, checks the
# roles and stops (a test runs it that way).
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
smoke=0
[ "${1:-}" = "--smoke" ] && smoke=1

if [ "$smoke" = 0 ]; then
  bash "$root/tests/scripts/install-deps.sh"
  bash "$root/tests/scripts/build.sh"
fi
exporter=${EXPORTER:-${BUILD_DIR:-$root/build}/exporter/datastore_exporter}

work=$(mktemp -d /tmp/datastore-exporter-demo.XXXXXX)
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT INT TERM

free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}
port_free() {
  python3 -c 'import socket,sys; s=socket.socket(); s.bind(("127.0.0.1", int(sys.argv[1])))' "$1" 2>/dev/null
}
start_redis() {  # port [args...]
  local port=$1; shift
  mkdir -p "$work/redis-$port"
  redis-server --port "$port" --bind 127.0.0.1 --dir "$work/redis-$port" --save '' \
    --appendonly no --repl-diskless-sync-delay 0 "$@" >"$work/redis-$port/log" 2>&1 &
  pids+=($!)
  for _ in $(seq 100); do
    redis-cli -p "$port" ping >/dev/null 2>&1 && return 0
    sleep 0.05
  done
  echo "redis-server on port $port did not start:" >&2
  cat "$work/redis-$port/log" >&2
  exit 1
}

primary=$(free_port)
start_redis "$primary"
replica=$(free_port)
start_redis "$replica" --replicaof 127.0.0.1 "$primary"
for i in $(seq 10); do redis-cli -p "$primary" set "demo:$i" "$i" >/dev/null; done

cat >"$work/exporter.yml" <<YAML
targets:
  - name: demo-primary
    kind: redis
    address: 127.0.0.1:$primary
    cluster_id: demo
    cluster_display_name: Demo cache
  - name: demo-replica
    kind: redis
    address: 127.0.0.1:$replica
    cluster_id: demo
    cluster_display_name: Demo cache
YAML

listen=9755
port_free "$listen" || listen=$(free_port)
"$exporter" --config.file="$work/exporter.yml" --web.listen-address="127.0.0.1:$listen" &
pids+=($!)
url="http://127.0.0.1:$listen"
for _ in $(seq 100); do
  curl -fsS "$url/-/healthy" >/dev/null 2>&1 && break
  sleep 0.05
done

if [ "$smoke" = 1 ]; then
  for _ in $(seq 100); do
    metrics=$(curl -fsS "$url/metrics")
    if grep -q 'datastore_shard_role{target="demo-primary".*role="primary"} 1' <<<"$metrics" &&
       grep -q 'datastore_shard_role{target="demo-replica".*role="secondary"} 1' <<<"$metrics"; then
      echo "demo smoke: primary and secondary seen at $url/metrics"
      exit 0
    fi
    sleep 0.1
  done
  echo "demo smoke: roles not seen; last scrape:" >&2
  echo "$metrics" >&2
  exit 1
fi

cat <<MSG

datastore_exporter is running against a Redis primary (127.0.0.1:$primary)
and its replica (127.0.0.1:$replica).

  Open:     $url/            (targets and their state)
  Metrics:  $url/metrics
  Try a failover:  redis-cli -p $replica replicaof no one

Press Ctrl-C to stop everything (the temporary data is removed).
MSG
wait "${pids[-1]}"
