#!/usr/bin/python3
"""End to end: the bundled rules and dashboards in a real Prometheus and
Alertmanager, scraping the real exporter in front of real Redis servers.

Everything runs on 127.0.0.1 on free ports, with data in one temporary
folder, and is stopped at the end (also on failure, Ctrl-C or SIGTERM; child
processes also die with this script through PR_SET_PDEATHSIG).

Clusters, one or more per kind that has landed:
  failover  Redis a (primary) and b (replica of a);
  lag       Redis c (primary) and d, a replica of c through a TCP proxy that
            the test can pause, so that d stays connected but falls behind;
  an etcd cluster of 3 members (its native cluster ID);
  coordination, a ZooKeeper ensemble of 3 servers (fresh: its followers are
            2^32 zxid "behind" the leader until the first write, which must
            not raise an alert);
  orders    a MariaDB primary and a GTID replica (kind mysql);
  a PostgreSQL primary and a streaming standby (their system identifier).

Steps:
  1. healthy: every rule evaluates without error, no alert is pending or
     firing; every dashboard variable and panel query runs without error and
     returns data (except panels listed in EMPTY_ALLOWED, with the reason);
  2. lag: the proxy is paused while c takes writes ->
     DatastoreReplicationFallingBehind for d fires and reaches Alertmanager;
     resumed -> resolved;
  3. failover: a killed -> DatastoreTargetDown (a) and
     DatastoreShardWithoutPrimary fire; b promoted -> the latter resolves;
     a restarted as a primary -> DatastoreTargetDown resolves and
     DatastoreShardSplitBrain fires; a made a replica -> resolved; two more
     swaps of the primary -> DatastorePrimaryFlapping fires;
  4. MariaDB: the replica's replication delayed (MASTER_DELAY) and a write
     dated 100 s ago on the primary -> DatastoreReplicationLagHigh fires;
     delay removed -> resolved; replication stopped -> DatastoreReplicaWithoutLag
     fires; started -> resolved;
  5. exporter killed -> DatastoreExporterDown fires.
Each "fires"/"resolved" is checked in the notifications that Alertmanager
delivers to a webhook receiver run by this test (send_resolved on), and
firing alerts also in Alertmanager's API.

The rules are the shipped ones with one change in this test's copy: every
`for` is capped at FOR_CAP_SECONDS (expressions, thresholds and windows are
unchanged). Scrape and evaluation intervals are 1 s.

Needs: redis-server, etcd (etcd-server), java with ZooKeeper's jars
(default-jre-headless, libzookeeper-java, libslf4j-java), mariadbd and
mariadb-install-db (mariadb-server), PostgreSQL 15 run as user postgres
(postgresql-15), prometheus,
prometheus-alertmanager, python3-yaml, and the exporter (EXPORTER, default
build/exporter/...).
"""

import ctypes
import http.server
import json
import os
import pwd
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.parse
import urllib.request

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, os.path.join(ROOT, "alerts"))
sys.path.insert(0, os.path.join(ROOT, "dashboards"))

import dashboards  # noqa: E402
import rules  # noqa: E402
import yaml  # noqa: E402

FOR_CAP_SECONDS = 2
SCRAPE_SECONDS = 1
STEP_TIMEOUT = 45  # seconds any one expected change may take
ZOOKEEPER_CLASSPATH = "/usr/share/java/zookeeper.jar:/usr/share/java/slf4j-simple.jar"
# Panel queries that may return nothing, and the kinds for which that is
# expected: a query may be empty only when every cluster it selects is of one
# of those kinds.
NO_SECONDS_LAG = ({"redis", "etcd", "zookeeper"},
                  "only PostgreSQL and MySQL/MariaDB report a lag in seconds")
NO_LOCAL_LAG = ({"redis", "zookeeper", "mysql"},
                "Redis and ZooKeeper report no lag of their own, MySQL/MariaDB none in transactions")
EMPTY_ALLOWED = {
    ("datastore-overview", "Clusters", "I"): NO_SECONDS_LAG,
    ("datastore-overview", "Worst reported replication lag by cluster", "A"): NO_SECONDS_LAG,
    ("datastore-cluster", "Replication lag reported by the node (seconds)", "A"): NO_SECONDS_LAG,
    ("datastore-cluster", "Replication lag reported by the node ($unit)", "A"): NO_LOCAL_LAG,
    ("datastore-cluster", "Collection errors by reason", "A"): (
        {"redis", "etcd", "zookeeper", "mysql", "postgresql", "replicante"},
        "no collection fails while the cluster is healthy"),
}


class Failure(Exception):
    pass


def log(message):
    print(f"[{time.strftime('%H:%M:%S')}] {message}", flush=True)


_ports_given = set()


def free_port():
    """A free loopback port, never one this test handed out before (the kernel
    may offer a port again once its probe socket is closed)."""
    while True:
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        if port not in _ports_given:
            _ports_given.add(port)
            return port


# Called on every poll of wait_for: raise Failure when a process died, rather
# than waiting for the timeout.
LIVENESS_CHECKS = []


def wait_for(what, predicate, timeout=STEP_TIMEOUT, interval=0.25):
    """Polls predicate() until it returns a true value, which is returned."""
    deadline = time.monotonic() + timeout
    last_error = None
    while time.monotonic() < deadline:
        for check in LIVENESS_CHECKS:
            check()
        try:
            value = predicate()
            if value:
                return value
        except (OSError, urllib.error.URLError, ValueError, KeyError) as error:
            last_error = error
        time.sleep(interval)
    detail = f" (last error: {last_error})" if last_error else ""
    raise Failure(f"timed out after {timeout}s waiting for {what}{detail}")


# --- Processes ----------------------------------------------------------------

_libc = ctypes.CDLL("libc.so.6", use_errno=True)
_PR_SET_PDEATHSIG = 1


