#!/usr/bin/env bash
# Benchmark (not a test): scrape latency, CPU and RSS of the exporter over a
# real MariaDB primary+GTID replica on loopback, and what each scrape costs
# the replica (statements, connections). Run as root. Usage:
#   bash tests/bench/mariadb_pair.sh [SCRAPES]   (default 1000; build first)
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
scrapes=${1:-1000}
exporter=${EXPORTER:-${BUILD_DIR:-$root/build}/exporter/datastore_exporter}
work=$(mktemp -d)
chmod 755 "$work"
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT INT TERM
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
sql() { local name=$1; shift; mariadb --no-defaults -S "$work/$name/mysqld.sock" -uroot -N -B -e "$*"; }
declare -A port
start() {  # name server_id
  local name=$1 dir=$work/$1
  port[$name]=$(free_port)
  mariadb-install-db --no-defaults --datadir="$dir/data" --user=root --skip-test-db \
    --auth-root-authentication-method=socket --innodb-log-file-size=4M >/dev/null 2>&1
  mariadbd --no-defaults --user=root --datadir="$dir/data" --port="${port[$name]}" \
    --bind-address=127.0.0.1 --socket="$dir/mysqld.sock" --pid-file="$dir/mysqld.pid" \
    --log-error="$dir/error.log" --server-id="$2" --log-bin=mysql-bin --log-slave-updates \
    --gtid-strict-mode=1 --skip-name-resolve --innodb-buffer-pool-size=16M \
    --innodb-log-file-size=4M --innodb-use-native-aio=0 >/dev/null 2>&1 &
  pids+=($!)
  for _ in $(seq 200); do sql "$name" 'SELECT 1' >/dev/null 2>&1 && return; sleep 0.05; done
  echo "mariadbd $name did not start" >&2; exit 1
}
start primary 1
start replica 2
sql primary "CREATE USER repl@'127.0.0.1' IDENTIFIED BY 'repl';
  GRANT REPLICATION SLAVE ON *.* TO repl@'127.0.0.1';
  CREATE USER exporter@'127.0.0.1' IDENTIFIED BY 'bench';
  GRANT SLAVE MONITOR ON *.* TO exporter@'127.0.0.1'"
sql replica "CHANGE MASTER TO MASTER_HOST='127.0.0.1', MASTER_PORT=${port[primary]},
  MASTER_USER='repl', MASTER_PASSWORD='repl', MASTER_USE_GTID=slave_pos; START SLAVE"
sql replica "SELECT MASTER_GTID_WAIT('$(sql primary 'SELECT @@gtid_binlog_pos')', 10)" >/dev/null
echo bench >"$work/password"
cat >"$work/bench.yml" <<YAML
targets:
  - {name: primary, kind: mysql, address: "127.0.0.1:${port[primary]}", cluster_id: bench,
     username: exporter, password_file: "$work/password"}
  - {name: replica, kind: mysql, address: "127.0.0.1:${port[replica]}", cluster_id: bench,
     username: exporter, password_file: "$work/password"}
YAML
web=$(free_port)
"$exporter" --config.file="$work/bench.yml" --web.listen-address="127.0.0.1:$web" --log.level=warn &
exporter_pid=$!
pids+=("$exporter_pid")
for _ in $(seq 100); do curl -fsS "http://127.0.0.1:$web/-/healthy" >/dev/null 2>&1 && break; sleep 0.05; done
curl -fsS "http://127.0.0.1:$web/metrics" | grep -q 'datastore_up{target="replica",kind="mysql"} 1'
counters="SELECT VARIABLE_VALUE FROM information_schema.GLOBAL_STATUS WHERE VARIABLE_NAME IN
  ('COM_SELECT','COM_SHOW_SLAVE_STATUS','CONNECTIONS') ORDER BY VARIABLE_NAME"
before=($(sql replica "$counters"))
echo "rss_mb_at_start=$(awk '/VmRSS/ {printf "%.1f", $2/1024}' /proc/$exporter_pid/status)"
python3 "$root/tests/bench/scrape_bench.py" "http://127.0.0.1:$web/metrics" \
  --scrapes "$scrapes" --pid "$exporter_pid" --label "mariadb-pair sequential: "
after=($(sql replica "$counters"))
# Our two counter queries add one SELECT and one connection each.
echo "replica per scrape: SELECT $(( (after[0] - before[0] - 1) / scrapes )), SHOW ALL SLAVES STATUS" \
  "$(( (after[1] - before[1]) / scrapes )); new connections over $scrapes scrapes:" \
  "$(( after[2] - before[2] - 1 ))"
python3 "$root/tests/bench/scrape_bench.py" "http://127.0.0.1:$web/metrics" \
  --scrapes "$scrapes" --clients 4 --pid "$exporter_pid" --label "mariadb-pair 4 clients: "
