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

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from scrape_bench import cpu_seconds, rss_mb  # noqa: E402
from side_by_side import (default_exporter, http_ok, in_work_dir, loadavg,  # noqa: E402
                          sequential, start_exporter, start_redis)


def main():
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--servers", type=int, default=200)
    parser.add_argument("--counts", default="1,10,50,200")
    parser.add_argument("--scrapes", type=int, default=100)
    parser.add_argument("--exporter", default=default_exporter())
    args = parser.parse_args()
    counts = [int(c) for c in args.counts.split(",")]
    if max(counts) > args.servers:
        raise SystemExit("--counts asks for more targets than --servers")
    in_work_dir(lambda work: run(args, counts, work))


def run(args, counts, work):
    ports = [start_redis(work, "--hz", "1")[0] for _ in range(args.servers)]
    print(f"# {args.servers} redis-server processes on loopback; {args.scrapes} sequential "
          f"scrapes of one /metrics per row")
    print(f"# machine: {os.cpu_count()} CPUs, load average at start {loadavg()}")
    print("| targets | median ms | p99 ms | CPU ms/scrape | CPU µs/target | RSS MB | bytes |")
    print("|---|---|---|---|---|---|---|")
    for n in counts:
        config = os.path.join(work, f"scale-{n}.yml")
        with open(config, "w") as f:
            f.write("targets:\n")
            for i, port in enumerate(ports[:n]):
                f.write(f'  - {{name: r{i}, kind: redis, address: "127.0.0.1:{port}", '
                        f"cluster_id: c{i}}}\n")
        p, port = start_exporter(args.exporter, config)
        body = http_ok(port, "/metrics").decode()
        up = body.count('kind="redis"} 1')
        if up != n:
            raise SystemExit(f"only {up} of {n} targets up")
        sequential(port, "/metrics", 10)  # Warm-up.
        cpu0 = cpu_seconds(p.pid)
        median, p99 = sequential(port, "/metrics", args.scrapes)
        cpu = (cpu_seconds(p.pid) - cpu0) * 1000 / args.scrapes
        print(f"| {n} | {median:.2f} | {p99:.2f} | {cpu:.2f} | {cpu * 1000 / n:.0f} | "
              f"{rss_mb(p.pid):.1f} | {len(body)} |", flush=True)
        p.terminate()
        p.wait(timeout=10)
    print(f"# load average at end {loadavg()}")


if __name__ == "__main__":
    main()
