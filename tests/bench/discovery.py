#!/usr/bin/env python3
"""Benchmark (not a test): the cost of one cluster discovery (/sd) per kind,
on real clusters on loopback. For each cluster, --requests requests of
/sd?module=M&target=SEED: the first (cold: the exporter opens its
connections) and the median and p90 of the others (warm: connections kept,
as Prometheus's refreshes find them), and the members listed.

    python3 tests/bench/discovery.py [--requests 50] [--kinds etcd,zookeeper,...]

Run as root (MariaDB and PostgreSQL need it); uses the exporter of
build/ (or EXPORTER).
"""
import argparse
import json
import os
import statistics
import sys
import time
import urllib.parse
import urllib.request

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, os.path.join(ROOT, "tests", "support"))
import servers  # noqa: E402

ALLOWED = ["127.0.0.1:*"]


def start(stack, kind):
    """(module settings, seed address, expected member count) of one cluster."""
    if kind == "etcd":
        members = stack.etcd_cluster(3)
        return {"kind": "etcd"}, members[1].address, 3
    if kind == "zookeeper":
        ensemble = stack.zookeeper_ensemble(3, client_addresses=True)
        return {"kind": "zookeeper", "cluster_id": "zk"}, ensemble[1].address, 3
    if kind == "redis-cluster":
        nodes = stack.redis_cluster(3).nodes
        return {"kind": "redis", "cluster_id": "rc"}, nodes[0].address, 6
    if kind == "redis":
        primary, replica = stack.redis_pair("bench")
        other = stack.redis(args=["--replicaof", "127.0.0.1", str(primary.port)])
        other.wait_in_sync()
        return {"kind": "redis", "cluster_id": "rr"}, replica.address, 3
    password = stack.file("password", "bench\n")
    if kind == "postgresql":
        primary = stack.postgres("postgres-primary", passwords=True)
        primary.sql("CREATE ROLE monitor LOGIN PASSWORD 'bench'; GRANT pg_monitor TO monitor")
        standby = stack.postgres_standby(primary, "postgres-standby")
        return ({"kind": "postgresql", "username": "monitor", "password_file": password,
                 "options": {"standby_port": str(standby.port)}}, standby.address, 2)
    if kind == "mysql":
        primary, replica = stack.mariadb_pair(setup=(
            "CREATE USER exporter@'127.0.0.1' IDENTIFIED BY 'bench'; "
            "GRANT SLAVE MONITOR, REPLICATION MASTER ADMIN ON *.* TO exporter@'127.0.0.1'"))
        return ({"kind": "mysql", "cluster_id": "db", "username": "exporter",
                 "password_file": password}, replica.address, 2)
    raise SystemExit(f"unknown kind {kind}")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=50)
    parser.add_argument("--kinds", default="etcd,zookeeper,redis-cluster,redis,postgresql,mysql")
    args = parser.parse_args()
    with servers.Servers(prefix="discovery-bench.") as stack:
        clusters = {kind: start(stack, kind) for kind in args.kinds.split(",")}
        modules = {kind.replace("-", "_"): {**settings, "timeout": "2s",
                                            "allowed_targets": ALLOWED}
                   for kind, (settings, _, _) in clusters.items()}
        exporter = stack.exporter({"modules": modules})
        print(f"load average {os.getloadavg()[0]:.1f}")
        print("| kind | members | cold ms | warm median ms | warm p90 ms |")
        print("|---|---|---|---|---|")
        for kind, (_, seed, expected) in clusters.items():
            url = f"http://{exporter.address}/sd?" + urllib.parse.urlencode(
                {"module": kind.replace("-", "_"), "target": seed})
            times = []
            for _ in range(args.requests):
                began = time.perf_counter()
                with urllib.request.urlopen(url, timeout=30) as response:
                    groups = json.loads(response.read())
                times.append((time.perf_counter() - began) * 1000)
            members = len(groups[0]["targets"])
            if members != expected:
                raise SystemExit(f"{kind}: {members} members listed, {expected} expected")
            warm = sorted(times[1:])
            print(f"| {kind} | {members} | {times[0]:.1f} | {statistics.median(warm):.2f} | "
                  f"{warm[int(len(warm) * 0.9)]:.2f} |")


if __name__ == "__main__":
    main()
