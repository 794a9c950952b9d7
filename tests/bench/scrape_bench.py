#!/usr/bin/env python3
"""Measures scrape latency of an exporter: sequential scrapes over one
keep-alive connection (as Prometheus does), or several concurrent clients.
With --pid, also reads the exporter's CPU time and RSS from /proc."""
import argparse
import http.client
import os
import statistics
import threading
import time
import urllib.parse


def cpu_seconds(pid):
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    ticks = os.sysconf("SC_CLK_TCK")
    return (int(fields[11]) + int(fields[12])) / ticks  # utime + stime


def rss_mb(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def scrape_loop(url, count, latencies, errors):
    parts = urllib.parse.urlsplit(url)
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)
    for _ in range(count):
        start = time.perf_counter()
        try:
            conn.request("GET", parts.path or "/metrics")
            response = conn.getresponse()
            response.read()
            if response.status != 200:
                errors.append(response.status)
        except OSError as e:
            errors.append(str(e))
            conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)
        latencies.append(time.perf_counter() - start)


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("url")
    parser.add_argument("--scrapes", type=int, default=1000)
    parser.add_argument("--clients", type=int, default=1)
    parser.add_argument("--pid", type=int)
    parser.add_argument("--label", default="")
    args = parser.parse_args()

    scrape_loop(args.url, 20, [], [])  # Warm-up: connections, caches.
    cpu_before = cpu_seconds(args.pid) if args.pid else None
    latencies, errors = [], []
    per_client = args.scrapes // args.clients
    threads = [threading.Thread(target=scrape_loop, args=(args.url, per_client, latencies, errors))
               for _ in range(args.clients)]
    start = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    wall = time.perf_counter() - start
    total = per_client * args.clients
    latencies.sort()
    p = lambda q: latencies[min(len(latencies) - 1, int(q * len(latencies)))] * 1000
    line = (f"{args.label}scrapes={total} clients={args.clients} "
            f"median_ms={statistics.median(latencies) * 1000:.3f} p99_ms={p(0.99):.3f} "
            f"max_ms={latencies[-1] * 1000:.3f} scrapes_per_s={total / wall:.0f} errors={len(errors)}")
    if args.pid:
        cpu = (cpu_seconds(args.pid) - cpu_before) * 1000 / total
        line += f" cpu_ms_per_scrape={cpu:.3f} rss_mb={rss_mb(args.pid):.1f}"
    print(line)
    return 1 if errors else 0


if __name__ == "__main__":
    raise SystemExit(main())
