# Sourced by the *_pair.sh / *_cluster.sh / *_ensemble.sh benchmarks after
# they wrote $work/bench.yml: starts the exporter on a free port (its pid is
# added to $pids for the caller's cleanup), waits until healthy, prints its
# RSS, then runs the sequential and the 4-client loads.
# Needs: root, exporter, work, pids, scrapes, free_port; $1 = label.
bench_exporter() {
  local label=$1 port exporter_pid
  port=$(free_port)
  "$exporter" --config.file="$work/bench.yml" --web.listen-address="127.0.0.1:$port" --log.level=warn &
  exporter_pid=$!
  pids+=("$exporter_pid")
  for _ in $(seq 100); do curl -fsS "http://127.0.0.1:$port/-/healthy" >/dev/null 2>&1 && break; sleep 0.05; done
  echo "rss_mb_at_start=$(awk '/VmRSS/ {printf "%.1f", $2/1024}' "/proc/$exporter_pid/status")"
  python3 "$root/tests/bench/scrape_bench.py" "http://127.0.0.1:$port/metrics" \
    --scrapes "$scrapes" --pid "$exporter_pid" --label "$label sequential: "
  python3 "$root/tests/bench/scrape_bench.py" "http://127.0.0.1:$port/metrics" \
    --scrapes "$scrapes" --clients 4 --pid "$exporter_pid" --label "$label 4 clients: "
}