def _die_with_parent():
    _libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)


class Processes:
    def __init__(self, workdir):
        self.workdir = workdir
        self.running = {}  # name -> Popen
        self.logs = {}

    def start(self, name, argv, user=None):
        path = os.path.join(self.workdir, f"{name}.log")
        self.logs[name] = path
        out = open(path, "ab")
        self.running[name] = subprocess.Popen(
            argv, stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
            preexec_fn=_die_with_parent, cwd=self.workdir if user is None else "/", user=user)
        out.close()
        return self.running[name]

    def stop(self, name, sig=signal.SIGTERM):
        process = self.running.pop(name, None)
        if process is None:
            return
        if process.poll() is None:
            process.send_signal(sig)
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()

    def check_alive(self):
        for name, process in self.running.items():
            if process.poll() is not None:
                raise Failure(f"{name} exited with status {process.returncode}; its log:\n"
                              + self.tail(name, 10))

    def tail(self, name, lines):
        try:
            with open(self.logs[name], errors="replace") as f:
                return "".join(f.readlines()[-lines:])
        except OSError:
            return ""

    def stop_all(self):
        for name in list(self.running):
            self.stop(name)

    def dump_logs(self, lines=10):
        for name in self.logs:
            print(f"--- last lines of {name}.log ---\n{self.tail(name, lines)}", file=sys.stderr,
                  end="")


# --- Redis ----------------------------------------------------------------------


def redis_command(port, *args, timeout=2.0):
    """One command over RESP; returns the reply (str, int, list or None)."""
    payload = f"*{len(args)}\r\n".encode()
    for arg in args:
        data = str(arg).encode()
        payload += b"$%d\r\n%s\r\n" % (len(data), data)
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as conn:
        conn.sendall(payload)
        return _read_reply(conn.makefile("rb"))


def _read_reply(stream):
    line = stream.readline().rstrip(b"\r\n")
    kind, rest = line[:1], line[1:].decode()
    if kind == b"+":
        return rest
    if kind == b"-":
        raise Failure(f"redis error: {rest}")
    if kind == b":":
        return int(rest)
    if kind == b"$":
        size = int(rest)
        return None if size < 0 else stream.read(size + 2)[:-2].decode()
    if kind == b"*":
        return [_read_reply(stream) for _ in range(int(rest))]
    raise Failure(f"bad redis reply {line!r}")


def redis_info(port):
    text = redis_command(port, "INFO", "replication")
    return dict(line.split(":", 1) for line in text.splitlines() if ":" in line)


def start_redis(processes, name, port, *extra):
    directory = os.path.join(processes.workdir, name)
    os.makedirs(directory, exist_ok=True)
    processes.start(name, ["redis-server", "--port", str(port), "--bind", "127.0.0.1",
                           "--dir", directory, "--save", "", "--appendonly", "no",
                           "--repl-diskless-sync-delay", "0", "--repl-timeout", "600",
                           *extra])
    wait_for(f"redis {name} on port {port}",
             lambda: redis_command(port, "PING") == "PONG", timeout=10)


def start_etcd(processes, members=3):
    """A cluster of `members` etcd members; returns their client ports."""
    ports = [(free_port(), free_port()) for _ in range(members)]
    initial = ",".join(f"e2e-{i}=http://127.0.0.1:{peer}" for i, (_, peer) in enumerate(ports))
    for i, (client, peer) in enumerate(ports):
        client_url, peer_url = f"http://127.0.0.1:{client}", f"http://127.0.0.1:{peer}"
        processes.start(f"etcd-{i}", [
            "etcd", "--name", f"e2e-{i}", "--data-dir", os.path.join(processes.workdir, f"etcd-{i}"),
            "--listen-client-urls", client_url, "--advertise-client-urls", client_url,
            "--listen-peer-urls", peer_url, "--initial-advertise-peer-urls", peer_url,
            "--initial-cluster", initial, "--initial-cluster-state", "new",
            "--initial-cluster-token", f"e2e-{os.getpid()}"])
    return [client for client, _ in ports]


def etcd_has_leader(port):
    request = urllib.request.Request(f"http://127.0.0.1:{port}/v3/maintenance/status",
                                     data=b"{}", method="POST")
    with urllib.request.urlopen(request, timeout=2) as response:
        return json.load(response).get("leader", "0") != "0"


def start_zookeeper(processes, servers=3):
    """An ensemble of `servers` ZooKeeper servers; returns their client ports."""
    ports = [(free_port(), free_port(), free_port()) for _ in range(servers)]
    members = "".join(f"server.{i + 1}=127.0.0.1:{quorum}:{election}\n"
                      for i, (_, quorum, election) in enumerate(ports))
    for i, (client, _, _) in enumerate(ports):
        folder = os.path.join(processes.workdir, f"zookeeper-{i + 1}")
        os.makedirs(os.path.join(folder, "data"))
        with open(os.path.join(folder, "data", "myid"), "w") as f:
            f.write(f"{i + 1}\n")
        with open(os.path.join(folder, "zoo.cfg"), "w") as f:
            f.write(f"tickTime=500\ninitLimit=20\nsyncLimit=10\n"
                    f"dataDir={folder}/data\nclientPort={client}\nclientPortAddress=127.0.0.1\n"
                    "admin.enableServer=false\npreAllocSize=1024\n"
                    "4lw.commands.whitelist=srvr, conf\n" + members)
        # Small heap, quick start, elections retried at most every 2 s.
        processes.start(f"zookeeper-{i + 1}", [
            "java", "-Xmx128m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1",
            "-Djava.net.preferIPv4Stack=true",
            "-Dzookeeper.fastleader.maxNotificationInterval=2000",
            "-cp", ZOOKEEPER_CLASSPATH,
            "org.apache.zookeeper.server.quorum.QuorumPeerMain", os.path.join(folder, "zoo.cfg")])
    return [client for client, _, _ in ports]


