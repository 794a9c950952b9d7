"""Real servers for the Python tests, benchmarks, fixture recorders and the
demo: Debian's redis-server, MariaDB, PostgreSQL 15, ZooKeeper, etcd,
nats-server (NATS JetStream) and rabbitmq-server, Prometheus and
Alertmanager, and our exporter, each on free loopback ports with its data
and log in one temporary folder.
Standard library only.

    sys.path.insert(0, os.path.join(ROOT, "tests", "support"))
    import servers

    with servers.Servers() as stack:
        primary, replica = stack.redis_pair()
        exporter = stack.exporter({"targets": [{"name": "replica", "kind": "redis",
                                                "address": replica.address,
                                                "cluster_id": "cache"}]})
        ...
    # every process stopped by its PID, the folder removed

Every start waits, bounded, until the server answers, and raises Failure
naming what did not start and how its log ends. Each server object has
.port, .address, .pid, .log, .stop(), .kill(), .pause() (SIGSTOP),
.resume(), .restart() (same port, folder and arguments), and a client for
its own protocol (Redis.command, MariaDb.sql, Postgres.sql, Etcd.post,
ZooKeeper.word, Nats.api and Nats.get, RabbitMq.api and RabbitMq.metrics,
Exporter.get).

Processes die with the thread that started them (PR_SET_PDEATHSIG), even
when the caller is killed: start them from the main thread.
"""
import base64
import collections
import ctypes
import json
import os
import pwd
import re
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

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
POSTGRES_BIN = os.environ.get("DSE_PG_BINDIR", "/usr/lib/postgresql/15/bin")
# slf4j-simple: without a logger the servers do not say why they fail.
ZOOKEEPER_CLASSPATH = "/usr/share/java/zookeeper.jar:/usr/share/java/slf4j-simple.jar"
# The Debian package of each program (tests/scripts/install-deps.sh installs them all).
PACKAGES = {
    "redis-server": "redis-server", "redis-cli": "redis-tools", "etcd": "etcd-server",
    "java": "default-jre-headless", "mariadbd": "mariadb-server",
    "mariadb-install-db": "mariadb-server", "mariadb": "mariadb-client",
    "prometheus": "prometheus", "prometheus-alertmanager": "prometheus-alertmanager",
    "nats-server": "nats-server",
}


class Failure(Exception):
    """Something a test or benchmark needed did not happen: a server that did
    not start, a process that exited, a wait that timed out."""


class RedisError(Exception):
    """An error reply of a Redis server."""


def program(name):
    """The path of a program, or Failure naming the package that installs it."""
    path = shutil.which(name)
    if path is None:
        package = "postgresql-15" if name.startswith(POSTGRES_BIN) else PACKAGES.get(name, "it")
        raise Failure(f"{name} not found: install {package} "
                      "(bash tests/scripts/install-deps.sh installs every package)")
    return path


def version(name, pattern):
    """The version of program `name`: group 1 of `pattern` in what it
    prints for --version."""
    printed = subprocess.run([program(name), "--version"], capture_output=True, text=True,
                             check=True).stdout
    return re.search(pattern, printed, re.M).group(1)


def exporter_binary():
    """Our exporter: $EXPORTER, else $BUILD_DIR/exporter/..., else build/exporter/..."""
    return os.path.abspath(os.environ.get("EXPORTER") or os.path.join(
        os.environ.get("BUILD_DIR", os.path.join(ROOT, "build")), "exporter",
        "datastore_exporter"))


_ports_given = set()


def free_port(preferred=None):
    """A free loopback port, never one this process handed out before (the
    kernel may offer a port again once its probe socket is closed);
    `preferred` when it is free."""
    while True:
        with socket.socket() as s:
            try:
                s.bind(("127.0.0.1", preferred or 0))
            except OSError:
                preferred = None
                continue
            port = s.getsockname()[1]
        preferred = None
        if port not in _ports_given:
            _ports_given.add(port)
            return port


