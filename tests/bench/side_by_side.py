#!/usr/bin/env python3
"""Benchmark (not a test): our exporter side by side with the Debian peer
exporters, on the same real servers, under the same loads.

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
RSS is read after the last round. Each figure is the median over rounds.
Run as root (MariaDB and PostgreSQL need it). Usage:
  python3 tests/bench/side_by_side.py [--rounds 3] [--scrapes 200] [--kinds redis,mysql]
From a fresh checkout it installs what is missing (the packages of
tests/scripts/install-deps.sh and build.sh's build when there is no exporter
binary; wrk and the three peer exporters with apt-get) unless --no-install.
"""
import argparse
import http.client
import os
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from scrape_bench import cpu_seconds, rss_mb  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(HERE))
PROCESSES = []
# Debian packages, each also the name of its command.
PEER_PACKAGES = ["wrk", "prometheus-redis-exporter", "prometheus-mysqld-exporter",
                 "prometheus-postgres-exporter"]


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def spawn(argv, env=None, stop_signal=signal.SIGTERM):
    p = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                         env=env, start_new_session=True)
    PROCESSES.append((p, stop_signal))
    return p


def stop_all():
    for p, stop_signal in reversed(PROCESSES):
        if p.poll() is None:
            p.send_signal(stop_signal)
    for p, _ in reversed(PROCESSES):
        try:
            p.wait(timeout=10)
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait()


def wait_for(check, what, tries=200):
    for _ in range(tries):
        try:
            if check():
                return
        except (OSError, subprocess.CalledProcessError):
            pass
        time.sleep(0.05)
    raise SystemExit(f"{what} did not start")


def http_ok(port, path):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
    conn.request("GET", path)
    response = conn.getresponse()
    body = response.read()
    return response.status == 200 and body


# ---- Redis -----------------------------------------------------------------

def redis_cli(port, *args):
    return subprocess.run(["redis-cli", "-p", str(port), *args], check=True,
                          capture_output=True, text=True).stdout


def start_redis(work, *extra):
    port = free_port()
    p = spawn(["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--dir", work,
               "--save", "", "--appendonly", "no", "--dbfilename", f"dump-{port}.rdb", *extra])
    wait_for(lambda: redis_cli(port, "ping").strip() == "PONG", f"redis on {port}")
    return port, p.pid


def redis_counters(port):
    info = redis_cli(port, "info", "stats")
    get = lambda k: int(re.search(rf"^{k}:(\d+)", info, re.M).group(1))
    # Our INFO call is itself one command and no new connection (redis-cli
    # connects once: one connection per read).
    return get("total_commands_processed"), get("total_connections_received"), 1, 1


# ---- MariaDB ---------------------------------------------------------------

def sql(sock, query):
    return subprocess.run(["mariadb", "--no-defaults", "-S", sock, "-uroot", "-N", "-B", "-e",
                           query], check=True, capture_output=True, text=True).stdout


def start_mariadb(work, name, server_id):
    d = os.path.join(work, name)
    os.makedirs(d)
    port = free_port()
    sock = os.path.join(d, "mysqld.sock")
    subprocess.run(["mariadb-install-db", "--no-defaults", f"--datadir={d}/data", "--user=root",
                    "--skip-test-db", "--auth-root-authentication-method=socket",
                    "--innodb-log-file-size=4M"], check=True, capture_output=True)
    p = spawn(["mariadbd", "--no-defaults", "--user=root", f"--datadir={d}/data",
               f"--port={port}", "--bind-address=127.0.0.1", f"--socket={sock}",
               f"--pid-file={d}/mysqld.pid", f"--log-error={d}/error.log",
               f"--server-id={server_id}", "--log-bin=mysql-bin", "--log-slave-updates",
               "--gtid-strict-mode=1", "--skip-name-resolve", "--innodb-buffer-pool-size=16M",
               "--innodb-log-file-size=4M", "--innodb-use-native-aio=0"])
    wait_for(lambda: sql(sock, "SELECT 1").strip() == "1", f"mariadbd {name}")
    return port, sock, p.pid


