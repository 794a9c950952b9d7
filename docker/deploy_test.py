#!/usr/bin/python3
"""Checks of the packaging and deployment files (docker/), CTest label "deploy".

    python3 docker/deploy_test.py CHECK [...]

No Docker engine, Kubernetes or Grafana runs here, so these check what can be
checked for real: files parse, everything referenced exists, Prometheus's
config passes promtool, configurations pass the exporter's own --config.check,
the systemd unit passes systemd-analyze verify, the image's runtime packages
cover every library the binary loads, the health check works against a real
exporter. A missing tool fails the check; nothing is skipped.
"""
import glob
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

import yaml

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DOCKER = os.path.join(ROOT, "docker")
RULES = os.path.join(ROOT, "alerts", "datastore.rules.yml")
PROMETHEUS_RULE = os.path.join(ROOT, "alerts", "kubernetes", "prometheusrule.yaml")
DATASOURCE = os.path.join(ROOT, "dashboards", "provisioning", "datasources", "datastore_exporter.yml")

failures = []


def fail(message):
    failures.append(message)
    print("FAIL: " + message, file=sys.stderr)


def tool(name):
    path = shutil.which(name)
    if path is None:
        fail(f"tool {name!r} is not installed (a missing tool fails, never skips)")
        raise SystemExit(1)
    return path


def rel(path):
    return os.path.relpath(path, ROOT)


def load_all(path):
    with open(path, encoding="utf-8") as f:
        return [d for d in yaml.safe_load_all(f) if d is not None]


def exporter():
    path = os.environ.get("EXPORTER")
    if not path or not os.access(path, os.X_OK):
        fail("EXPORTER must name the built datastore_exporter binary")
        raise SystemExit(1)
    return path


def package_list(path):
    with open(path, encoding="utf-8") as f:
        return [line.split("#", 1)[0].strip() for line in f if line.split("#", 1)[0].strip()]


def compose():
    return load_all(os.path.join(DOCKER, "compose.yaml"))[0]


def host_mounts(service):
    """(host path, container path) of a compose service's bind mounts."""
    out = []
    for volume in compose()["services"][service].get("volumes", []):
        parts = volume.split(":")
        if parts[0].startswith((".", "/")):
            out.append((os.path.normpath(os.path.join(DOCKER, parts[0])), parts[1]))
    return out


# --- checks -----------------------------------------------------------------

def check_yaml():
    """Every YAML file of the deployment, rules and dashboards parses."""
    files = []
    for pattern in ("docker/**/*.yml", "docker/**/*.yaml", "alerts/**/*.yml",
                    "alerts/**/*.yaml", "dashboards/**/*.yml", "dashboards/**/*.yaml"):
        files += glob.glob(os.path.join(ROOT, pattern), recursive=True)
    if len(files) < 8:
        fail(f"only {len(files)} YAML files found: {files}")
    for path in sorted(set(files)):
        try:
            docs = load_all(path)
            if not docs:
                fail(f"{rel(path)}: no YAML document")
        except yaml.YAMLError as e:
            fail(f"{rel(path)}: {e}")
    # YAML embedded in the Kubernetes ConfigMaps parses too.
    for path, name, text in configmap_configs():
        try:
            yaml.safe_load(text)
        except yaml.YAMLError as e:
            fail(f"{rel(path)}: ConfigMap {name}: {e}")
    print(f"{len(set(files))} YAML files parse")


def dockerfile_sources():
    with open(os.path.join(DOCKER, "Dockerfile"), encoding="utf-8") as f:
        text = f.read().replace("\\\n", " ")
    sources = []
    for line in text.splitlines():
        words = line.split()
        if words[:1] == ["COPY"] and not any(w.startswith("--from") for w in words):
            sources += [w for w in words[1:-1] if not w.startswith("--")]
        for m in re.finditer(r"\b(docker/[\w./-]+)", line):
            if words[:1] == ["RUN"]:
                sources.append(m.group(1))
    return text, sources