def zookeeper_mode(port):
    with socket.create_connection(("127.0.0.1", port), timeout=2) as conn:
        conn.sendall(b"srvr")
        reply = b""
        while chunk := conn.recv(4096):
            reply += chunk
    for line in reply.decode(errors="replace").splitlines():
        if line.startswith("Mode: "):
            return line[len("Mode: "):]
    return None


# Small and quick servers holding a few rows, on loopback only.
MARIADB_FLAGS = ["--no-defaults", "--bind-address=127.0.0.1", "--skip-name-resolve",
                 "--log-bin=mysql-bin", "--log-slave-updates", "--gtid-strict-mode=1",
                 "--innodb-buffer-pool-size=16M", "--innodb-log-file-size=4M",
                 "--innodb-use-native-aio=0", "--innodb-flush-log-at-trx-commit=2",
                 "--sync-binlog=0"]
ROOT_USER = ["--user=root"] if os.geteuid() == 0 else []


class MariaDb:
    """A MariaDB server on a free port, with a data folder copied from
    `template` (made once by mariadb-install-db)."""

    def __init__(self, processes, name, template, server_id):
        self.port = free_port()
        home = os.path.join(processes.workdir, name)
        os.makedirs(home)
        shutil.copytree(template, os.path.join(home, "data"), symlinks=True)
        self.socket = os.path.join(home, "mysqld.sock")
        processes.start(name, [
            "mariadbd", *MARIADB_FLAGS, f"--datadir={home}/data", f"--port={self.port}",
            f"--socket={self.socket}", f"--pid-file={home}/mysqld.pid", f"--tmpdir={home}",
            f"--log-error={home}/error.log", f"--server-id={server_id}", *ROOT_USER])
        wait_for(f"MariaDB {name} on port {self.port}", lambda: self.sql("SELECT 1") == "1",
                 timeout=60)

    def sql(self, statements):
        """Runs statements as root over the socket; returns the output, tab-separated."""
        done = subprocess.run(["mariadb", "--no-defaults", "--user=root", f"--socket={self.socket}",
                               "--batch", "--skip-column-names", "-e", statements],
                              capture_output=True, text=True, timeout=30)
        if done.returncode != 0:
            raise OSError(f"mariadb: {done.stderr.strip()}")
        return done.stdout.strip()


def mariadb_template(workdir):
    template = os.path.join(workdir, "mariadb-template")
    done = subprocess.run(["mariadb-install-db", "--no-defaults", f"--datadir={template}",
                           "--skip-test-db", "--auth-root-authentication-method=socket",
                           "--innodb-log-file-size=4M", *ROOT_USER],
                          capture_output=True, text=True, timeout=120)
    if done.returncode != 0:
        raise Failure(f"mariadb-install-db failed: {done.stdout}{done.stderr}")
    return template


POSTGRES_BIN = "/usr/lib/postgresql/15/bin"


class Postgres:
    """A PostgreSQL 15 server run as user postgres on a free port: a new
    cluster, or a streaming standby of `primary` (pg_basebackup -R)."""

    def __init__(self, processes, name, primary=None):
        self.port = free_port()
        self.data = os.path.join(processes.workdir, name)
        os.mkdir(self.data, 0o700)
        os.chown(self.data, *postgres_ids())
        if primary is None:
            self.run_as_postgres(["initdb", "-D", self.data, "-U", "postgres", "--auth=trust",
                                  "--no-sync", "--encoding=UTF8", "--locale=C"])
            # The superuser is trusted (this test, replication); the exporter's
            # role proves its password.
            self.append("pg_hba.conf", "host all postgres 127.0.0.1/32 trust\n"
                        "host replication postgres 127.0.0.1/32 trust\n"
                        "host all all 127.0.0.1/32 scram-sha-256\n", replace=True)
            self.append("postgresql.conf", "listen_addresses = '127.0.0.1'\n"
                        "unix_socket_directories = ''\nfsync = off\nshared_buffers = 16MB\n"
                        "max_connections = 30\nmax_wal_senders = 5\nautovacuum = off\n")
        else:
            self.run_as_postgres(["pg_basebackup", "-h", "127.0.0.1", "-p", str(primary.port),
                                  "-U", "postgres", "-D", self.data, "-R", "-X", "stream",
                                  "-c", "fast", "--no-sync"])
        processes.start(name, [os.path.join(POSTGRES_BIN, "postgres"), "-D", self.data,
                               "-c", f"port={self.port}"], user="postgres")
        wait_for(f"PostgreSQL {name} on port {self.port}", lambda: self.sql("SELECT 1") == "1",
                 timeout=60)

    def run_as_postgres(self, argv):
        done = subprocess.run([os.path.join(POSTGRES_BIN, argv[0]), *argv[1:]], user="postgres",
                              capture_output=True, text=True, timeout=120, cwd="/")
        if done.returncode != 0:
            raise Failure(f"{argv[0]} failed: {done.stdout}{done.stderr}")

    def append(self, file, text, replace=False):
        with open(os.path.join(self.data, file), "w" if replace else "a") as f:
            f.write(text)

    def sql(self, statement):
        done = subprocess.run([os.path.join(POSTGRES_BIN, "psql"), "-h", "127.0.0.1",
                               "-p", str(self.port), "-U", "postgres", "-d", "postgres",
                               "-XAtq", "-c", statement],
                              capture_output=True, text=True, timeout=30)
        if done.returncode != 0:
            raise OSError(f"psql: {done.stderr.strip()}")
        return done.stdout.strip()


def postgres_ids():
    try:
        entry = pwd.getpwnam("postgres")
    except KeyError:
        raise Failure("no user postgres: install postgresql-15 (it creates the user)")
    return entry.pw_uid, entry.pw_gid


