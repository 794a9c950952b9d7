#!/usr/bin/env python3
"""The demo's servers (run by demo.sh, which installs and builds first): a
real Redis primary and replica, a 3-node NATS JetStream cluster with three R3
streams (a shard each, led by whichever node nats-server picks) and a 3-node
RabbitMQ cluster with three quorum queues (led by different nodes) and a stream
(a shard each), on free loopback ports, the exporter against all eight, and a
Prometheus (bundled rules loaded) and an Alertmanager scraping and alerting on
it, until Ctrl-C. The exporter, Prometheus and Alertmanager take their usual
ports (9755, 9090, 9093) when free. The RabbitMQ cluster takes about half a
minute to form, more on a busy machine: the URLs come first (its targets down
until then), a line when its queues are ready. With --smoke it checks the roles
(Redis: a primary and a secondary; NATS: one primary per stream; RabbitMQ, once
formed: one primary per queue and stream), the rules and the recorded series
once and stops (a test runs it that way). Data lives in a temporary folder,
removed at the end.

    python3 tests/scripts/demo.py [--smoke]
"""
import concurrent.futures
import contextlib
import os
import re
import signal
import sys
import threading
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, os.path.join(ROOT, "tests", "support"))
import servers  # noqa: E402


# The NATS cluster's streams (R3: on every node) and how many messages each gets.
NATS_STREAMS = {"ORDERS": 30, "EVENTS": 20, "AUDIT": 10}


def create_nats_stream(node, stream):
    node.create_stream(stream, replicas=3)
    node.publish(f"{stream}.new", NATS_STREAMS[stream])


# The RabbitMQ cluster's queues, each of a type and with a number of messages.
# Each is declared through the next node: a quorum queue's first leader (a
# stream's first writer) is the node it is declared through.
RABBITMQ_QUEUES = {"tasks": ("quorum", 30), "emails": ("quorum", 20),
                   "invoices": ("quorum", 10), "clicks": ("stream", 25)}


def fill_rabbitmq_queue(node, queue):
    queue_type, messages = RABBITMQ_QUEUES[queue]
    node.declare_queue(queue, queue_type)
    node.publish(queue, messages)


def prepare_rabbitmq(nodes, started, ready):
    """The body of the thread of rabbitmq_cluster(): waits for the cluster,
    declares and fills its queues, says so, and sets `ready` (a Future) to
    the outcome."""
    try:
        for node in nodes:
            node.wait_ready()
        servers.wait_rabbitmq_cluster(nodes)
        with concurrent.futures.ThreadPoolExecutor(len(RABBITMQ_QUEUES)) as pool:
            for filled in [pool.submit(fill_rabbitmq_queue, nodes[i % len(nodes)], queue)
                           for i, queue in enumerate(RABBITMQ_QUEUES)]:
                filled.result()
        queues = ", ".join(
            f"{queue} ({kind}, {messages} messages, "
            f"{'leader' if kind == 'quorum' else 'writer'} {nodes[0].queue_leader(queue)})"
            for queue, (kind, messages) in RABBITMQ_QUEUES.items())
        print(f"\nThe RabbitMQ cluster demo-queues is ready, {time.monotonic() - started:.0f} s "
              f"after the start: queues {queues}.", flush=True)
        ready.set_result(None)
    except OSError as error:  # the management API's errors (servers.RabbitMqError)
        ready.set_exception(servers.Failure(f"the RabbitMQ cluster: {error}"))
    except BaseException as error:  # raised again in the main thread
        ready.set_exception(error)


@contextlib.contextmanager
def rabbitmq_cluster(stack):
    """Starts a 3-node RabbitMQ cluster; gives its nodes and a Future set
    once the cluster has formed and its queues are filled. Forming took
    22-65 s on 2 cores shared with other work (three Erlang VMs booting): a
    thread waits for it, so that the demo does not; until then the exporter
    shows the nodes down (datastore_up 0). On exit the nodes are killed:
    their data is thrown away, and a clean stop (SIGTERM) takes 6-10 s."""
    started = time.monotonic()
    # Started from the main thread (a server dies with the thread that
    # started it). Nodes started together and empty wait for the one that
    # first locks the peer discovery, which retries joining them (10 times by
    # default, 0.5 s apart) before forming the cluster alone: once is enough.
    nodes = stack.rabbitmq_cluster(3, "demo-rabbit", cluster="demo-queues", wait=False,
                                   config=["cluster_formation.discovery_retry_limit = 1"])
    ready = concurrent.futures.Future()
    # A daemon: on Ctrl-C the demo does not wait for it.
    threading.Thread(target=prepare_rabbitmq, args=(nodes, started, ready), name="rabbitmq",
                     daemon=True).start()
    try:
        yield nodes, ready
    finally:
        for node in nodes:
            node.kill()


