#!/usr/bin/env python3
"""Benchmark (not a test): scrape latency, CPU and RSS of the exporter over a
small real cluster of one kind on loopback, every node a target:

  redis       a primary and a replica;
  mariadb     a primary and a GTID replica, and what each scrape costs the
              replica (statements, connections);
  postgresql  a primary and a streaming standby: scrape latency with a new
              HTTP connection per scrape (curl), what the servers counted per
              scrape (pg_stat_statements and log_statement = 'all'), and how
              long a stopped standby takes to show as down;
  etcd        3 members: in the steady state one HTTP request per target and
              scrape (maintenance status) over a kept-alive connection;
  zookeeper   3 servers: with conf whitelisted and no node configured, two
              short TCP connections per target and scrape (srvr, then conf).

Then SCRAPES sequential scrapes over one keep-alive connection, and SCRAPES
from 4 clients (scrape_bench.py). Run as root for mariadb and postgresql.

  python3 tests/bench/small_cluster.py KIND [--scrapes N]   (default 1000, postgresql 300)
"""
import argparse
import os
import re
import statistics
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, os.path.join(ROOT, "tests", "support"))
from scrape_bench import measure, percentile, rss_mb  # noqa: E402
import servers  # noqa: E402


def start_exporter(stack, targets):
    exporter = stack.exporter({"targets": targets}, ["--log.level=warn"])
    print(f"rss_mb_at_start={rss_mb(exporter.pid):.1f}")
    return exporter


def scrapes(exporter, count, clients, label):
    """One scrape_bench.py load: prints its line, returns its failed scrapes."""
    line, errors = measure(f"{exporter.url}/metrics", count, clients, exporter.pid, label)
    print(line, flush=True)
    return errors


def both_loads(exporter, count, label):
    return (scrapes(exporter, count, 1, f"{label} sequential: ")
            + scrapes(exporter, count, 4, f"{label} 4 clients: "))


def redis(stack, count):
    primary, replica = stack.redis_pair()
    exporter = start_exporter(stack, [
        {"name": name, "kind": "redis", "address": server.address, "cluster_id": "bench"}
        for name, server in (("primary", primary), ("replica", replica))])
    return both_loads(exporter, count, "redis-pair")


def etcd(stack, count):
    members = stack.etcd_cluster(3)
    exporter = start_exporter(stack, [{"name": f"etcd{i}", "kind": "etcd", "address": m.address}
                                      for i, m in enumerate(members, 1)])
    return both_loads(exporter, count, "etcd-cluster")


def zookeeper(stack, count):
    ensemble = stack.zookeeper_ensemble(3)
    exporter = start_exporter(stack, [
        {"name": f"zk{i}", "kind": "zookeeper", "address": server.address, "cluster_id": "bench"}
        for i, server in enumerate(ensemble, 1)])
    return both_loads(exporter, count, "zookeeper-ensemble")


def mariadb(stack, count):
    primary, replica = stack.mariadb_pair(setup=(
        "CREATE USER exporter@'127.0.0.1' IDENTIFIED BY 'bench'; "
        "GRANT SLAVE MONITOR ON *.* TO exporter@'127.0.0.1'"))
    password = stack.file("password", "bench\n")
    exporter = start_exporter(stack, [
        {"name": name, "kind": "mysql", "address": server.address, "cluster_id": "bench",
         "username": "exporter", "password_file": password}
        for name, server in (("primary", primary), ("replica", replica))])
    if 'datastore_up{target="replica",kind="mysql"} 1' not in exporter.get("/metrics")[1]:
        raise SystemExit("the exporter does not see the replica up")

    def counters():
        return [int(value) for value in replica.sql(
            "SELECT VARIABLE_VALUE FROM information_schema.GLOBAL_STATUS WHERE VARIABLE_NAME IN "
            "('COM_SELECT','COM_SHOW_SLAVE_STATUS','CONNECTIONS') ORDER BY VARIABLE_NAME").split()]

    before = counters()
    errors = scrapes(exporter, count, 1, "mariadb-pair sequential: ")
    after = counters()
    # Our two counter queries add one SELECT and one connection each.
    print(f"replica per scrape: SELECT {(after[0] - before[0] - 1) // count}, SHOW ALL SLAVES "
          f"STATUS {(after[1] - before[1]) // count}; new connections over {count} scrapes: "
          f"{after[2] - before[2] - 1}")
    return errors + scrapes(exporter, count, 4, "mariadb-pair 4 clients: ")


