#!/usr/bin/env bash
# Proves the README's demo command as a newcomer runs it: `bash tests/scripts/demo.sh`
# (which installs the packages and builds when needed) must print its URLs, serve a
# primary and a secondary on /metrics and the three RabbitMQ targets (down while their
# cluster forms: the URLs do not wait for it), and on Ctrl-C (SIGINT to its process
# group, as a terminal sends it), which usually comes while the RabbitMQ cluster is still
# forming, stop within 30 s, leaving no process (the RabbitMQ nodes' Erlang VMs and
# their epmd included) and no temporary folder behind.
# .ci/run runs it in a brand-new Debian 12 root before the test suite.
#   bash tests/scripts/demo_check.sh
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
log=$(mktemp /tmp/demo-check.XXXXXX.log)
before=$(ls -d /tmp/datastore-exporter-demo.* 2>/dev/null || true)

# Its own session, so that SIGINT reaches the demo and everything it started, as
# Ctrl-C does, and nothing else (a non-leader child: setsid does not fork).
setsid bash "$root/tests/scripts/demo.sh" >"$log" 2>&1 </dev/null &
demo=$!
fail() {
  echo "demo check: $*" >&2
  echo "--- demo output:" >&2
  tail -40 "$log" >&2
  kill -KILL -- "-$demo" 2>/dev/null || true
  exit 1
}

# Installing and building can take a while on a fresh machine: 40 minutes at most.
for _ in $(seq 2400); do
  grep -q "Press Ctrl-C" "$log" && break
  kill -0 "$demo" 2>/dev/null || fail "demo.sh exited before printing its URLs"
  sleep 1
done
grep -q "Press Ctrl-C" "$log" || fail "no URLs printed within 40 minutes"
metrics_url=$(awk '$1 == "Metrics:" {print $2}' "$log")
[ -n "$metrics_url" ] || fail "no 'Metrics:' URL in the output"
echo "demo check: demo.sh printed its URLs; metrics at $metrics_url"

seen=0
for _ in $(seq 100); do
  metrics=$(curl -fsS "$metrics_url" 2>/dev/null || true)
  if grep -q 'datastore_shard_role{target="demo-primary".*role="primary"} 1' <<<"$metrics" &&
     grep -q 'datastore_shard_role{target="demo-replica".*role="secondary"} 1' <<<"$metrics" &&
     [ "$(grep -c '^datastore_up{target="demo-rabbit[123]"' <<<"$metrics")" = 3 ]; then
    seen=1
    break
  fi
  sleep 0.1
done
[ "$seen" = 1 ] ||
  fail "no primary and secondary or no RabbitMQ targets on $metrics_url; last scrape: $metrics"
echo "demo check: a primary and a secondary and three RabbitMQ targets on /metrics"

session_processes() { ps -e -o pid=,sid= | awk -v sid="$demo" '$2 == sid {print $1}'; }
echo "demo check: Ctrl-C (SIGINT to the demo's $(session_processes | wc -l) processes)"
kill -INT -- "-$demo"
for _ in $(seq 300); do
  kill -0 "$demo" 2>/dev/null || break
  sleep 0.1
done
kill -0 "$demo" 2>/dev/null && fail "demo.sh still running 30 s after Ctrl-C"
status=0
wait "$demo" || status=$?
for _ in $(seq 50); do
  [ -z "$(session_processes)" ] && break
  sleep 0.1
done
left=$(session_processes)
[ -z "$left" ] || fail "processes left after Ctrl-C: $(ps -o pid=,args= -p "${left//$'\n'/,}")"
after=$(ls -d /tmp/datastore-exporter-demo.* 2>/dev/null || true)
[ "$after" = "$before" ] || fail "temporary folder left behind: $after"
echo "demo check: stopped on Ctrl-C (exit status $status), no process and no temporary folder left"
rm -f "$log"