def mariadb_counters(sock):
    rows = sql(sock, "SELECT VARIABLE_VALUE FROM information_schema.GLOBAL_STATUS WHERE "
                     "VARIABLE_NAME IN ('CONNECTIONS','QUESTIONS') ORDER BY VARIABLE_NAME")
    connections, questions = (int(v) for v in rows.split())
    # Our own read: one statement, one connection.
    return questions, connections, 1, 1


# ---- PostgreSQL ------------------------------------------------------------

PG_BIN = os.environ.get("DSE_PG_BINDIR", "/usr/lib/postgresql/15/bin")


def psql(port, query):
    return subprocess.run([f"{PG_BIN}/psql", "-X", "-q", "-A", "-t", "-h", "127.0.0.1", "-p",
                           str(port), "-U", "postgres", "-d", "postgres", "-v",
                           "ON_ERROR_STOP=1", "-c", query],
                          check=True, capture_output=True, text=True).stdout


def start_postgresql(work):
    data = os.path.join(work, "pg")
    as_postgres = ["setpriv", "--reuid=postgres", "--regid=postgres", "--init-groups",
                   "--reset-env"]
    subprocess.run(["install", "-d", "-o", "postgres", "-g", "postgres", "-m", "700", data],
                   check=True)
    subprocess.run(as_postgres + [f"{PG_BIN}/initdb", "-D", data, "-U", "postgres",
                                  "--auth=trust", "--no-sync"], check=True, capture_output=True)
    with open(os.path.join(data, "postgresql.conf"), "a") as f:
        f.write("listen_addresses = '127.0.0.1'\nunix_socket_directories = ''\nfsync = off\n"
                "shared_preload_libraries = 'pg_stat_statements'\n")
    port = free_port()
    # SIGINT: fast shutdown, without waiting for the exporters' sessions.
    p = spawn(as_postgres + [f"{PG_BIN}/postgres", "-D", data, "-c", f"port={port}"],
              stop_signal=signal.SIGINT)
    wait_for(lambda: psql(port, "SELECT 1").strip() == "1", "postgres", tries=400)
    psql(port, "CREATE EXTENSION pg_stat_statements; "
               "CREATE ROLE monitor LOGIN PASSWORD 'bench' IN ROLE pg_monitor")
    return port, p.pid


def postgresql_counters(port):
    # Statements of the monitor role (pg_stat_statements counts them when they
    # end) and its open sessions: a connection per scrape shows as churn in
    # the log only, so this counts statements, not connections.
    calls = psql(port, "SELECT coalesce(sum(calls), 0) FROM pg_stat_statements "
                       "WHERE userid = 'monitor'::regrole")
    # Sessions are counted when they end: the previous read's psql session
    # shows in this read: two psql sessions of our own per read.
    sessions = psql(port, "SELECT sum(sessions) FROM pg_stat_database")
    return int(calls), int(sessions), 0, 2


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

def sequential(port, path, count):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    latencies = []
    for _ in range(count):
        start = time.perf_counter()
        conn.request("GET", path)
        response = conn.getresponse()
        response.read()
        latencies.append(time.perf_counter() - start)
        if response.status != 200:
            raise SystemExit(f"scrape of :{port}{path} answered {response.status}")
    latencies.sort()
    return (statistics.median(latencies) * 1000,
            latencies[min(len(latencies) - 1, int(0.99 * len(latencies)))] * 1000)


def wrk(port, path, seconds):
    out = subprocess.run(["wrk", "-t", "2", "-c", "4", "-d", f"{seconds}s",
                          f"http://127.0.0.1:{port}{path}"],
                         check=True, capture_output=True, text=True).stdout
    m = re.search(r"Requests/sec:\s*([\d.]+)", out)
    total = int(re.search(r"(\d+) requests in", out).group(1))
    bad = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    if bad:
        raise SystemExit(f"wrk on :{port}: {bad.group(1)} non-2xx answers")
    return float(m.group(1)), total