class PausableProxy:
    """A TCP proxy on a free loopback port to 127.0.0.1:upstream. While paused
    it forwards nothing in either direction, but keeps the connections."""

    def __init__(self, upstream):
        self.upstream = upstream
        self.running = threading.Event()
        self.running.set()
        self.listener = socket.socket()
        self.listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.listener.bind(("127.0.0.1", 0))
        self.listener.listen()
        self.port = self.listener.getsockname()[1]
        threading.Thread(target=self._accept, daemon=True).start()

    def pause(self):
        self.running.clear()

    def resume(self):
        self.running.set()

    def _accept(self):
        while True:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            try:
                server = socket.create_connection(("127.0.0.1", self.upstream))
            except OSError:
                client.close()
                continue
            for source, sink in ((client, server), (server, client)):
                threading.Thread(target=self._pump, args=(source, sink), daemon=True).start()

    def _pump(self, source, sink):
        try:
            while True:
                self.running.wait()
                data = source.recv(65536)
                if not data:
                    break
                self.running.wait()
                sink.sendall(data)
        except OSError:
            pass
        finally:
            for s in (source, sink):
                try:
                    s.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass

    def close(self):
        self.running.set()
        self.listener.close()


class Writer:
    """Writes 1 KB values to a Redis primary every 50 ms until stopped."""

    def __init__(self, port):
        self.port = port
        self.stopped = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self):
        value = "x" * 1024
        i = 0
        while not self.stopped.wait(0.05):
            try:
                redis_command(self.port, "SET", f"key:{i % 100}", value)
            except (OSError, Failure):
                pass
            i += 1

    def stop(self):
        self.stopped.set()
        self.thread.join(timeout=5)


# --- Prometheus, Alertmanager, webhook -----------------------------------------------


def http_json(url, params=None, timeout=5):
    """GET url?params, decoded from JSON."""
    if params:
        url += "?" + urllib.parse.urlencode(params)
    with urllib.request.urlopen(url, timeout=timeout) as response:
        return json.load(response)


class Prometheus:
    def __init__(self, port):
        self.url = f"http://127.0.0.1:{port}"

    def api(self, path, **params):
        try:
            reply = http_json(f"{self.url}/api/v1/{path}", params)
        except urllib.error.HTTPError as error:
            body = error.read().decode(errors="replace")
            try:
                reply = json.loads(body)
            except ValueError:
                raise Failure(f"Prometheus {path} {params}: HTTP {error.code}: {body[:300]}")
        if reply.get("status") != "success":
            raise Failure(f"Prometheus {path} {params}: {reply.get('errorType')}: "
                          f"{reply.get('error')}")
        return reply["data"]

    def query(self, expr):
        return self.api("query", query=expr)["result"]

    def alerts(self, name, state="firing", **labels):
        return [a for a in self.api("alerts")["alerts"]
                if a["labels"].get("alertname") == name and a["state"] == state
                and all(a["labels"].get(k) == v for k, v in labels.items())]


class Webhook:
    """Alertmanager's webhook receiver: keeps every notification."""

    def __init__(self):
        self.notifications = []
        self.lock = threading.Lock()
        owner = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                with owner.lock:
                    owner.notifications.append(json.loads(body))
                self.send_response(200)
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def alerts(self):
        with self.lock:
            return [alert for n in self.notifications for alert in n["alerts"]]

    def find(self, name, status, since=0, **labels):
        """Alerts received from the `since`-th on with that name, status and labels."""
        return [a for a in self.alerts()[since:]
                if a["labels"].get("alertname") == name and a["status"] == status
                and all(a["labels"].get(k) == v for k, v in labels.items())]

    def close(self):
        self.server.shutdown()
        self.server.server_close()


def prometheus_config(exporter_port, alertmanager_port):
    return {
        "global": {"scrape_interval": f"{SCRAPE_SECONDS}s",
                   "scrape_timeout": f"{SCRAPE_SECONDS}s",
                   "evaluation_interval": f"{SCRAPE_SECONDS}s"},
        "rule_files": ["rules.yml"],
        "alerting": {"alertmanagers": [
            {"static_configs": [{"targets": [f"127.0.0.1:{alertmanager_port}"]}]}]},
        "scrape_configs": [{"job_name": "datastore", "static_configs": [
            {"targets": [f"127.0.0.1:{exporter_port}"]}]}],
    }


def alertmanager_config(webhook_port):
    return {
        "route": {"receiver": "webhook", "group_by": ["alertname", "cluster_id", "shard", "target"],
                  "group_wait": "1s", "group_interval": "1s", "repeat_interval": "1h"},
        "receivers": [{"name": "webhook", "webhook_configs": [
            {"url": f"http://127.0.0.1:{webhook_port}/", "send_resolved": True}]}],
    }


# --- The test -----------------------------------------------------------------------