def check_references():
    """Every file the Dockerfile, compose file, manifests and READMEs name exists."""
    checked = 0
    _, sources = dockerfile_sources()
    for s in sources:
        checked += 1
        if s != "." and not os.path.exists(os.path.join(ROOT, s)):
            fail(f"docker/Dockerfile: {s} does not exist")
    c = compose()
    for name, service in c["services"].items():
        build = service.get("build")
        if build:
            context = os.path.normpath(os.path.join(DOCKER, build["context"]))
            checked += 1
            if not os.path.isfile(os.path.join(context, build["dockerfile"])):
                fail(f"compose.yaml: service {name}: {build['dockerfile']} not in {context}")
        for host, _ in host_mounts(name):
            checked += 1
            if not os.path.exists(host):
                fail(f"compose.yaml: service {name}: {rel(host)} does not exist")
    # The Grafana dashboard provider loads *.json from the directory the
    # dashboards are mounted in: every bundled dashboard is mounted there.
    provider = load_all(os.path.join(ROOT, "dashboards", "provisioning", "dashboards",
                                     "datastore_exporter.yml"))[0]
    folder = provider["providers"][0]["options"]["path"]
    mounted = {os.path.basename(h) for h, cpath in host_mounts("grafana")
               if os.path.dirname(cpath) == folder}
    bundled = {os.path.basename(p) for p in glob.glob(os.path.join(ROOT, "dashboards", "*.json"))}
    if not bundled or mounted != bundled:
        fail(f"compose.yaml: grafana mounts {sorted(mounted)} in {folder}, bundled are {sorted(bundled)}")
    # Paths named in commands of the READMEs and manifests (kubectl -f, COPY,
    # install, cp) and Prometheus's rule files.
    for doc in [os.path.join(DOCKER, "README.md")] + glob.glob(os.path.join(DOCKER, "kubernetes", "*.yaml")) \
            + [os.path.join(DOCKER, "systemd", "datastore_exporter.service")]:
        with open(doc, encoding="utf-8") as f:
            for m in re.finditer(r"((?:docker|alerts|dashboards)/[\w./-]*\w)", f.read()):
                checked += 1
                path = m.group(1)
                if not glob.glob(os.path.join(ROOT, path)):
                    fail(f"{rel(doc)}: names {path}, which does not exist")
    print(f"{checked} references exist")


def check_prometheus_config():
    """promtool check config on the compose Prometheus config, laid out as the
    compose file mounts it (so the rule file paths are proven too), and amtool
    check-config on the Alertmanager config."""
    promtool = tool("promtool")
    amtool = tool("amtool")
    with tempfile.TemporaryDirectory() as tmp:
        config = None
        for host, container in host_mounts("prometheus"):
            dest = tmp + container
            os.makedirs(os.path.dirname(dest), exist_ok=True)
            shutil.copy(host, dest)
            if container == "/etc/prometheus/prometheus.yml":
                config = dest
        if config is None:
            fail("compose.yaml: prometheus does not mount /etc/prometheus/prometheus.yml")
            return
        for command in ([promtool, "check", "config", "--lint=all", "--lint-fatal", config],
                        [amtool, "check-config", os.path.join(DOCKER, "alertmanager", "alertmanager.yml")]):
            r = subprocess.run(command, capture_output=True, text=True)
            print(r.stdout + r.stderr)
            if r.returncode != 0:
                fail(f"{os.path.basename(command[0])} failed: {r.stdout}{r.stderr}")
        # The rule files it loads are there, and they are the bundled ones.
        text = open(config, encoding="utf-8").read()
        if "rules/datastore.rules.yml" not in text:
            fail("docker/prometheus/prometheus.yml does not load the bundled rules")
    # Every scrape job's targets are compose services.
    prom = load_all(os.path.join(DOCKER, "prometheus", "prometheus.yml"))[0]
    services = set(compose()["services"]) | {"localhost"}
    for job in prom["scrape_configs"]:
        for sc in job.get("static_configs", []):
            for t in sc["targets"]:
                if t.rsplit(":", 1)[0] not in services:
                    fail(f"prometheus.yml: job {job['job_name']}: {t} is not a compose service")


