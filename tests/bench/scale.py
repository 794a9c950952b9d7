#!/usr/bin/env python3
"""Benchmark (not a test): how the cost of one /metrics grows with the number
of targets. Starts --servers redis-server processes on loopback (each its own
primary), then for each count in --counts an exporter with that many redis
targets, and scrapes its /metrics --scrapes times sequentially over one
keep-alive connection: median and p99 latency, exporter CPU per scrape
(utime+stime from /proc) and RSS. Prints one table. Usage:
  python3 tests/bench/scale.py [--servers 200] [--counts 1,10,50,200]
"""
import argparse
import os
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, os.path.join(ROOT, "tests", "support"))
from scrape_bench import cpu_seconds, loadavg, rss_mb, sequential  # noqa: E402
import servers  # noqa: E402


def main():
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--servers", type=int, default=200)
    parser.add_argument("--counts", default="1,10,50,200")
    parser.add_argument("--scrapes", type=int, default=100)
    parser.add_argument("--exporter", default=servers.exporter_binary())
    args = parser.parse_args()
    counts = [int(c) for c in args.counts.split(",")]
    if max(counts) > args.servers:
        raise SystemExit("--counts asks for more targets than --servers")
    with servers.Servers() as stack:
        run(args, counts, stack)


def run(args, counts, stack):
    redis = [stack.redis(args=["--hz", "1"]) for _ in range(args.servers)]
    print(f"# {args.servers} redis-server processes on loopback; {args.scrapes} sequential "
          f"scrapes of one /metrics per row")
    print(f"# machine: {os.cpu_count()} CPUs, load average at start {loadavg()}")
    print("| targets | median ms | p99 ms | CPU ms/scrape | CPU µs/target | RSS MB | bytes |")
    print("|---|---|---|---|---|---|---|")
    for n in counts:
        targets = [{"name": f"r{i}", "kind": "redis", "address": server.address,
                    "cluster_id": f"c{i}"} for i, server in enumerate(redis[:n])]
        exporter = stack.exporter({"targets": targets}, ["--log.level=warn"], name=f"scale-{n}",
                                  binary=args.exporter)
        body = exporter.get("/metrics")[1]
        up = body.count('kind="redis"} 1')
        if up != n:
            raise SystemExit(f"only {up} of {n} targets up")
        url = f"{exporter.url}/metrics"
        sequential(url, 10)  # Warm-up.
        cpu0 = cpu_seconds(exporter.pid)
        median, p99 = sequential(url, args.scrapes)
        cpu = (cpu_seconds(exporter.pid) - cpu0) * 1000 / args.scrapes
        print(f"| {n} | {median:.2f} | {p99:.2f} | {cpu:.2f} | {cpu * 1000 / n:.0f} | "
              f"{rss_mb(exporter.pid):.1f} | {len(body)} |", flush=True)
        exporter.stop()
    print(f"# load average at end {loadavg()}")


if __name__ == "__main__":
    main()
