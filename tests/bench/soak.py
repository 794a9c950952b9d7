#!/usr/bin/env python3
"""Soak test (not part of CI's default path): 8 concurrent scrapers make at
least 100,000 scrapes of an exporter watching a Redis primary and two
replicas, while a replica is killed and restarted every few seconds.
Reports crashes, failed scrapes, and the exporter's RSS and open file
descriptors at the start and at the end.

  python3 tests/bench/soak.py [--scrapes 100000] [--exporter build/exporter/datastore_exporter]
"""
import argparse
import http.client
import os
import sys
import threading
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, os.path.join(ROOT, "tests", "support"))
import servers  # noqa: E402


def rss_kb(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return -1


def open_fds(pid):
    return len(os.listdir(f"/proc/{pid}/fd"))


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--scrapes", type=int, default=100000)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--kill-every", type=float, default=3.0)
    parser.add_argument("--exporter", default=servers.exporter_binary())
    args = parser.parse_args()
    with servers.Servers() as stack:
        return soak(args, stack)


def soak(args, stack):
    primary = stack.redis("primary")
    replica_args = ["--replicaof", "127.0.0.1", str(primary.port)]
    replicas = [stack.redis(f"replica{i}", replica_args) for i in range(2)]
    exporter = stack.exporter(
        {"targets": [{"name": server.name, "kind": "redis", "address": server.address,
                      "cluster_id": "soak", "timeout": "500ms"}
                     for server in [primary, *replicas]]},
        ["--log.level=warn"], binary=args.exporter)
    # Warm up, then take the starting figures.
    c = http.client.HTTPConnection("127.0.0.1", exporter.port, timeout=10)
    for _ in range(200):
        c.request("GET", "/metrics")
        c.getresponse().read()
    rss_start, fds_start = rss_kb(exporter.pid), open_fds(exporter.pid)

    counts = {"ok": 0, "failed": 0}
    lock = threading.Lock()
    per_client = args.scrapes // args.clients

    def scraper():
        conn = http.client.HTTPConnection("127.0.0.1", exporter.port, timeout=10)
        ok = failed = 0
        for _ in range(per_client):
            try:
                conn.request("GET", "/metrics")
                r = conn.getresponse()
                body = r.read()
                if r.status == 200 and b'datastore_up{target="primary",kind="redis"} 1' in body:
                    ok += 1
                else:
                    failed += 1
            except OSError:
                failed += 1
                conn = http.client.HTTPConnection("127.0.0.1", exporter.port, timeout=10)
        with lock:
            counts["ok"] += ok
            counts["failed"] += failed

    start = time.time()
    threads = [threading.Thread(target=scraper) for _ in range(args.clients)]
    for t in threads:
        t.start()
    # The replicas are killed and restarted here, in the main thread: a
    # server dies with the thread that started it.
    kills = 0
    next_kill = time.monotonic() + args.kill_every
    while any(t.is_alive() for t in threads):
        time.sleep(0.1)
        if time.monotonic() >= next_kill:
            victim = replicas[kills % len(replicas)]
            victim.kill()
            time.sleep(0.5)
            victim.start()
            kills += 1
            next_kill = time.monotonic() + args.kill_every
    elapsed = time.time() - start
    crashed = not exporter.process.running()
    rss_end = rss_kb(exporter.pid) if not crashed else -1
    fds_end = open_fds(exporter.pid) if not crashed else -1
    print(f"soak: scrapes={counts['ok'] + counts['failed']} ok={counts['ok']} "
          f"failed={counts['failed']} clients={args.clients} seconds={elapsed:.0f} "
          f"replica_kills={kills} exporter_crashed={crashed} "
          f"rss_kb_start={rss_start} rss_kb_end={rss_end} "
          f"fds_start={fds_start} fds_end={fds_end}")
    return 1 if crashed or counts["failed"] else 0


if __name__ == "__main__":
    sys.exit(main())