def check_rules_equal():
    """The PrometheusRule the Kubernetes instructions apply and the rules the
    compose Prometheus loads are the bundled alerts/datastore.rules.yml."""
    bundled = load_all(RULES)[0]["groups"]
    rule = load_all(PROMETHEUS_RULE)[0]
    if rule.get("kind") != "PrometheusRule" or rule["spec"]["groups"] != bundled:
        fail(f"{rel(PROMETHEUS_RULE)}: spec.groups differ from {rel(RULES)}")
    mounts = dict(host_mounts("prometheus"))
    if RULES not in mounts:
        fail(f"compose.yaml: prometheus does not mount {rel(RULES)} (mounts {list(mounts)})")
    # Any PrometheusRule under docker/ embeds the same groups.
    for path in glob.glob(os.path.join(DOCKER, "**", "*.yaml"), recursive=True):
        for d in load_all(path):
            if isinstance(d, dict) and d.get("kind") == "PrometheusRule" and d["spec"]["groups"] != bundled:
                fail(f"{rel(path)}: PrometheusRule {d['metadata']['name']} differs from {rel(RULES)}")
    print(f"{sum(len(g['rules']) for g in bundled)} rules in {len(bundled)} groups equal")


def check_grafana_datasource():
    """The compose Grafana's data source is the bundled one with the stack's url."""
    bundled = load_all(DATASOURCE)[0]
    ours = load_all(os.path.join(DOCKER, "grafana", "datasource.yml"))[0]
    if ours["datasources"][0]["url"] != "http://prometheus:9090":
        fail("docker/grafana/datasource.yml: url is not the compose Prometheus")
    ours["datasources"][0]["url"] = bundled["datasources"][0]["url"]
    if ours != bundled:
        fail(f"docker/grafana/datasource.yml differs from {rel(DATASOURCE)} beyond the url")


def configmap_configs():
    for path in sorted(glob.glob(os.path.join(DOCKER, "kubernetes", "*.yaml"))):
        for d in load_all(path):
            if d.get("kind") == "ConfigMap":
                for key, text in d.get("data", {}).items():
                    if key.endswith((".yml", ".yaml")):
                        yield path, f"{d['metadata']['name']}/{key}", text


def config_check(binary, path, label):
    r = subprocess.run([binary, "--config.check", "--config.file", path], capture_output=True, text=True)
    if r.returncode == 0:
        print(f"{label}: --config.check passes")
        return
    fail(f"{label}: --config.check: {r.stdout}{r.stderr}")


def check_exporter_configs():
    """The compose exporter config and the ConfigMap configs pass --config.check,
    and the compose exporter's password variable is set."""
    binary = exporter()
    config_check(binary, os.path.join(DOCKER, "exporter", "config.yml"), "docker/exporter/config.yml")
    for path, name, text in configmap_configs():
        with tempfile.NamedTemporaryFile("w", suffix=".yml", delete=False) as f:
            f.write(text)
        try:
            config_check(binary, f.name, f"{rel(path)}: {name}")
        finally:
            os.unlink(f.name)
    config = load_all(os.path.join(DOCKER, "exporter", "config.yml"))[0]
    env = compose()["services"]["exporter"].get("environment", {})
    for t in config["targets"]:
        if "password_env" in t and t["password_env"] not in env:
            fail(f"compose.yaml: exporter lacks {t['password_env']} (target {t['name']})")
        host = t["address"].rsplit(":", 1)[0]
        if host not in compose()["services"]:
            fail(f"docker/exporter/config.yml: {t['name']} address {host} is not a compose service")