def wait_until(what, predicate, timeout, interval=0.1, check=None):
    """Polls predicate() until it returns a true value, which it returns.
    check(), called on every poll, raises to give up early (a process that
    exited). Raises Failure after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    last_error = None
    while True:
        if check:
            check()
        try:
            value = predicate()
            if value:
                return value
        except (OSError, ValueError, KeyError, RedisError) as error:
            last_error = error
        if time.monotonic() >= deadline:
            detail = f" (last error: {last_error})" if last_error else ""
            raise Failure(f"timed out after {timeout:g}s waiting for {what}{detail}")
        time.sleep(interval)


def http_get(url, timeout=5):
    """(status, body text) of a GET; an HTTP error status is returned too."""
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            return response.status, response.read().decode(errors="replace")
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode(errors="replace")


def tail(path, lines=10):
    """The last lines of a log file."""
    try:
        with open(path, errors="replace") as f:
            return "".join(f.readlines()[-lines:])
    except OSError:
        return ""


# --- Processes -----------------------------------------------------------------

_libc = ctypes.CDLL(None, use_errno=True)
_PR_SET_PDEATHSIG = 1


def _die_with_parent():
    _libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)


def _as_user(name):
    """Popen options that run a child as user `name`, with that user's
    groups and a fresh environment (HOME, USER, PATH: nothing of ours), when
    we are root; none otherwise."""
    if os.geteuid() != 0:
        return {}
    try:
        entry = pwd.getpwnam(name)
    except KeyError:
        raise Failure(f"no user {name}: install the package that creates it")
    return {"user": entry.pw_uid, "group": entry.pw_gid,
            "extra_groups": os.getgrouplist(name, entry.pw_gid), "cwd": "/",
            "env": {"HOME": entry.pw_dir, "USER": name, "LOGNAME": name,
                    "SHELL": entry.pw_shell, "PATH": "/usr/local/bin:/usr/bin:/bin"}}


class Process:
    """A child process of Servers.spawn, its output in `log`."""

    def __init__(self, name, popen, log, stop_signal, group, children):
        self.name, self.popen, self.log = name, popen, log
        self.stop_signal, self.group, self.children = stop_signal, group, children
        self.stopped = False  # stopped on purpose: no longer checked

    @property
    def pid(self):
        return self.popen.pid

    def running(self):
        return self.popen.poll() is None

    def signal(self, sig):
        if self.running():
            if self.group:
                os.killpg(self.pid, sig)
            else:
                self.popen.send_signal(sig)

    def signal_children_too(self, sig):
        """The process, then (with children=True) its direct children, found
        by parent: a PostgreSQL session is a child in a session of its own."""
        self.signal(sig)
        if not self.children:
            return
        for entry in os.listdir("/proc"):
            try:
                with open(f"/proc/{entry}/stat") as f:
                    parent = int(f.read().rsplit(")", 1)[1].split()[1])
                if parent == self.pid:
                    os.kill(int(entry), sig)
            except (OSError, ValueError, IndexError):
                pass

    def pause(self):
        self.signal_children_too(signal.SIGSTOP)

    def resume(self):
        self.signal_children_too(signal.SIGCONT)

    def stop(self, sig=None, timeout=10):
        """Signals it (its stop signal by default), waits, kills after
        `timeout` seconds."""
        stop_all([self], sig, timeout)

    def tail(self, lines=10):
        return tail(self.log, lines)

    def check(self):
        """Raises Failure when it exited without being stopped."""
        if not self.stopped and not self.running():
            raise Failure(f"{self.name} exited with status {self.popen.returncode}; "
                          f"its log {self.log} ends:\n{self.tail()}")


def stop_all(processes, sig=None, timeout=10):
    """Signals every process (each its stop signal by default) at once, then
    waits for them, killing what is left after `timeout` seconds."""
    for process in processes:
        process.stopped = True
        process.resume()  # a paused process cannot handle the signal
        process.signal(sig or process.stop_signal)
    deadline = time.monotonic() + timeout
    for process in processes:
        try:
            process.popen.wait(max(0, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            process.signal(signal.SIGKILL)
            process.popen.wait()


class Servers:
    """A temporary folder and every process started in it; a context manager
    that stops them all and removes the folder."""

    def __init__(self, prefix="datastore-servers."):
        self.workdir = tempfile.mkdtemp(prefix=prefix)
        os.chmod(self.workdir, 0o711)  # PostgreSQL, run as user postgres, goes through it
        self.processes = []
        self._mariadb_template = None

    def __enter__(self):
        # SIGTERM ends the program through the clean-up, as Ctrl-C does,
        # unless the program handles it already.
        if (threading.current_thread() is threading.main_thread()
                and signal.getsignal(signal.SIGTERM) == signal.SIG_DFL):
            signal.signal(signal.SIGTERM, lambda *_: sys.exit("terminated (SIGTERM)"))
        return self

    def __exit__(self, *exc):
        self.close()

    def path(self, *parts):
        return os.path.join(self.workdir, *parts)

    def folder(self, name):
        os.makedirs(self.path(name), exist_ok=True)
        return self.path(name)

    def file(self, name, text):
        """Writes `text` to the file `name`; returns its path."""
        with open(self.path(name), "w", encoding="utf-8") as f:
            f.write(text)
        return self.path(name)

    def spawn(self, name, argv, stop_signal=signal.SIGTERM, user=None, env=None, group=False,
              children=False):
        """Starts argv with its output appended to `name`.log, as `user`
        (when root), or with `env`. group: in a process group of its own,
        which every signal then goes to (for programs that do not pass
        signals on to their children); children: pause, resume and stop
        reach its direct children too."""
        log = self.path(f"{name}.log")
        options = _as_user(user) if user else {"cwd": self.workdir, "env": env}
        with open(log, "ab") as out:
            popen = subprocess.Popen(argv, stdout=out, stderr=subprocess.STDOUT,
                                     stdin=subprocess.DEVNULL, start_new_session=group,
                                     preexec_fn=_die_with_parent, **options)
        process = Process(name, popen, log, stop_signal, group, children)
        self.processes.append(process)
        return process

    def check_alive(self):
        """Raises Failure when a process exited without being stopped."""
        for process in self.processes:
            process.check()

    def wait_until(self, what, predicate, timeout, interval=0.1):
        """wait_until(), failing at once when a process exited."""
        return wait_until(what, predicate, timeout, interval, check=self.check_alive)

    def dump_logs(self, lines=10, file=sys.stderr):
        for process in self.processes:
            print(f"--- last lines of {process.log} ---\n{process.tail(lines)}", file=file, end="")

    def close(self):
        stop_all(self.processes)
        shutil.rmtree(self.workdir, ignore_errors=True)

    # --- Servers (see each class)

    def redis(self, name=None, args=(), port=None):
        return Redis(self, name, args, port).start()

    def redis_pair(self, name="redis", args=()):
        """A primary and a replica in sync with it."""
        primary = self.redis(f"{name}-primary", args)
        replica = self.redis(f"{name}-replica", ["--replicaof", "127.0.0.1", str(primary.port),
                                                 *args])
        replica.wait_in_sync()
        return primary, replica

    def redis_cluster(self, shards, args=(), timeout=60):
        return RedisCluster(self, shards, args, timeout)

    def mariadb(self, name, server_id, args=()):
        return MariaDb(self, name, server_id, args).start()

    def mariadb_pair(self, name="mariadb", setup=""):
        """A primary (server 1) and a GTID replica (server 2) caught up with
        it, after the statements `setup` ran on the primary (users, grants,
        tables: they reach the replica through replication)."""
        primary = self.mariadb(f"{name}-primary", 1)
        replica = self.mariadb(f"{name}-replica", 2)
        primary.allow_replicas()
        if setup:
            primary.sql(setup)
        replica.replicate_from(primary)
        replica.wait_caught_up(primary)
        return primary, replica

    def postgres(self, name=None, settings=(), passwords=False):
        return Postgres(self, name, settings, passwords).start()

    def postgres_standby(self, primary, name=None, settings=()):
        standby = Postgres(self, name, settings, primary=primary).start()
        standby.wait_streaming()
        return standby

    def etcd(self, name, initial_cluster, state="new", token=None, args=(),
             client_port=None, peer_port=None, wait=True):
        return Etcd(self, name, initial_cluster, state, token, args, client_port,
                    peer_port).start(wait)

    def etcd_cluster(self, members=3, name="etcd", args=(), token=None, wait=True):
        """`members` etcd members, by default each waiting until it sees a
        leader (wait=False: start them all and call wait_ready() later)."""
        ports = [(free_port(), free_port()) for _ in range(members)]
        initial = ",".join(f"{name}{i}=http://127.0.0.1:{peer}"
                           for i, (_, peer) in enumerate(ports, 1))
        token = token or f"{name}-{os.getpid()}-{ports[0][0]}"
        cluster = [self.etcd(f"{name}{i}", initial, "new", token, args, client, peer, wait=False)
                   for i, (client, peer) in enumerate(ports, 1)]
        if wait:
            for member in cluster:
                member.wait_ready()
        return cluster

    def zookeeper(self, name, myid, config=(), java_options=(), port=None):
        return ZooKeeper(self, name, myid, config, java_options, port).start()

    def zookeeper_ensemble(self, voters=3, observers=0, name="zookeeper",
                           whitelist="srvr, conf", wait=True, client_addresses=False):
        """`voters` voting servers (ids 1..voters) and `observers` observers;
        by default waits until they all serve (wait=False: call
        wait_serving(ensemble) later). With `client_addresses` each server
        line also names the server's client address (`;127.0.0.1:PORT`), so
        that every server can tell the others' client ports."""
        count = voters + observers
        ports = [free_port() for _ in range(count)]
        members = [f"server.{i}=127.0.0.1:{free_port()}:{free_port()}"
                   + (":observer" if i > voters else "")
                   + (f";127.0.0.1:{ports[i - 1]}" if client_addresses else "")
                   for i in range(1, count + 1)]
        ensemble = []
        for i in range(1, count + 1):
            config = [f"4lw.commands.whitelist={whitelist}", *members]
            if i > voters:
                config.append("peerType=observer")
            ensemble.append(self.zookeeper(f"{name}-{i}", i, config, port=ports[i - 1]))
        if wait:
            wait_serving(ensemble, voters)
        return ensemble

    def nats(self, name=None, accounts=None, config=(), port=None):
        """A JetStream server in no cluster (see Nats)."""
        return Nats(self, name, accounts=accounts, config=config, port=port).start()

    def nats_cluster(self, size=3, name="nats", cluster=None, accounts=None, config=(),
                     wait=True, name_tags=False):
        """`size` JetStream servers named {name}1..{name}{size} in one cluster
        (`cluster`, by default `name`), each with routes to the others (see
        Nats); by default waits until they are all healthy and agree on a
        meta leader (wait=False: call wait_nats_cluster(nodes) later).
        name_tags: each server has its name as a server tag, so that a
        stream can be placed on given servers ("placement": {"tags": [...]})."""
        ports = [free_port() for _ in range(size)]

        def node_config(i):
            return [*config, f'server_tags: ["{name}{i}"]'] if name_tags else config

        nodes = [Nats(self, f"{name}{i}", cluster or name,
                      [p for p in ports if p != port], accounts, node_config(i), cluster_port=port)
                 for i, port in enumerate(ports, 1)]
        for node in nodes:
            node.start(wait=False)
        if wait:
            wait_nats_cluster(nodes)
        return nodes

    def rabbitmq(self, name="rabbit", plugins=None, config=()):
        """A RabbitMQ node in no cluster, with an epmd of its own (see RabbitMq)."""
        epmd = Epmd(self, f"{name}-epmd").start()
        return RabbitMq(self, name, epmd, os.urandom(16).hex(), plugins=plugins,
                        config=config).start()

    def rabbitmq_cluster(self, size=3, name="rabbit", cluster=None, plugins=None,
                         config=(), wait=True):
        """`size` RabbitMQ nodes {name}1@localhost..{name}{size}@localhost,
        started together, with one epmd and Erlang cookie, cluster_name
        `cluster` (by default `name`), joined by classic_config peer
        discovery (see RabbitMq); by default waits until every node sees
        them all running (wait=False: call wait_ready() on each and
        wait_rabbitmq_cluster(nodes) later)."""
        epmd = Epmd(self, f"{name}-epmd").start()
        cookie = os.urandom(16).hex()
        names = [f"{name}{i}@localhost" for i in range(1, size + 1)]
        nodes = [RabbitMq(self, f"{name}{i}", epmd, cookie, cluster or name, names, plugins,
                          config) for i in range(1, size + 1)]
        for node in nodes:
            node.start(wait=False)
        if wait:
            for node in nodes:
                node.wait_ready()
            wait_rabbitmq_cluster(nodes)
        return nodes

    def exporter(self, config=None, args=(), name="exporter", port=None, binary=None):
        return Exporter(self, config, args, name, port, binary).start()

    def prometheus(self, config, name="prometheus", port=None):
        return Prometheus(self, name, port, config).start()

    def alertmanager(self, config, name="alertmanager", port=None):
        return Alertmanager(self, name, port, config).start()

    def mariadb_template(self):
        """A data folder made once by mariadb-install-db, copied for each server."""
        if self._mariadb_template is None:
            template = self.path("mariadb-template")
            run_command(["mariadb-install-db", "--no-defaults", f"--datadir={template}",
                         "--skip-test-db", "--auth-root-authentication-method=socket",
                         "--innodb-log-file-size=4M", *MariaDb.root_user()], timeout=120)
            self._mariadb_template = template
        return self._mariadb_template


