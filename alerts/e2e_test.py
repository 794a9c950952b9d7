#!/usr/bin/python3
"""End to end: the bundled rules and dashboards in a real Prometheus and
Alertmanager, scraping the real exporter in front of real Redis servers.

Everything runs on 127.0.0.1 on free ports, with data in one temporary
folder, started by tests/support/servers.py and stopped at the end (also on
failure, Ctrl-C or SIGTERM; child processes also die with this script through
PR_SET_PDEATHSIG).

Clusters, one or more per kind that has landed:
  failover  Redis a (primary) and b (replica of a);
  lag       Redis c (primary) and d, a replica of c through a TCP proxy that
            the test can pause, so that d stays connected but falls behind;
  an etcd cluster of 3 members (its native cluster ID);
  coordination, a ZooKeeper ensemble of 3 servers (fresh: its followers are
            2^32 zxid "behind" the leader until the first write, which must
            not raise an alert);
  orders    a MariaDB primary and a GTID replica (kind mysql);
  a PostgreSQL primary and a streaming standby (their system identifier);
  streams   a NATS JetStream cluster of 3 nodes (kind nats, read on their
            monitoring ports), one shard per stream: R3 streams ORDERS,
            EVENTS and AUDIT and an R1 stream SOLO; the leader of ORDERS
            holds SOLO (placed there by its server tag), the other nodes
            lead EVENTS and AUDIT;
  queues    a RabbitMQ cluster of 3 nodes (kind rabbitmq; the cluster ID is
            RabbitMQ's own, queues its name), one shard per queue: quorum
            queues tasks and emails and a stream clicks, each declared
            through (so first led or written by) its own node. It forms in
            23-40 s: started first, it forms while the others start, and
            the exporter starts once it is ready.

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
  5. NATS: the node leading ORDERS and holding SOLO killed ->
     DatastoreTargetDown fires for it, its description naming SOLO among
     the shards it held; SOLO's series vanish with the node (no survivor
     reports it), so no shard alert can fire for it, and the runbook's
     query of shards that no node reports any more lists it; ORDERS gets
     exactly one primary on a survivor; restarted -> resolved, SOLO back
     with its primary, every replica caught up. From the kill on, no
     stream is without a primary, or with two, for as long as the shipped
     `for` of the alert judging it; DatastoreShardSplitBrain never fires
     (a restarting node names itself leader of its streams for up to a
     second: pending at most); no other alert for the cluster or its nodes
     is pending, firing or notified but these and
     DatastoreShardWithoutPrimary for ORDERS, whose election outlasts the
     capped `for`;
  6. RabbitMQ: the node leading tasks killed -> DatastoreTargetDown fires
     for it; tasks gets exactly one primary on a survivor, the other
     queues keep theirs; restarted (it boots while the exporter's
     configuration reload is tested) -> resolved, every member caught up.
     From the kill on, no alert for the cluster or its nodes is pending,
     firing or notified but these, DatastoreShardWithoutPrimary for tasks
     pending at most (the election is far shorter than the capped `for`),
     and DatastoreReplicationFallingBehind for tasks (a member's commit
     index is a snapshot refreshed every 5 s: the new leader's first entry
     reaches the members' series up to 5 s apart, and the restarted node's
     shows its old index for up to one refresh once it is back);
     DatastoreShardSplitBrain never;
  7. exporter killed -> DatastoreExporterDown fires.
Each "fires"/"resolved" is checked in the notifications that Alertmanager
delivers to a webhook receiver run by this test (send_resolved on), and
firing alerts also in Alertmanager's API.

The rules are the shipped ones with one change in this test's copy: every
`for` is capped at FOR_CAP_SECONDS (expressions, thresholds and windows are
unchanged). Scrape and evaluation intervals are 1 s.

Needs: redis-server, etcd (etcd-server), java with ZooKeeper's jars
(default-jre-headless, libzookeeper-java, libslf4j-java), mariadbd and
mariadb-install-db (mariadb-server), PostgreSQL 15 run as user postgres
(postgresql-15), nats-server, rabbitmq-server, prometheus,
prometheus-alertmanager, python3-yaml, and the exporter (EXPORTER, default
build/exporter/...).
"""

import http.server
import json
import os
import signal
import socket
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, os.path.join(ROOT, "alerts"))
sys.path.insert(0, os.path.join(ROOT, "dashboards"))
sys.path.insert(0, os.path.join(ROOT, "tests", "support"))

import dashboards  # noqa: E402
import rules  # noqa: E402
import servers  # noqa: E402
import yaml  # noqa: E402

FOR_CAP_SECONDS = 2
SCRAPE_SECONDS = 1
STEP_TIMEOUT = 45  # seconds any one expected change may take
# Panel queries that may return nothing, and the kinds for which that is
# expected: a query may be empty only when every cluster it selects is of one
# of those kinds.
NO_SECONDS_LAG = ({"redis", "etcd", "zookeeper", "nats", "rabbitmq"},
                  "only PostgreSQL and MySQL/MariaDB report a lag in seconds")
NO_LOCAL_LAG = ({"redis", "zookeeper", "mysql", "nats", "rabbitmq"},
                "Redis, ZooKeeper, NATS and RabbitMQ report no lag of their own, MySQL/MariaDB "
                "none in transactions")
