#!/usr/bin/env bash
# The main job: installs packages, builds, starts a real Redis primary and
# replica on free loopback ports (data in a temporary folder), runs the
# exporter against them, and a Prometheus (bundled rules loaded) and an
# Alertmanager scraping and alerting on it, until Ctrl-C. With --smoke it checks
# the roles, the rules and the recorded series once and stops (a test runs it
# that way).
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

# Alertmanager (no receiver: alerts show on its page) and Prometheus with the
# bundled rules, as shipped, scraping the exporter every 5 s.
cat >"$work/alertmanager.yml" <<YAML
route: {receiver: demo, group_by: [alertname, cluster_id, shard, target]}
receivers: [{name: demo}]
YAML
am_port=9093
port_free "$am_port" || am_port=$(free_port)
prometheus-alertmanager --config.file="$work/alertmanager.yml" --storage.path="$work/alertmanager" \
  --web.listen-address="127.0.0.1:$am_port" --cluster.listen-address= --log.level=warn \
  >"$work/alertmanager.log" 2>&1 &
pids+=($!)
cat >"$work/prometheus.yml" <<YAML
global: {scrape_interval: 5s, evaluation_interval: 5s}
rule_files: ["$root/alerts/datastore.rules.yml"]
alerting:
  alertmanagers: [{static_configs: [{targets: ["127.0.0.1:$am_port"]}]}]
scrape_configs:
  - job_name: datastore
    static_configs: [{targets: ["127.0.0.1:$listen"]}]
YAML
prom_port=9090
port_free "$prom_port" || prom_port=$(free_port)
prometheus --config.file="$work/prometheus.yml" --storage.tsdb.path="$work/prometheus" \
  --web.listen-address="127.0.0.1:$prom_port" --log.level=warn >"$work/prometheus.log" 2>&1 &
pids+=($!)
prom="http://127.0.0.1:$prom_port"
am="http://127.0.0.1:$am_port"
for _ in $(seq 200); do
  curl -fsS "$prom/-/ready" >/dev/null 2>&1 && curl -fsS "$am/-/ready" >/dev/null 2>&1 && break
  sleep 0.1
done

if [ "$smoke" = 1 ]; then
  roles=0
  for _ in $(seq 100); do
    metrics=$(curl -fsS "$url/metrics")
    if grep -q 'datastore_shard_role{target="demo-primary".*role="primary"} 1' <<<"$metrics" &&
       grep -q 'datastore_shard_role{target="demo-replica".*role="secondary"} 1' <<<"$metrics"; then
      roles=1
      break
    fi
    sleep 0.1
  done
  if [ "$roles" = 0 ]; then
    echo "demo smoke: roles not seen; last scrape:" >&2
    echo "$metrics" >&2
    exit 1
  fi
  # The first scrape and rule evaluation come within one 5 s interval.
  for _ in $(seq 150); do
    if curl -fsS "$prom/api/v1/rules" 2>/dev/null | grep -q '"name":"DatastoreTargetDown"' &&
       curl -fsS "$prom/api/v1/query?query=datastore_shard:primaries" 2>/dev/null |
         grep -q '"cluster_id":"demo"'; then
      echo "demo smoke: primary and secondary seen at $url/metrics;" \
        "rules loaded and evaluated in Prometheus ($prom), Alertmanager up ($am)"
      exit 0
    fi
    sleep 0.1
  done
  echo "demo smoke: Prometheus did not load the rules or record datastore_shard:primaries" >&2
  cat "$work/prometheus.log" "$work/alertmanager.log" >&2
  exit 1
fi

cat <<MSG

datastore_exporter is running against a Redis primary (127.0.0.1:$primary)
and its replica (127.0.0.1:$replica), with Prometheus and Alertmanager.

  Open:          $url/            (targets and their state)
  Metrics:       $url/metrics
  Prometheus:    $prom/alerts     (the bundled rules: alerts/datastore.rules.yml)
  Alertmanager:  $am/
  Try a failover:  redis-cli -p $replica replicaof no one
                   (two primaries: DatastoreShardSplitBrain fires after 1 minute)

Press Ctrl-C to stop everything (the temporary data is removed).
MSG
wait -n "${pids[@]}"