def run_command(argv, timeout=120, **options):
    """Runs a command to its end; its output, or Failure with it."""
    argv = [program(argv[0]), *argv[1:]]
    try:
        done = subprocess.run(argv, capture_output=True, text=True, timeout=timeout, **options)
    except subprocess.TimeoutExpired:
        raise Failure(f"{os.path.basename(argv[0])} did not finish within {timeout} s")
    if done.returncode != 0:
        raise Failure(f"{' '.join(argv)} failed: {done.stdout}{done.stderr}")
    return done.stdout


class Server:
    """A server on 127.0.0.1:port, run by Servers.spawn. Subclasses give
    argv(), ready() (it answers) and how long starting may take."""

    kind = "server"
    start_timeout = 30
    stop_signal = signal.SIGTERM
    user = None
    children = False

    def __init__(self, servers, name, port=None):
        self.servers = servers
        self.port = port or free_port()
        self.name = name or f"{self.kind}-{self.port}"
        self.process = None

    @property
    def address(self):
        return f"127.0.0.1:{self.port}"

    @property
    def pid(self):
        return self.process.pid

    @property
    def log(self):
        return self.process.log

    def start(self, wait=True):
        self.process = self.servers.spawn(self.name, self.argv(), self.stop_signal, self.user,
                                          children=self.children)
        if wait:
            self.wait_ready()
        return self

    def wait_ready(self, timeout=None):
        timeout = timeout or self.start_timeout
        try:
            wait_until(f"{self.kind} {self.name} on {self.address}", self.ready, timeout,
                       check=self.process.check)
        except Failure as error:
            if self.process.running():
                raise Failure(f"{error}; its log {self.log} ends:\n{self.process.tail()}") from None
            raise
        return self

    def stop(self, sig=None):
        self.process.stop(sig)

    def kill(self):
        self.process.stop(signal.SIGKILL)

    def pause(self):
        self.process.pause()

    def resume(self):
        self.process.resume()

    def restart(self):
        self.stop()
        return self.start()


# --- Redis ---------------------------------------------------------------------


class Redis(Server):
    """redis-server without persistence; replicas sync at once."""

    kind = "redis"
    start_timeout = 10

    def __init__(self, servers, name=None, args=(), port=None):
        super().__init__(servers, name, port)
        self.args = list(args)

    def argv(self):
        return [program("redis-server"), "--port", str(self.port), "--bind", "127.0.0.1",
                "--dir", self.servers.folder(self.name), "--save", "", "--appendonly", "no",
                # The default waits 5 s before a full sync.
                "--repl-diskless-sync-delay", "0", *self.args]

    def ready(self):
        return self.command("PING") == "PONG"

    def command(self, *args, timeout=2.0):
        """One command over RESP; the reply as str, int, list or None."""
        payload = f"*{len(args)}\r\n".encode()
        for arg in args:
            data = str(arg).encode()
            payload += b"$%d\r\n%s\r\n" % (len(data), data)
        with socket.create_connection(("127.0.0.1", self.port), timeout=timeout) as conn:
            conn.sendall(payload)
            return _read_reply(conn.makefile("rb"))

    def info(self, section="replication"):
        """INFO `section` as a dict."""
        text = self.command("INFO", section)
        return dict(line.split(":", 1) for line in text.splitlines() if ":" in line)

    def wait_in_sync(self, timeout=20):
        """Waits until this replica's link to its primary is up."""
        wait_until(f"redis {self.name} in sync with its primary",
                   lambda: self.info().get("master_link_status") == "up", timeout,
                   check=self.process.check)


def _read_reply(stream):
    line = stream.readline().rstrip(b"\r\n")
    kind, rest = line[:1], line[1:].decode()
    if kind == b"+":
        return rest
    if kind == b"-":
        raise RedisError(rest)
    if kind == b":":
        return int(rest)
    if kind == b"$":
        size = int(rest)
        return None if size < 0 else stream.read(size + 2)[:-2].decode()
    if kind == b"*":
        return [_read_reply(stream) for _ in range(int(rest))]
    raise OSError(f"bad redis reply {line!r}")


class RedisCluster:
    """A Redis Cluster of `shards` primaries with one replica each, made by
    redis-cli --cluster create. Ready when every node says cluster_state:ok
    and knows every node, and every replica's link is up. .nodes are the
    Redis servers; .seconds how long starting, creating and getting ready took."""

    def __init__(self, servers, shards, args, timeout):
        began = time.monotonic()
        # Each node its own free cluster bus port: port + 10000, the default,
        # may be taken or above 65535.
        self.nodes = [servers.redis(args=["--cluster-enabled", "yes",
                                          "--cluster-config-file", "nodes.conf",
                                          "--cluster-port", str(free_port()), *args])
                      for _ in range(2 * shards)]
        self.shards = shards
        started = time.monotonic()
        run_command(["redis-cli", "--cluster", "create", *[node.address for node in self.nodes],
                     "--cluster-replicas", "1", "--cluster-yes"], timeout=timeout)
        created = time.monotonic()
        servers.wait_until(f"a ready cluster of {len(self.nodes)} redis nodes",
                           lambda: self.problem() is None, timeout, interval=0.5)
        self.seconds = {"start": started - began, "create": created - started,
                        "ready": time.monotonic() - created}

    def problem(self):
        """None when the cluster is ready, else what is not ready yet."""
        replicas = 0
        for node in self.nodes:
            state = dict(line.split(":", 1) for line in node.command("CLUSTER", "INFO").splitlines()
                         if ":" in line)
            if state.get("cluster_state") != "ok":
                return f"{node.address}: not cluster_state:ok"
            if state.get("cluster_known_nodes") != str(len(self.nodes)):
                return (f"{node.address}: knows {state.get('cluster_known_nodes')} nodes "
                        f"of {len(self.nodes)}")
            replication = node.info()
            if replication.get("role") == "slave":
                replicas += 1
                if replication.get("master_link_status") != "up":
                    return f"{node.address}: replica, master link not up"
        if replicas != self.shards:
            return f"{replicas} replicas, expected {self.shards}"
        return None


# --- MariaDB -------------------------------------------------------------------

# Small and quick servers holding a few rows, on loopback only.
MARIADB_FLAGS = ["--no-defaults", "--bind-address=127.0.0.1", "--skip-name-resolve",
                 "--log-bin=mysql-bin", "--log-slave-updates", "--gtid-strict-mode=1",
                 "--innodb-buffer-pool-size=16M", "--innodb-log-file-size=4M",
                 "--innodb-use-native-aio=0", "--innodb-flush-log-at-trx-commit=2",
                 "--sync-binlog=0"]