EMPTY_ALLOWED = {
    ("datastore-overview", "Clusters", "I"): NO_SECONDS_LAG,
    ("datastore-overview", "Worst reported replication lag by cluster", "A"): NO_SECONDS_LAG,
    ("datastore-cluster", "Replication lag reported by the node (seconds)", "A"): NO_SECONDS_LAG,
    ("datastore-cluster", "Replication lag reported by the node ($unit)", "A"): NO_LOCAL_LAG,
    ("datastore-cluster", "Collection errors by reason", "A"): (
        {"redis", "etcd", "zookeeper", "mysql", "postgresql", "replicante", "nats", "rabbitmq"},
        "no collection fails while the cluster is healthy"),
}
# The NATS JetStream cluster: R3 streams (the first led by the node that
# the NATS step kills, the others by the other nodes) and an R1 stream (on
# that node), with the messages published to each.
NATS_CLUSTER = "streams"
NATS_STREAMS = {"ORDERS": 30, "EVENTS": 20, "AUDIT": 10}
NATS_R1_STREAM, NATS_R1_MESSAGES = "SOLO", 5
# The RabbitMQ cluster (its cluster ID is RabbitMQ's own permanent ID; this
# is its name): each queue declared through its own node (a quorum queue's
# first leader, a stream's writer), the first led by the node that the
# RabbitMQ step kills; (type, messages published to it).
RABBITMQ_CLUSTER = "queues"
RABBITMQ_QUEUES = {"tasks": ("quorum", 10), "emails": ("quorum", 5), "clicks": ("stream", 5)}
RABBITMQ_QUORUM_QUEUES = [q for q, (kind, _) in RABBITMQ_QUEUES.items() if kind == "quorum"]


Failure = servers.Failure


def nats_shard(stream):
    """The shard ID of a stream of the global account."""
    return f"$G/{stream}"


def rabbitmq_shard(queue):
    """The shard ID of a queue of the default virtual host /."""
    return f"//{queue}"


def rabbitmq_commit_indexes(node):
    """{queue: Raft commit index} of the quorum queue members on a RabbitMQ
    node, as its Prometheus plugin shows them (refreshed every 5 s)."""
    status, text = node.metrics("/metrics/detailed?family=ra_metrics")
    if status != 200:
        raise servers.RabbitMqError(f"rabbitmq {node.name}: ra_metrics: HTTP {status}")
    indexes = {}
    for line in text.splitlines():
        if line.startswith("rabbitmq_detailed_raft_log_commit_index{") and 'queue="' in line:
            labels, value = line.rsplit(" ", 1)
            indexes[labels.split('queue="', 1)[1].split('"', 1)[0]] = float(value)
    return indexes


def log(message):
    print(f"[{time.strftime('%H:%M:%S')}] {message}", flush=True)


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


class Background:
    """Runs function(), which must start no process (a child dies with the
    thread that started it), in a thread of its own."""

    def __init__(self, function):
        self.error = None
        self.thread = threading.Thread(target=self._run, args=(function,), daemon=True)
        self.thread.start()

    def _run(self, function):
        try:
            function()
        except Exception as error:  # raised again by join()
            self.error = error

    def join(self, what, timeout=STEP_TIMEOUT):
        """Waits for it; raises what it raised."""
        self.thread.join(timeout)
        if self.thread.is_alive():
            raise Failure(f"timed out after {timeout:g}s waiting for {what}")
        if self.error:
            raise self.error


class Writer:
    """Writes 1 KB values to a Redis primary every 50 ms until stopped."""

    def __init__(self, redis):
        self.redis = redis
        self.stopped = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self):
        value = "x" * 1024
        i = 0
        while not self.stopped.wait(0.05):
            try:
                self.redis.command("SET", f"key:{i % 100}", value)
            except (OSError, servers.RedisError):
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


class PrometheusApi:
    def __init__(self, url):
        self.url = url

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


class DashboardQueries:
    """The bundled dashboards' queries against a Prometheus (PrometheusApi)
    that has scraped since `started` (also used by the discovery end-to-end
    test)."""

    def __init__(self, prometheus, started):
        self.prometheus = prometheus
        self.started = started

    def check(self):
        """Every panel query of every dashboard, for every combination of the
        variables, runs without error and returns data (but EMPTY_ALLOWED)."""
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


