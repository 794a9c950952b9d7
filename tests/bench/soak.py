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
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def rss_kb(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return -1


def open_fds(pid):
    return len(os.listdir(f"/proc/{pid}/fd"))


def start_redis(work, port, *args):
    data = os.path.join(work, f"redis-{port}")
    os.makedirs(data, exist_ok=True)
    proc = subprocess.Popen(
        ["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--dir", data,
         "--save", "", "--appendonly", "no", "--repl-diskless-sync-delay", "0", *args],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    for _ in range(200):
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return proc
        except OSError:
            time.sleep(0.05)
    raise RuntimeError(f"redis on {port} did not start")


def main():
    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--scrapes", type=int, default=100000)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--kill-every", type=float, default=3.0)
    parser.add_argument("--exporter", default=os.path.join(root, "build/exporter/datastore_exporter"))
    args = parser.parse_args()

    work = tempfile.mkdtemp(prefix="dse-soak-")
    procs = []
    try:
        primary_port = free_port()
        procs.append(start_redis(work, primary_port))
        replica_ports = [free_port(), free_port()]
        replicas = {p: start_redis(work, p, "--replicaof", "127.0.0.1", str(primary_port))
                    for p in replica_ports}
        config = os.path.join(work, "soak.yml")
        with open(config, "w") as f:
            f.write("targets:\n")
            for name, port in [("primary", primary_port)] + [
                    (f"replica{i}", p) for i, p in enumerate(replica_ports)]:
                f.write(f"  - {{name: {name}, kind: redis, address: \"127.0.0.1:{port}\", "
                        f"cluster_id: soak, timeout: 500ms}}\n")
        port = free_port()
        log = open(os.path.join(work, "exporter.log"), "w")
        exporter = subprocess.Popen(
            [args.exporter, f"--config.file={config}", f"--web.listen-address=127.0.0.1:{port}",
             "--log.level=warn"], stdout=log, stderr=log)
        for _ in range(100):
            try:
                c = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
                c.request("GET", "/-/healthy")
                if c.getresponse().status == 200:
                    break
            except OSError:
                time.sleep(0.05)
        # Warm up, then take the starting figures.
        c = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        for _ in range(200):
            c.request("GET", "/metrics")
            c.getresponse().read()
        rss_start, fds_start = rss_kb(exporter.pid), open_fds(exporter.pid)

        done = threading.Event()
        counts = {"ok": 0, "failed": 0}
        lock = threading.Lock()
        per_client = args.scrapes // args.clients

        def scraper():
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
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
                    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
            with lock:
                counts["ok"] += ok
                counts["failed"] += failed

        def killer():
            kills = 0
            while not done.wait(args.kill_every):
                victim = replica_ports[kills % len(replica_ports)]
                replicas[victim].send_signal(signal.SIGKILL)
                replicas[victim].wait()
                time.sleep(0.5)
                replicas[victim] = start_redis(work, victim, "--replicaof", "127.0.0.1",
                                               str(primary_port))
                kills += 1
            counts["kills"] = kills

        start = time.time()
        kill_thread = threading.Thread(target=killer)
        kill_thread.start()
        threads = [threading.Thread(target=scraper) for _ in range(args.clients)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        done.set()
        kill_thread.join()
        elapsed = time.time() - start
        crashed = exporter.poll() is not None
        rss_end = rss_kb(exporter.pid) if not crashed else -1
        fds_end = open_fds(exporter.pid) if not crashed else -1
        print(f"soak: scrapes={counts['ok'] + counts['failed']} ok={counts['ok']} "
              f"failed={counts['failed']} clients={args.clients} seconds={elapsed:.0f} "
              f"replica_kills={counts.get('kills', 0)} exporter_crashed={crashed} "
              f"rss_kb_start={rss_start} rss_kb_end={rss_end} "
              f"fds_start={fds_start} fds_end={fds_end}")
        exporter.send_signal(signal.SIGTERM)
        exporter.wait(timeout=10)
        return 1 if crashed or counts["failed"] else 0
    finally:
        for p in procs + list(locals().get("replicas", {}).values()):
            p.kill()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
