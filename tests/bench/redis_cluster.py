#!/usr/bin/env python3
"""Benchmark (not a test): the exporter on a real Redis Cluster, every node
scraped. Starts 2 x --shards redis-server processes on loopback
(--cluster-enabled yes, --hz 1, no persistence), creates the cluster with
`redis-cli --cluster create --cluster-replicas 1` (one primary and one replica
per shard) and waits until every node says cluster_state:ok and knows every
other node, and every replica says master_link_status:up. Then two
deployments, one after the other:
  - sidecar: one exporter per node (--target redis://127.0.0.1:PORT), each
    /metrics scraped --scrapes rounds, one exporter after the other in each
    round, over one keep-alive connection per exporter;
  - central: one exporter with every node as a target, its /metrics scraped
    --scrapes times over one keep-alive connection.
Before measuring, the first /metrics of each deployment is checked: every
target up, --shards distinct shards, each with exactly one node in role
primary and one in role secondary, one cluster_id on all nodes (exits 1
otherwise). Reports median and p99 latency per scrape, exporter CPU per
scrape (utime+stime from /proc, 10 ms ticks), VmRSS and RssAnon per exporter
(median and max over the sidecars), response bytes. Prints one table. Usage:
  python3 tests/bench/redis_cluster.py [--shards 30] [--scrapes 100]
"""
import argparse
import http.client
import os
import re
import statistics
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, os.path.join(ROOT, "tests", "support"))
from scrape_bench import (cpu_seconds, loadavg, percentile, rss_anon_mb,  # noqa: E402
                          rss_mb, sequential)
import servers  # noqa: E402

CLUSTER_ID = "bench"


def main():
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--shards", type=int, default=30)
    parser.add_argument("--scrapes", type=int, default=100)
    parser.add_argument("--cluster-timeout", type=float, default=300,
                        help="seconds to wait for the cluster to be ready")
    parser.add_argument("--exporter", default=servers.exporter_binary())
    args = parser.parse_args()
    start = time.monotonic()
    try:
        with servers.Servers() as stack:
            run(args, stack)
    finally:
        print(f"# total {time.monotonic() - start:.0f} s")


def run(args, stack):
    print(f"# machine: {os.cpu_count()} CPUs, load average at start {loadavg()}", flush=True)
    cluster = stack.redis_cluster(args.shards, ["--hz", "1"], timeout=args.cluster_timeout)
    print(f"# {len(cluster.nodes)} redis-server: started in {cluster.seconds['start']:.1f} s, "
          f"redis-cli --cluster create {cluster.seconds['create']:.1f} s, ready "
          f"{cluster.seconds['ready']:.1f} s later; load average {loadavg()}", flush=True)
    nodes = cluster.nodes

    # Sidecar: one exporter per node.
    sidecars = [stack.exporter(args=[f"--target=redis://{node.address}",
                                     f"--cluster-id={CLUSTER_ID}", "--log.level=warn"],
                               name=f"sidecar-{node.port}", binary=args.exporter)
                for node in nodes]
    bodies = [sidecar.get("/metrics")[1] for sidecar in sidecars]
    check("sidecar", "".join(bodies), len(nodes), args.shards, verbose=False)

    load_before = loadavg()
    scrape_rounds([sidecar.port for sidecar in sidecars], 10)  # Warm-up.
    cpu0 = sum(cpu_seconds(sidecar.pid) for sidecar in sidecars)
    latencies = scrape_rounds([sidecar.port for sidecar in sidecars], args.scrapes)
    cpu = sum(cpu_seconds(sidecar.pid) for sidecar in sidecars) - cpu0
    latencies.sort()
    sidecar = {
        "median": statistics.median(latencies) * 1000,
        "p99": percentile(latencies, 0.99) * 1000,
        "cpu": cpu * 1000 / len(latencies),
        "rss": [rss_mb(sidecar.pid) for sidecar in sidecars],
        "anon": [rss_anon_mb(sidecar.pid) for sidecar in sidecars],
        "bytes": [len(b) for b in bodies],
    }
    servers.stop_all([sidecar.process for sidecar in sidecars])

    # Central: one exporter, every node a target.
    central_exporter = stack.exporter(
        {"targets": [{"name": node.address, "kind": "redis", "address": node.address,
                      "cluster_id": CLUSTER_ID} for node in nodes]},
        ["--log.level=warn"], name="central", binary=args.exporter)
    body = central_exporter.get("/metrics")[1]
    check("central", body, len(nodes), args.shards, verbose=True)
    url = f"{central_exporter.url}/metrics"
    sequential(url, 10)  # Warm-up.
    cpu0 = cpu_seconds(central_exporter.pid)
    median, p99 = sequential(url, args.scrapes)
    central = {
        "median": median,
        "p99": p99,
        "cpu": (cpu_seconds(central_exporter.pid) - cpu0) * 1000 / args.scrapes,
        "rss": rss_mb(central_exporter.pid),
        "anon": rss_anon_mb(central_exporter.pid),
        "bytes": len(body),
    }
    load_after = loadavg()

    n = len(nodes)
    rss, anon, size = sidecar["rss"], sidecar["anon"], sidecar["bytes"]
    print(f"\n# Redis Cluster, {args.shards} shards x (1 primary + 1 replica) = {n} nodes; "
          f"{args.scrapes} rounds (sidecar: each of the {n} exporters once per round) and "
          f"{args.scrapes} scrapes (central), sequential, keep-alive")
    print(f"# load average before {load_before}, after {load_after}")
    print(f"| figure | sidecar ({n} exporters, 1 node each) | central (1 exporter, {n} nodes) |")
    print("|---|---|---|")
    print(f"| scrapes measured | {len(latencies)} | {args.scrapes} |")
    print(f"| median ms per scrape | {sidecar['median']:.2f} | {central['median']:.2f} |")
    print(f"| p99 ms per scrape | {sidecar['p99']:.2f} | {central['p99']:.2f} |")
    print(f"| CPU ms per scrape | {sidecar['cpu']:.3f} | {central['cpu']:.2f} |")
    print(f"| CPU ms per pass over all {n} nodes | {sidecar['cpu'] * n:.2f} | "
          f"{central['cpu']:.2f} |")
    print(f"| RSS MB per exporter, median (max) | {statistics.median(rss):.1f} ({max(rss):.1f}) | "
          f"{central['rss']:.1f} |")
    print(f"| RssAnon MB per exporter, median (max) | {statistics.median(anon):.1f} "
          f"({max(anon):.1f}) | {central['anon']:.1f} |")
    print(f"| RSS MB, all exporters (RssAnon) | {sum(rss):.0f} ({sum(anon):.0f}) | "
          f"{central['rss']:.1f} ({central['anon']:.1f}) |")
    print(f"| response bytes per scrape | {statistics.median(size):,.0f} (median) | "
          f"{central['bytes']:,} |")
    print(f"| response bytes per pass over all {n} nodes | {sum(size):,} | "
          f"{central['bytes']:,} |")