class EndToEnd:
    def __init__(self, workdir):
        self.workdir = workdir
        self.processes = Processes(workdir)
        LIVENESS_CHECKS.append(self.processes.check_alive)
        self.proxy = None
        self.webhook = None
        self.writer = None
        self.proved = []  # (alert, scenario) seen firing end to end
        self.fired_at = {}  # (alert, labels) -> webhook position of its firing notification
        self.started = time.time()

    # -- setup

    def write(self, name, data):
        with open(os.path.join(self.workdir, name), "w", encoding="utf-8") as f:
            f.write(rules.dump_yaml(data))

    def start(self, exporter):
        # The JVMs and etcd start first: they take longest.
        zookeeper_ports = start_zookeeper(self.processes)
        etcd_ports = start_etcd(self.processes)
        template = mariadb_template(self.workdir)
        self.mariadb = {name: MariaDb(self.processes, f"mariadb-{name}", template, server_id)
                        for server_id, name in ((1, "primary"), (2, "replica"))}
        postgres_primary = Postgres(self.processes, "postgres-primary")
        postgres_primary.sql("CREATE ROLE monitor LOGIN PASSWORD 'e2e'; GRANT pg_monitor TO monitor")
        self.postgres = {"primary": postgres_primary,
                         "standby": Postgres(self.processes, "postgres-standby", postgres_primary)}
        self.port = {name: free_port() for name in ("a", "b", "c", "d")}
        start_redis(self.processes, "redis-a", self.port["a"])
        start_redis(self.processes, "redis-b", self.port["b"],
                    "--replicaof", "127.0.0.1", str(self.port["a"]))
        start_redis(self.processes, "redis-c", self.port["c"])
        self.proxy = PausableProxy(self.port["c"])
        start_redis(self.processes, "redis-d", self.port["d"],
                    "--replicaof", "127.0.0.1", str(self.proxy.port))
        for replica in ("b", "d"):
            wait_for(f"redis {replica} in sync",
                     lambda r=replica: redis_info(self.port[r]).get("master_link_status") == "up",
                     timeout=20)
        self.start_mariadb_replication()
        wait_for("the PostgreSQL standby streaming", lambda: self.postgres["standby"].sql(
            "SELECT status FROM pg_stat_wal_receiver") == "streaming", timeout=60)
        wait_for("an etcd leader seen by every member",
                 lambda: all(etcd_has_leader(port) for port in etcd_ports), timeout=60)
        # Every server serving (a follower that still syncs does not): the
        # exporter then sees a healthy ensemble from its first scrape.
        wait_for("a ZooKeeper leader and its followers serving", lambda: sorted(
            zookeeper_mode(port) or "" for port in zookeeper_ports)
            == ["follower", "follower", "leader"], timeout=90)

        exporter_port = free_port()
        targets = [{"name": f"{cluster}-{node}", "kind": "redis",
                    "address": f"127.0.0.1:{self.port[node]}", "cluster_id": cluster}
                   for cluster, nodes in (("failover", "ab"), ("lag", "cd")) for node in nodes]
        targets += [{"name": f"etcd-{i}", "kind": "etcd", "address": f"127.0.0.1:{port}"}
                    for i, port in enumerate(etcd_ports)]
        targets += [{"name": f"zookeeper-{i + 1}", "kind": "zookeeper",
                     "address": f"127.0.0.1:{port}", "cluster_id": "coordination"}
                    for i, port in enumerate(zookeeper_ports)]
        with open(os.path.join(self.workdir, "password"), "w") as f:
            f.write("e2e\n")
        targets += [{"name": f"orders-{name}", "kind": "mysql", "cluster_id": "orders",
                     "address": f"127.0.0.1:{server.port}", "username": "exporter",
                     "password_file": os.path.join(self.workdir, "password")}
                    for name, server in self.mariadb.items()]
        targets += [{"name": f"postgres-{name}", "kind": "postgresql", "node": f"postgres-{name}",
                     "address": f"127.0.0.1:{server.port}", "username": "monitor",
                     "password_file": os.path.join(self.workdir, "password")}
                    for name, server in self.postgres.items()]
        self.node_count = len(targets)
        self.targets = targets
        self.exporter_port = exporter_port
        self.write("exporter.yml", {"targets": targets})
        self.processes.start("exporter", [exporter, "--config.file=exporter.yml",
                                          f"--web.listen-address=127.0.0.1:{exporter_port}"])

        self.webhook = Webhook()
        alertmanager_port = free_port()
        self.write("alertmanager.yml", alertmanager_config(self.webhook.port))
        self.alertmanager_url = f"http://127.0.0.1:{alertmanager_port}"
        self.processes.start("alertmanager", [
            find_binary("prometheus-alertmanager", "alertmanager"),
            "--config.file=alertmanager.yml", "--storage.path=alertmanager-data",
            f"--web.listen-address=127.0.0.1:{alertmanager_port}",
            "--cluster.listen-address=", "--log.level=warn"])

        shipped = rules.load_source()
        self.write("rules.yml", rules.with_for_capped(shipped, FOR_CAP_SECONDS))
        self.rule_count = sum(len(g["rules"]) for g in shipped["groups"])
        prometheus_port = free_port()
        self.write("prometheus.yml", prometheus_config(exporter_port, alertmanager_port))
        self.processes.start("prometheus", [
            find_binary("prometheus"), "--config.file=prometheus.yml",
            "--storage.tsdb.path=prometheus-data", "--storage.tsdb.retention.time=1d",
            f"--web.listen-address=127.0.0.1:{prometheus_port}", "--log.level=warn"])
        self.prometheus = Prometheus(prometheus_port)

        wait_for("Alertmanager ready", lambda: urllib.request.urlopen(
            f"{self.alertmanager_url}/-/ready", timeout=2).status == 200)
        wait_for("Prometheus ready", lambda: urllib.request.urlopen(
            f"{self.prometheus.url}/-/ready", timeout=2).status == 200)
        wait_for("Prometheus to send to Alertmanager", lambda: self.prometheus.api(
            "alertmanagers")["activeAlertmanagers"])
        log(f"stack up: Prometheus {self.prometheus.url}, Alertmanager "
            f"{self.alertmanager_url}, exporter 127.0.0.1:{exporter_port}, redis "
            + ", ".join(f"{k}={v}" for k, v in self.port.items())
            + f", etcd {etcd_ports}, zookeeper {zookeeper_ports}, mariadb "
            + ", ".join(f"{k}={v.port}" for k, v in self.mariadb.items()) + ", postgresql "
            + ", ".join(f"{k}={v.port}" for k, v in self.postgres.items()))

    def start_mariadb_replication(self):
        primary, replica = self.mariadb["primary"], self.mariadb["replica"]
        primary.sql("CREATE USER repl@'127.0.0.1' IDENTIFIED BY 'repl'; "
                    "GRANT REPLICATION SLAVE ON *.* TO repl@'127.0.0.1'; "
                    "CREATE USER exporter@'127.0.0.1' IDENTIFIED BY 'e2e'; "
                    "GRANT SLAVE MONITOR ON *.* TO exporter@'127.0.0.1'; "
                    "CREATE DATABASE e2e; CREATE TABLE e2e.t (i INT)")
        replica.sql(f"CHANGE MASTER TO MASTER_HOST='127.0.0.1', MASTER_PORT={primary.port}, "
                    "MASTER_USER='repl', MASTER_PASSWORD='repl', MASTER_USE_GTID=slave_pos, "
                    "MASTER_CONNECT_RETRY=1; START SLAVE")
        position = primary.sql("SELECT @@gtid_binlog_pos")
        wait_for("the MariaDB replica caught up", lambda: replica.sql(
            f"SELECT MASTER_GTID_WAIT('{position}', 1)") == "0", timeout=60)

    # -- checks

    def primaries(self, cluster):
        result = self.prometheus.query(
            f'datastore_shard_role{{cluster_id="{cluster}",role="primary"}} == 1')
        return sorted(r["metric"]["target"] for r in result)

    def wait_primaries(self, cluster, expected):
        wait_for(f"Prometheus to see {expected} as primaries of {cluster}",
                 lambda: self.primaries(cluster) == expected)

    def expect(self, name, status, scenario, **labels):
        """Waits until Prometheus and Alertmanager agree on `status` for the
        alert, and the webhook received that notification (for "resolved":
        after the firing one)."""
        shown = f"{name}{labels}"
        key = (name, tuple(sorted(labels.items())))
        since = 0
        if status == "firing":
            self.fired_at[key] = len(self.webhook.alerts())
            wait_for(f"{shown} firing in Prometheus",
                     lambda: self.prometheus.alerts(name, "firing", **labels))
            wait_for(f"{shown} active in Alertmanager's API", lambda: [
                a for a in http_json(f"{self.alertmanager_url}/api/v2/alerts")
                if a["labels"].get("alertname") == name and a["status"]["state"] == "active"
                and all(a["labels"].get(k) == v for k, v in labels.items())])
        else:
            since = self.fired_at[key]
            wait_for(f"{shown} gone from Prometheus",
                     lambda: not self.prometheus.alerts(name, "firing", **labels)
                     and not self.prometheus.alerts(name, "pending", **labels))
        found = wait_for(f"{shown} {status} notification at the webhook",
                         lambda: self.webhook.find(name, status, since, **labels))
        alert = found[-1]
        for key in ("summary", "description", "runbook_url"):
            text = alert["annotations"].get(key, "")
            if not text or "error expanding template" in text or "<no value>" in text:
                raise Failure(f"{shown}: bad {key} annotation {text!r}")
        log(f"{status:8} {name} {labels}: {alert['annotations']['description']}")
        if status == "firing":
            self.proved.append((name, scenario))
        return alert

    def check_rules_healthy(self):
        groups = self.prometheus.api("rules")["groups"]
        seen = [r for g in groups for r in g["rules"]]
        if len(seen) != self.rule_count:
            raise Failure(f"Prometheus loaded {len(seen)} rules, the source has {self.rule_count}")
        for rule in seen:
            if rule.get("health") != "ok" or rule.get("lastError"):
                raise Failure(f"rule {rule['name']}: health {rule.get('health')}: "
                              f"{rule.get('lastError')}")
        for name, expr in rules.all_expressions(rules.load_source()):
            self.prometheus.query(expr)  # raises on any error
        log(f"{len(seen)} rules evaluate without error; every rule expression queries cleanly")

    def check_healthy(self):
        self.wait_primaries("failover", ["failover-a"])
        self.wait_primaries("lag", ["lag-c"])
        wait_for("every target up", lambda: len(self.prometheus.query(
            "datastore_up == 1")) == self.node_count)
        wait_for("one primary in every cluster", lambda: len(self.prometheus.query(
            "datastore_shard:primaries == 1")) == 6)
        wait_for("an offset gap to the primary for every node", lambda: len(self.prometheus.query(
            "datastore_node_shard:commit_offset_behind_primary")) == self.node_count)
        wait_for("every rule evaluated once", lambda: all(
            not rule["lastEvaluation"].startswith("0001-")  # Go's zero time: never
            for group in self.prometheus.api("rules")["groups"] for rule in group["rules"]))
        # Long enough for any condition to pass the capped `for`.
        time.sleep(FOR_CAP_SECONDS + 2 * SCRAPE_SECONDS)
        active = self.prometheus.api("alerts")["alerts"]
        if active:
            raise Failure("alerts active on a healthy stack: " + "; ".join(
                f"{a['labels']['alertname']} {a['state']} {a['labels']}" for a in active))
        if self.webhook.alerts():
            raise Failure(f"notifications on a healthy stack: {self.webhook.alerts()}")
        self.check_rules_healthy()
        gap = self.prometheus.query(
            'max(datastore_node_shard:commit_offset_behind_primary{cluster_id="coordination"})')
        log("healthy: no alert pending or firing, none notified (fresh ZooKeeper ensemble: "
            f"largest zxid gap to the leader {float(gap[0]['value'][1]):.0f})")

    def check_dashboards(self):
        now = time.time()
        start = self.started
        substitutions = {"__rate_interval": f"{4 * SCRAPE_SECONDS}s",
                         "__interval": f"{SCRAPE_SECONDS}s",
                         "__range": f"{int(now - start)}s"}
        queries = 0
        for path in dashboards.dashboard_paths():
            dashboard = dashboards.load(path)
            for combination in self.variable_combinations(dashboard, dict(substitutions), start, now):
                queries += self.run_panels(dashboard, combination, start, now)
        log(f"dashboards: {queries} panel queries ran without error and returned data, "
            "except: " + "; ".join(f"{title!r} for {'/'.join(sorted(kinds))} ({why})"
                                   for (_, title, _), (kinds, why) in EMPTY_ALLOWED.items()))

    def variable_combinations(self, dashboard, substitutions, start, end, index=0):
        """Every combination of single-value variables (multi-value ones set to
        All), each variable's options read as Grafana reads them."""
        variables = [v for v in dashboards.variables(dashboard) if v["type"] == "query"]
        if index == len(variables):
            yield substitutions
            return
        variable = variables[index]
        query = dashboards.interpolate(dashboards.variable_query(variable), substitutions)
        selector, label = dashboards.parse_label_values(query)
        params = {"start": start, "end": end}
        if selector:
            params["match[]"] = selector
        options = sorted(self.prometheus.api(f"label/{label}/values", **params))
        where = f"{dashboard['uid']}: variable {variable['name']} ({query})"
        if not options:
            raise Failure(f"{where}: no values")
        variable = dict(variable, _options=options)
        choices = [["$__all"]] if variable.get("multi") else [[o] for o in options]
        for choice in choices:
            values = dict(substitutions)
            values[variable["name"]] = dashboards.format_value(variable, choice)
            yield from self.variable_combinations(dashboard, values, start, end, index + 1)

    def run_panels(self, dashboard, substitutions, start, end):
        """Runs every panel query; returns how many. The kinds of the selected
        clusters say which panels may be empty."""
        kinds = {r["metric"]["kind"] for r in self.prometheus.query(
            f'group by (kind) (datastore_info{{cluster_id=~"{substitutions["cluster_id"]}"}})')}
        count = 0
        for panel in dashboards.query_panels(dashboard):
            for target in panel["targets"]:
                expr = dashboards.interpolate(target["expr"], substitutions)
                where = (f"{dashboard['uid']}: panel {panel['title']!r} query {target['refId']} "
                         f"with {dict((k, v) for k, v in substitutions.items() if not k.startswith('__'))}")
                try:
                    if target.get("instant"):
                        result = self.prometheus.api("query", query=expr, time=end)["result"]
                    else:
                        result = self.prometheus.api("query_range", query=expr, start=start,
                                                     end=end, step=SCRAPE_SECONDS)["result"]
                except Failure as error:
                    raise Failure(f"{where}: {error}\n  expr: {expr}")
                key = (dashboard["uid"], panel["title"], target["refId"])
                if not result and not kinds <= EMPTY_ALLOWED.get(key, (set(), ""))[0]:
                    raise Failure(f"{where}: empty result for kinds {sorted(kinds)}\n"
                                  f"  expr: {expr}")
                count += 1
        return count

    # -- scenarios

    def lag_begins(self):
        log("lag: pausing the proxy between c and d, writing to c")
        self.proxy.pause()
        self.writer = Writer(self.port["c"])

    def lag_ends(self):
        self.expect("DatastoreReplicationFallingBehind", "firing",
                    "replica d cut off from its primary by a paused proxy while c takes writes",
                    target="lag-d", cluster_id="lag")
        log("lag: resuming the proxy")
        self.proxy.resume()
        self.writer.stop()
        self.expect("DatastoreReplicationFallingBehind", "resolved", "",
                    target="lag-d", cluster_id="lag")

    def mariadb_lag(self):
        primary, replica = self.mariadb["primary"], self.mariadb["replica"]
        log("mysql: delaying the replica's replication, writing a row dated 100 s ago")
        replica.sql("STOP SLAVE; CHANGE MASTER TO MASTER_DELAY=600; START SLAVE")
        primary.sql("SET TIMESTAMP = UNIX_TIMESTAMP() - 100; INSERT INTO e2e.t VALUES (1)")
        self.expect("DatastoreReplicationLagHigh", "firing",
                    "MariaDB replica delayed (MASTER_DELAY) behind a write dated 100 s ago",
                    target="orders-replica", cluster_id="orders")
        log("mysql: removing the delay")
        replica.sql("STOP SLAVE; CHANGE MASTER TO MASTER_DELAY=0; START SLAVE")
        self.expect("DatastoreReplicationLagHigh", "resolved", "",
                    target="orders-replica", cluster_id="orders")

        log("mysql: stopping the replica's replication")
        replica.sql("STOP SLAVE")
        self.expect("DatastoreReplicaWithoutLag", "firing",
                    "MariaDB replica's replication stopped (STOP SLAVE): recovering, no lag",
                    target="orders-replica", cluster_id="orders", role="recovering")
        log("mysql: starting it again")
        replica.sql("START SLAVE")
        self.expect("DatastoreReplicaWithoutLag", "resolved", "",
                    target="orders-replica", cluster_id="orders", role="recovering")

    def failover(self):
        a, b = self.port["a"], self.port["b"]
        log("failover: killing primary a")
        self.processes.stop("redis-a", signal.SIGKILL)  # no longer checked for liveness
        self.expect("DatastoreTargetDown", "firing", "primary a killed", target="failover-a")
        alert = self.expect("DatastoreShardWithoutPrimary", "firing",
                            "primary a killed, replica b left recovering",
                            cluster_id="failover", shard="failover")
        if "127.0.0.1:%d (recovering)" % b not in alert["annotations"]["description"]:
            raise Failure(f"description does not name b as recovering: {alert['annotations']}")

        log("failover: promoting b (REPLICAOF NO ONE)")
        redis_command(b, "REPLICAOF", "NO", "ONE")
        self.expect("DatastoreShardWithoutPrimary", "resolved", "",
                    cluster_id="failover", shard="failover")

        log("failover: restarting a as a primary next to b")
        start_redis(self.processes, "redis-a", a)
        self.expect("DatastoreTargetDown", "resolved", "", target="failover-a")
        alert = self.expect("DatastoreShardSplitBrain", "firing",
                            "a restarted as a primary after b was promoted",
                            cluster_id="failover", shard="failover")
        for port in (a, b):
            if f"127.0.0.1:{port}" not in alert["annotations"]["description"]:
                raise Failure(f"split brain description misses node {port}: {alert['annotations']}")

        log("failover: making a a replica of b")
        redis_command(a, "REPLICAOF", "127.0.0.1", b)
        self.expect("DatastoreShardSplitBrain", "resolved", "",
                    cluster_id="failover", shard="failover")

        # Promotions so far: b. Two more swaps make three in the hour.
        for new, old, target in ((a, b, "failover-a"), (b, a, "failover-b")):
            log(f"failover: swapping the primary to {target}")
            redis_command(new, "REPLICAOF", "NO", "ONE")
            redis_command(old, "REPLICAOF", "127.0.0.1", new)
            self.wait_primaries("failover", [target])
        self.expect("DatastorePrimaryFlapping", "firing",
                    "three promotions: b, then a, then b again",
                    cluster_id="failover", shard="failover")

    def reload(self, expected_status):
        request = urllib.request.Request(
            f"http://127.0.0.1:{self.exporter_port}/-/reload", method="POST")
        try:
            with urllib.request.urlopen(request, timeout=10) as response:
                status = response.status
        except urllib.error.HTTPError as error:
            status = error.code
        if status != expected_status:
            raise Failure(f"POST /-/reload answered {status}, expected {expected_status}")

    def config_reload_fails(self):
        log("exporter: a configuration that does not load, then a fixed one")
        self.write("exporter.yml", {"targets": [{"name": "broken", "kind": "nope"}]})
        self.reload(500)
        self.expect("DatastoreExporterConfigReloadFailed", "firing",
                    "a reload of a configuration naming an unknown kind", job="datastore")
        # Fixed, with one more target whose password the server refuses.
        with open(os.path.join(self.workdir, "wrong-password"), "w") as f:
            f.write("not-the-password\n")
        refused = {"name": "postgres-refused", "kind": "postgresql", "node": "postgres-refused",
                   "address": f"127.0.0.1:{self.postgres['primary'].port}",
                   "username": "monitor",
                   "password_file": os.path.join(self.workdir, "wrong-password")}
        self.write("exporter.yml", {"targets": self.targets + [refused]})
        self.reload(200)
        self.expect("DatastoreExporterConfigReloadFailed", "resolved",
                    "the fixed configuration reloaded", job="datastore")
        self.expect("DatastoreCollectionsFailing", "firing",
                    "a target whose password the server refuses",
                    target="postgres-refused", reason="auth")

    def exporter_down(self):
        log("exporter: killing it")
        self.processes.stop("exporter", signal.SIGKILL)
        self.expect("DatastoreExporterDown", "firing", "exporter killed", job="datastore")

    def run(self, exporter):
        self.start(exporter)
        self.check_healthy()
        self.check_dashboards()
        self.lag_begins()
        self.mariadb_lag()
        self.failover()
        self.lag_ends()
        self.processes.check_alive()
        self.config_reload_fails()
        self.exporter_down()

    def close(self):
        if self.writer:
            self.writer.stop()
        self.processes.stop_all()
        if self.proxy:
            self.proxy.close()
        if self.webhook:
            self.webhook.close()