def prometheus_config(exporter_address, alertmanager):
    return {
        "global": {"scrape_interval": f"{SCRAPE_SECONDS}s",
                   "scrape_timeout": f"{SCRAPE_SECONDS}s",
                   "evaluation_interval": f"{SCRAPE_SECONDS}s"},
        "rule_files": ["rules.yml"],
        "alerting": {"alertmanagers": [
            {"static_configs": [{"targets": [alertmanager.address]}]}]},
        "scrape_configs": [{"job_name": "datastore", "static_configs": [
            {"targets": [exporter_address]}]}],
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
    def __init__(self, stack):
        self.servers = stack  # a servers.Servers
        self.proxy = None
        self.webhook = None
        self.writer = None
        self.rabbitmq = []
        self.proved = []  # (alert, scenario) seen firing end to end
        self.fired_at = {}  # (alert, labels) -> webhook position of its firing notification
        self.started = time.time()

    def wait_for(self, what, predicate, timeout=STEP_TIMEOUT):
        """Polls predicate() until it returns a true value, which is returned;
        fails at once when a server died."""
        return self.servers.wait_until(what, predicate, timeout, interval=0.25)

    # -- setup

    def start(self):
        run = self.servers
        # RabbitMQ first, waited for last: its cluster forms in 23-40 s here.
        # Nodes started together and empty wait for the one that first locks
        # the peer discovery, which retries joining them (10 times by default,
        # 0.5 s apart) before forming the cluster alone: once is enough.
        self.rabbitmq = run.rabbitmq_cluster(
            3, "rabbit", cluster=RABBITMQ_CLUSTER, wait=False,
            config=["cluster_formation.discovery_retry_limit = 1"])
        rabbitmq_layout = Background(self.rabbitmq_layout)  # over HTTP, meanwhile
        # The JVMs and etcd start next, waited for late: they take long.
        zookeeper = run.zookeeper_ensemble(3, wait=False)
        etcd = run.etcd_cluster(3, wait=False)
        self.nats = run.nats_cluster(3, "nats", NATS_CLUSTER, wait=False, name_tags=True)
        nats_layout = Background(self.nats_layout)  # over the NATS protocol, meanwhile
        self.mariadb = dict(zip(("primary", "replica"), run.mariadb_pair(setup=(
            "CREATE USER exporter@'127.0.0.1' IDENTIFIED BY 'e2e'; "
            "GRANT SLAVE MONITOR ON *.* TO exporter@'127.0.0.1'; "
            "CREATE DATABASE e2e; CREATE TABLE e2e.t (i INT)"))))
        postgres_primary = run.postgres("postgres-primary", passwords=True)
        postgres_primary.sql("CREATE ROLE monitor LOGIN PASSWORD 'e2e'; GRANT pg_monitor TO monitor")
        self.postgres = {"primary": postgres_primary,
                         "standby": run.postgres_standby(postgres_primary, "postgres-standby")}
        # d's link through the paused proxy must outlast the pause.
        timeout = ["--repl-timeout", "600"]
        self.redis = {"a": run.redis("redis-a", timeout), "c": run.redis("redis-c", timeout)}
        self.proxy = PausableProxy(self.redis["c"].port)
        self.redis["b"] = run.redis("redis-b", [*timeout, "--replicaof", "127.0.0.1",
                                                str(self.redis["a"].port)])
        self.redis["d"] = run.redis("redis-d", [*timeout, "--replicaof", "127.0.0.1",
                                                str(self.proxy.port)])
        for replica in ("b", "d"):
            self.redis[replica].wait_in_sync()
        nats_layout.join("the NATS streams")
        for member in etcd:
            member.wait_ready()
        # Every server serving (a follower that still syncs does not): the
        # exporter then sees a healthy ensemble from its first scrape.
        servers.wait_serving(zookeeper, 3)

        targets = [{"name": f"{cluster}-{node}", "kind": "redis",
                    "address": self.redis[node].address, "cluster_id": cluster}
                   for cluster, nodes in (("failover", "ab"), ("lag", "cd")) for node in nodes]
        targets += [{"name": f"etcd-{i}", "kind": "etcd", "address": member.address}
                    for i, member in enumerate(etcd)]
        targets += [{"name": f"zookeeper-{i + 1}", "kind": "zookeeper",
                     "address": server.address, "cluster_id": "coordination"}
                    for i, server in enumerate(zookeeper)]
        password = run.file("password", "e2e\n")
        targets += [{"name": f"orders-{name}", "kind": "mysql", "cluster_id": "orders",
                     "address": server.address, "username": "exporter",
                     "password_file": password}
                    for name, server in self.mariadb.items()]
        targets += [{"name": f"postgres-{name}", "kind": "postgresql", "node": f"postgres-{name}",
                     "address": server.address, "username": "monitor",
                     "password_file": password}
                    for name, server in self.postgres.items()]
        targets += [{"name": node.name, "kind": "nats", "address": node.monitor_address}
                    for node in self.nats]
        # RabbitMQ accepts guest from loopback only.
        guest = run.file("rabbitmq-password", "guest\n")
        targets += [{"name": node.name, "kind": "rabbitmq",
                     "address": f"127.0.0.1:{node.management_port}",
                     "username": "guest", "password_file": guest,
                     "options": {"prometheus_port": str(node.prometheus_port)}}
                    for node in self.rabbitmq]
        self.node_count = len(targets)
        # One shard per cluster of the other kinds, per stream, per queue; a
        # copy of a shard (with an offset) per node of the others, per replica
        # of a stream, per member of a quorum queue (a RabbitMQ stream is a
        # shard on its writer only, without an offset).
        self.shard_count = 6 + len(NATS_STREAMS) + 1 + len(RABBITMQ_QUEUES)
        self.copy_count = (len(targets) - len(self.nats) - len(self.rabbitmq)
                           + len(self.nats) * len(NATS_STREAMS) + 1
                           + len(self.rabbitmq) * len(RABBITMQ_QUORUM_QUEUES))
        self.targets = targets

        # Alertmanager and Prometheus start while the RabbitMQ cluster forms,
        # the exporter once it is ready (until then Prometheus finds nothing
        # on the exporter's port: no alert, as no exporter ever answered).
        self.webhook = Webhook()
        alertmanager = run.alertmanager(alertmanager_config(self.webhook.port))
        self.alertmanager_url = alertmanager.url
        shipped = self.shipped = rules.load_source()
        run.file("rules.yml", rules.dump_yaml(rules.with_for_capped(shipped, FOR_CAP_SECONDS)))
        self.rule_count = sum(len(g["rules"]) for g in shipped["groups"])
        exporter_address = f"127.0.0.1:{servers.free_port()}"
        self.prometheus = PrometheusApi(run.prometheus(
            prometheus_config(exporter_address, alertmanager)).url)
        self.wait_for("Prometheus to send to Alertmanager", lambda: self.prometheus.api(
            "alertmanagers")["activeAlertmanagers"])
        rabbitmq_layout.join("the RabbitMQ cluster and its queues", timeout=90)
        self.exporter = run.exporter({"targets": targets},
                                     port=int(exporter_address.rsplit(":", 1)[1]))
        log(f"stack up: Prometheus {self.prometheus.url}, Alertmanager "
            f"{self.alertmanager_url}, exporter {self.exporter.address}, redis "
            + ", ".join(f"{k}={v.port}" for k, v in sorted(self.redis.items()))
            + f", etcd {[m.port for m in etcd]}, zookeeper {[z.port for z in zookeeper]}, mariadb "
            + ", ".join(f"{k}={v.port}" for k, v in self.mariadb.items()) + ", postgresql "
            + ", ".join(f"{k}={v.port}" for k, v in self.postgres.items())
            + f", nats {[n.monitor_port for n in self.nats]} (stream leaders {self.nats_leaders})"
            + f", rabbitmq {[n.management_port for n in self.rabbitmq]} (queue leaders and "
            f"writer {self.rabbitmq_leaders}; formed {self.rabbitmq_formed:.0f} s, ready "
            f"{self.rabbitmq_ready:.0f} s after the start)")

    def nats_leader(self, stream):
        """The leader of `stream` when every running node holding a replica
        of it names the same one, else None."""
        details = [node.stream_detail(stream) for node in self.nats if node.process.running()]
        named = {detail.get("cluster", {}).get("leader") for detail in details if detail}
        return named.pop() if len(named) == 1 else None

    def move_nats_leader(self, stream, names, tries=10):
        """Steps the leader of `stream` down until one of `names` leads it;
        returns that name. The leader picks its successor (nats-server 2.9's
        API takes no preferred one), often the same node again: fine to move
        a leader off a node, not onto a given one."""
        for _ in range(tries):
            leader = self.wait_for(f"a leader of {stream}", lambda: self.nats_leader(stream))
            if leader in names:
                return leader
            self.nats[0].step_down(stream)
            self.wait_for(f"a new leader of {stream}",
                          lambda: self.nats_leader(stream) not in (None, leader))
        raise Failure(f"none of {names} became leader of {stream} in {tries} step-downs")

    def nats_layout(self):
        """Once the NATS cluster formed, the streams of the NATS step, written
        to, every replica in sync: the leader of the first R3 stream (the node
        the step kills) holds the R1 stream (placed by its server tag) and
        leads no other stream."""
        servers.wait_nats_cluster(self.nats)
        for stream in NATS_STREAMS:
            self.nats[0].create_stream(stream, replicas=3)
        first, *rest = NATS_STREAMS
        victim = self.wait_for(f"a leader of {first}", lambda: self.nats_leader(first))
        self.nats_victim = next(node for node in self.nats if node.name == victim)
        others = [node.name for node in self.nats if node is not self.nats_victim]
        self.nats_leaders = {first: victim}
        for stream in rest:
            self.nats_leaders[stream] = self.move_nats_leader(stream, others)
        holder = self.nats[0].create_stream(NATS_R1_STREAM, placement={"tags": [victim]})
        if holder["cluster"]["leader"] != victim:
            raise Failure(f"{NATS_R1_STREAM} placed on {holder['cluster']}, not on {victim}")
        self.nats_leaders[NATS_R1_STREAM] = victim
        messages = {**NATS_STREAMS, NATS_R1_STREAM: NATS_R1_MESSAGES}
        for stream, count in messages.items():
            self.nats[0].publish(f"{stream}.new", count)

        def in_sync():
            for stream, count in messages.items():
                details = [d for d in (node.stream_detail(stream) for node in self.nats) if d]
                replicas = 1 if stream == NATS_R1_STREAM else len(self.nats)
                leaders = {d["cluster"].get("leader") for d in details}
                if (len(details) != replicas or len(leaders) != 1 or None in leaders
                        or {d["state"]["last_seq"] for d in details} != {count}):
                    return False
            return True

        self.wait_for("every stream replica at its last message", in_sync)

    def rabbitmq_layout(self):
        """Once the RabbitMQ cluster formed, its queues, each declared through
        its own node and written to; every quorum queue member at the same
        commit index as the plugin shows it."""
        nodes = self.rabbitmq
        for node in nodes:
            node.wait_ready()
        servers.wait_rabbitmq_cluster(nodes)
        self.rabbitmq_formed = time.time() - self.started
        self.rabbitmq_leaders = {}
        for node, (queue, (queue_type, messages)) in zip(nodes, RABBITMQ_QUEUES.items()):
            node.declare_queue(queue, queue_type)
            node.publish(queue, messages)
            leader = node.queue_leader(queue)
            if leader != node.node:
                raise Failure(f"{queue} declared through {node.node} is led by {leader}")
            self.rabbitmq_leaders[queue] = node.name
        self.rabbitmq_victim = nodes[0]

        def in_sync():
            indexes = [rabbitmq_commit_indexes(node) for node in nodes]
            return all(len({i.get(queue) for i in indexes} - {None}) == 1
                       and all(queue in i for i in indexes) for queue in RABBITMQ_QUORUM_QUEUES)

        self.wait_for("every quorum queue member at the same commit index", in_sync)
        self.rabbitmq_ready = time.time() - self.started

    # -- checks

    def primaries(self, cluster, shard=None):
        """Targets that report themselves primary of a shard of `cluster`
        (of `shard` only, if given)."""
        selector = f'cluster_id="{cluster}",role="primary"' + (f',shard="{shard}"' if shard else "")
        result = self.prometheus.query(f"datastore_shard_role{{{selector}}} == 1")
        return sorted(r["metric"]["target"] for r in result)

    def wait_primaries(self, cluster, expected, shard=None):
        where = f"{cluster} shard {shard}" if shard else cluster
        self.wait_for(f"Prometheus to see {expected} as primaries of {where}",
                      lambda: self.primaries(cluster, shard) == expected)

    def samples(self, selector, began):
        """(labels, [(time, value)]) of every series of `selector` with
        samples since `began` (a time.time()), as stored: a range vector
        (a range query would resample them)."""
        window = int(time.time() - began) + 2 * SCRAPE_SECONDS
        series = []
        for result in self.prometheus.query(f"{selector}[{window}s]"):
            values = [(float(t), float(v)) for t, v in result["values"] if float(t) >= began]
            if values:
                series.append((result["metric"], values))
        return series

    def first_seen(self, selector, began):
        """Seconds from `began` (a time.time()) to the first sample of
        `selector` equal to 1."""
        times = [t for _, values in self.samples(selector, began) for t, v in values if v == 1]
        if not times:
            raise Failure(f"no sample of {selector} equal to 1 since {time.ctime(began)}")
        return min(times) - began

    def expect(self, name, status, scenario, **labels):
        """Waits until Prometheus and Alertmanager agree on `status` for the
        alert, and the webhook received that notification (for "resolved":
        after the firing one)."""
        shown = f"{name}{labels}"
        key = (name, tuple(sorted(labels.items())))
        since = 0
        if status == "firing":
            self.fired_at[key] = len(self.webhook.alerts())
            self.wait_for(f"{shown} firing in Prometheus",
                          lambda: self.prometheus.alerts(name, "firing", **labels))
            self.wait_for(f"{shown} active in Alertmanager's API", lambda: [
                a for a in http_json(f"{self.alertmanager_url}/api/v2/alerts")
                if a["labels"].get("alertname") == name and a["status"]["state"] == "active"
                and all(a["labels"].get(k) == v for k, v in labels.items())])
        else:
            since = self.fired_at[key]
            self.wait_for(f"{shown} gone from Prometheus",
                          lambda: not self.prometheus.alerts(name, "firing", **labels)
                          and not self.prometheus.alerts(name, "pending", **labels))
        found = self.wait_for(f"{shown} {status} notification at the webhook",
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
        for stream, leader in self.nats_leaders.items():
            self.wait_primaries(NATS_CLUSTER, [leader], nats_shard(stream))
        # RabbitMQ's own cluster ID, the same on every node.
        self.rabbitmq_cluster = self.wait_for("one cluster ID for the RabbitMQ nodes", lambda: [
            r["metric"]["cluster_id"] for r in self.prometheus.query(
                'count by (cluster_id) (datastore_info{kind="rabbitmq"}) == 3')])[0]
        for queue, leader in self.rabbitmq_leaders.items():
            self.wait_primaries(self.rabbitmq_cluster, [leader], rabbitmq_shard(queue))
        self.wait_for("every target up", lambda: len(self.prometheus.query(
            "datastore_up == 1")) == self.node_count)
        self.wait_for("one primary for every shard", lambda: len(self.prometheus.query(
            "datastore_shard:primaries == 1")) == self.shard_count)
        self.wait_for("an offset gap to the primary for every copy of a shard", lambda: len(
            self.prometheus.query("datastore_node_shard:commit_offset_behind_primary"))
            == self.copy_count)
        self.wait_for("every rule evaluated once", lambda: all(
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
        DashboardQueries(self.prometheus, self.started).check()

    # -- scenarios

    def lag_begins(self):
        log("lag: pausing the proxy between c and d, writing to c")
        self.proxy.pause()
        self.writer = Writer(self.redis["c"])

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
        a, b = self.redis["a"], self.redis["b"]
        log("failover: killing primary a")
        a.kill()  # no longer checked for liveness
        self.expect("DatastoreTargetDown", "firing", "primary a killed", target="failover-a")
        alert = self.expect("DatastoreShardWithoutPrimary", "firing",
                            "primary a killed, replica b left recovering",
                            cluster_id="failover", shard="failover")
        if f"{b.address} (recovering)" not in alert["annotations"]["description"]:
            raise Failure(f"description does not name b as recovering: {alert['annotations']}")

        log("failover: promoting b (REPLICAOF NO ONE)")
        b.command("REPLICAOF", "NO", "ONE")
        self.expect("DatastoreShardWithoutPrimary", "resolved", "",
                    cluster_id="failover", shard="failover")

        log("failover: restarting a as a primary next to b")
        a.start()
        self.expect("DatastoreTargetDown", "resolved", "", target="failover-a")
        alert = self.expect("DatastoreShardSplitBrain", "firing",
                            "a restarted as a primary after b was promoted",
                            cluster_id="failover", shard="failover")
        for node in (a, b):
            if node.address not in alert["annotations"]["description"]:
                raise Failure(f"split brain description misses node {node.address}: "
                              f"{alert['annotations']}")

        log("failover: making a a replica of b")
        a.command("REPLICAOF", "127.0.0.1", b.port)
        self.expect("DatastoreShardSplitBrain", "resolved", "",
                    cluster_id="failover", shard="failover")

        # Promotions so far: b. Two more swaps make three in the hour.
        for new, old, target in ((a, b, "failover-a"), (b, a, "failover-b")):
            log(f"failover: swapping the primary to {target}")
            new.command("REPLICAOF", "NO", "ONE")
            old.command("REPLICAOF", "127.0.0.1", new.port)
            self.wait_primaries("failover", [target])
        self.expect("DatastorePrimaryFlapping", "firing",
                    "three promotions: b, then a, then b again",
                    cluster_id="failover", shard="failover")

    def nats_failover(self):
        """SIGKILL of the NATS node that leads the first stream and holds the
        only replica of the R1 stream, then its restart. Throughout, no alert
        for the cluster or its nodes but those the kill and restart explain."""
        since, killed = len(self.webhook.alerts()), time.time()
        self.nats_node_killed(killed)
        self.nats_node_restarted()
        self.nats_no_false_alert(since, killed)

    def nats_node_killed(self, killed):
        victim, cluster = self.nats_victim, f'cluster_id="{NATS_CLUSTER}"'
        stream, *others = NATS_STREAMS
        shard, solo = nats_shard(stream), nats_shard(NATS_R1_STREAM)
        log(f"nats: killing {victim.name}, leader of {stream} and only replica of "
            f"{NATS_R1_STREAM} (JetStream meta leader: {victim.meta_leader()})")
        victim.kill()
        alert = self.expect("DatastoreTargetDown", "firing",
                            f"NATS node {victim.name} killed: a stream leader, the only "
                            "replica of an R1 stream", target=victim.name)
        if solo not in alert["annotations"]["description"]:
            raise Failure(f"description does not name {solo}: {alert['annotations']}")
        # The R1 stream vanished with its node: no shard alert can judge it;
        # the runbook's query of shards that no node reports any more lists it.
        left = self.prometheus.query(f'datastore_shard_role{{{cluster},shard="{solo}"}} '
                                     f'or datastore_shard:primaries{{{cluster},shard="{solo}"}}')
        if left:
            raise Failure(f"{solo} still has series after its only node died: {left}")
        gone = [r["metric"]["shard"] for r in self.prometheus.query(
            f"last_over_time(datastore_shard:primaries{{{cluster}}}[1h]) "
            f"unless datastore_shard:primaries")]
        if gone != [solo]:
            raise Failure(f"shards no node reports any more: {gone}, expected [{solo!r}]")

        def elected():
            primaries = self.primaries(NATS_CLUSTER, shard)
            return primaries[0] if len(primaries) == 1 and primaries[0] != victim.name else None

        new = self.wait_for(f"one primary of {shard} on a surviving node", elected)
        for other in others:  # led by survivors: they keep their leader
            primaries = self.primaries(NATS_CLUSTER, nats_shard(other))
            if primaries != [self.nats_leaders[other]]:
                raise Failure(f"{other}, led by a survivor, changed primary: {primaries}")
        name = "DatastoreShardWithoutPrimary"
        self.wait_for(f"{name} for {shard} gone from Prometheus", lambda: not [
            a for state in ("pending", "firing")
            for a in self.prometheus.alerts(name, state, cluster_id=NATS_CLUSTER, shard=shard)])
        states = sorted(labels["alertstate"] for labels, _ in self.samples(
            f'ALERTS{{alertname="{name}",{cluster},shard="{shard}"}}', killed))
        unknown = sorted(labels["node"] for labels, values in self.samples(
            f'datastore_shard_role{{{cluster},shard="{shard}",role="unknown"}}', killed)
            if any(v == 1 for _, v in values))
        elected_after = self.first_seen(
            f'datastore_shard_role{{{cluster},shard="{shard}",target="{new}",role="primary"}}',
            killed)
        down_after = self.first_seen(
            f'ALERTS{{alertname="DatastoreTargetDown",alertstate="firing",target="{victim.name}"}}',
            killed)
        log(f"nats: {new} primary of {shard} {elected_after:.1f} s after the kill "
            f"(DatastoreTargetDown firing after {down_after:.1f} s); role unknown on "
            f"{', '.join(unknown) or 'no node'}; {name} with the test's `for` of "
            f"{FOR_CAP_SECONDS} s: {'/'.join(states) or 'never pending'}")

    def nats_node_restarted(self):
        victim, cluster = self.nats_victim, f'cluster_id="{NATS_CLUSTER}"'
        solo = nats_shard(NATS_R1_STREAM)
        log(f"nats: restarting {victim.name}")
        restarted = time.time()
        victim.start()
        self.expect("DatastoreTargetDown", "resolved", "", target=victim.name)
        self.wait_primaries(NATS_CLUSTER, [victim.name], solo)
        self.wait_for("one primary of every stream, every replica caught up", lambda: len(
            self.prometheus.query(f"datastore_shard:primaries{{{cluster}}} == 1"))
            == len(NATS_STREAMS) + 1 and len(self.prometheus.query(
                f"datastore_node_shard:commit_offset_behind_primary{{{cluster}}} == 0"))
            == len(self.nats) * len(NATS_STREAMS) + 1)
        back_after = self.first_seen(
            f'datastore_shard_role{{{cluster},shard="{solo}",role="primary"}}', restarted)
        log(f"nats: {solo} back with its primary {victim.name} {back_after:.1f} s after the "
            f"restart, every replica caught up after {time.time() - restarted:.1f} s")

    def nats_no_false_alert(self, since, killed):
        """Since the kill, for the cluster's shards and its nodes: fewer
        evaluations without a primary, or with two, than the shipped `for` of
        the alert that judges it; DatastoreShardSplitBrain never firing nor
        notified (it may be pending: a restarting node names itself leader of
        its streams for up to a second, README); no other alert in Prometheus
        (pending or firing) or notified but the killed node's
        DatastoreTargetDown and its stream's DatastoreShardWithoutPrimary
        (the election outlasts the capped `for`)."""
        cluster = f'cluster_id="{NATS_CLUSTER}"'
        shipped = {r["alert"]: rules.duration_seconds(r["for"])
                   for r in rules.alerting_rules(self.shipped) if "for" in r}
        seen = []
        for labels, values in self.samples(f"datastore_shard:primaries{{{cluster}}}", killed):
            for name, primaries, count in (
                    ("DatastoreShardWithoutPrimary", "no", sum(v == 0 for _, v in values)),
                    ("DatastoreShardSplitBrain", "two", sum(v > 1 for _, v in values))):
                if count * SCRAPE_SECONDS >= shipped[name]:
                    raise Failure(f"{labels['shard']}: {primaries} primaries at {count} "
                                  f"evaluations, as long as the shipped `for` of {name}")
                if count:
                    seen.append(f"{labels['shard']} {primaries} primaries at {count}")
        victim, shard = self.nats_victim.name, nats_shard(next(iter(NATS_STREAMS)))

        def expected(labels, state):
            name = labels["alertname"]
            return ((name, labels.get("target")) == ("DatastoreTargetDown", victim)
                    or (name, labels.get("shard")) == ("DatastoreShardWithoutPrimary", shard)
                    or (name, state) == ("DatastoreShardSplitBrain", "pending"))

        alerts = [labels for selector in (f"ALERTS{{{cluster}}}", 'ALERTS{kind="nats"}')
                  for labels, _ in self.samples(selector, killed)]
        ours = [a for a in self.webhook.alerts()[since:] if a["labels"].get("kind") == "nats"
                or a["labels"].get("cluster_id") == NATS_CLUSTER]
        unexpected = ([a for a in alerts if not expected(a, a["alertstate"])]
                      + [a["labels"] for a in ours if not expected(a["labels"], "firing")])
        if unexpected:
            raise Failure(f"unexpected alerts for the NATS cluster: {unexpected}")
        log(f"nats: since the kill: {', '.join(seen)}; alerts: " + ", ".join(sorted(
            {f"{a['alertname']} {a.get('shard', a.get('target'))} {a['alertstate']}"
             for a in alerts})) + "; notified: " + ", ".join(
            f"{a['labels']['alertname']} {a['labels'].get('shard', a['labels'].get('target'))} "
            f"{a['status']}" for a in ours))
        for alert in ours:
            name = alert["labels"]["alertname"]
            if name != "DatastoreTargetDown" and alert["status"] == "firing":
                log(f"nats: {name}: {alert['annotations']['description']}")

    def rabbitmq_node_killed(self):
        """SIGKILL of the RabbitMQ node that leads the first quorum queue; its
        restart begins (it boots while the next step runs)."""
        victim, cluster = self.rabbitmq_victim, f'cluster_id="{self.rabbitmq_cluster}"'
        queue, *others = RABBITMQ_QUEUES
        shard = rabbitmq_shard(queue)
        self.rabbitmq_since, killed = len(self.webhook.alerts()), time.time()
        self.rabbitmq_killed = killed
        log(f"rabbitmq: killing {victim.name}, leader of {queue}")
        victim.kill()

        def elected():
            primaries = self.primaries(self.rabbitmq_cluster, shard)
            return primaries[0] if len(primaries) == 1 and primaries[0] != victim.name else None

        new = self.wait_for(f"one primary of {shard} on a surviving node", elected)
        for other in others:  # led (written) by survivors: they keep their primary
            primaries = self.primaries(self.rabbitmq_cluster, rabbitmq_shard(other))
            if primaries != [self.rabbitmq_leaders[other]]:
                raise Failure(f"{other}, led by a survivor, changed primary: {primaries}")
        self.expect("DatastoreTargetDown", "firing",
                    f"RabbitMQ node {victim.name} killed: a quorum queue leader",
                    target=victim.name)
        elected_after = self.first_seen(
            f'datastore_shard_role{{{cluster},shard="{shard}",target="{new}",role="primary"}}',
            killed)
        unknown = sorted(labels["target"] for labels, values in self.samples(
            f'datastore_shard_role{{{cluster},shard="{shard}",role="unknown"}}', killed)
            if any(v == 1 for _, v in values))
        log(f"rabbitmq: {new} primary of {shard} {elected_after:.1f} s after the kill; role "
            f"unknown on {', '.join(unknown) or 'no node'}; restarting {victim.name}")
        self.rabbitmq_restarted = time.time()
        victim.start(wait=False)

    def rabbitmq_node_restarted(self):
        """The killed node back: DatastoreTargetDown resolved, one primary per
        queue, every member caught up. Since the kill, no alert for the
        cluster or its nodes but the killed node's DatastoreTargetDown,
        DatastoreShardWithoutPrimary at most pending for its queue (the
        election is far shorter than the capped `for`) and
        DatastoreReplicationFallingBehind for that queue: a member's commit
        index is a snapshot refreshed every 5 s, so the members' series show
        the new leader's first entry up to 5 s apart (the restarted node's
        shows its index from before the kill until its next refresh),
        longer than the capped `for` (shipped: 10 minutes)."""
        victim, cluster = self.rabbitmq_victim, f'cluster_id="{self.rabbitmq_cluster}"'
        shard, killed = rabbitmq_shard(next(iter(RABBITMQ_QUEUES))), self.rabbitmq_killed
        victim.wait_ready()
        self.expect("DatastoreTargetDown", "resolved", "", target=victim.name)
        up_after = self.first_seen(f'datastore_up{{target="{victim.name}"}}',
                                   self.rabbitmq_restarted)
        self.wait_for("one primary of every queue, every member caught up", lambda: len(
            self.prometheus.query(f"datastore_shard:primaries{{{cluster}}} == 1"))
            == len(RABBITMQ_QUEUES) and len(self.prometheus.query(
                f"datastore_node_shard:commit_offset_behind_primary{{{cluster}}} == 0"))
            == len(self.rabbitmq) * len(RABBITMQ_QUORUM_QUEUES))
        log(f"rabbitmq: {victim.name} up {up_after:.1f} s after its restart, every member "
            f"caught up after {time.time() - self.rabbitmq_restarted:.1f} s")

        def expected(labels, state):
            name = labels["alertname"]
            return ((name, labels.get("target")) == ("DatastoreTargetDown", victim.name)
                    or (name, labels.get("shard"), state)
                    == ("DatastoreShardWithoutPrimary", shard, "pending")
                    or (name, labels.get("shard")) == ("DatastoreReplicationFallingBehind", shard))

        alerts = [labels for selector in (f"ALERTS{{{cluster}}}", 'ALERTS{kind="rabbitmq"}')
                  for labels, _ in self.samples(selector, killed)]
        ours = [a for a in self.webhook.alerts()[self.rabbitmq_since:]
                if a["labels"].get("kind") == "rabbitmq"
                or a["labels"].get("cluster_id") == self.rabbitmq_cluster]
        unexpected = ([a for a in alerts if not expected(a, a["alertstate"])]
                      + [a["labels"] for a in ours if not expected(a["labels"], "firing")])
        if unexpected:
            raise Failure(f"unexpected alerts for the RabbitMQ cluster: {unexpected}")
        without = sum(v == 0 for _, values in self.samples(
            f'datastore_shard:primaries{{{cluster},shard="{shard}"}}', killed) for _, v in values)
        gaps = sorted(self.samples("datastore_node_shard:commit_offset_behind_primary"
                                   f'{{{cluster},shard="{shard}"}}', killed),
                      key=lambda series: series[0]["target"])
        behind = ", ".join(f"{labels['target']} at {sum(v > 0 for _, v in values)} (up to "
                           f"{max(v for _, v in values):g})" for labels, values in gaps)
        log(f"rabbitmq: since the kill, evaluations of {shard} without a primary: {without}, "
            f"behind its primary: {behind}; alerts: " + ", ".join(sorted(
                {f"{a['alertname']} {a.get('shard', a.get('target'))} {a['alertstate']}"
                 for a in alerts})) + "; notified: " + ", ".join(
            f"{a['labels']['alertname']} {a['labels'].get('shard', a['labels'].get('target'))} "
            f"{a['status']}" for a in ours))

    def reload(self, expected_status):
        request = urllib.request.Request(f"{self.exporter.url}/-/reload", method="POST")
        try:
            with urllib.request.urlopen(request, timeout=10) as response:
                status = response.status
        except urllib.error.HTTPError as error:
            status = error.code
        if status != expected_status:
            raise Failure(f"POST /-/reload answered {status}, expected {expected_status}")

    def config_reload_fails(self):
        log("exporter: a configuration that does not load, then a fixed one")
        self.exporter.write_config({"targets": [{"name": "broken", "kind": "nope"}]})
        self.reload(500)
        self.expect("DatastoreExporterConfigReloadFailed", "firing",
                    "a reload of a configuration naming an unknown kind", job="datastore")
        # Fixed, with one more target whose password the server refuses.
        refused = {"name": "postgres-refused", "kind": "postgresql", "node": "postgres-refused",
                   "address": self.postgres["primary"].address, "username": "monitor",
                   "password_file": self.servers.file("wrong-password", "not-the-password\n")}
        self.exporter.write_config({"targets": self.targets + [refused]})
        self.reload(200)
        self.expect("DatastoreExporterConfigReloadFailed", "resolved",
                    "the fixed configuration reloaded", job="datastore")
        self.expect("DatastoreCollectionsFailing", "firing",
                    "a target whose password the server refuses",
                    target="postgres-refused", reason="auth")

    def exporter_down(self):
        log("exporter: killing it")
        self.exporter.kill()
        self.expect("DatastoreExporterDown", "firing", "exporter killed", job="datastore")

    def run(self):
        self.start()
        self.check_healthy()
        self.check_dashboards()
        self.lag_begins()
        self.mariadb_lag()
        self.failover()
        self.lag_ends()
        self.nats_failover()
        self.rabbitmq_node_killed()
        self.config_reload_fails()  # while the RabbitMQ node boots
        self.rabbitmq_node_restarted()
        self.servers.check_alive()
        self.exporter_down()

    def close(self):
        if self.writer:
            self.writer.stop()
        if self.proxy:
            self.proxy.close()
        if self.webhook:
            self.webhook.close()
        # Killed: their data is thrown away, and a clean stop (SIGTERM)
        # takes 6-10 s, or more beside the others.
        for node in self.rabbitmq:
            node.kill()


def main():
    def on_signal(signum, frame):
        raise KeyboardInterrupt(f"signal {signum}")

    signal.signal(signal.SIGTERM, on_signal)
    began = time.monotonic()
    with servers.Servers(prefix="datastore-exporter-e2e.") as stack:
        test = EndToEnd(stack)
        try:
            test.run()
        except (Exception, KeyboardInterrupt) as error:
            print(f"FAIL: {type(error).__name__}: {error}", file=sys.stderr)
            stack.dump_logs()
            return 1
        finally:
            test.close()
    log(f"PASS in {time.monotonic() - began:.0f}s; alerts proved end to end:")
    for name, scenario in test.proved:
        print(f"  {name}: {scenario}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
