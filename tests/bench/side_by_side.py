#!/usr/bin/env python3
"""Benchmark (not a test): our exporter side by side with the Debian peer
exporters (nats, rabbitmq: the references below), on the same real
servers, under the same loads.

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
RSS is read after the last round; bytes/scrape is the size of one reply.
Each figure is the median over rounds.

nats: no NATS exporter is packaged in Debian, so the reference is the raw
fetch any NATS exporter does, without an exporter: GET /varz and GET
/jsz?accounts=true&streams=true of each nats-server (RawFetch). A 3-node
JetStream cluster with --streams R3 streams (stream i holds i messages,
leaders as nats-server places them: printed), then two pairs: our exporter
with the 3 nodes as targets vs the raw fetch of the 3 nodes (each node over
its own keep-alive connection, the nodes at once, as our exporter collects
its targets), and our exporter with 1 target vs the raw fetch of that node.
The datastore figures are the nats-servers' (of the nodes fetched): CPU,
and HTTP requests served (/varz http_req_stats).

rabbitmq: the reference is the rabbitmq_prometheus plugin itself, the
endpoint a RabbitMQ user scrapes without an exporter: GET /metrics of each
node (aggregated, the plugin's default), and, as more references,
/metrics/per-object and /metrics/detailed?family=ra_metrics&
family=queue_coarse_metrics (RawFetch, each its one path). A 3-node cluster
with --queues quorum queues and --rabbitmq-streams streams, declared
through the nodes in turn (each node leads a third: printed), then the
same two pairs as nats: 3 targets vs the 3 nodes, 1 target vs that node.
Our exporter asks each node's management API for the queue list and its
plugin for ra_metrics. The broker figures are the CPU of the 3 nodes' VMs
(beam.smp, the PIDs started) whatever is scraped, since one node's queue
list makes the others work; no request count. The nodes' RSS is printed
before and after the rounds.

Run as root (MariaDB and PostgreSQL need it). Usage:
  python3 tests/bench/side_by_side.py [--rounds 3] [--scrapes 200] [--kinds redis,mysql,nats]
      [--wrk-seconds 2 (0: none)] [--streams 100] [--queues 30 --rabbitmq-streams 3]
From a fresh checkout it installs what is missing (the packages of
tests/scripts/install-deps.sh and build.sh's build when there is no exporter
binary; wrk and the three peer exporters with apt-get) unless --no-install.
"""
import argparse
import concurrent.futures
import http.client
import math
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
from scrape_bench import (cpu_seconds, loadavg, percentile, rss_anon_mb,  # noqa: E402
                          rss_mb, scrape_loop, sequential)
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


def nats_counters(nodes):
    # HTTP requests served, of every path; our /varz read is one on each node.
    # nats-server counts no HTTP connections.
    served = sum(sum(node.monitor("/varz")["http_req_stats"].values()) for node in nodes)
    return served, math.nan, len(nodes), 0


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

