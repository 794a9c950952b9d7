#!/usr/bin/env python3
"""Benchmark (not a test): our exporter side by side with the Debian peer
exporters, on the same real servers, under the same loads.

Starts a Redis primary+replica, a MariaDB primary+GTID replica and a
PostgreSQL server on loopback, then for each kind one exporter of ours and one
peer exporter, both pointed at the same server (the replica; one target
each). Rounds interleave ours and the peer's (order alternates) so that a burst
of load from other work on the machine hits both. Per round and exporter:
  - sequential: --scrapes scrapes over one keep-alive connection; median and
    p99 latency; exporter CPU (utime+stime from /proc) per scrape; the
    datastore's own CPU per scrape (minus its idle rate) and the commands or
    statements it served per scrape (Redis total_commands_processed, MariaDB
    Questions, PostgreSQL pg_stat_statements calls of the monitor role; our
    own counter reads subtracted) and new connections (PostgreSQL: sessions
    ended, from pg_stat_database; its CPU includes its session processes);
  - concurrent: wrk, 4 connections, --wrk-seconds seconds: scrapes/s, and
    the exporter's and the datastore's CPU per scrape over those scrapes.
RSS is read after the last round. Each figure is the median over rounds.
Run as root (MariaDB and PostgreSQL need it). Usage:
  python3 tests/bench/side_by_side.py [--rounds 3] [--scrapes 200] [--kinds redis,mysql]
From a fresh checkout it installs what is missing (the packages of
tests/scripts/install-deps.sh and build.sh's build when there is no exporter
binary; wrk and the three peer exporters with apt-get) unless --no-install.
"""
import argparse
import os
import re
import shutil
import statistics
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, os.path.join(ROOT, "tests", "support"))
from scrape_bench import (cpu_seconds, loadavg, rss_anon_mb, rss_mb,  # noqa: E402
                          scrape_loop, sequential)
import servers  # noqa: E402

# Debian packages, each also the name of its command.
PEER_PACKAGES = ["wrk", "prometheus-redis-exporter", "prometheus-mysqld-exporter",
                 "prometheus-postgres-exporter"]


# ---- the datastores' own counters ---------------------------------------------

def redis_counters(server):
    info = server.info("stats")
    # Our INFO call is itself one command and one new connection.
    return (int(info["total_commands_processed"]), int(info["total_connections_received"]),
            1, 1)


def mariadb_counters(server):
    rows = server.sql("SELECT VARIABLE_VALUE FROM information_schema.GLOBAL_STATUS WHERE "
                      "VARIABLE_NAME IN ('CONNECTIONS','QUESTIONS') ORDER BY VARIABLE_NAME")
    connections, questions = (int(v) for v in rows.split())
    # Our own read: one statement, one connection.
    return questions, connections, 1, 1


def postgresql_counters(server):
    # Statements of the monitor role (pg_stat_statements counts them when they
    # end) and its open sessions: a connection per scrape shows as churn in
    # the log only, so this counts statements, not connections.
    calls = server.sql("SELECT coalesce(sum(calls), 0) FROM pg_stat_statements "
                       "WHERE userid = 'monitor'::regrole")
    # Sessions are counted when they end: the previous read's psql session
    # shows in this read: two psql sessions of our own per read.
    sessions = server.sql("SELECT sum(sessions) FROM pg_stat_database")
    return int(calls), int(sessions), 0, 2


def tree_cpu_seconds(pid):
    """CPU of a process, its children that ended, and its live children:
    PostgreSQL runs each session in a child process of the postmaster."""
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(entry) == pid:
            total += sum(int(v) for v in fields[11:15])  # utime stime cutime cstime
        elif int(fields[1]) == pid:
            total += int(fields[11]) + int(fields[12])
    return total / ticks


# ---- measuring -------------------------------------------------------------

def wrk(url, seconds):
    out = subprocess.run(["wrk", "-t", "2", "-c", "4", "-d", f"{seconds}s", url],
                         check=True, capture_output=True, text=True).stdout
    m = re.search(r"Requests/sec:\s*([\d.]+)", out)
    total = int(re.search(r"(\d+) requests in", out).group(1))
    bad = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    if bad:
        raise SystemExit(f"wrk on {url}: {bad.group(1)} non-2xx answers")
    return float(m.group(1)), total


def idle_cpu_rate(datastore, seconds=2.0):
    cpu = datastore.get("cpu", lambda: cpu_seconds(datastore["pid"]))
    before = cpu()
    time.sleep(seconds)
    return (cpu() - before) / seconds