def idle_cpu_rate(datastore, seconds=2.0):
    cpu = datastore.get("cpu", lambda: cpu_seconds(datastore["pid"]))
    before = cpu()
    time.sleep(seconds)
    return (cpu() - before) / seconds


def measure(exporter, datastore, args):
    """One round for one exporter: returns a dict of figures."""
    port, path, pid = exporter["port"], exporter["path"], exporter["pid"]
    sequential(port, path, 20)  # Warm-up: connections, caches.
    ops0, conns0, own_ops, own_conns = datastore["counters"]()
    ds_cpu_seconds = datastore.get("cpu", lambda: cpu_seconds(datastore["pid"]))
    ds_cpu0, cpu0, t0 = ds_cpu_seconds(), cpu_seconds(pid), time.perf_counter()
    median, p99 = sequential(port, path, args.scrapes)
    wall = time.perf_counter() - t0
    cpu1, ds_cpu1 = cpu_seconds(pid), ds_cpu_seconds()
    ops1, conns1, _, _ = datastore["counters"]()
    n = args.scrapes
    seq_ds_cpu = max(0.0, ds_cpu1 - ds_cpu0 - datastore["idle_rate"] * wall)
    # CPU is counted in clock ticks (10 ms): the wrk run, thousands of
    # scrapes, gives the finer per-scrape figures.
    t0 = time.perf_counter()
    rate, total = wrk(port, path, args.wrk_seconds)
    wrk_wall = time.perf_counter() - t0
    cpu2, ds_cpu2 = cpu_seconds(pid), ds_cpu_seconds()
    ds_cpu = max(0.0, ds_cpu2 - ds_cpu1 - datastore["idle_rate"] * wrk_wall)
    return {
        "median ms": median,
        "p99 ms": p99,
        "CPU ms/scrape, sequential": (cpu1 - cpu0) * 1000 / n,
        "CPU ms/scrape, 4 clients": (cpu2 - cpu1) * 1000 / total,
        "scrapes/s, 4 clients": rate,
        "scrapes served": 20 + n + total,
        "datastore commands/scrape": (ops1 - ops0 - own_ops) / n,
        "datastore conns/scrape": (conns1 - conns0 - own_conns) / n,
        "datastore CPU ms/scrape, sequential": seq_ds_cpu * 1000 / n,
        "datastore CPU ms/scrape, 4 clients": ds_cpu * 1000 / total,
    }


def rss_anon_mb(pid):
    """Private memory: RSS without the mapped binary and shared libraries."""
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("RssAnon:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def loadavg():
    with open("/proc/loadavg") as f:
        return " ".join(f.read().split()[:3])


def default_exporter():
    return os.environ.get("EXPORTER", os.path.join(
        os.environ.get("BUILD_DIR", os.path.join(ROOT, "build")), "exporter",
        "datastore_exporter"))


def in_work_dir(body):
    """Runs body(work) with a new temporary folder, then (also on SIGTERM or an
    error) stops every process spawned and removes the folder."""
    work = tempfile.mkdtemp()
    os.chmod(work, 0o755)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(1))
    try:
        body(work)
    finally:
        stop_all()
        shutil.rmtree(work, ignore_errors=True)


def start_exporter(exporter, config, what="exporter"):
    """Starts our exporter with --config.file=config on a free port; returns
    (process, port) once /-/healthy answers."""
    port = free_port()
    p = spawn([os.path.abspath(exporter), f"--config.file={config}",
               f"--web.listen-address=127.0.0.1:{port}", "--log.level=warn"])
    wait_for(lambda: http_ok(port, "/-/healthy"), what)
    return p, port


