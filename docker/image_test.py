#!/usr/bin/env python3
"""The container image, built and run for real (no Docker engine: buildah).

    python3 docker/image_test.py [--keep-image]

Builds docker/Dockerfile with docker/build-image.sh, then, as the image is
configured (its ENTRYPOINT and USER, read back from the image):
  1. runs the entrypoint with `buildah run --isolation chroot --network host`
     in the sidecar form against a real redis-server started here on loopback,
     and checks the process runs as the image's non-root user;
  2. scrapes /metrics: datastore_up 1 and the primary role of the Redis;
  3. runs the image's own HEALTHCHECK command inside the image: 0 against the
     running exporter, 1 against a port where nothing listens;
  4. prints the image's size, the base's, its layers, and the packages the
     runtime stage added (dpkg-query inside both), and fails when that stage
     adds more than 30 MB on disk.
Everything it starts (tests/support/servers.py) is stopped by PID on exit.
Needs root (buildah's storage) and redis-server; .ci/run runs it on the host
(not in the fresh root).
"""
import json
import os
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, os.path.join(ROOT, "tests", "support"))
import servers  # noqa: E402

RUNTIME_LAYER_LIMIT_MB = 30


def buildah(*args, check=True):
    r = subprocess.run(["buildah", *args], capture_output=True, text=True)
    if check and r.returncode != 0:
        sys.exit(f"image test: buildah {' '.join(args)}: {r.stderr.strip()}")
    return r


def descendants(pid):
    """PIDs of pid's descendants (pid's process tree, started by this test)."""
    out = subprocess.run(["ps", "-e", "-o", "pid=,ppid="], capture_output=True, text=True).stdout
    children = {}
    for line in out.splitlines():
        child, parent = map(int, line.split())
        children.setdefault(parent, []).append(child)
    found, todo = [], [pid]
    while todo:
        for c in children.get(todo.pop(), []):
            found.append(c)
            todo.append(c)
    return found


