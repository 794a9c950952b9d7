#!/usr/bin/env python3
"""How long a normal scrape takes while one client holds the exporter's HTTP
workers (measured, not a pass/fail test).

    python3 tests/bench/http_starvation.py [--exporter PATH] [--seconds 12]

Starts a real redis-server and the exporter on loopback, then for each attack
(none; 100 idle keep-alive connections; 1000 idle TCP connections; a
100-connection slowloris sending one header byte every 0.5 s) scrapes
/metrics every 0.25 s from a fresh connection for --seconds and prints the
median and maximum scrape time. Every loop is bounded; everything started is
stopped by PID.
"""
import argparse
import os
import resource
import socket
import statistics
import sys
import threading
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, os.path.join(ROOT, "tests", "support"))
import servers  # noqa: E402


def scrape(port, timeout=60):
    """Seconds one GET /metrics on a new connection took (None on failure)."""
    start = time.monotonic()
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=timeout) as s:
            s.sendall(b"GET /metrics HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
            data = b""
            while True:
                chunk = s.recv(65536)
                if not chunk:
                    break
                data += chunk
        if b"datastore_up" not in data:
            return None
    except OSError:
        return None
    return time.monotonic() - start


def idle_keepalive(port, count, stop):
    held = []
    for _ in range(count):
        try:
            s = socket.create_connection(("127.0.0.1", port), timeout=5)
            s.sendall(b"GET /-/healthy HTTP/1.1\r\nHost: x\r\n\r\n")
            s.settimeout(5)
            s.recv(4096)
            held.append(s)
        except OSError:
            pass
    hold_until(stop, held)


def hold_until(stop, sockets):
    """Keeps the sockets open until the attack ends."""
    stop.wait()
    for s in sockets:
        s.close()


def idle_tcp(port, count, stop):
    held = []
    for _ in range(count):
        try:
            s = socket.socket()
            s.setblocking(False)
            s.connect_ex(("127.0.0.1", port))
            held.append(s)
        except OSError:
            pass
    hold_until(stop, held)


def slowloris(port, count, stop):
    request = b"GET /metrics HTTP/1.1\r\nHost: x\r\nX-Slow: " + b"a" * 4096
    held = []
    for _ in range(count):
        try:
            held.append([socket.create_connection(("127.0.0.1", port), timeout=1), 0])
        except OSError:
            pass
    while not stop.wait(0.5):
        for entry in list(held):
            s, sent = entry
            try:
                s.setblocking(False)
                s.send(request[sent:sent + 1])
                entry[1] = (sent + 1) % len(request)
            except OSError:
                # Dropped by the server: open a new one, as an attacker would.
                s.close()
                held.remove(entry)
                try:
                    held.append([socket.create_connection(("127.0.0.1", port), timeout=1), 0])
                except OSError:
                    pass
    for s, _ in held:
        s.close()


def measure(port, seconds, attack=None, count=0):
    stop = threading.Event()
    thread = None
    if attack is not None:
        thread = threading.Thread(target=attack, args=(port, count, stop), daemon=True)
        thread.start()
        time.sleep(1.0)  # Let the attacker settle in.
    times, failures = [], 0
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        took = scrape(port)
        if took is None:
            failures += 1
        else:
            times.append(took)
        time.sleep(0.25)
    stop.set()
    if thread is not None:
        thread.join(30)
    return times, failures


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--exporter", default=servers.exporter_binary())
    parser.add_argument("--seconds", type=float, default=12)
    args = parser.parse_args()
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, 8192), hard))

    with servers.Servers() as stack:
        redis = stack.redis()
        exporter = stack.exporter(args=[f"--target=redis://{redis.address}", "--cluster-id=c"],
                                  binary=args.exporter)
        print(f"{'attack':44} {'scrapes':>7} {'failed':>6} {'median s':>9} {'max s':>7}")
        for name, attack, count in (
                ("none", None, 0),
                ("100 idle keep-alive connections", idle_keepalive, 100),
                ("1000 idle TCP connections", idle_tcp, 1000),
                ("slowloris, 100 connections, 1 byte / 0.5 s", slowloris, 100)):
            times, failures = measure(exporter.port, args.seconds, attack, count)
            median = statistics.median(times) if times else float("nan")
            worst = max(times) if times else float("nan")
            print(f"{name:44} {len(times):7d} {failures:6d} {median:9.3f} {worst:7.2f}", flush=True)
            time.sleep(2)
        with open(f"/proc/{exporter.pid}/status") as status:
            for line in status:
                if line.startswith(("VmHWM", "VmRSS", "Threads")):
                    print("exporter", " ".join(line.split()))


if __name__ == "__main__":
    main()