class MariaDb(Server):
    """mariadbd with the binary log and GTIDs, its data folder a copy of
    Servers.mariadb_template(), its unix socket in its own folder (never the
    system's). The root user logs in over that socket."""

    kind = "mariadb"
    start_timeout = 60

    def __init__(self, servers, name, server_id, args=()):
        super().__init__(servers, name)
        self.server_id = server_id
        self.args = list(args)
        self.home = servers.path(self.name)
        self.socket = os.path.join(self.home, "mysqld.sock")

    @staticmethod
    def root_user():
        return ["--user=root"] if os.geteuid() == 0 else []

    def argv(self):
        if not os.path.exists(self.home):
            os.makedirs(self.home)
            shutil.copytree(self.servers.mariadb_template(), os.path.join(self.home, "data"),
                            symlinks=True)
        return [program("mariadbd"), *MARIADB_FLAGS, f"--datadir={self.home}/data",
                f"--port={self.port}", f"--socket={self.socket}",
                f"--pid-file={self.home}/mysqld.pid", f"--tmpdir={self.home}",
                f"--log-error={self.home}/error.log", f"--server-id={self.server_id}",
                *self.root_user(), *self.args]

    def wait_ready(self, timeout=None):
        try:
            return super().wait_ready(timeout)
        except Failure as error:  # mariadbd writes its reasons to error.log
            raise Failure(f"{error}\n{self.home}/error.log ends:\n{tail(self.home + '/error.log')}")

    def ready(self):
        return self.sql("SELECT 1") == "1"

    def client(self):
        """The mariadb client's command line, as root over the socket."""
        return [program("mariadb"), "--no-defaults", "--user=root", f"--socket={self.socket}"]

    def sql(self, statements):
        """Runs statements; returns the output, tab-separated, without column
        names. Raises OSError on an error."""
        done = subprocess.run([*self.client(), "--batch", "--skip-column-names", "-e", statements],
                              capture_output=True, text=True, timeout=30)
        if done.returncode != 0:
            raise OSError(f"mariadb {self.name}: {done.stderr.strip()}")
        return done.stdout.strip()

    def allow_replicas(self, binlog=True):
        """Creates the user repl, password repl, that replicas log in as
        (binlog=False: without writing it to the binary log)."""
        self.sql(("" if binlog else "SET SESSION sql_log_bin=0; ")
                 + "CREATE USER repl@'127.0.0.1' IDENTIFIED BY 'repl'; "
                 "GRANT REPLICATION SLAVE ON *.* TO repl@'127.0.0.1'")

    def replicate_from(self, primary, connection="", options=""):
        """Replicates from `primary` by GTID (slave_pos), as connection
        `connection` (the default one when empty); `options` are more
        CHANGE MASTER options, each starting with a comma."""
        name = f"'{connection}' " if connection else ""
        self.sql(f"CHANGE MASTER {name}TO MASTER_HOST='127.0.0.1', MASTER_PORT={primary.port}, "
                 "MASTER_USER='repl', MASTER_PASSWORD='repl', MASTER_USE_GTID=slave_pos, "
                 f"MASTER_CONNECT_RETRY=1{options}; START SLAVE {name}")

    def wait_caught_up(self, primary, timeout=60):
        """Waits until this replica applied all of `primary`'s binary log."""
        position = primary.sql("SELECT @@gtid_binlog_pos")
        wait_until(f"mariadb {self.name} caught up with {primary.name}", lambda: self.sql(
            f"SELECT MASTER_GTID_WAIT('{position}', 1)") == "0", timeout, check=self.process.check)


# --- PostgreSQL ----------------------------------------------------------------


class Postgres(Server):
    """A PostgreSQL 15 server run as user postgres (it refuses root): a new
    cluster (initdb), or a streaming standby of `primary` (pg_basebackup -R).
    The superuser postgres is trusted on loopback; with passwords=True every
    other role must give its password. `settings` are postgresql.conf lines,
    added after the defaults (on a standby, after the primary's)."""

    kind = "postgres"
    start_timeout = 60
    stop_signal = signal.SIGINT  # fast shutdown: does not wait for sessions
    user = "postgres"
    children = True  # a process per session

    def __init__(self, servers, name=None, settings=(), passwords=False, primary=None):
        super().__init__(servers, name)
        self.data = os.path.join(servers.folder(self.name), "data")
        os.mkdir(self.data, 0o700)
        if os.geteuid() == 0:
            entry = pwd.getpwnam("postgres")
            os.chown(self.data, entry.pw_uid, entry.pw_gid)
        if primary is None:
            self.run_as_postgres("initdb", "-D", self.data, "-U", "postgres", "--auth=trust",
                                 "--no-sync", "--encoding=UTF8", "--locale=C")
            if passwords:
                self.append("pg_hba.conf", "host all postgres 127.0.0.1/32 trust\n"
                            "host replication postgres 127.0.0.1/32 trust\n"
                            "host all all 127.0.0.1/32 scram-sha-256\n", replace=True)
            settings = [
                "listen_addresses = '127.0.0.1'", "unix_socket_directories = ''",
                # Tests, not durability: no fsync, small memory, few connections.
                "fsync = off", "shared_buffers = 16MB", "max_connections = 30",
                "max_wal_senders = 5",
                # No background transactions that would move replay timestamps.
                "autovacuum = off", *settings]
        else:
            self.run_as_postgres("pg_basebackup", "-h", "127.0.0.1", "-p", str(primary.port),
                                 "-U", "postgres", "-D", self.data, "-R", "-X", "stream",
                                 "-c", "fast", "--no-sync")
            settings = ["cluster_name = ''", *settings]
        self.append("postgresql.conf", "".join(f"{line}\n" for line in settings))

    def run_as_postgres(self, *argv):
        run_command([os.path.join(POSTGRES_BIN, argv[0]), *argv[1:]], **_as_user("postgres"))

    def append(self, file, text, replace=False):
        with open(os.path.join(self.data, file), "w" if replace else "a") as f:
            f.write(text)

    def argv(self):
        return [program(os.path.join(POSTGRES_BIN, "postgres")), "-D", self.data,
                "-c", f"port={self.port}"]

    def ready(self):
        return self.sql("SELECT 1") == "1"

    def psql(self, user="postgres"):
        """psql's command line to this server as `user`, stopping at the first error."""
        return [os.path.join(POSTGRES_BIN, "psql"), "-X", "-h", "127.0.0.1", "-p", str(self.port),
                "-U", user, "-d", "postgres", "-v", "ON_ERROR_STOP=1"]

    def sql(self, statement, user="postgres"):
        """The output of `statement`, unaligned, without headers. Raises
        OSError on an error."""
        done = subprocess.run([*self.psql(user), "-Atq", "-c", statement],
                              capture_output=True, text=True, timeout=30)
        if done.returncode != 0:
            raise OSError(f"psql {self.name}: {done.stderr.strip()}")
        return done.stdout.strip()

    def wait_streaming(self, timeout=60):
        wait_until(f"postgres standby {self.name} streaming", lambda: self.sql(
            "SELECT status FROM pg_stat_wal_receiver") == "streaming", timeout,
            check=self.process.check)


# --- etcd ----------------------------------------------------------------------


class Etcd(Server):
    """An etcd member. It answers only once its cluster has a leader, which
    is what ready() waits for."""

    kind = "etcd"
    start_timeout = 60

    def __init__(self, servers, name, initial_cluster, state="new", token=None, args=(),
                 client_port=None, peer_port=None):
        super().__init__(servers, name, client_port)
        self.peer_port = peer_port or free_port()
        self.initial_cluster = initial_cluster
        self.state = state
        self.token = token or f"{name}-{os.getpid()}"
        self.args = list(args)

    @property
    def client_url(self):
        return f"http://127.0.0.1:{self.port}"

    @property
    def peer_url(self):
        return f"http://127.0.0.1:{self.peer_port}"

    def argv(self):
        return [program("etcd"), "--name", self.name, "--data-dir", self.servers.path(self.name),
                "--listen-client-urls", self.client_url, "--advertise-client-urls", self.client_url,
                "--listen-peer-urls", self.peer_url, "--initial-advertise-peer-urls", self.peer_url,
                "--initial-cluster", self.initial_cluster, "--initial-cluster-state", self.state,
                "--initial-cluster-token", self.token, *self.args]

    def post(self, path, body=None, timeout=5):
        """(status, body text) of a POST to the JSON gateway (body {} by default)."""
        request = urllib.request.Request(f"{self.client_url}{path}", method="POST",
                                         data=json.dumps(body or {}).encode())
        try:
            with urllib.request.urlopen(request, timeout=timeout) as response:
                return response.status, response.read().decode()
        except urllib.error.HTTPError as error:
            return error.code, error.read().decode()

    def status(self):
        """/v3/maintenance/status, decoded."""
        return json.loads(self.post("/v3/maintenance/status")[1])

    def ready(self):
        return self.status().get("leader", "0") != "0"