def check_dockerfile():
    """The Dockerfile's shape: build stage runs build-steps.sh, runtime is
    Debian 12 slim with runtime-packages.txt, non-root, EXPOSE, HEALTHCHECK, OCI labels."""
    text, _ = dockerfile_sources()
    must = {
        "FROM debian:12 AS build": "a Debian 12 build stage",
        "RUN bash docker/build-steps.sh": "the build stage running docker/build-steps.sh",
        "FROM debian:12-slim": "a Debian 12 slim runtime stage",
        "runtime-packages.txt": "the runtime stage installing docker/runtime-packages.txt",
        "EXPOSE 9755": "EXPOSE 9755",
        "HEALTHCHECK": "a HEALTHCHECK",
        "/usr/local/bin/healthcheck": "the health check script",
    }
    for needle, what in must.items():
        if needle not in text:
            fail(f"docker/Dockerfile lacks {what} ({needle!r})")
    if not re.search(r"^USER (?!0\b|root\b)\S+", text, re.M):
        fail("docker/Dockerfile: no non-root USER")
    for label in ("title", "description", "version", "revision", "created", "source"):
        if f"org.opencontainers.image.{label}=" not in text:
            fail(f"docker/Dockerfile: no OCI label org.opencontainers.image.{label}")
    runs = [l for l in text.splitlines() if l.startswith("RUN")]
    if any("cmake" in l or "apt-get" in l and "runtime-packages" not in l for l in runs):
        fail("docker/Dockerfile: build commands outside docker/build-steps.sh")


def installed_depends(package, seen):
    """The installed dependency closure of package (Depends and Pre-Depends)."""
    if package in seen:
        return
    r = subprocess.run(["dpkg-query", "-W", "-f=${Status}\t${Depends}, ${Pre-Depends}\t${Provides}", package],
                       capture_output=True, text=True)
    if r.returncode != 0 or "install ok installed" not in r.stdout:
        return
    seen.add(package)
    _, depends, _ = r.stdout.split("\t")
    for alternative in depends.split(","):
        for choice in alternative.split("|"):
            name = choice.strip().split(" ")[0].split(":")[0]
            if not name:
                continue
            before = len(seen)
            installed_depends(name, seen)
            if len(seen) > before or name in seen:
                break


