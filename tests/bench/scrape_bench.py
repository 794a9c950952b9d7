#!/usr/bin/env python3
"""Measures scrape latency of an exporter: sequential scrapes over one
keep-alive connection (as Prometheus does), or several concurrent clients.
With --pid, also reads the exporter's CPU time and RSS from /proc.

    python3 tests/bench/scrape_bench.py URL [--scrapes 1000] [--clients 1] [--pid PID]

The other benchmarks import its measuring functions."""
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


def status_mb(pid, field):
    """A memory figure of /proc/PID/status (VmRSS, RssAnon, VmHWM) in MB."""
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith(f"{field}:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def rss_mb(pid):
    return status_mb(pid, "VmRSS")


def rss_anon_mb(pid):
    """Private memory: RSS without the mapped binary and shared libraries."""
    return status_mb(pid, "RssAnon")


def loadavg():
    with open("/proc/loadavg") as f:
        return " ".join(f.read().split()[:3])


def percentile(values, q):
    """The q-quantile (0..1) of sorted values."""
    return values[min(len(values) - 1, int(q * len(values)))]


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


def sequential(url, count):
    """(median ms, p99 ms) of `count` scrapes over one keep-alive connection;
    exits when one fails."""
    latencies, errors = [], []
    scrape_loop(url, count, latencies, errors)
    if errors:
        raise SystemExit(f"scrapes of {url} failed: {errors[:3]}")
    latencies.sort()
    return statistics.median(latencies) * 1000, percentile(latencies, 0.99) * 1000


def measure(url, scrapes, clients=1, pid=None, label=""):
    """Scrapes with `clients` threads after 20 warm-up scrapes; returns the
    line of figures and the number of failed scrapes."""
    scrape_loop(url, 20, [], [])  # Warm-up: connections, caches.
    cpu_before = cpu_seconds(pid) if pid else None
    latencies, errors = [], []
    per_client = scrapes // clients
    threads = [threading.Thread(target=scrape_loop, args=(url, per_client, latencies, errors))
               for _ in range(clients)]
    start = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    wall = time.perf_counter() - start
    total = per_client * clients
    latencies.sort()
    line = (f"{label}scrapes={total} clients={clients} "
            f"median_ms={statistics.median(latencies) * 1000:.3f} "
            f"p99_ms={percentile(latencies, 0.99) * 1000:.3f} "
            f"max_ms={latencies[-1] * 1000:.3f} scrapes_per_s={total / wall:.0f} errors={len(errors)}")
    if pid:
        cpu = (cpu_seconds(pid) - cpu_before) * 1000 / total
        line += f" cpu_ms_per_scrape={cpu:.3f} rss_mb={rss_mb(pid):.1f}"
    return line, len(errors)


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("url")
    parser.add_argument("--scrapes", type=int, default=1000)
    parser.add_argument("--clients", type=int, default=1)
    parser.add_argument("--pid", type=int)
    parser.add_argument("--label", default="")
    args = parser.parse_args()
    line, errors = measure(args.url, args.scrapes, args.clients, args.pid, args.label)
    print(line)
    return 1 if errors else 0


if __name__ == "__main__":
    raise SystemExit(main())