def start(stack, rabbitmq):
    # RabbitMQ accepts guest from loopback only.
    guest_password = stack.file("rabbitmq-password", "guest\n")
    # The NATS nodes form their cluster while Redis starts, and make their
    # streams (about 0.7 s each) while the other servers start.
    nats = stack.nats_cluster(3, "demo-nats", cluster="demo-streams", wait=False)
    primary, replica = stack.redis_pair("demo")
    for i in range(1, 11):
        primary.command("SET", f"demo:{i}", i)
    servers.wait_nats_cluster(nats)
    with concurrent.futures.ThreadPoolExecutor(len(NATS_STREAMS)) as pool:
        streams = [pool.submit(create_nats_stream, nats[0], stream) for stream in NATS_STREAMS]
        exporter = stack.exporter({"targets": [
            {"name": f"demo-{role}", "kind": "redis", "address": server.address,
             "cluster_id": "demo", "cluster_display_name": "Demo cache"}
            for role, server in (("primary", primary), ("replica", replica))] + [
            # The cluster ID is the NATS cluster's name (demo-streams).
            {"name": node.name, "kind": "nats", "address": node.monitor_address,
             "cluster_display_name": "Demo streams"} for node in nats] + [
            # The cluster ID is RabbitMQ's own (rabbitmq_cluster_permanent_id).
            {"name": node.name, "kind": "rabbitmq",
             "address": f"127.0.0.1:{node.management_port}",
             "username": "guest", "password_file": guest_password,
             "options": {"prometheus_port": str(node.prometheus_port)},
             "cluster_display_name": "Demo queues"} for node in rabbitmq]},
            port=servers.free_port(9755))
        # No receiver: alerts show on Alertmanager's page.
        alertmanager = stack.alertmanager(
            {"route": {"receiver": "demo",
                       "group_by": ["alertname", "cluster_id", "shard", "target"]},
             "receivers": [{"name": "demo"}]}, port=servers.free_port(9093))
        # The bundled rules, as shipped, evaluated every 5 s.
        prometheus = stack.prometheus({
            "global": {"scrape_interval": "5s", "evaluation_interval": "5s"},
            "rule_files": [os.path.join(ROOT, "alerts", "datastore.rules.yml")],
            "alerting": {"alertmanagers": [
                {"static_configs": [{"targets": [alertmanager.address]}]}]},
            "scrape_configs": [{"job_name": "datastore",
                                "static_configs": [{"targets": [exporter.address]}]}]},
            port=servers.free_port(9090))
        for created in streams:
            created.result()
    return primary, replica, nats, exporter, prometheus, alertmanager


def shard_roles(metrics, targets):
    """shard name (after its last /) -> sorted roles of the targets whose
    name starts with `targets` in a /metrics text."""
    roles = {}
    for line in re.findall(rf'^datastore_shard_role\{{(.*target="{targets}\d".*)\}} 1$', metrics,
                           re.M):
        shard, role = (re.search(rf'{label}="([^"]*)"', line).group(1)
                       for label in ("shard", "role"))
        roles.setdefault(shard.split("/")[-1], []).append(role)
    return {name: sorted(r) for name, r in roles.items()}