def check_runtime_libs():
    """Every library ldd shows for the binary belongs to a package of
    docker/runtime-packages.txt or to their installed dependencies."""
    binary = exporter()
    tool("ldd")
    tool("dpkg")
    listed = package_list(os.path.join(DOCKER, "runtime-packages.txt"))
    closure = set()
    for p in listed:
        r = subprocess.run(["dpkg-query", "-W", "-f=${Status}", p], capture_output=True, text=True)
        if "install ok installed" not in r.stdout:
            fail(f"docker/runtime-packages.txt: {p} is not installed on this machine")
        installed_depends(p, closure)
    r = subprocess.run(["ldd", binary], capture_output=True, text=True, check=True)
    libs = []
    for line in r.stdout.splitlines():
        m = re.search(r"(/\S+) \(0x", line)
        if m:
            libs.append(m.group(1))
        elif "not found" in line:
            fail(f"ldd: {line.strip()}")
    # The datastore client libraries are opened at run time (dlopen by soname,
    # exporter/model/shared_library.h), so ldd does not show them: find the sonames
    # in the binary and resolve them as the loader would.
    with open(binary, "rb") as f:
        sonames = sorted(set(m.decode() for m in re.findall(rb"\x00(lib[a-z0-9_+-]+\.so\.[0-9]+)\x00", f.read())))
    if "libpq.so.5" not in sonames:
        fail(f"found no run-time-loaded sonames in {binary} (looked for libpq.so.5): {sonames}")
    cache = subprocess.run(["ldconfig", "-p"], capture_output=True, text=True, check=True).stdout
    for soname in sonames:
        m = re.search(r"^\s*" + re.escape(soname) + r" \(libc6,x86-64\) => (\S+)$", cache, re.M)
        if m is None:
            fail(f"{soname} (loaded at run time) is not installed")
        elif m.group(1) not in libs:
            libs.append(m.group(1))
    owners = {}
    for lib in libs:
        owner = None
        for candidate in (lib, os.path.realpath(lib), "/usr" + lib if lib.startswith("/lib") else lib,
                          "/usr" + os.path.realpath(lib) if os.path.realpath(lib).startswith("/lib") else lib):
            r = subprocess.run(["dpkg", "-S", candidate], capture_output=True, text=True)
            if r.returncode == 0:
                owner = r.stdout.split(":")[0].split(",")[0].strip()
                break
        if owner is None:
            fail(f"{lib}: no package owns it")
            continue
        owners[lib] = owner
        if owner not in closure:
            fail(f"{lib} ({owner}) is not covered by docker/runtime-packages.txt")
    direct = {owners.get(l) for l in owners}
    unused = [p for p in listed if p not in direct and p != "ca-certificates"]
    print(f"{len(libs)} libraries from {len(set(owners.values()))} packages, all covered by "
          f"{len(listed)} listed packages" + (f"; listed but not linked now: {unused}" if unused else ""))


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def check_healthcheck():
    """The image's health check script (bash /dev/tcp) against a real exporter:
    healthy while it serves, unhealthy once it is gone."""
    binary = exporter()
    bash = tool("bash")
    script = os.path.join(DOCKER, "healthcheck.sh")
    port = free_port()
    with tempfile.NamedTemporaryFile("w", suffix=".yml", delete=False) as f:
        f.write("modules:\n  m:\n    kind: redis\n    cluster_id: c\n    allowed_targets: ['127.0.0.1:1']\n")
    proc = subprocess.Popen([binary, "--config.file", f.name, f"--web.listen-address=127.0.0.1:{port}"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        for _ in range(100):
            r = subprocess.run([bash, script, f"127.0.0.1:{port}"], capture_output=True, text=True)
            if r.returncode == 0:
                break
            time.sleep(0.1)
        else:
            fail(f"health check never passed against the exporter: {r.stderr}")
        r = subprocess.run([bash, script, f"127.0.0.1:{port}"], capture_output=True, text=True)
        if r.returncode != 0:
            fail(f"health check failed against a serving exporter: {r.stderr}")
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=10)
        os.unlink(f.name)
    r = subprocess.run([bash, script, f"127.0.0.1:{port}"], capture_output=True, text=True)
    if r.returncode == 0:
        fail("health check passed with no exporter listening")
    print("health check: 0 against a serving exporter, 1 without one")


def check_systemd():
    """systemd-analyze verify on the unit (ExecStart pointed at the built binary,
    since none is installed here); any warning fails."""
    binary = exporter()
    analyze = tool("systemd-analyze")
    with open(os.path.join(DOCKER, "systemd", "datastore_exporter.service"), encoding="utf-8") as f:
        unit = f.read()
    if "ExecStart=/usr/bin/datastore_exporter " not in unit:
        fail("unit: ExecStart is not /usr/bin/datastore_exporter")
    for option in ("DynamicUser=yes", "ProtectSystem=strict", "NoNewPrivileges=yes", "ProtectHome=yes"):
        if option not in unit:
            fail(f"unit lacks {option}")
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "datastore_exporter.service")
        with open(path, "w", encoding="utf-8") as f:
            f.write(unit.replace("/usr/bin/datastore_exporter", binary))
        r = subprocess.run([analyze, "verify", path], capture_output=True, text=True)
        output = (r.stdout + r.stderr).strip()
        if r.returncode != 0 or output:
            fail(f"systemd-analyze verify: rc {r.returncode}: {output}")
        else:
            print("systemd-analyze verify: clean")


CHECKS = {
    "yaml": check_yaml,
    "references": check_references,
    "prometheus-config": check_prometheus_config,
    "rules-equal": check_rules_equal,
    "grafana-datasource": check_grafana_datasource,
    "exporter-configs": check_exporter_configs,
    "dockerfile": check_dockerfile,
    "runtime-libs": check_runtime_libs,
    "healthcheck": check_healthcheck,
    "systemd": check_systemd,
}


def main(argv):
    names = argv[1:] or list(CHECKS)
    for name in names:
        if name not in CHECKS:
            print(f"unknown check {name}; known: {', '.join(CHECKS)}", file=sys.stderr)
            return 2
        try:
            CHECKS[name]()
        except SystemExit:
            pass
        except (OSError, KeyError, TypeError, yaml.YAMLError) as e:
            fail(f"{name}: {type(e).__name__}: {e}")
    if failures:
        print(f"{len(failures)} problem(s)", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