def main():
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--scrapes", type=int, default=200)
    parser.add_argument("--wrk-seconds", type=int, default=2)
    parser.add_argument("--kinds", default="redis,mysql,postgresql")
    parser.add_argument("--exporter", default=default_exporter())
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
    in_work_dir(lambda work: run(args, work))


def start_ours(work, name, target_yaml):
    config = os.path.join(work, f"ours-{name}.yml")
    with open(config, "w") as f:
        f.write("targets:\n  - " + target_yaml + "\n")
    p, port = start_exporter(OPTIONS.exporter, config, "our exporter")
    body = http_ok(port, "/metrics").decode()
    if 'datastore_up{target="replica"' not in body or "} 1" not in body:
        raise SystemExit(f"our {name} exporter does not see its target:\n{body}")
    return {"port": port, "path": "/metrics", "pid": p.pid}


def run(args, work):
    global OPTIONS
    OPTIONS = args
    kinds = []
    if "redis" in args.kinds:
        primary, _ = start_redis(work)
        replica, replica_pid = start_redis(work, "--replicaof", "127.0.0.1", str(primary))
        ours = start_ours(work, "redis", f'{{name: replica, kind: redis, '
                          f'address: "127.0.0.1:{replica}", cluster_id: bench}}')
        peer_port = free_port()
        p = spawn(["prometheus-redis-exporter", "-redis.addr", f"redis://127.0.0.1:{replica}",
                   "-web.listen-address", f"127.0.0.1:{peer_port}"])
        wait_for(lambda: b"redis_up 1" in http_ok(peer_port, "/metrics"), "redis peer")
        kinds.append(("redis", "prometheus-redis-exporter", ours,
                      {"port": peer_port, "path": "/metrics", "pid": p.pid},
                      {"pid": replica_pid, "counters": lambda: redis_counters(replica)}))
    if "mysql" in args.kinds:
        p_port, p_sock, _ = start_mariadb(work, "primary", 1)
        r_port, r_sock, r_pid = start_mariadb(work, "replica", 2)
        sql(p_sock, "CREATE USER repl@'127.0.0.1' IDENTIFIED BY 'repl'; "
                    "GRANT REPLICATION SLAVE ON *.* TO repl@'127.0.0.1'; "
                    "CREATE USER exporter@'127.0.0.1' IDENTIFIED BY 'bench'; "
                    # The peer's default collectors need PROCESS and SELECT too.
                    "GRANT SLAVE MONITOR, PROCESS, SELECT ON *.* TO exporter@'127.0.0.1'")
        sql(r_sock, f"CHANGE MASTER TO MASTER_HOST='127.0.0.1', MASTER_PORT={p_port}, "
                    "MASTER_USER='repl', MASTER_PASSWORD='repl', MASTER_USE_GTID=slave_pos; "
                    "START SLAVE")
        pos = sql(p_sock, "SELECT @@gtid_binlog_pos").strip()
        sql(r_sock, f"SELECT MASTER_GTID_WAIT('{pos}', 10)")
        password = os.path.join(work, "password")
        with open(password, "w") as f:
            f.write("bench\n")
        ours = start_ours(work, "mysql", f'{{name: replica, kind: mysql, '
                          f'address: "127.0.0.1:{r_port}", cluster_id: bench, '
                          f'username: exporter, password_file: "{password}"}}')
        cnf = os.path.join(work, "peer.my.cnf")
        with open(cnf, "w") as f:
            f.write(f"[client]\nuser=exporter\npassword=bench\nhost=127.0.0.1\nport={r_port}\n")
        peer_port = free_port()
        p = spawn(["prometheus-mysqld-exporter", f"--config.my-cnf={cnf}",
                   f"--web.listen-address=127.0.0.1:{peer_port}"])
        wait_for(lambda: b"mysql_up 1" in http_ok(peer_port, "/metrics"), "mysqld peer")
        kinds.append(("mysql (MariaDB)", "prometheus-mysqld-exporter", ours,
                      {"port": peer_port, "path": "/metrics", "pid": p.pid},
                      {"pid": r_pid, "counters": lambda: mariadb_counters(r_sock)}))

    if "postgresql" in args.kinds:
        pg_port, pg_pid = start_postgresql(work)
        password = os.path.join(work, "pg-password")
        with open(password, "w") as f:
            f.write("bench\n")
        ours = start_ours(work, "postgresql", f'{{name: replica, kind: postgresql, '
                          f'address: "127.0.0.1:{pg_port}", username: monitor, '
                          f'password_file: "{password}"}}')
        peer_port = free_port()
        env = dict(os.environ, DATA_SOURCE_NAME=f"postgresql://monitor:bench@127.0.0.1:"
                   f"{pg_port}/postgres?sslmode=disable")
        p = spawn(["prometheus-postgres-exporter", f"--web.listen-address=127.0.0.1:{peer_port}"],
                  env=env)
        wait_for(lambda: b"pg_up 1" in http_ok(peer_port, "/metrics"), "postgres peer")
        kinds.append(("postgresql 15 (a primary)", "prometheus-postgres-exporter", ours,
                      {"port": peer_port, "path": "/metrics", "pid": p.pid},
                      {"pid": pg_pid, "counters": lambda: postgresql_counters(pg_port),
                       "cpu": lambda: tree_cpu_seconds(pg_pid)}))

    load_before = loadavg()
    figures = {}
    for kind, peer_name, ours, peer, datastore in kinds:
        datastore["idle_rate"] = idle_cpu_rate(datastore)
        rows = {"ours": [], "peer": []}
        for r in range(args.rounds):
            order = [("ours", ours), ("peer", peer)]
            if r % 2:
                order.reverse()
            for who, exporter in order:
                rows[who].append(measure(exporter, datastore, args))
        for who, exporter in (("ours", ours), ("peer", peer)):
            merged = {k: statistics.median(row[k] for row in rows[who]) for k in rows[who][0]}
            # Read after every round: the total of the scrapes served so far.
            merged["scrapes served"] = sum(row["scrapes served"] for row in rows[who]) + 1
            merged["RSS MB"] = rss_mb(exporter["pid"])
            merged["RSS anon MB"] = rss_anon_mb(exporter["pid"])
            figures[(kind, who)] = merged
        figures[(kind, "name")] = peer_name
    load_after = loadavg()

    print(f"# side by side: {args.rounds} interleaved rounds of {args.scrapes} sequential "
          f"scrapes + wrk -c4 {args.wrk_seconds}s each; one target (the replica) per exporter")
    print(f"# machine: {os.cpu_count()} CPUs, load average before {load_before}, "
          f"after {load_after}")
    for kind, peer_name, *_ in kinds:
        ours, peer = figures[(kind, "ours")], figures[(kind, "peer")]
        print(f"\n## {kind}: datastore_exporter vs {peer_name}")
        print("| figure | ours | peer | peer / ours |")
        print("|---|---|---|---|")
        for key in ["median ms", "p99 ms", "CPU ms/scrape, sequential",
                    "CPU ms/scrape, 4 clients", "scrapes served", "RSS MB", "RSS anon MB", "scrapes/s, 4 clients",
                    "datastore commands/scrape", "datastore conns/scrape",
                    "datastore CPU ms/scrape, sequential", "datastore CPU ms/scrape, 4 clients"]:
            a, b = ours[key], peer[key]
            if key == "scrapes served":
                ratio = ""
            elif key == "scrapes/s, 4 clients":
                ratio = f"ours {a / b:.1f}x" if b else "-"
            else:
                ratio = f"{b / a:.1f}x" if a > 0 else "-"
            print(f"| {key} | {a:.3f} | {b:.3f} | {ratio} |")


if __name__ == "__main__":
    main()
