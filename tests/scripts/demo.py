#!/usr/bin/env python3
"""The demo's servers (run by demo.sh, which installs and builds first): a
real Redis primary and replica and a 3-node NATS JetStream cluster with three
R3 streams (a shard each, led by whichever node nats-server picks) on free
loopback ports, the exporter against all five, and a Prometheus (bundled rules
loaded) and an Alertmanager scraping and alerting on it, until Ctrl-C. The
exporter, Prometheus and Alertmanager take their usual ports (9755, 9090, 9093)
when free. With --smoke it checks the roles (Redis: a primary and a secondary;
NATS: one primary per stream), the rules and the recorded series once and stops
(a test runs it that way). Data lives in a temporary folder, removed at the end.

    python3 tests/scripts/demo.py [--smoke]
"""
import concurrent.futures
import os
import re
import signal
import sys
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


def start(stack):
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
             "cluster_display_name": "Demo streams"} for node in nats]},
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


def nats_roles(metrics):
    """stream -> sorted roles of its NATS nodes in a /metrics text."""
    roles = {}
    for line in re.findall(r'^datastore_shard_role\{(.*target="demo-nats\d".*)\} 1$', metrics,
                           re.M):
        shard, role = (re.search(rf'{label}="([^"]*)"', line).group(1)
                       for label in ("shard", "role"))
        roles.setdefault(shard.split("/")[-1], []).append(role)
    return {stream: sorted(r) for stream, r in roles.items()}


def smoke(stack, exporter, prometheus, alertmanager):
    """Redis: primary and secondary on /metrics; NATS: one primary and two
    secondaries per stream; the rules loaded and datastore_shard:primaries
    recorded in Prometheus."""
    def has_roles():
        metrics = exporter.get("/metrics")[1]
        return all(re.search(pattern, metrics) for pattern in (
            r'datastore_shard_role\{target="demo-primary".*role="primary"\} 1',
            r'datastore_shard_role\{target="demo-replica".*role="secondary"\} 1')) and (
            nats_roles(metrics) == {stream: ["primary", "secondary", "secondary"]
                                    for stream in NATS_STREAMS})

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
          f"({alertmanager.url})")


def main():
    # Ctrl-C stops the demo also when a shell started it in the background
    # (which makes it ignore SIGINT).
    signal.signal(signal.SIGINT, signal.default_int_handler)
    with servers.Servers(prefix="datastore-exporter-demo.") as stack:
        try:
            primary, replica, nats, exporter, prometheus, alertmanager = start(stack)
            if "--smoke" in sys.argv[1:]:
                smoke(stack, exporter, prometheus, alertmanager)
                return 0
        except servers.Failure:
            stack.dump_logs()
            raise
        print(f"""
datastore_exporter is running against a Redis primary ({primary.address})
and its replica ({replica.address}), and a 3-node NATS JetStream cluster
(demo-streams: streams {', '.join(NATS_STREAMS)}, one shard each; monitoring ports
{', '.join(node.monitor_address for node in nats)}), with Prometheus and Alertmanager.

  Open:          {exporter.url}/            (targets and their state)
  Metrics:       {exporter.url}/metrics
  Prometheus:    {prometheus.url}/alerts     (the bundled rules: alerts/datastore.rules.yml)
  Alertmanager:  {alertmanager.url}/
  Try a failover:  redis-cli -p {replica.port} replicaof no one
                   (two primaries: DatastoreShardSplitBrain fires after 1 minute)

Press Ctrl-C to stop everything (the temporary data is removed).""", flush=True)
        try:
            while True:
                stack.check_alive()
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