# --- ZooKeeper -----------------------------------------------------------------


class ZooKeeper(Server):
    """A ZooKeeper server (Debian's jars) with id `myid`; `config` are more
    zoo.cfg lines (the server.N lines of an ensemble, 4lw.commands.whitelist),
    `java_options` more JVM options (-Dreadonlymode.enabled=true). Small
    heap, quick start, elections retried at most every 2 s; no AdminServer."""

    kind = "zookeeper"
    start_timeout = 60

    def __init__(self, servers, name, myid, config=(), java_options=(), port=None):
        super().__init__(servers, name, port)
        folder = servers.folder(self.name)
        os.makedirs(os.path.join(folder, "data"), exist_ok=True)
        with open(os.path.join(folder, "data", "myid"), "w") as f:
            f.write(f"{myid}\n")
        self.config_file = os.path.join(folder, "zoo.cfg")
        with open(self.config_file, "w") as f:
            f.write("".join(f"{line}\n" for line in [
                "tickTime=500", "initLimit=20", "syncLimit=10", f"dataDir={folder}/data",
                f"clientPort={self.port}", "clientPortAddress=127.0.0.1",
                "admin.enableServer=false", "preAllocSize=1024", *config]))
        self.java_options = list(java_options)

    def argv(self):
        for jar in ZOOKEEPER_CLASSPATH.split(":"):
            if not os.access(jar, os.R_OK):
                raise Failure(f"{jar} is missing: install libzookeeper-java and libslf4j-java")
        return [program("java"), "-Xmx128m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1",
                "-Djava.net.preferIPv4Stack=true",
                "-Dzookeeper.fastleader.maxNotificationInterval=2000", *self.java_options,
                "-cp", ZOOKEEPER_CLASSPATH, "org.apache.zookeeper.server.quorum.QuorumPeerMain",
                self.config_file]

    def word(self, word, timeout=5):
        """The reply to a four-letter word (the server closes after it)."""
        with socket.create_connection(("127.0.0.1", self.port), timeout=timeout) as conn:
            conn.sendall(word.encode())
            reply = b""
            while chunk := conn.recv(4096):
                reply += chunk
        return reply.decode(errors="replace")

    def ready(self):
        # A server answers srvr as soon as it listens, serving or not.
        return self.word("srvr") != ""

    def mode(self):
        """leader, follower, observer, standalone, read-only, or None while
        it does not serve."""
        for line in self.word("srvr").splitlines():
            if line.startswith("Mode: "):
                return line[len("Mode: "):]
        return None

    def wait_mode(self, *modes, timeout=60):
        def in_mode():
            mode = self.mode()
            return mode if mode in modes else None

        return wait_until(f"zookeeper {self.name} in mode {' or '.join(modes)}", in_mode, timeout,
                          interval=0.25, check=self.process.check)


def wait_serving(ensemble, voters, timeout=90):
    """Waits until the first `voters` servers of `ensemble` are one leader
    and followers, all serving, and the others observers."""
    expected = ["follower"] * (voters - 1) + ["leader"] + ["observer"] * (len(ensemble) - voters)

    def serving():
        for server in ensemble:
            server.process.check()
        return sorted(server.mode() or "" for server in ensemble[:voters]) + [
            server.mode() for server in ensemble[voters:]] == expected

    wait_until("a ZooKeeper leader and its followers serving", serving, timeout, interval=0.25)


# --- NATS ----------------------------------------------------------------------


class NatsError(OSError):
    """What a NATS server refused: -ERR, a JetStream API error reply, no
    responders, a closed connection. An OSError (as the socket's timeout
    is), so that wait_until polls past it."""


class Nats(Server):
    """A nats-server with JetStream (its store in its own folder, at most
    64 MB of memory and 256 MB of file store) and its HTTP monitoring port
    (.monitor_port: /varz, /jsz, /healthz). Its server_name is its name.
    With `cluster` (the cluster name) it takes routes on .cluster_port and
    connects to the cluster ports in `routes`. `accounts` maps account
    names to whether JetStream is enabled in it; each account has a user
    of the same name, password the same, and the first account is where
    clients that give no user go (no_auth_user); without `accounts` every
    client is in the global account $G. `config` are more lines of its
    configuration file."""

    kind = "nats"

    def __init__(self, servers, name=None, cluster=None, routes=(), accounts=None, config=(),
                 port=None, cluster_port=None, monitor_port=None):
        super().__init__(servers, name, port)
        self.monitor_port = monitor_port or free_port()
        self.cluster = cluster
        self.cluster_port = (cluster_port or free_port()) if cluster else None
        folder = servers.folder(self.name)
        lines = [f"server_name: {json.dumps(self.name)}", f"listen: \"{self.address}\"",
                 f"http: \"{self.monitor_address}\"",
                 f"jetstream {{ store_dir: {json.dumps(os.path.join(folder, 'js'))}, "
                 "max_memory_store: 64MB, max_file_store: 256MB }"]
        if cluster:
            urls = ", ".join(f"\"nats-route://127.0.0.1:{p}\"" for p in routes)
            lines.append(f"cluster {{ name: {json.dumps(cluster)}, "
                         f"listen: \"127.0.0.1:{self.cluster_port}\", routes: [{urls}] }}")
        if accounts:
            lines.append("accounts {")
            for account, jetstream in accounts.items():
                user = json.dumps(account)
                lines.append(f"  {user}: {{ {'jetstream: enabled, ' if jetstream else ''}"
                             f"users: [{{ user: {user}, password: {user} }}] }}")
            lines += ["}", f"no_auth_user: {json.dumps(next(iter(accounts)))}"]
        self.config_file = os.path.join(folder, "nats.conf")
        with open(self.config_file, "w") as f:
            f.write("".join(f"{line}\n" for line in [*lines, *config]))

    @property
    def monitor_address(self):
        return f"127.0.0.1:{self.monitor_port}"

    def argv(self):
        return [program("nats-server"), "--config", self.config_file]

    def get(self, path):
        """(status, body text) of GET path on the monitoring port."""
        return http_get(f"http://{self.monitor_address}{path}")

    def monitor(self, path):
        """The decoded JSON reply of GET path on the monitoring port;
        NatsError unless it is 200."""
        status, body = self.get(path)
        if status != 200:
            raise NatsError(f"nats {self.name}: GET {path}: HTTP {status}: {body.strip()}")
        return json.loads(body)

    def ready(self):
        return self.get("/healthz")[0] == 200

    def meta_leader(self):
        """The server_name of the JetStream meta leader this server knows,
        or None."""
        return self.monitor("/jsz").get("meta_cluster", {}).get("leader") or None

    def stream_detail(self, stream, account="$G"):
        """This server's stream_detail of `stream` in /jsz (None when it
        holds no replica of it)."""
        return nats_stream_detail(self.monitor("/jsz?accounts=true&streams=true"), stream,
                                  account)

    def stream_leader(self, stream, account="$G"):
        """The server_name of the leader of `stream` as this server's /jsz
        gives it, or None (no leader known, or no replica here)."""
        detail = self.stream_detail(stream, account) or {}
        return detail.get("cluster", {}).get("leader") or None

    def client(self, user=None, timeout=10):
        """A NatsClient connected to this server (as `user`, password the same)."""
        return NatsClient(self.address, user, timeout)

    def api(self, subject, body=None, user=None, timeout=10):
        """The decoded reply of the JetStream API request $JS.API.`subject`;
        NatsError when it is an error."""
        with self.client(user, timeout) as client:
            return client.api(subject, body)

    def create_stream(self, name, subjects=None, replicas=1, storage="file", user=None,
                      **config):
        """Creates stream `name` on `subjects` (by default `name`.>) with
        `replicas` replicas and more stream `config`; returns its info."""
        config = {"name": name, "subjects": subjects or [f"{name}.>"], "num_replicas": replicas,
                  "storage": storage, **config}
        return self.api(f"STREAM.CREATE.{name}", config, user)

    def delete_stream(self, name, user=None):
        return self.api(f"STREAM.DELETE.{name}", None, user)

    def step_down(self, stream, consumer=None, user=None):
        """Asks the leader of `stream` (or of its `consumer`) to step down:
        another replica is then elected."""
        if consumer:
            return self.api(f"CONSUMER.LEADER.STEPDOWN.{stream}.{consumer}", None, user)
        return self.api(f"STREAM.LEADER.STEPDOWN.{stream}", None, user)

    def create_consumer(self, stream, durable, replicas=None, user=None):
        """A durable pull consumer on `stream` with explicit acks, with
        `replicas` replicas (by default the stream's); returns its info."""
        config = {"durable_name": durable, "ack_policy": "explicit"}
        if replicas:
            config["num_replicas"] = replicas
        return self.api(f"CONSUMER.DURABLE.CREATE.{stream}.{durable}",
                        {"stream_name": stream, "config": config}, user)

    def consume(self, stream, consumer, count, ack=0, user=None):
        """Fetches `count` messages from a pull consumer and acks the first
        `ack` of them; returns how many came."""
        with self.client(user) as client:
            return len(client.pull(stream, consumer, count, ack))

    def publish(self, subject, count=1, user=None, payload=b"x" * 16):
        """Publishes `count` messages to `subject` and waits for each
        JetStream ack; returns the acks ({"stream":..., "seq":...})."""
        with self.client(user) as client:
            return client.publish_acked(subject, [payload] * count)