def wrk(urls, seconds, threads=2, script=None):
    """wrk -c4 on each URL, all at once (one wrk each, `threads` threads,
    with a Lua `script` when given); (requests/s, requests), summed."""
    runs = [subprocess.Popen(["wrk", "-t", str(threads), "-c", "4", "-d", f"{seconds}s",
                              *(["-s", script] if script else []), url],
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
            for url in urls]
    rate, total = 0.0, 0
    for url, run in zip(urls, runs):
        out, err = run.communicate(timeout=seconds + 60)
        if run.returncode != 0:
            raise SystemExit(f"wrk on {url} failed: {err.strip()}")
        bad = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
        if bad:
            raise SystemExit(f"wrk on {url}: {bad.group(1)} non-2xx answers")
        rate += float(re.search(r"Requests/sec:\s*([\d.]+)", out).group(1))
        total += int(re.search(r"(\d+) requests in", out).group(1))
    return rate, total


# ---- what is scraped: an exporter's /metrics, or the raw fetch of nats-servers

def scraped_exporter(url, pid, log=None):
    """An exporter: its /metrics scraped over one keep-alive connection
    (sequential), by wrk (concurrent); its pid for CPU and RSS; its `log`
    (ours: warnings and errors only), printed after the rounds."""
    return {"pid": pid, "log": log,
            "warm_up": lambda count: scrape_loop(url, count, [], []),
            "sequential": lambda count: sequential(url, count),
            "concurrent": lambda seconds: wrk([url], seconds),
            "bytes": lambda: len(servers.http_get(url)[1].encode())}


NATS_PATHS = ["/varz", "/jsz?accounts=true&streams=true"]
# For wrk: a NATS_PATHS fetch per two requests, over its 4 connections.
NATS_WRK_SCRIPT = """\
local paths = {"/varz", "/jsz?accounts=true&streams=true"}
local n = 0
request = function()
  n = n + 1
  return wrk.format("GET", paths[n % 2 + 1])
end
"""


class RawFetch:
    """A reference without an exporter: GET `paths` of each of `addresses`,
    in turn, over one keep-alive connection per node; several nodes at once,
    a thread each (as our exporter collects its targets).
    nats: what any NATS exporter fetches per scrape (NATS_PATHS of each
    node's monitoring address); rabbitmq: the Prometheus plugin's own
    endpoint of each node, which Prometheus would scrape."""

    def __init__(self, addresses, paths):
        self.addresses, self.paths = addresses, paths
        self.pool = (concurrent.futures.ThreadPoolExecutor(len(addresses))
                     if len(addresses) > 1 else None)
        self.connections = {}  # address -> its connection; one fetch of it at a time

    def get(self, address, path):
        """(status, body) of GET path over the connection to address.
        RabbitMQ's web server closes a connection idle for 60 s (Cowboy's
        idle_timeout; measured: open after 20 s, closed after 62 s): then
        once more on a new connection, as an HTTP client does."""
        for attempt in (1, 2):
            if address not in self.connections:
                host, port = address.rsplit(":", 1)
                self.connections[address] = http.client.HTTPConnection(host, int(port),
                                                                        timeout=30)
            connection = self.connections[address]
            try:
                connection.request("GET", path)
                response = connection.getresponse()
                return response.status, response.read()
            except (http.client.RemoteDisconnected, BrokenPipeError, ConnectionResetError):
                self.connections.pop(address).close()
                if attempt == 2:
                    raise

    def fetch_node(self, address):
        """Bytes of the node's replies."""
        size = 0
        for path in self.paths:
            status, body = self.get(address, path)
            if status != 200:
                raise SystemExit(f"GET {address}{path}: HTTP {status}")
            size += len(body)
        return size

    def scrape(self):
        """One fetch of every node; bytes of all replies."""
        if self.pool is None:
            return self.fetch_node(self.addresses[0])
        return sum(self.pool.map(self.fetch_node, self.addresses))

    def sequential(self, count):
        """(median ms, p99 ms) of `count` fetches, one after the other."""
        latencies = []
        for _ in range(count):
            start = time.perf_counter()
            self.scrape()
            latencies.append(time.perf_counter() - start)
        latencies.sort()
        return statistics.median(latencies) * 1000, percentile(latencies, 0.99) * 1000

    def concurrent(self, seconds, script):
        """wrk -c4 on every node at once (one thread each; with several
        paths, a Lua `script` that goes through them): (fetches/s,
        fetches); a fetch is len(paths) requests on every node."""
        path = "/" if script else self.paths[0]
        rate, requests = wrk([f"http://{a}{path}" for a in self.addresses], seconds, 1, script)
        per_fetch = len(self.paths) * len(self.addresses)
        return rate / per_fetch, requests // per_fetch

    def scraped(self, script=None):
        return {"pid": None,
                "warm_up": lambda count: [self.scrape() for _ in range(count)],
                "sequential": self.sequential,
                "concurrent": lambda seconds: self.concurrent(seconds, script),
                "bytes": self.scrape}


def idle_cpu_rate(datastore):
    cpu = datastore.get("cpu", lambda: cpu_seconds(datastore["pid"]))
    seconds = datastore.get("idle_seconds", 2.0)
    before = cpu()
    time.sleep(seconds)
    return (cpu() - before) / seconds


def no_counters():
    """For a datastore that counts no requests: (NaN, NaN, 0, 0)."""
    return math.nan, math.nan, 0, 0


def measure(exporter, datastore, args):
    """One round for one exporter (scraped_exporter, RawFetch.scraped):
    returns a dict of figures; exporter CPU is NaN without a pid, the
    concurrent figures NaN with --wrk-seconds 0."""
    pid = exporter["pid"]
    exporter_cpu = (lambda: cpu_seconds(pid)) if pid else (lambda: math.nan)
    counters = datastore.get("counters", no_counters)
    exporter["warm_up"](20)  # Connections, caches.
    ops0, conns0, own_ops, own_conns = counters()
    ds_cpu_seconds = datastore.get("cpu", lambda: cpu_seconds(datastore["pid"]))
    ds_cpu0, cpu0, t0 = ds_cpu_seconds(), exporter_cpu(), time.perf_counter()
    median, p99 = exporter["sequential"](args.scrapes)
    wall = time.perf_counter() - t0
    cpu1, ds_cpu1 = exporter_cpu(), ds_cpu_seconds()
    ops1, conns1, _, _ = counters()
    n = args.scrapes
    seq_ds_cpu = max(0.0, ds_cpu1 - ds_cpu0 - datastore["idle_rate"] * wall)
    # CPU is counted in clock ticks (10 ms): the wrk run, thousands of
    # scrapes, gives the finer per-scrape figures.
    rate, total, cpu2, ds_cpu = math.nan, 0, math.nan, math.nan
    if args.wrk_seconds > 0:
        t0 = time.perf_counter()
        rate, total = exporter["concurrent"](args.wrk_seconds)
        wrk_wall = time.perf_counter() - t0
        cpu2, ds_cpu2 = exporter_cpu(), ds_cpu_seconds()
        ds_cpu = max(0.0, ds_cpu2 - ds_cpu1 - datastore["idle_rate"] * wrk_wall)
    return {
        "median ms": median,
        "p99 ms": p99,
        "CPU ms/scrape, sequential": (cpu1 - cpu0) * 1000 / n,
        "CPU ms/scrape, 4 clients": (cpu2 - cpu1) * 1000 / total if total else math.nan,
        "scrapes/s, 4 clients": rate,
        "scrapes served": 20 + n + total + 1,  # and the bytes/scrape one
        "bytes/scrape": exporter["bytes"](),
        "datastore commands/scrape": (ops1 - ops0 - own_ops) / n,
        "datastore conns/scrape": (conns1 - conns0 - own_conns) / n,
        "datastore CPU ms/scrape, sequential": seq_ds_cpu * 1000 / n,
        "datastore CPU ms/scrape, 4 clients": ds_cpu * 1000 / total if total else math.nan,
    }


def main():
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--scrapes", type=int, default=200)
    parser.add_argument("--wrk-seconds", type=int, default=2,
                        help="0: no concurrent part")
    parser.add_argument("--kinds", default="redis,mysql,postgresql,nats,rabbitmq")
    parser.add_argument("--streams", type=int, default=100,
                        help="R3 streams in the nats cluster")
    parser.add_argument("--queues", type=int, default=30,
                        help="quorum queues in the rabbitmq cluster")
    parser.add_argument("--rabbitmq-streams", type=int, default=3,
                        help="streams in the rabbitmq cluster")
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
        cluster = []
        try:
            run(args, stack, cluster)
        finally:
            # RabbitMQ nodes stop cleanly, all at once, before the rest (their
            # epmd too): the stack would kill what is left after 10 s.
            if cluster:
                began = time.monotonic()
                servers.stop_all([node.process for node in cluster], timeout=60)
                print(f"# rabbitmq: {len(cluster)} nodes stopped in "
                      f"{time.monotonic() - began:.1f} s", flush=True)


def start_ours(stack, exporter, name, targets):
    """Our exporter with `targets` (each with its name), waited for until
    every one is up; scraped_exporter() of it and the first /metrics."""
    ours = stack.exporter({"targets": targets}, ["--log.level=warn"], name=f"ours-{name}",
                          binary=exporter)
    body = ours.get("/metrics")[1]
    for target in targets:
        if not re.search(rf'^datastore_up{{[^}}]*target="{re.escape(target["name"])}"[^}}]*}} 1$',
                         body, re.M):
            raise SystemExit(f"our {name} exporter does not see {target['name']}:\n{body}")
    return scraped_exporter(f"{ours.url}/metrics", ours.pid, ours.log), body


def start_peer(stack, program, flags, up, env=None):
    """A peer exporter, started with `flags` (a format string of its listen
    address) and waited for until its /metrics has `up`; scraped_exporter()."""
    address = f"127.0.0.1:{servers.free_port()}"
    url = f"http://{address}/metrics"
    peer = stack.spawn(program, [program, *[flag.format(address) for flag in flags]],
                       env=dict(os.environ, **env) if env else None)
    stack.wait_until(f"{program} to see its target", lambda: up in servers.http_get(url)[1], 10)
    return scraped_exporter(url, peer.pid)


# ---- nats -------------------------------------------------------------------

def nats_cluster(stack, streams):
    """3 nodes n1..n3 in cluster `bench`, `streams` R3 streams S001...
    (stream i holds i messages), created 10 at a time; once every node holds
    every stream at its last_seq and all name the same leader of each,
    returns the nodes, the streams each node leads and the seconds it took."""
    began = time.monotonic()
    nodes = stack.nats_cluster(3, "n", "bench")
    names = [f"S{i:03d}" for i in range(1, streams + 1)]

    def create(i):
        node = nodes[i % len(nodes)]
        node.create_stream(names[i], replicas=3)
        node.publish(f"{names[i]}.new", i + 1)

    with concurrent.futures.ThreadPoolExecutor(10) as pool:
        list(pool.map(create, range(streams)))

    def leaders():
        named = {}  # stream -> the leaders the nodes name
        for node in nodes:
            details = node.monitor("/jsz?accounts=true&streams=true").get("account_details", [])
            held = {d["name"]: d for a in details for d in a.get("stream_detail", [])}
            for i, name in enumerate(names, 1):
                detail = held.get(name)
                if detail is None or detail["state"]["last_seq"] != i:
                    return None
                named.setdefault(name, set()).add(detail.get("cluster", {}).get("leader"))
        node_names = {node.name for node in nodes}
        if any(len(leaders) != 1 or not leaders <= node_names for leaders in named.values()):
            return None
        return {node.name: [name for name in names if named[name] == {node.name}]
                for node in nodes}

    led = stack.wait_until(f"{streams} R3 streams in sync with one leader each", leaders, 60,
                           interval=0.5)
    return nodes, led, time.monotonic() - began


ROLE_LINE = re.compile(r'^datastore_shard_role{([^}]*)} 1$', re.M)
LABEL = re.compile(r'(\w+)="((?:[^"\\]|\\.)*)"')


def roles_of(body):
    """(node, shard) -> role at 1, from a /metrics text of ours."""
    roles = {}
    for labels in ROLE_LINE.findall(body):
        labels = dict(LABEL.findall(labels))
        roles[(labels["node"], labels["shard"])] = labels["role"]
    return roles


def check_roles(kind, roles, expected, what, count, objects):
    """Exits unless `roles` (roles_of) are the `expected` ones; else prints
    how many there were."""
    if roles != expected:
        wrong = sorted(set(roles.items()) ^ set(expected.items()))[:5]
        raise SystemExit(f"our {kind} exporter's roles differ from {what}: {wrong}")
    primaries = sum(role == "primary" for role in roles.values())
    print(f"# check ({kind}, {count} of 3 nodes): {len(roles)} (node, {objects}) roles as "
          f"{what} gives them, {primaries} primaries: ok", flush=True)


def check_nats_model(body, targets, led):
    """Exits unless our first /metrics has, for every stream of every
    target, the role its /jsz gave: primary on the leader, else secondary."""
    expected = {(node.name, f"$G/{stream}"): "primary" if node.name == leader else "secondary"
                for node in targets for leader, streams in led.items() for stream in streams}
    check_roles("nats", roles_of(body), expected, "/jsz", len(targets), "stream")


def nats_pairs(stack, args):
    """The nats kind's two pairs (see the module's doc)."""
    nodes, led, seconds = nats_cluster(stack, args.streams)
    print(f"# nats: 3 nodes and {args.streams} R3 streams ready in {seconds:.1f} s; streams led "
          "per node: " + ", ".join(f"{name} {len(streams)}" for name, streams in led.items()),
          flush=True)
    if any(not streams for streams in led.values()):
        raise SystemExit("a node leads no stream: leaders not spread")
    script = stack.file("nats.lua", NATS_WRK_SCRIPT)
    pairs = []
    for targets in (nodes, nodes[:1]):
        ours, body = start_ours(stack, args.exporter, f"nats-{len(targets)}", [
            {"name": node.name, "kind": "nats", "address": node.monitor_address}
            for node in targets])
        check_nats_model(body, targets, led)
        raw = RawFetch([node.monitor_address for node in targets], NATS_PATHS).scraped(script)
        what = ("3 nodes" if len(targets) == 3 else "1 node of 3") + f", {args.streams} R3 streams"
        pairs.append((f"nats 2.9 ({what})", ours,
                      [("the raw fetch (GET /varz + /jsz of each node)", raw)],
                      {"cpu": lambda t=targets: sum(cpu_seconds(node.pid) for node in t),
                       "counters": lambda t=targets: nats_counters(t),
                       # 100 R3 streams cost ~40 ms/s per idle node, unevenly.
                       "idle_seconds": 5.0}))
    return pairs


# ---- rabbitmq -----------------------------------------------------------------

# The references: the Prometheus plugin's own endpoints (no credentials).
# /metrics is aggregated (the plugin's default); per-object gives each
# queue's series; the detailed families are what holds each quorum queue's
# Raft indexes and each queue's process on its node.
RABBITMQ_REFERENCES = [
    ("/metrics", "plugin /metrics"),
    ("/metrics/per-object", "plugin /metrics/per-object"),
    ("/metrics/detailed?family=ra_metrics&family=queue_coarse_metrics",
     "plugin /metrics/detailed?family=ra_metrics&family=queue_coarse_metrics"),
]
COMMIT_INDEX = re.compile(r'^rabbitmq_detailed_raft_log_commit_index{[^}]*queue="([^"]*)"', re.M)


def rabbitmq_cluster(stack, queues, streams):
    """3 nodes rabbit1..3 in cluster `bench`; `queues` quorum queues
    q000... (queue i holds i % 10 + 1 messages) and `streams` streams
    s000... (5 messages each), declared through node i % 3 (their first
    leader or writer), 6 at a time; once every node's Raft series show
    every quorum queue (refreshed every 5 s), returns the nodes, the queue
    list (name, type, leader, node, members) and the seconds it took."""
    began = time.monotonic()
    nodes = stack.rabbitmq_cluster(3, "rabbit", "bench")
    declared = ([(f"q{i:03d}", "quorum", i % 10 + 1) for i in range(queues)]
                + [(f"s{i:03d}", "stream", 5) for i in range(streams)])

    def declare(i):
        name, queue_type, messages = declared[i]
        node = nodes[i % len(nodes)]
        node.declare_queue(name, queue_type)
        node.publish(name, messages)

    with concurrent.futures.ThreadPoolExecutor(6) as pool:
        list(pool.map(declare, range(len(declared))))
    quorum = {f"q{i:03d}" for i in range(queues)}
    stack.wait_until(
        f"the Raft series of {queues} quorum queues on every node",
        lambda: all(set(COMMIT_INDEX.findall(node.metrics(
            "/metrics/detailed?family=ra_metrics")[1])) >= quorum for node in nodes),
        60, interval=0.5)
    listed = nodes[0].api("GET", "/api/queues?disable_stats=true&"
                          "columns=name,vhost,type,leader,node,members")
    return nodes, listed, time.monotonic() - began


def check_rabbitmq_model(body, targets, listed):
    """Exits unless our first /metrics has the roles of the queue list:
    each quorum queue primary on its leader, secondary on its other
    members; each stream primary on its writer only."""
    expected = {}
    for queue in listed:
        shard = f"{queue['vhost']}/{queue['name']}"
        for node in targets:
            if queue["type"] == "quorum" and node.node in queue["members"]:
                expected[(node.node, shard)] = ("primary" if queue["leader"] == node.node
                                                else "secondary")
            elif queue["type"] == "stream" and queue["node"] == node.node:
                expected[(node.node, shard)] = "primary"
    check_roles("rabbitmq", roles_of(body), expected, "the queue list", len(targets),
                "queue")


def rabbitmq_pairs(stack, args, cluster):
    """The rabbitmq kind's two comparisons (see the module's doc); the
    nodes are added to `cluster`."""
    nodes, listed, seconds = rabbitmq_cluster(stack, args.queues, args.rabbitmq_streams)
    cluster += nodes
    led = {node.node: sum((q.get("leader") or q.get("node")) == node.node for q in listed)
           for node in nodes}
    print(f"# rabbitmq: 3 nodes, {args.queues} quorum queues and {args.rabbitmq_streams} streams "
          f"ready in {seconds:.1f} s; queues led (streams written) per node: "
          + ", ".join(f"{name} {count}" for name, count in led.items()), flush=True)
    if any(not count for count in led.values()):
        raise SystemExit("a node leads no queue: leaders not spread")
    password_file = stack.file("rabbitmq-password", "guest\n")  # guest: loopback only
    pairs = []
    for targets in (nodes, nodes[:1]):
        # timeout 30 s: with the default 5 s the queue list gets 2.5 s, which
        # 4 concurrent scrapes (12 lists at once) on a loaded 2-core machine
        # exceeded; our exporter then skips the list for 30 s, and the
        # figures would be those of that fallback (as the log then says).
        ours, body = start_ours(stack, args.exporter, f"rabbitmq-{len(targets)}", [
            {"name": node.name, "kind": "rabbitmq",
             "address": f"127.0.0.1:{node.management_port}", "username": "guest",
             "password_file": password_file, "timeout": "30s",
             "options": {"prometheus_port": str(node.prometheus_port)}} for node in targets])
        check_rabbitmq_model(body, targets, listed)
        references = [(name, RawFetch([f"127.0.0.1:{node.prometheus_port}" for node in targets],
                                      [path]).scraped())
                      for path, name in RABBITMQ_REFERENCES]
        what = ("3 nodes" if len(targets) == 3 else "1 node of 3") + (
            f", {args.queues} quorum queues, {args.rabbitmq_streams} streams")
        # The broker's cost is that of all 3 nodes whatever is scraped: a
        # node's queue list makes the other nodes work too.
        pairs.append((f"rabbitmq 3.10 ({what})", ours, references,
                      {"cpu": lambda: sum(cpu_seconds(node.pid) for node in nodes),
                       "rss": lambda: [rss_mb(node.pid) for node in nodes],
                       "idle_seconds": 5.0}))
    return pairs


def run(args, stack, cluster):
    """Measures the kinds of args.kinds; RabbitMQ nodes started are added
    to `cluster` (to be stopped cleanly)."""
    kinds = []
    if "redis" in args.kinds:
        _, redis_replica = stack.redis_pair()
        ours, _ = start_ours(stack, args.exporter, "redis", [{
            "name": "replica", "kind": "redis", "address": redis_replica.address,
            "cluster_id": "bench"}])
        peer = start_peer(stack, "prometheus-redis-exporter",
                          ["-redis.addr", f"redis://{redis_replica.address}",
                           "-web.listen-address", "{}"], "redis_up 1")
        kinds.append(("redis", ours, [("prometheus-redis-exporter", peer)],
                      {"pid": redis_replica.pid,
                       "counters": lambda: redis_counters(redis_replica)}))
    if "mysql" in args.kinds:
        _, mariadb_replica = stack.mariadb_pair(setup=(
            "CREATE USER exporter@'127.0.0.1' IDENTIFIED BY 'bench'; "
            # The peer's default collectors need PROCESS and SELECT too.
            "GRANT SLAVE MONITOR, PROCESS, SELECT ON *.* TO exporter@'127.0.0.1'"))
        ours, _ = start_ours(stack, args.exporter, "mysql", [{
            "name": "replica", "kind": "mysql", "address": mariadb_replica.address,
            "cluster_id": "bench", "username": "exporter",
            "password_file": stack.file("password", "bench\n")}])
        cnf = stack.file("peer.my.cnf", "[client]\nuser=exporter\npassword=bench\n"
                         f"host=127.0.0.1\nport={mariadb_replica.port}\n")
        peer = start_peer(stack, "prometheus-mysqld-exporter",
                          [f"--config.my-cnf={cnf}", "--web.listen-address={}"], "mysql_up 1")
        kinds.append(("mysql (MariaDB)", ours, [("prometheus-mysqld-exporter", peer)],
                      {"pid": mariadb_replica.pid,
                       "counters": lambda: mariadb_counters(mariadb_replica)}))

    if "postgresql" in args.kinds:
        postgres = stack.postgres(settings=["shared_preload_libraries = 'pg_stat_statements'"])
        postgres.sql("CREATE EXTENSION pg_stat_statements; "
                     "CREATE ROLE monitor LOGIN PASSWORD 'bench' IN ROLE pg_monitor")
        ours, _ = start_ours(stack, args.exporter, "postgresql", [{
            "name": "replica", "kind": "postgresql", "address": postgres.address,
            "username": "monitor", "password_file": stack.file("password", "bench\n")}])
        peer = start_peer(stack, "prometheus-postgres-exporter", ["--web.listen-address={}"],
                          "pg_up 1", env={"DATA_SOURCE_NAME": f"postgresql://monitor:bench@"
                                          f"{postgres.address}/postgres?sslmode=disable"})
        kinds.append(("postgresql 15 (a primary)", ours, [("prometheus-postgres-exporter", peer)],
                      {"pid": postgres.pid, "counters": lambda: postgresql_counters(postgres),
                       "cpu": lambda: tree_cpu_seconds(postgres.pid)}))
    if "nats" in args.kinds:
        kinds += nats_pairs(stack, args)
    if "rabbitmq" in args.kinds:
        kinds += rabbitmq_pairs(stack, args, cluster)

    load_before = loadavg()
    figures = {}
    for kind, ours, references, datastore in kinds:
        datastore["idle_rate"] = idle_cpu_rate(datastore)
        rss_before = datastore["rss"]() if "rss" in datastore else None
        everyone = [("ours", ours), *references]
        rows = {who: [] for who, _ in everyone}
        for r in range(args.rounds):
            for who, exporter in (reversed(everyone) if r % 2 else everyone):
                rows[who].append(measure(exporter, datastore, args))
        for who, exporter in everyone:
            merged = {k: statistics.median(row[k] for row in rows[who]) for k in rows[who][0]}
            # Read after every round: the total of the scrapes served so far.
            merged["scrapes served"] = sum(row["scrapes served"] for row in rows[who]) + 1
            pid = exporter["pid"]
            merged["RSS MB"] = rss_mb(pid) if pid else math.nan
            merged["RSS anon MB"] = rss_anon_mb(pid) if pid else math.nan
            figures[(kind, who)] = merged
        if rss_before is not None:
            figures[(kind, "datastore RSS")] = (rss_before, datastore["rss"]())
        if ours["log"]:
            with open(ours["log"]) as f:
                figures[(kind, "our log")] = f.read().splitlines()
    load_after = loadavg()

    print(f"# side by side: {args.rounds} interleaved rounds of {args.scrapes} sequential "
          f"scrapes + wrk -c4 {args.wrk_seconds}s each; one target (the replica) per exporter, "
          "nats and rabbitmq: 3 or 1")
    print(f"# machine: {os.cpu_count()} CPUs, load average before {load_before}, "
          f"after {load_after}")
    for kind, _, references, _ in kinds:
        ours = figures[(kind, "ours")]
        print(f"\n## {kind}: datastore_exporter vs " + "; ".join(name for name, _ in references))
        print("| figure | ours | " + " | ".join(f"{name} | / ours" for name, _ in references)
              + " |")
        print("|---|---|" + "---|---|" * len(references))
        for key in ["median ms", "p99 ms", "CPU ms/scrape, sequential",
                    "CPU ms/scrape, 4 clients", "scrapes served", "RSS MB", "RSS anon MB",
                    "scrapes/s, 4 clients", "bytes/scrape",
                    "datastore commands/scrape", "datastore conns/scrape",
                    "datastore CPU ms/scrape, sequential", "datastore CPU ms/scrape, 4 clients"]:
            values = [ours[key], *(figures[(kind, name)][key] for name, _ in references)]
            if all(math.isnan(v) for v in values):
                continue  # not measured for this kind, or no wrk run
            cells = [figure(key, ours[key])]
            for value in values[1:]:
                cells += [figure(key, value), ratio(key, ours[key], value)]
            print(f"| {key} | " + " | ".join(cells) + " |")
        if (kind, "datastore RSS") in figures:
            before, after = figures[(kind, "datastore RSS")]
            print("datastore RSS MB before the rounds: " + ", ".join(f"{v:.1f}" for v in before)
                  + "; after: " + ", ".join(f"{v:.1f}" for v in after))
        # A warning changes what was measured (rabbitmq: a queue list that
        # timed out makes the next 30 s of scrapes skip it).
        logged = figures.get((kind, "our log"), [])
        print(f"our exporter logged {len(logged)} warnings or errors"
              + "".join(f"\n  {line}" for line in logged[:5]))


def ratio(key, ours, peer):
    """The reference's figure over ours (for scrapes/s, ours over the reference's)."""
    if key == "scrapes served" or math.isnan(ours) or math.isnan(peer):
        return ""
    if key == "scrapes/s, 4 clients":
        value, base, prefix = ours, peer, "ours "
    else:
        value, base, prefix = peer, ours, ""
    if base <= 0:
        return "-"
    return prefix + (f"{value / base:.1f}x" if value >= base else f"{value / base:.2f}x")


def figure(key, value):
    if math.isnan(value):
        return "-"
    return f"{value:,.0f}" if key in ("scrapes served", "bytes/scrape") else f"{value:.3f}"


if __name__ == "__main__":
    main()