LINE = re.compile(r"^(\w+)\{(.*)\} (\S+)$")
LABEL = re.compile(r'(\w+)="((?:[^"\\]|\\.)*)"')


def check(deployment, text, nodes, shards, verbose):
    """Checks the model in one /metrics (or the concatenation of several):
    exits 1 when it is not the cluster that was built."""
    up, cluster_ids, roles = [], set(), {}
    for line in text.splitlines():
        m = LINE.match(line)
        if not m:
            continue
        name, labels, value = m.group(1), dict(LABEL.findall(m.group(2))), float(m.group(3))
        if name == "datastore_up":
            up.append(value)
        elif name == "datastore_info":
            cluster_ids.add(labels["cluster_id"])
        elif name == "datastore_shard_role" and value == 1:
            cluster_ids.add(labels["cluster_id"])
            roles.setdefault(labels["shard"], []).append(
                (labels["role"], labels["node"], labels["target"]))
    problems = []
    if len(up) != nodes or any(v != 1 for v in up):
        problems.append(f"datastore_up: {up.count(1)} of {len(up)} are 1, expected {nodes}")
    if cluster_ids != {CLUSTER_ID}:
        problems.append(f"cluster_id values {sorted(cluster_ids)}, expected [{CLUSTER_ID!r}]")
    primaries = {s for s, rs in roles.items() if any(r == "primary" for r, _, _ in rs)}
    if len(primaries) != shards:
        problems.append(f"{len(primaries)} shards with a primary, expected {shards}")
    all_nodes = [node for rs in roles.values() for _, node, _ in rs]
    if len(all_nodes) != nodes or len(set(all_nodes)) != nodes:
        problems.append(f"{len(set(all_nodes))} distinct nodes with a role, expected {nodes}")
    details = []
    for shard, rs in sorted(roles.items(), key=lambda kv: int(re.match(r"\d*", kv[0]).group()
                                                              or -1)):
        kinds = sorted(r for r, _, _ in rs)
        if kinds != ["primary", "secondary"]:
            problems.append(f"shard {shard}: roles {kinds}, expected one primary, one secondary")
        described = ", ".join(f"{r} {target} ({node[:8]})" for r, node, target in sorted(rs))
        details.append(f"#   shard {shard}: {described}")
    if verbose or problems:
        print("\n".join(details))
    if problems:
        print(f"# check ({deployment}) FAILED:\n#   " + "\n#   ".join(problems))
        raise SystemExit(1)
    print(f"# check ({deployment}): {nodes} targets up, {nodes} nodes, {shards} shards, each "
          f"1 primary + 1 secondary, cluster_id {CLUSTER_ID} on all: ok", flush=True)


def scrape_rounds(ports, rounds):
    """rounds x each port's /metrics, one after the other, over one keep-alive
    connection per port; returns every latency in seconds."""
    conns = [http.client.HTTPConnection("127.0.0.1", port, timeout=30) for port in ports]
    latencies = []
    try:
        for _ in range(rounds):
            for port, conn in zip(ports, conns):
                start = time.perf_counter()
                conn.request("GET", "/metrics")
                response = conn.getresponse()
                response.read()
                latencies.append(time.perf_counter() - start)
                if response.status != 200:
                    raise SystemExit(f"scrape of :{port}/metrics answered {response.status}")
    finally:
        for conn in conns:
            conn.close()
    return latencies


if __name__ == "__main__":
    main()