def uid_of(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("Uid:"):
                return int(line.split()[1])
    return None


def packages(container):
    out = buildah("run", "--isolation", "chroot", container, "--",
                  "dpkg-query", "-W", "-f=${Package}\t${Installed-Size}\n").stdout
    return {name: int(size or 0) for name, size in (l.split("\t") for l in out.splitlines())}


def root_size_mb(container):
    mount = buildah("mount", container).stdout.strip()
    try:
        out = subprocess.run(["du", "-sxk", mount], capture_output=True, text=True, check=True).stdout
        return int(out.split()[0]) / 1024
    finally:
        buildah("umount", container)


def run_exporter(stack, container, entrypoint, user, health):
    """Runs the image's entrypoint against a real Redis, as the image's user,
    then its HEALTHCHECK."""
    redis = stack.redis()
    listen = f"127.0.0.1:{servers.free_port()}"

    def run(*options):
        return ["buildah", "run", "--isolation", "chroot", "--network", "host", "--user", user,
                *options, container, "--"]
    # buildah run does not pass signals on: the exporter is stopped with its group.
    exporter = stack.spawn("exporter", run() + entrypoint + [
        f"--target=redis://{redis.address}", "--cluster-id=image-test",
        f"--web.listen-address={listen}"], group=True)
    stack.wait_until("the image's exporter", lambda: servers.http_get(
        f"http://{listen}/-/healthy")[0] == 200, 30)

    pids = [p for p in descendants(exporter.pid)
            if os.path.basename(os.readlink(f"/proc/{p}/exe")) == "datastore_exporter"]
    if len(pids) != 1:
        sys.exit(f"image test: expected one datastore_exporter process under buildah run, found {pids}")
    uid = uid_of(pids[0])
    if str(uid) != user.split(":")[0]:
        sys.exit(f"image test: the exporter runs as uid {uid}, the image says USER {user}")

    status, metrics = servers.http_get(f"http://{listen}/metrics")
    for needle in ('datastore_up{target="%s",kind="redis"} 1' % redis.address,
                   'role="primary"} 1'):
        if needle not in metrics:
            sys.exit(f"image test: /metrics (status {status}) lacks {needle!r}:\n{metrics}")
    print(f"image test: exporter pid {pids[0]} as uid {uid} served the Redis primary on {listen}")

    def healthcheck(address):
        return subprocess.run(run("--env", f"HEALTHCHECK_ADDRESS={address}") + health[1:],
                              capture_output=True, text=True)
    ok = healthcheck(listen)
    if ok.returncode != 0:
        sys.exit(f"image test: HEALTHCHECK against the running exporter: {ok.returncode} {ok.stderr}")
    bad = healthcheck(f"127.0.0.1:{servers.free_port()}")
    if bad.returncode != 1:
        sys.exit(f"image test: HEALTHCHECK with nothing listening answered {bad.returncode}, expected 1")
    print("image test: HEALTHCHECK 0 against the exporter, 1 with nothing listening")
    exporter.stop()
    if any(os.path.exists(f"/proc/{p}") for p in pids):
        sys.exit("image test: the exporter outlived buildah run")


def main():
    built = subprocess.run(["bash", os.path.join(ROOT, "docker", "build-image.sh")],
                           stdout=subprocess.PIPE, text=True)
    if built.returncode != 0:
        sys.exit("image test: docker/build-image.sh failed")
    image = built.stdout.strip().splitlines()[-1]
    config = json.loads(buildah("inspect", "--type", "image", image).stdout)
    docker = config["Docker"]["config"]
    entrypoint, user = docker["Entrypoint"], docker["User"]
    health = docker["Healthcheck"]["Test"]
    print(f"image {image}: entrypoint {entrypoint}, user {user}, healthcheck {health}")
    if user.split(":")[0] in ("", "0", "root"):
        sys.exit(f"image test: the image runs as root (USER {user!r})")
    if health[0] != "CMD":
        sys.exit(f"image test: HEALTHCHECK {health}: expected the exec form (CMD)")

    containers = []
    try:
        with servers.Servers(prefix="dse-image-test.") as stack:
            container = buildah("from", "--pull-never", image).stdout.strip()
            containers.append(container)
            run_exporter(stack, container, entrypoint, user, health)

        base = buildah("from", "--pull-never", "docker.io/library/debian:12-slim").stdout.strip()
        containers.append(base)
        image_packages, base_packages = packages(container), packages(base)
        image_mb, base_mb = root_size_mb(container), root_size_mb(base)
        added = sorted(((size, name) for name, size in image_packages.items() if name not in base_packages),
                       reverse=True)
        print(f"image test: image {image_mb:.1f} MB on disk, base debian:12-slim {base_mb:.1f} MB: "
              f"the runtime stage adds {image_mb - base_mb:.1f} MB")
        manifest = json.loads(config["Manifest"])
        base_config = json.loads(buildah("inspect", "--type", "image",
                                         "docker.io/library/debian:12-slim").stdout)
        base_layers = {l["digest"] for l in json.loads(base_config["Manifest"])["layers"]}
        print("layers:")
        for layer in manifest["layers"]:
            what = "debian:12-slim base" if layer["digest"] in base_layers else "the runtime stage"
            print(f"  {layer['size'] / 1e6:8.2f} MB  {what}")
        print(f"packages the runtime stage added ({len(added)}, {sum(s for s, _ in added) / 1024:.1f} MB "
              "installed size by dpkg):")
        for size, name in added:
            print(f"  {size / 1024:7.2f} MB  {name}")
        if image_mb - base_mb > RUNTIME_LAYER_LIMIT_MB:
            sys.exit(f"image test: the runtime stage adds {image_mb - base_mb:.1f} MB, "
                     f"over {RUNTIME_LAYER_LIMIT_MB} MB")
        print("image test: passed")
    finally:
        for c in containers:
            buildah("rm", c, check=False)


if __name__ == "__main__":
    try:
        main()
    except servers.Failure as error:
        sys.exit(f"image test: {error}")