def measure(exporter, datastore, args):
    """One round for one exporter: returns a dict of figures."""
    url, pid = exporter["url"], exporter["pid"]
    scrape_loop(url, 20, [], [])  # Warm-up: connections, caches.
    ops0, conns0, own_ops, own_conns = datastore["counters"]()
    ds_cpu_seconds = datastore.get("cpu", lambda: cpu_seconds(datastore["pid"]))
    ds_cpu0, cpu0, t0 = ds_cpu_seconds(), cpu_seconds(pid), time.perf_counter()
    median, p99 = sequential(url, args.scrapes)
    wall = time.perf_counter() - t0
    cpu1, ds_cpu1 = cpu_seconds(pid), ds_cpu_seconds()
    ops1, conns1, _, _ = datastore["counters"]()
    n = args.scrapes
    seq_ds_cpu = max(0.0, ds_cpu1 - ds_cpu0 - datastore["idle_rate"] * wall)
    # CPU is counted in clock ticks (10 ms): the wrk run, thousands of
    # scrapes, gives the finer per-scrape figures.
    t0 = time.perf_counter()
    rate, total = wrk(url, args.wrk_seconds)
    wrk_wall = time.perf_counter() - t0
    cpu2, ds_cpu2 = cpu_seconds(pid), ds_cpu_seconds()
    ds_cpu = max(0.0, ds_cpu2 - ds_cpu1 - datastore["idle_rate"] * wrk_wall)
    return {
        "median ms": median,
        "p99 ms": p99,
        "CPU ms/scrape, sequential": (cpu1 - cpu0) * 1000 / n,
        "CPU ms/scrape, 4 clients": (cpu2 - cpu1) * 1000 / total,
        "scrapes/s, 4 clients": rate,
        "scrapes served": 20 + n + total,
        "datastore commands/scrape": (ops1 - ops0 - own_ops) / n,
        "datastore conns/scrape": (conns1 - conns0 - own_conns) / n,
        "datastore CPU ms/scrape, sequential": seq_ds_cpu * 1000 / n,
        "datastore CPU ms/scrape, 4 clients": ds_cpu * 1000 / total,
    }


def main():
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--scrapes", type=int, default=200)
    parser.add_argument("--wrk-seconds", type=int, default=2)
    parser.add_argument("--kinds", default="redis,mysql,postgresql")
    parser.add_argument("--exporter", default=servers.exporter_binary())
    parser.add_argument("--no-install", action="store_true",
                        help="fail instead of installing missing packages or building")
    args = parser.parse_args()
    if not os.path.exists(args.exporter):
        if args.no_install:
            raise SystemExit(f"no exporter at {args.exporter}: bash tests/scripts/build.sh")
        subprocess.run(["bash", os.path.join(ROOT, "tests/scripts/install-deps.sh")], check=True)
        subprocess.run(["bash", os.path.join(ROOT, "tests/scripts/build.sh")], check=True)
    missing = [t for t in PEER_PACKAGES if shutil.which(t) is None]
    if missing:
        if args.no_install:
            raise SystemExit(f"missing: {' '.join(missing)} (apt-get install "
                             f"--no-install-recommends {' '.join(PEER_PACKAGES)})")
        subprocess.run(["apt-get", "update"], check=True)
        subprocess.run(["apt-get", "install", "-y", "--no-install-recommends", *PEER_PACKAGES],
                       check=True, env=dict(os.environ, DEBIAN_FRONTEND="noninteractive"))
    with servers.Servers() as stack:
        run(args, stack)


def start_ours(stack, exporter, name, target):
    """Our exporter with one target, named replica; {url, pid}."""
    ours = stack.exporter({"targets": [dict(target, name="replica")]}, ["--log.level=warn"],
                          name=f"ours-{name}", binary=exporter)
    body = ours.get("/metrics")[1]
    if 'datastore_up{target="replica"' not in body or "} 1" not in body:
        raise SystemExit(f"our {name} exporter does not see its target:\n{body}")
    return {"url": f"{ours.url}/metrics", "pid": ours.pid}


def start_peer(stack, program, flags, up, env=None):
    """A peer exporter, started with `flags` (a format string of its listen
    address) and waited for until its /metrics has `up`; {url, pid}."""
    address = f"127.0.0.1:{servers.free_port()}"
    url = f"http://{address}/metrics"
    peer = stack.spawn(program, [program, *[flag.format(address) for flag in flags]],
                       env=dict(os.environ, **env) if env else None)
    stack.wait_until(f"{program} to see its target", lambda: up in servers.http_get(url)[1], 10)
    return {"url": url, "pid": peer.pid}