class NatsClient:
    """One connection of the NATS client protocol (text over TCP): enough
    to call the JetStream API and to publish with acks. A context manager."""

    def __init__(self, address, user=None, timeout=10):
        host, port = address.rsplit(":", 1)
        self.socket = socket.create_connection((host, int(port)), timeout=timeout)
        try:
            self.reader = self.socket.makefile("rb")
            line = self.reader.readline()
            if not line.startswith(b"INFO "):
                raise NatsError(f"nats {address}: expected INFO, got {line[:80]!r}")
            self.info = json.loads(line[5:])
            connect = {"verbose": False, "pedantic": False, "headers": True,
                       "no_responders": True, "lang": "python", "name": "datastore-servers"}
            if user:
                connect.update(user=user, **{"pass": user})
            self.socket.sendall(f"CONNECT {json.dumps(connect)}\r\n".encode())
            self.flush()
            self.inbox = f"_INBOX.{os.urandom(8).hex()}"
            self.socket.sendall(f"SUB {self.inbox}.* 1\r\n".encode())
            self.requests = 0
        except BaseException:
            self.close()
            raise

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def close(self):
        self.socket.close()

    def _next(self):
        """The next PONG (None) or NatsMessage; answers PINGs, skips INFO
        and +OK, raises NatsError on -ERR."""
        while True:
            line = self.reader.readline()
            if not line:
                raise NatsError("nats: connection closed")
            words = line.decode(errors="replace").split()
            if not words:
                continue
            if words[0] == "PING":
                self.socket.sendall(b"PONG\r\n")
            elif words[0] == "PONG":
                return None
            elif words[0] == "-ERR":
                raise NatsError(f"nats: {line.decode(errors='replace').strip()}")
            elif words[0] in ("MSG", "HMSG"):
                # MSG subject sid [reply] size; HMSG subject sid [reply] header-size size
                headers = words[0] == "HMSG"
                total = int(words[-1])
                data = self.reader.read(total + 2)[:total]
                reply = words[3] if len(words) == 5 + headers else None
                status = None
                if headers:
                    header_size = int(words[-2])
                    first = data[:header_size].split(b"\r\n", 1)[0].split()  # NATS/1.0 503
                    status = int(first[1]) if len(first) > 1 else None
                    data = data[header_size:]
                return NatsMessage(words[1], reply, status, data)

    @staticmethod
    def _publish(subject, reply, payload):
        """The PUB of `payload` to `subject`, with a `reply` subject unless None."""
        head = f"PUB {subject} {reply} " if reply else f"PUB {subject} "
        return b"%s%d\r\n%s\r\n" % (head.encode(), len(payload), payload)

    def request(self, subject, payload=b""):
        """The payload of the reply to a request; NatsError when no one answers."""
        self.requests += 1
        reply = f"{self.inbox}.{self.requests}"
        self.socket.sendall(self._publish(subject, reply, payload))
        while True:
            message = self._next()
            if message and message.subject == reply:
                if message.status == 503:
                    raise NatsError(f"nats: no responders for {subject}")
                return message.data

    def flush(self):
        """Returns once the server processed everything sent before (PING, PONG)."""
        self.socket.sendall(b"PING\r\n")
        while self._next() is not None:
            pass

    def api(self, subject, body=None):
        """The decoded reply of $JS.API.`subject`; NatsError on an error reply."""
        payload = json.dumps(body).encode() if body is not None else b""
        reply = json.loads(self.request(f"$JS.API.{subject}", payload))
        if "error" in reply:
            error = reply["error"]
            raise NatsError(f"nats: $JS.API.{subject}: {error.get('description')} "
                            f"(err_code {error.get('err_code')})")
        return reply

    def publish_acked(self, subject, payloads, window=100):
        """Publishes each payload to `subject`, at most `window` awaiting
        their JetStream ack at a time; returns the acks in order."""
        acks = []
        for start in range(0, len(payloads), window):
            batch = payloads[start:start + window]
            first = self.requests + 1
            self.requests += len(batch)
            self.socket.sendall(b"".join(self._publish(subject, f"{self.inbox}.{first + i}",
                                                       payload) for i, payload in enumerate(batch)))
            replies = {}
            while len(replies) < len(batch):
                message = self._next()
                if message is None:
                    continue
                if message.status == 503:
                    raise NatsError(f"nats: no stream takes {subject}")
                replies[message.subject] = json.loads(message.data)
            for i in range(len(batch)):
                ack = replies[f"{self.inbox}.{first + i}"]
                if "error" in ack:
                    raise NatsError(f"nats: publish to {subject}: {ack['error']}")
                acks.append(ack)
        return acks

    def pull(self, stream, consumer, batch, ack=0):
        """Fetches up to `batch` messages from pull consumer `consumer`
        (waiting at most 2 s for them) and acks the first `ack` of them;
        returns the messages (NatsMessage, its reply the ack subject)."""
        self.requests += 1
        inbox = f"{self.inbox}.{self.requests}"
        self.socket.sendall(self._publish(
            f"$JS.API.CONSUMER.MSG.NEXT.{stream}.{consumer}", inbox,
            json.dumps({"batch": batch, "expires": 2_000_000_000}).encode()))
        messages = []
        while len(messages) < batch:
            message = self._next()
            if message is None:
                continue
            if message.reply and message.reply.startswith("$JS.ACK."):
                messages.append(message)
            elif message.subject == inbox and message.status is not None:
                break  # 404 no messages, 408 expired
        self.socket.sendall(b"".join(self._publish(m.reply, None, b"+ACK")
                                     for m in messages[:ack]))
        self.flush()
        return messages


# A message received: its subject, reply subject (or None), status (the
# header line's code, or None) and payload.
NatsMessage = collections.namedtuple("NatsMessage", "subject reply status data")


def nats_stream_detail(jsz, stream, account="$G"):
    """The stream_detail of `stream` in account `account` in a decoded
    /jsz?accounts=true&streams=true reply, or None."""
    for details in jsz.get("account_details", []):
        if details.get("name") == account:
            for detail in details.get("stream_detail", []):
                if detail.get("name") == stream:
                    return detail
    return None


def wait_nats_cluster(nodes, timeout=30):
    """Waits until every node of a NATS cluster is healthy and they all know
    the same meta leader, with all of them in the meta group."""
    def formed():
        leaders = set()
        for node in nodes:
            node.process.check()
            if not node.ready():
                return False
            meta = node.monitor("/jsz").get("meta_cluster", {})
            if meta.get("cluster_size") != len(nodes):
                return False
            leaders.add(meta.get("leader"))
        return len(leaders) == 1 and None not in leaders

    wait_until(f"a NATS cluster of {len(nodes)} with a meta leader", formed, timeout)


# --- RabbitMQ ------------------------------------------------------------------

