#!/usr/bin/python3
"""End to end: cluster discovery (/sd) in a real Prometheus. Each cluster is
given to Prometheus by one seed only, through http_sd_configs and the
relabelling of the README; every member must become a scraped target through
/probe, up, with the cluster's cluster_id, the bundled rules must evaluate
without error and raise nothing on the healthy clusters, and every dashboard
query must run and return data (as alerts/e2e_test.py checks them). Then a
member is added to the etcd cluster and must appear at the next discovery
refresh; then the seed of the etcd cluster is killed: /sd fails (503) and
Prometheus keeps every member's target.

Clusters (real servers on 127.0.0.1, free ports, started by
tests/support/servers.py and stopped at the end, also on failure):
  an etcd cluster of 3 members (module kv), a member added later;
  a ZooKeeper ensemble of 3 servers whose server lines name their client
  addresses (module zk, cluster_id coordination);
  a Redis Cluster of 3 primaries with a replica each (module cache,
  cluster_id sessions);
  a PostgreSQL primary and a streaming standby (module pg; the standby is the
  seed: PostgreSQL tells no standby's port, so the module's standby_port
  gives it).

Needs: etcd (etcd-server), java with ZooKeeper's jars, redis-server and
redis-tools, PostgreSQL 15 run as user postgres (postgresql-15), prometheus,
and the
exporter (EXPORTER, default build/exporter/...).
"""
import json
import os
import sys
import time
import urllib.parse

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, os.path.join(ROOT, "tests", "support"))
sys.path.insert(0, os.path.join(ROOT, "alerts"))
sys.path.insert(0, os.path.join(ROOT, "dashboards"))
import e2e_test  # noqa: E402
import servers  # noqa: E402

REFRESH_SECONDS = 2
# Scraped through /probe only, a cluster has no exporter process telemetry
# joined to it: that is on the exporter's own /metrics, in another job.
PROBE_ONLY = ({"etcd", "zookeeper", "redis", "postgresql"},
              "a /probe answer carries no exporter process telemetry")
e2e_test.EMPTY_ALLOWED.update({
    ("datastore-cluster", "Exporter CPU", "A"): PROBE_ONLY,
    ("datastore-cluster", "Exporter memory", "A"): PROBE_ONLY,
})
STEP_TIMEOUT = 60  # seconds any one expected change may take


def log(message):
    print(f"[{time.strftime('%H:%M:%S')}] {message}", flush=True)


def scrape_config(exporter, module, seed):
    """The README's scrape configuration for one seed."""
    query = urllib.parse.urlencode({"module": module, "target": seed})
    return {
        "job_name": f"discovered-{module}",
        "metrics_path": "/probe",
        "honor_labels": True,
        "http_sd_configs": [{"url": f"http://{exporter.address}/sd?{query}",
                             "refresh_interval": f"{REFRESH_SECONDS}s"}],
        "relabel_configs": [
            {"source_labels": ["__address__"], "target_label": "__param_target"},
            {"source_labels": ["__param_target"], "target_label": "instance"},
            {"target_label": "__address__", "replacement": exporter.address},
        ],
    }


def api(prometheus, path, **params):
    status, body = prometheus.get(f"{path}?{urllib.parse.urlencode(params)}")
    if status != 200:
        raise servers.Failure(f"Prometheus {path}: HTTP {status}: {body}")
    return json.loads(body)["data"]


def targets_of(prometheus, job):
    """{instance: (health, cluster_id)} of the job's active targets."""
    return {t["labels"]["instance"]: (t["health"], t["labels"].get("cluster_id"))
            for t in api(prometheus, "/api/v1/targets", state="active")["activeTargets"]
            if t["labels"].get("job") == job}


def up_members(prometheus, job):
    """{instance: cluster_id} of the job's members whose datastore_up is 1."""
    result = api(prometheus, "/api/v1/query", query=f'datastore_up{{job="{job}"}} == 1')
    return {r["metric"]["instance"]: r["metric"].get("cluster_id") for r in result["result"]}


def expect_discovered(stack, prometheus, job, members, cluster_id):
    """Every member is an active target of `job`, scraped up, and up in the
    model with `cluster_id`; nothing else is."""
    want = {member: cluster_id for member in members}

    def discovered():
        targets = targets_of(prometheus, job)
        return (set(targets) == set(members)
                and all(health == "up" and cid == cluster_id
                        for health, cid in targets.values())
                and up_members(prometheus, job) == want)

    stack.wait_until(f"{job}: {len(members)} members scraped up with cluster_id {cluster_id}",
                     discovered, STEP_TIMEOUT, interval=0.5)


def expect_rules_healthy(prometheus):
    """Every rule evaluates without error, and no alert is pending or firing."""
    problems = []
    for group in api(prometheus, "/api/v1/rules")["groups"]:
        for rule in group["rules"]:
            if rule.get("health") != "ok":
                problems.append(f"{rule['name']}: {rule.get('health')} {rule.get('lastError')}")
            for alert in rule.get("alerts", []):
                problems.append(f"{rule['name']} {alert['state']}: {alert['labels']}")
    if problems:
        raise servers.Failure("rules on discovered targets:\n  " + "\n  ".join(problems))