def run(args, stack):
    kinds = []
    if "redis" in args.kinds:
        _, redis_replica = stack.redis_pair()
        ours = start_ours(stack, args.exporter, "redis", {
            "kind": "redis", "address": redis_replica.address, "cluster_id": "bench"})
        peer = start_peer(stack, "prometheus-redis-exporter",
                          ["-redis.addr", f"redis://{redis_replica.address}",
                           "-web.listen-address", "{}"], "redis_up 1")
        kinds.append(("redis", "prometheus-redis-exporter", ours, peer,
                      {"pid": redis_replica.pid,
                       "counters": lambda: redis_counters(redis_replica)}))
    if "mysql" in args.kinds:
        _, mariadb_replica = stack.mariadb_pair(setup=(
            "CREATE USER exporter@'127.0.0.1' IDENTIFIED BY 'bench'; "
            # The peer's default collectors need PROCESS and SELECT too.
            "GRANT SLAVE MONITOR, PROCESS, SELECT ON *.* TO exporter@'127.0.0.1'"))
        ours = start_ours(stack, args.exporter, "mysql", {
            "kind": "mysql", "address": mariadb_replica.address, "cluster_id": "bench",
            "username": "exporter", "password_file": stack.file("password", "bench\n")})
        cnf = stack.file("peer.my.cnf", "[client]\nuser=exporter\npassword=bench\n"
                         f"host=127.0.0.1\nport={mariadb_replica.port}\n")
        peer = start_peer(stack, "prometheus-mysqld-exporter",
                          [f"--config.my-cnf={cnf}", "--web.listen-address={}"], "mysql_up 1")
        kinds.append(("mysql (MariaDB)", "prometheus-mysqld-exporter", ours, peer,
                      {"pid": mariadb_replica.pid,
                       "counters": lambda: mariadb_counters(mariadb_replica)}))

    if "postgresql" in args.kinds:
        postgres = stack.postgres(settings=["shared_preload_libraries = 'pg_stat_statements'"])
        postgres.sql("CREATE EXTENSION pg_stat_statements; "
                     "CREATE ROLE monitor LOGIN PASSWORD 'bench' IN ROLE pg_monitor")
        ours = start_ours(stack, args.exporter, "postgresql", {
            "kind": "postgresql", "address": postgres.address, "username": "monitor",
            "password_file": stack.file("password", "bench\n")})
        peer = start_peer(stack, "prometheus-postgres-exporter", ["--web.listen-address={}"],
                          "pg_up 1", env={"DATA_SOURCE_NAME": f"postgresql://monitor:bench@"
                                          f"{postgres.address}/postgres?sslmode=disable"})
        kinds.append(("postgresql 15 (a primary)", "prometheus-postgres-exporter", ours, peer,
                      {"pid": postgres.pid, "counters": lambda: postgresql_counters(postgres),
                       "cpu": lambda: tree_cpu_seconds(postgres.pid)}))

    load_before = loadavg()
    figures = {}
    for kind, peer_name, ours, peer, datastore in kinds:
        datastore["idle_rate"] = idle_cpu_rate(datastore)
        rows = {"ours": [], "peer": []}
        for r in range(args.rounds):
            order = [("ours", ours), ("peer", peer)]
            if r % 2:
                order.reverse()
            for who, exporter in order:
                rows[who].append(measure(exporter, datastore, args))
        for who, exporter in (("ours", ours), ("peer", peer)):
            merged = {k: statistics.median(row[k] for row in rows[who]) for k in rows[who][0]}
            # Read after every round: the total of the scrapes served so far.
            merged["scrapes served"] = sum(row["scrapes served"] for row in rows[who]) + 1
            merged["RSS MB"] = rss_mb(exporter["pid"])
            merged["RSS anon MB"] = rss_anon_mb(exporter["pid"])
            figures[(kind, who)] = merged
        figures[(kind, "name")] = peer_name
    load_after = loadavg()

    print(f"# side by side: {args.rounds} interleaved rounds of {args.scrapes} sequential "
          f"scrapes + wrk -c4 {args.wrk_seconds}s each; one target (the replica) per exporter")
    print(f"# machine: {os.cpu_count()} CPUs, load average before {load_before}, "
          f"after {load_after}")
    for kind, peer_name, *_ in kinds:
        ours, peer = figures[(kind, "ours")], figures[(kind, "peer")]
        print(f"\n## {kind}: datastore_exporter vs {peer_name}")
        print("| figure | ours | peer | peer / ours |")
        print("|---|---|---|---|")
        for key in ["median ms", "p99 ms", "CPU ms/scrape, sequential",
                    "CPU ms/scrape, 4 clients", "scrapes served", "RSS MB", "RSS anon MB", "scrapes/s, 4 clients",
                    "datastore commands/scrape", "datastore conns/scrape",
                    "datastore CPU ms/scrape, sequential", "datastore CPU ms/scrape, 4 clients"]:
            a, b = ours[key], peer[key]
            if key == "scrapes served":
                ratio = ""
            elif key == "scrapes/s, 4 clients":
                ratio = f"ours {a / b:.1f}x" if b else "-"
            else:
                ratio = f"{b / a:.1f}x" if a > 0 else "-"
            print(f"| {key} | {a:.3f} | {b:.3f} | {ratio} |")


if __name__ == "__main__":
    main()