def postgresql(stack, count):
    primary = stack.postgres("primary", settings=[
        "shared_preload_libraries = 'pg_stat_statements'", "log_statement = 'all'",
        "log_line_prefix = '%m [%p] user=%u '"])
    primary.sql("CREATE EXTENSION pg_stat_statements; "
                "CREATE ROLE monitor LOGIN PASSWORD 'measure-only' IN ROLE pg_monitor")
    standby = stack.postgres_standby(primary, "standby")
    password = stack.file("password", "measure-only\n")
    exporter = start_exporter(stack, [
        {"name": name, "kind": "postgresql", "address": server.address, "username": "monitor",
         "password_file": password}
        for name, server in (("primary", primary), ("standby", standby))])
    url = f"{exporter.url}/metrics"
    curl(stack, url)  # Opens the kept connections.

    def monitor_log_lines():
        lines = 0
        for server in (primary, standby):
            with open(server.log, errors="replace") as f:
                lines += sum("user=monitor" in line for line in f)
        return lines

    for server in (primary, standby):
        server.sql("SELECT pg_stat_statements_reset()")
    lines_before = monitor_log_lines()
    latency, collect = [], []
    for _ in range(count):
        seconds, body = curl(stack, url)
        latency.append(seconds)
        collect += collect_durations(body)
    print(f"PostgreSQL {primary.sql('SHOW server_version')}, {count} scrapes of 2 targets "
          "(primary + standby):")
    print(f"  scrape latency (curl time_total): {summary(latency)}")
    print(f"  per-target collect duration:      {summary(collect)}")
    for name, server in (("primary", primary), ("standby", standby)):
        print(f"  {name}: statements run by monitor (pg_stat_statements): " + server.sql(
            "SELECT coalesce(sum(calls), 0) || ' calls of ' || count(*) || ' distinct statement(s),"
            " mean execution ' || round(avg(mean_exec_time)::numeric, 3) || ' ms' "
            "FROM pg_stat_statements WHERE userid = 'monitor'::regrole"))
    print("  server log lines of monitor (log_statement = all), both servers: "
          f"{monitor_log_lines() - lines_before}")
    print("  connections of the exporter: " + primary.sql(
        "SELECT count(*) FROM pg_stat_activity WHERE application_name = 'datastore_exporter'")
        + " on the primary")
    errors = scrapes(exporter, count, 1, "  keep-alive (scrape_bench.py): ")

    # A stopped server: how long until the scrape says datastore_up 0.
    standby.stop()
    down = []
    for _ in range(20):
        down += collect_durations(curl(stack, url)[1], 'target="standby"')
    print(f"  stopped standby, collect duration until datastore_up 0: {summary(down)}")
    return errors


def curl(stack, url):
    """(seconds, body) of one GET with curl: a new connection each."""
    body = stack.path("body")
    seconds = subprocess.run(["curl", "-sf", "-o", body, "-w", "%{time_total}", url],
                             check=True, capture_output=True, text=True).stdout
    with open(body) as f:
        return float(seconds), f.read()


def collect_durations(body, having=""):
    """The datastore_collect_duration_seconds values in a /metrics body, of
    the series whose labels contain `having`."""
    return [float(m.group(2)) for m in re.finditer(
        r"^datastore_collect_duration_seconds\{(.*)\} (\S+)$", body, re.M) if having in m.group(1)]


def summary(seconds):
    """Percentiles (ms) of the numbers (seconds): median, p90, p99, max."""
    ms = sorted(value * 1000 for value in seconds)
    return (f"n={len(ms)} median={statistics.median(ms):.2f}ms p90={percentile(ms, 0.9):.2f}ms "
            f"p99={percentile(ms, 0.99):.2f}ms max={ms[-1]:.2f}ms")


KINDS = {"redis": redis, "mariadb": mariadb, "postgresql": postgresql, "etcd": etcd,
         "zookeeper": zookeeper}


def main():
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("kind", choices=KINDS)
    parser.add_argument("--scrapes", type=int)
    args = parser.parse_args()
    count = args.scrapes or (300 if args.kind == "postgresql" else 1000)
    with servers.Servers() as stack:
        failed = KINDS[args.kind](stack, count)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