# Debian's rabbitmq-server 3.10.8. /usr/sbin/rabbitmq-server is a wrapper that
# switches to user rabbitmq and logs to a file: the nodes run the script it wraps.
RABBITMQ_BIN = os.environ.get("DSE_RABBITMQ_BINDIR", "/usr/lib/rabbitmq/bin")
RABBITMQ_PLUGINS = ("rabbitmq_management", "rabbitmq_prometheus")
# Small on 2 shared cores: one scheduler, no busy waiting; no epmd of its own
# (a node would start one on 0.0.0.0:4369); distribution on loopback only.
RABBITMQ_ERL_ARGS = ("-start_epmd false -kernel inet_dist_use_interface {127,0,0,1} "
                     "+S 1:1 +A 4 +sbwt none +sbwtdcpu none +sbwtdio none")
# The CLI tools boot an Erlang node too.
RABBITMQ_CTL_ERL_ARGS = "-start_epmd false -kernel inet_dist_use_interface {127,0,0,1}"
# guest/guest, which RabbitMQ accepts from loopback only.
RABBITMQ_GUEST = "Basic " + base64.b64encode(b"guest:guest").decode()


def rabbitmq_program(name):
    """The path of a RabbitMQ or Erlang program, or Failure saying what installs it."""
    path = os.path.join(RABBITMQ_BIN, name) if name.startswith("rabbitmq") else shutil.which(name)
    if not path or not os.access(path, os.X_OK):
        raise Failure(f"{name} not found: install rabbitmq-server "
                      "(bash tests/scripts/install-deps.sh installs every package)")
    return path


class RabbitMqError(OSError):
    """A reply of the management API that is not a success. An OSError, so
    that wait_until polls past it."""


class Epmd(Server):
    """The Erlang port mapper of one RabbitMQ cluster (or node), on
    127.0.0.1:port. The epmd that installing the package may leave on
    0.0.0.0:4369 is never used, nor stopped."""

    kind = "epmd"
    start_timeout = 10

    def argv(self):
        return [rabbitmq_program("epmd"), "-address", "127.0.0.1", "-port", str(self.port)]

    def ready(self):
        with socket.create_connection(("127.0.0.1", self.port), timeout=1):
            return True


class RabbitMq(Server):
    """A RabbitMQ node, Erlang node name `name`@localhost, registered with
    `epmd` (an Epmd), with the management API (.management_port) and the
    Prometheus endpoint (.prometheus_port) on loopback; .port is AMQP. Its
    folder holds its HOME (the Erlang `cookie`, the same on every node of a
    cluster), an empty rabbitmq-env.conf, rabbitmq.conf, the enabled plugins
    file, its data (mnesia), its logs and the PID file. With `peers` (node
    names, its own included) it joins them by classic_config peer discovery.
    `plugins` (by default management and prometheus) are enabled; `config`
    are more rabbitmq.conf lines.

    The launcher script runs the Erlang VM with exec (RABBITMQ_ALLOW_INPUT,
    and -noinput), so the process started is the VM itself: its PID is that
    of RABBITMQ_PID_FILE (checked once ready), SIGTERM stops it cleanly and
    SIGKILL ends it at once. Without exec the script would stay as a parent
    that forwards SIGTERM but not SIGKILL, and leave the VM behind when
    killed. The VM's helpers (erl_child_setup, inet_gethost) exit with it;
    stop() and kill() wait until they are gone."""

    kind = "rabbitmq"
    start_timeout = 120
    stop_timeout = 60

    def __init__(self, servers, name, epmd, cookie, cluster_name=None, peers=(),
                 plugins=None, config=(), port=None):
        super().__init__(servers, name, port)
        self.epmd = epmd
        self.node = f"{self.name}@localhost"
        self.dist_port, self.management_port, self.prometheus_port, self.stream_port = (
            free_port() for _ in range(4))
        self.folder = servers.folder(self.name)
        self.home = os.path.join(self.folder, "home")
        os.makedirs(self.home, exist_ok=True)
        cookie_file = os.path.join(self.home, ".erlang.cookie")
        with open(os.open(cookie_file, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o400), "w") as f:
            f.write(cookie)
        self.pid_file = os.path.join(self.folder, "rabbitmq.pid")
        lines = [f"listeners.tcp.default = {self.address}",
                 "management.tcp.ip = 127.0.0.1", f"management.tcp.port = {self.management_port}",
                 "prometheus.tcp.ip = 127.0.0.1", f"prometheus.tcp.port = {self.prometheus_port}",
                 # Used only with the rabbitmq_stream plugin, whose default is 5552.
                 f"stream.listeners.tcp.default = 127.0.0.1:{self.stream_port}",
                 "vm_memory_high_watermark.absolute = 512MB", "disk_free_limit.absolute = 100MB",
                 f"cluster_name = {cluster_name or self.name}"]
        if peers:
            lines.append("cluster_formation.peer_discovery_backend = classic_config")
            lines += [f"cluster_formation.classic_config.nodes.{i} = {peer}"
                      for i, peer in enumerate(peers, 1)]
        files = {"rabbitmq.conf": "".join(f"{line}\n" for line in [*lines, *config]),
                 "rabbitmq-env.conf": "",
                 "enabled_plugins": f"[{','.join(plugins or RABBITMQ_PLUGINS)}].\n"}
        for file, text in files.items():
            with open(os.path.join(self.folder, file), "w") as f:
                f.write(text)

    def environment(self):
        """The environment of the node and of the CLI tools aimed at it."""
        return {"PATH": "/usr/local/bin:/usr/bin:/bin", "HOME": self.home,
                "LANG": "C.UTF-8", "LC_ALL": "C.UTF-8",
                "ERL_EPMD_PORT": str(self.epmd.port), "ERL_EPMD_ADDRESS": "127.0.0.1",
                "RABBITMQ_CONF_ENV_FILE": os.path.join(self.folder, "rabbitmq-env.conf"),
                "RABBITMQ_NODENAME": self.node, "RABBITMQ_DIST_PORT": str(self.dist_port),
                "RABBITMQ_CONFIG_FILE": os.path.join(self.folder, "rabbitmq.conf"),
                "RABBITMQ_ENABLED_PLUGINS_FILE": os.path.join(self.folder, "enabled_plugins"),
                "RABBITMQ_MNESIA_BASE": os.path.join(self.folder, "mnesia"),
                "RABBITMQ_LOG_BASE": os.path.join(self.folder, "log"),
                "RABBITMQ_PID_FILE": self.pid_file}

    def argv(self):
        return [rabbitmq_program("rabbitmq-server")]

    def start(self, wait=True):
        if os.path.exists(self.pid_file):  # left by a killed VM
            os.remove(self.pid_file)
        env = {**self.environment(), "RABBITMQ_ALLOW_INPUT": "1",
               "RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS": f"-noinput {RABBITMQ_ERL_ARGS}"}
        self.process = self.servers.spawn(self.name, self.argv(), self.stop_signal, env=env)
        if wait:
            self.wait_ready()
        return self

    @property
    def node_log(self):
        """The node's own log (its output, .log, ends once it has booted)."""
        return os.path.join(self.folder, "log", f"{self.node}.log")

    def wait_ready(self, timeout=None):
        try:
            super().wait_ready(timeout)
        except Failure as error:
            raise Failure(f"{error}\n{self.node_log} ends:\n{tail(self.node_log)}") from None
        with open(self.pid_file) as f:
            beam = int(f.read().strip())
        if beam != self.pid:
            raise Failure(f"rabbitmq {self.name}: {self.pid_file} says {beam}, "
                          f"but the process started is {self.pid}")
        return self

    def ready(self):
        return self.get("/api/overview")[0] == 200

    def helpers(self):
        """The PIDs of the VM's descendants (erl_child_setup, inet_gethost)."""
        children = collections.defaultdict(list)
        for entry in os.listdir("/proc"):
            try:
                with open(f"/proc/{entry}/stat") as f:
                    children[int(f.read().rsplit(")", 1)[1].split()[1])].append(int(entry))
            except (OSError, ValueError, IndexError):
                pass
        found, queue = [], [self.pid]
        while queue:
            for child in children.get(queue.pop(), []):
                found.append(child)
                queue.append(child)
        return found

    def stop(self, sig=None, timeout=None):
        """Stops the VM (SIGTERM: a clean stop; sig=SIGKILL: at once), waits
        for it (SIGKILL after `timeout`, by default stop_timeout seconds),
        then for its helpers."""
        helpers = self.helpers() if self.process.running() else []
        stop_all([self.process], sig, timeout or self.stop_timeout)
        _end_pids(helpers)

    def kill(self):
        self.stop(signal.SIGKILL)

    # --- The management API (as guest) and the Prometheus endpoint

    def request(self, method, path, body=None, timeout=10):
        """(status, body text) of a request to the management API; `body`
        is sent as JSON."""
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(f"http://127.0.0.1:{self.management_port}{path}",
                                         data=data, method=method)
        request.add_header("Authorization", RABBITMQ_GUEST)
        if data is not None:
            request.add_header("Content-Type", "application/json")
        try:
            with urllib.request.urlopen(request, timeout=timeout) as response:
                return response.status, response.read().decode(errors="replace")
        except urllib.error.HTTPError as error:
            return error.code, error.read().decode(errors="replace")

    def get(self, path, timeout=10):
        return self.request("GET", path, timeout=timeout)

    def api(self, method, path, body=None, timeout=10):
        """The decoded JSON reply (None when empty) of a management API
        request; RabbitMqError unless its status is 2xx."""
        status, text = self.request(method, path, body, timeout)
        if not 200 <= status < 300:
            raise RabbitMqError(f"rabbitmq {self.name}: {method} {path}: HTTP {status}: "
                                f"{text.strip()[:300]}")
        return json.loads(text) if text.strip() else None

    def metrics(self, path="/metrics", timeout=10):
        """(status, body text) of GET path on the Prometheus endpoint."""
        return http_get(f"http://127.0.0.1:{self.prometheus_port}{path}", timeout)

    @staticmethod
    def queue_path(name, vhost="/"):
        """/api/queues/VHOST/NAME, each escaped (the vhost / is %2F)."""
        return "/api/queues/" + "/".join(urllib.parse.quote(part, safe="")
                                         for part in (vhost, name))

    def declare_queue(self, name, queue_type="quorum", vhost="/", arguments=None):
        """Declares a durable queue of `queue_type` (quorum, stream, classic)
        through this node, with more x- `arguments`. A quorum queue's first
        leader (a stream's first writer) is the declaring node, unless
        x-queue-leader-locator says otherwise."""
        self.api("PUT", self.queue_path(name, vhost), {
            "durable": True, "auto_delete": False,
            "arguments": {"x-queue-type": queue_type, **(arguments or {})}})

    def delete_queue(self, name, vhost="/"):
        self.api("DELETE", self.queue_path(name, vhost))

    def publish(self, queue, count=1, payload="x" * 16, vhost="/"):
        """Publishes `count` persistent messages to `queue` through the
        default exchange, one request each (the API confirms each)."""
        path = f"/api/exchanges/{urllib.parse.quote(vhost, safe='')}/amq.default/publish"
        for _ in range(count):
            reply = self.api("POST", path, {"properties": {"delivery_mode": 2},
                                            "routing_key": queue, "payload": payload,
                                            "payload_encoding": "string"})
            if not reply.get("routed"):
                raise RabbitMqError(f"rabbitmq {self.name}: a message to {queue} was not routed")
        return count

    def consume(self, queue, count, vhost="/"):
        """Gets and acknowledges up to `count` messages of a classic or
        quorum queue (basic.get; streams do not allow it); returns how many came."""
        return len(self.api("POST", self.queue_path(queue, vhost) + "/get", {
            "count": count, "ackmode": "ack_requeue_false", "encoding": "auto"}))

    def queue(self, name, vhost="/", stats=True):
        """The management API's view of a queue, decoded (stats=False:
        disable_stats=true, without message counts and rates)."""
        return self.api("GET", self.queue_path(name, vhost)
                        + ("" if stats else "?disable_stats=true"))

    def queue_leader(self, name, vhost="/"):
        """The node name of a quorum queue's leader or a stream's writer as
        this node sees it (its queue record, not the statistics), or None."""
        queue = self.queue(name, vhost, stats=False)
        return queue.get("leader") or queue.get("node") or None

    def running_nodes(self):
        """The names of the nodes of the cluster that this node sees running."""
        return sorted(node["name"] for node in self.api("GET", "/api/nodes?columns=name,running")
                      if node.get("running"))

    # --- The CLI tools

    def ctl(self, tool, *args, timeout=60):
        """The output of a CLI tool (rabbitmqctl, rabbitmq-queues,
        rabbitmq-streams, rabbitmq-diagnostics) aimed at this node. Each
        run boots an Erlang node (about half a second): not for polling."""
        port = free_port()
        env = {**self.environment(), "RABBITMQ_CTL_ERL_ARGS": RABBITMQ_CTL_ERL_ARGS,
               "RABBITMQ_CTL_DIST_PORT_MIN": str(port), "RABBITMQ_CTL_DIST_PORT_MAX": str(port)}
        return run_command([rabbitmq_program(tool), "-n", self.node, *args], timeout=timeout,
                           env=env, cwd=self.folder)