def smoke(stack, exporter, prometheus, alertmanager, rabbitmq_ready):
    """Redis: primary and secondary on /metrics; NATS: one primary and two
    secondaries per stream; the rules loaded and datastore_shard:primaries
    recorded in Prometheus; then, once the RabbitMQ cluster is ready, one
    primary and two secondaries per quorum queue and one primary (its writer,
    the only node that reports it) per stream."""
    def has_roles():
        metrics = exporter.get("/metrics")[1]
        return all(re.search(pattern, metrics) for pattern in (
            r'datastore_shard_role\{target="demo-primary".*role="primary"\} 1',
            r'datastore_shard_role\{target="demo-replica".*role="secondary"\} 1')) and (
            shard_roles(metrics, "demo-nats") == {
                stream: ["primary", "secondary", "secondary"] for stream in NATS_STREAMS})

    stack.wait_until("the Redis primary and secondary and one primary per NATS stream on "
                     "/metrics", has_roles, 10)
    # The first scrape and rule evaluation come within one 5 s interval.
    stack.wait_until("Prometheus to load the rules and record datastore_shard:primaries", lambda: (
        '"name":"DatastoreTargetDown"' in prometheus.get("/api/v1/rules")[1]
        and '"cluster_id":"demo"' in prometheus.get(
            "/api/v1/query?query=datastore_shard:primaries")[1]), 15)
    print(f"demo smoke: Redis primary and secondary, and one primary and two secondaries for "
          f"each NATS stream ({', '.join(NATS_STREAMS)}) seen at {exporter.url}/metrics; rules "
          f"loaded and evaluated in Prometheus ({prometheus.url}), Alertmanager up "
          f"({alertmanager.url})", flush=True)
    rabbitmq_ready.result()  # the thread's own waits are bounded
    expected = {queue: ["primary", "secondary", "secondary"] if kind == "quorum" else ["primary"]
                for queue, (kind, _) in RABBITMQ_QUEUES.items()}
    stack.wait_until("one primary per RabbitMQ queue on /metrics", lambda: shard_roles(
        exporter.get("/metrics")[1], "demo-rabbit") == expected, 10)
    print(f"demo smoke: one primary and two secondaries for each RabbitMQ quorum queue and one "
          f"primary for the stream ({', '.join(RABBITMQ_QUEUES)}) seen at {exporter.url}/metrics")


def main():
    # Ctrl-C stops the demo also when a shell started it in the background
    # (which makes it ignore SIGINT).
    signal.signal(signal.SIGINT, signal.default_int_handler)
    with (servers.Servers(prefix="datastore-exporter-demo.") as stack,
          rabbitmq_cluster(stack) as (rabbitmq, rabbitmq_ready)):
        try:
            primary, replica, nats, exporter, prometheus, alertmanager = start(stack, rabbitmq)
            if "--smoke" in sys.argv[1:]:
                smoke(stack, exporter, prometheus, alertmanager, rabbitmq_ready)
                return 0
        except servers.Failure:
            stack.dump_logs()
            raise
        print(f"""
datastore_exporter is running against a Redis primary ({primary.address})
and its replica ({replica.address}), a 3-node NATS JetStream cluster
(demo-streams: streams {', '.join(NATS_STREAMS)}, one shard each; monitoring ports
{', '.join(node.monitor_address for node in nats)}) and a 3-node RabbitMQ cluster
(demo-queues: queues {', '.join(RABBITMQ_QUEUES)}, one shard each), with Prometheus and
Alertmanager. The RabbitMQ nodes show down until their cluster has formed, in about half
a minute (more on a busy machine): a line below says when.

  Open:          {exporter.url}/            (targets and their state)
  Metrics:       {exporter.url}/metrics
  Prometheus:    {prometheus.url}/alerts     (the bundled rules: alerts/datastore.rules.yml)
  Alertmanager:  {alertmanager.url}/
  RabbitMQ:      http://127.0.0.1:{rabbitmq[0].management_port}/  (management UI, guest/guest)
  Try a failover:  redis-cli -p {replica.port} replicaof no one
                   (two primaries: DatastoreShardSplitBrain fires after 1 minute)

Press Ctrl-C to stop everything (the temporary data is removed).""", flush=True)
        try:
            while True:
                stack.check_alive()
                if rabbitmq_ready.done():
                    rabbitmq_ready.result()  # raises what made it fail
                time.sleep(1)
        except KeyboardInterrupt:
            return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except servers.Failure as error:
        sys.exit(f"demo: {error}")
    except KeyboardInterrupt:
        sys.exit(130)
