#!/usr/bin/env bash
# Benchmark (not a test): the postgresql collector over a real primary and
# streaming standby on free loopback ports. Prints scrape latency (curl, a new
# HTTP connection per scrape; then scrape_bench.py over one keep-alive
# connection), what the servers counted per scrape (pg_stat_statements and
# log_statement = 'all'), and how long a stopped server takes to show as down.
# Run as root (the servers run as the postgres user). Usage:
#   bash tests/bench/postgresql_pair.sh [SCRAPES]   (default 300; build first)
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
scrapes=${1:-300}
exporter=${EXPORTER:-${BUILD_DIR:-$root/build}/exporter/datastore_exporter}
bin=${DSE_PG_BINDIR:-/usr/lib/postgresql/15/bin}
[ -x "$exporter" ] || { echo "no exporter binary at $exporter: build first" >&2; exit 1; }
[ -x "$bin/initdb" ] || { echo "no $bin/initdb: install postgresql-15" >&2; exit 1; }
work=$(mktemp -d)
chmod 755 "$work"
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill -INT "$p" 2>/dev/null || true; done
  for p in "${pids[@]}"; do
    for _ in $(seq 100); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
  done
  rm -rf "$work"
}
trap cleanup EXIT INT TERM

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
sql() { "$bin/psql" -X -q -A -t -h 127.0.0.1 -p "$1" -U postgres -d postgres -v ON_ERROR_STOP=1 -c "$2"; }
start() {  # data-dir port
  setpriv --reuid=postgres --regid=postgres --init-groups --reset-env \
    "$bin/postgres" -D "$1" -c port="$2" >"$1.log" 2>&1 &
  pids+=($!)
  for _ in $(seq 100); do sql "$2" 'SELECT 1' >/dev/null 2>&1 && return; sleep 0.1; done
  echo "postgres on port $2 did not start:" >&2; cat "$1.log" >&2; exit 1
}
# Percentiles (ms) of the numbers (seconds) in a file: median, p90, p99, max.
summary() {
  sort -g "$1" | awk '{ v[NR] = $1 * 1000 } END {
    printf "n=%d median=%.2fms p90=%.2fms p99=%.2fms max=%.2fms\n", NR,
      v[int(NR * 0.5 + 0.5)], v[int(NR * 0.9 + 0.5)], v[int(NR * 0.99 + 0.5)], v[NR] }'
}

p=$(free_port)
s=$(free_port)
install -d -o postgres -g postgres -m 700 "$work/primary" "$work/standby"
setpriv --reuid=postgres --regid=postgres --init-groups --reset-env \
  "$bin/initdb" -D "$work/primary" -U postgres --auth=trust --no-sync >/dev/null
cat >>"$work/primary/postgresql.conf" <<EOF
listen_addresses = '127.0.0.1'
unix_socket_directories = ''
fsync = off
shared_preload_libraries = 'pg_stat_statements'
log_statement = 'all'
log_line_prefix = '%m [%p] user=%u '
EOF
start "$work/primary" "$p"
sql "$p" "CREATE EXTENSION pg_stat_statements;
          CREATE ROLE monitor LOGIN PASSWORD 'measure-only' IN ROLE pg_monitor"
setpriv --reuid=postgres --regid=postgres --init-groups --reset-env \
  "$bin/pg_basebackup" -h 127.0.0.1 -p "$p" -U postgres -D "$work/standby" -R \
  -X stream -c fast --no-sync
start "$work/standby" "$s"
for _ in $(seq 100); do
  [ "$(sql "$s" 'SELECT status FROM pg_stat_wal_receiver')" = streaming ] && break; sleep 0.1
done

echo measure-only >"$work/password"
cat >"$work/exporter.yml" <<EOF
targets:
  - {name: primary, kind: postgresql, address: "127.0.0.1:$p", username: monitor,
     password_file: "$work/password"}
  - {name: standby, kind: postgresql, address: "127.0.0.1:$s", username: monitor,
     password_file: "$work/password"}
EOF
e=$(free_port)
"$exporter" --config.file="$work/exporter.yml" --web.listen-address="127.0.0.1:$e" \
  --log.level=warn >"$work/exporter.log" 2>&1 &
exporter_pid=$!
pids+=("$exporter_pid")
for _ in $(seq 100); do curl -sf "http://127.0.0.1:$e/-/healthy" >/dev/null && break; sleep 0.1; done
url="http://127.0.0.1:$e/metrics"
curl -sf "$url" >/dev/null  # Opens the kept connections.

for port in "$p" "$s"; do sql "$port" 'SELECT pg_stat_statements_reset()' >/dev/null; done
lines_before=$(cat "$work/primary.log" "$work/standby.log" | grep -c 'user=monitor' || true)
: >"$work/latency"
: >"$work/collect"
for _ in $(seq "$scrapes"); do
  curl -sf -o "$work/body" -w '%{time_total}\n' "$url" >>"$work/latency"
  grep -E '^datastore_collect_duration_seconds\{' "$work/body" | awk '{ print $2 }' >>"$work/collect"
done
echo "PostgreSQL $(sql "$p" 'SHOW server_version'), $scrapes scrapes of 2 targets (primary + standby):"
echo "  scrape latency (curl time_total): $(summary "$work/latency")"
echo "  per-target collect duration:      $(summary "$work/collect")"
for target in primary:"$p" standby:"$s"; do
  port=${target#*:}
  echo "  ${target%%:*}: statements run by monitor (pg_stat_statements): $(sql "$port" \
    "SELECT coalesce(sum(calls), 0) || ' calls of ' || count(*) || ' distinct statement(s),'
            || ' mean execution ' || round(avg(mean_exec_time)::numeric, 3) || ' ms'
     FROM pg_stat_statements WHERE userid = 'monitor'::regrole")"
done
lines_after=$(cat "$work/primary.log" "$work/standby.log" | grep -c 'user=monitor' || true)
echo "  server log lines of monitor (log_statement = all), both servers: $((lines_after - lines_before))"
echo "  connections of the exporter: $(sql "$p" "SELECT count(*) FROM pg_stat_activity
  WHERE application_name = 'datastore_exporter'") on the primary"
python3 "$root/tests/bench/scrape_bench.py" "$url" --scrapes "$scrapes" --pid "$exporter_pid" \
  --label "  keep-alive (scrape_bench.py): "

# A stopped server: how long until the scrape says datastore_up 0.
kill -INT "${pids[1]}"
for _ in $(seq 100); do kill -0 "${pids[1]}" 2>/dev/null || break; sleep 0.1; done
: >"$work/down"
for _ in $(seq 20); do
  curl -sf "$url" | grep -E '^datastore_collect_duration_seconds\{.*target="standby"' |
    awk '{ print $2 }' >>"$work/down"
done
echo "  stopped standby, collect duration until datastore_up 0: $(summary "$work/down")"