def _end_pids(pids, timeout=5):
    """Waits until the processes `pids` are gone (or zombies), then kills
    what is left, by PID."""
    def state(pid):
        try:
            with open(f"/proc/{pid}/stat") as f:
                return f.read().rsplit(")", 1)[1].split()[0]
        except (OSError, IndexError):
            return "gone"

    deadline = time.monotonic() + timeout
    left = list(pids)
    while left:
        left = [pid for pid in left if state(pid) not in ("gone", "Z", "X")]
        if not left:
            return
        if time.monotonic() >= deadline:
            for pid in left:
                try:
                    os.kill(pid, signal.SIGKILL)
                except OSError:
                    pass
            return
        time.sleep(0.05)


def wait_rabbitmq_cluster(nodes, timeout=120):
    """Waits until every node answers and sees all of `nodes` running."""
    names = sorted(node.node for node in nodes)

    def formed():
        for node in nodes:
            node.process.check()
            if node.running_nodes() != names:
                return False
        return True

    wait_until(f"a RabbitMQ cluster of {len(nodes)} nodes running", formed, timeout, interval=0.5)


# --- Our exporter, Prometheus, Alertmanager --------------------------------------


class HttpServer(Server):
    """A server that says it is ready on an HTTP path, with `config` (a
    dict) as its configuration file when given."""

    ready_path = "/-/ready"

    def __init__(self, servers, name, port=None, config=None):
        super().__init__(servers, name, port)
        self.config_file = None
        if config is not None:
            self.config_file = servers.path(f"{self.name}.yml")
            self.write_config(config)

    @property
    def url(self):
        return f"http://127.0.0.1:{self.port}"

    def get(self, path):
        """(status, body text) of GET path."""
        return http_get(self.url + path)

    def ready(self):
        return self.get(self.ready_path)[0] == 200

    def write_config(self, config):
        """Writes the configuration (JSON, which is YAML too) for the next
        start or reload."""
        with open(self.config_file, "w") as f:
            json.dump(config, f, indent=1)


class Exporter(HttpServer):
    """Our exporter, with `config` (a dict) as its configuration file, or
    none (the sidecar form in `args`); `args` are more flags."""

    kind = "exporter"
    ready_path = "/-/healthy"

    def __init__(self, servers, config=None, args=(), name="exporter", port=None, binary=None):
        super().__init__(servers, name, port, config)
        self.binary = binary or exporter_binary()
        if not os.access(self.binary, os.X_OK):
            raise Failure(f"no exporter at {self.binary}: build first "
                          "(bash tests/scripts/build.sh) or set EXPORTER")
        self.args = list(args)

    def argv(self):
        config = [f"--config.file={self.config_file}"] if self.config_file else []
        return [self.binary, *config, f"--web.listen-address={self.address}", *self.args]


class Prometheus(HttpServer):
    """Prometheus with `config` (a dict; relative paths in it, like
    rule_files, are relative to the work folder)."""

    kind = "prometheus"
    start_timeout = 60

    def argv(self):
        return [program("prometheus"), f"--config.file={self.config_file}",
                f"--storage.tsdb.path={self.servers.path(self.name + '-data')}",
                f"--web.listen-address={self.address}", "--log.level=warn"]


class Alertmanager(HttpServer):
    """Alertmanager with `config` (a dict), not clustered."""

    kind = "alertmanager"
    start_timeout = 60

    def argv(self):
        return [program("prometheus-alertmanager"), f"--config.file={self.config_file}",
                f"--storage.path={self.servers.path(self.name + '-data')}",
                f"--web.listen-address={self.address}", "--cluster.listen-address=",
                "--log.level=warn"]