def find_binary(*names):
    for name in names:
        path = shutil.which(name)
        if path:
            return path
    raise Failure(f"none of {names} found on PATH: bash tests/scripts/install-deps.sh "
                  "installs them")


def main():
    exporter = os.path.abspath(os.environ.get("EXPORTER") or os.path.join(
        os.environ.get("BUILD_DIR", os.path.join(ROOT, "build")), "exporter", "datastore_exporter"))
    for need in (("redis-server",), ("etcd",), ("java",), ("mariadbd",), ("mariadb",),
                 ("mariadb-install-db",), (os.path.join(POSTGRES_BIN, "initdb"),),
                 ("prometheus",),
                 ("prometheus-alertmanager", "alertmanager")):
        try:
            find_binary(*need)
        except Failure as error:
            print(f"FAIL: {error}", file=sys.stderr)
            return 1
    for jar in ZOOKEEPER_CLASSPATH.split(":"):
        if not os.access(jar, os.R_OK):
            print(f"FAIL: {jar} is missing (install libzookeeper-java and libslf4j-java)",
                  file=sys.stderr)
            return 1
    if not os.access(exporter, os.X_OK):
        print(f"FAIL: no exporter at {exporter} (set EXPORTER or build first)", file=sys.stderr)
        return 1

    def on_signal(signum, frame):
        raise KeyboardInterrupt(f"signal {signum}")

    signal.signal(signal.SIGTERM, on_signal)
    began = time.monotonic()
    workdir = tempfile.mkdtemp(prefix="datastore-exporter-e2e.")
    os.chmod(workdir, 0o711)  # PostgreSQL runs as user postgres, in a folder of its own
    test = EndToEnd(workdir)
    try:
        test.run(exporter)
    except (Exception, KeyboardInterrupt) as error:
        print(f"FAIL: {type(error).__name__}: {error}", file=sys.stderr)
        test.processes.dump_logs()
        return 1
    finally:
        test.close()
        shutil.rmtree(workdir, ignore_errors=True)
    log(f"PASS in {time.monotonic() - began:.0f}s; alerts proved end to end:")
    for name, scenario in test.proved:
        print(f"  {name}: {scenario}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