def main():
    start = time.time()
    with servers.Servers(prefix="discovery-e2e.") as stack:
        try:
            etcd = stack.etcd_cluster(3)
            zookeeper = stack.zookeeper_ensemble(3, client_addresses=True)
            cache = stack.redis_cluster(3).nodes
            postgres_primary = stack.postgres("postgres-primary", passwords=True)
            postgres_primary.sql("CREATE ROLE monitor LOGIN PASSWORD 'sd'; "
                                 "GRANT pg_monitor TO monitor")
            postgres = [postgres_primary,
                        stack.postgres_standby(postgres_primary, "postgres-standby")]
            password = stack.file("password", "sd\n")
            exporter = stack.exporter({"modules": {
                "kv": {"kind": "etcd", "timeout": "2s", "allowed_targets": ["127.0.0.1:*"]},
                "zk": {"kind": "zookeeper", "cluster_id": "coordination", "timeout": "2s",
                       "allowed_targets": ["127.0.0.1:*"]},
                "cache": {"kind": "redis", "cluster_id": "sessions", "timeout": "2s",
                          "allowed_targets": ["127.0.0.1:*"]},
                "pg": {"kind": "postgresql", "username": "monitor", "password_file": password,
                       "timeout": "2s", "allowed_targets": ["127.0.0.1:*"],
                       "options": {"standby_port": str(postgres[1].port)}},
            }})
            prometheus = stack.prometheus({
                "global": {"scrape_interval": "1s", "evaluation_interval": "1s"},
                "rule_files": [os.path.join(ROOT, "alerts", "datastore.rules.yml")],
                "scrape_configs": [
                    {"job_name": "exporter", "static_configs": [{"targets": [exporter.address]}]},
                    # One seed per cluster: the second member, not the first.
                    scrape_config(exporter, "kv", etcd[1].address),
                    scrape_config(exporter, "zk", zookeeper[1].address),
                    scrape_config(exporter, "cache", cache[4].address),
                    scrape_config(exporter, "pg", postgres[1].address),
                ]})
            log(f"servers up in {time.time() - start:.1f} s")

            etcd_id = str(int(etcd[0].status()["header"]["cluster_id"]))
            expect_discovered(stack, prometheus, "discovered-kv",
                              [m.address for m in etcd], etcd_id)
            expect_discovered(stack, prometheus, "discovered-zk",
                              [z.address for z in zookeeper], "coordination")
            expect_discovered(stack, prometheus, "discovered-cache",
                              [r.address for r in cache], "sessions")
            system_identifier = postgres_primary.sql(
                "SELECT system_identifier FROM pg_control_system()").strip()
            expect_discovered(stack, prometheus, "discovered-pg",
                              [p.address for p in postgres], system_identifier)
            log(f"every member discovered and scraped up at {time.time() - start:.1f} s")
            # A few evaluations on the discovered series: no error, no alert.
            time.sleep(5)
            expect_rules_healthy(prometheus)
            log("bundled rules: every rule healthy, no alert pending or firing")
            e2e_test.DashboardQueries(e2e_test.PrometheusApi(prometheus.url), start).check()

            # A new etcd member: added through the cluster, then started.
            new_peer = servers.free_port()
            status, body = etcd[0].post("/v3/cluster/member/add",
                                        {"peerURLs": [f"http://127.0.0.1:{new_peer}"]})
            if status != 200:
                raise servers.Failure(f"etcd member add: HTTP {status}: {body}")
            initial = ",".join([etcd[0].initial_cluster, f"etcd4=http://127.0.0.1:{new_peer}"])
            added = stack.etcd("etcd4", initial, "existing", etcd[0].token, peer_port=new_peer)
            added_at = time.time()
            expect_discovered(stack, prometheus, "discovered-kv",
                              [m.address for m in etcd] + [added.address], etcd_id)
            log(f"the added member scraped up {time.time() - added_at:.1f} s after it started"
                f" (discovery refreshed every {REFRESH_SECONDS} s)")
            expect_rules_healthy(prometheus)

            # The seed gone: /sd answers 503, and Prometheus keeps the last
            # good list (an empty 200 would drop every member).
            seed_url = (f"http://{exporter.address}/sd?" + urllib.parse.urlencode(
                {"module": "kv", "target": etcd[1].address}))
            etcd[1].kill()
            status = servers.http_get(seed_url)[0]
            if status != 503:
                raise servers.Failure(f"/sd with its seed killed: HTTP {status}, not 503")
            time.sleep(3 * REFRESH_SECONDS)
            kept = set(targets_of(prometheus, "discovered-kv"))
            want = {m.address for m in etcd} | {added.address}
            if kept != want:
                raise servers.Failure(f"after failed refreshes Prometheus has {sorted(kept)},"
                                      f" not {sorted(want)}")
            log("seed killed: /sd answers 503 and Prometheus keeps every member's target")
        except BaseException:
            stack.dump_logs()
            raise
    log(f"passed in {time.time() - start:.1f} s")


if __name__ == "__main__":
    try:
        main()
    except servers.Failure as failure:
        print(f"FAILED: {failure}", file=sys.stderr)
        sys.exit(1)
