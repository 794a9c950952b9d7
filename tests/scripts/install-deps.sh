#!/usr/bin/env bash
# Installs every Debian 12 package the build, the tests and the demo need.
# Run as root (or with sudo available). Skips apt when all are present,
# unless FORCE_INSTALL=1 (CI sets it so that a fresh machine is proven).
set -euo pipefail

# What builds the exporter: docker/build-packages.txt, the list the image's
# build stage installs too (one list, so the two cannot drift apart).
root=$(cd "$(dirname "$0")/../.." && pwd)
mapfile -t packages < <(sed -e 's/#.*//' -e 's/[[:space:]]//g' -e '/^$/d' "$root/docker/build-packages.txt")
# What the tests, fuzzers, benchmarks and the demo need besides.
packages+=(
  # Fuzzers (libFuzzer): clang, and its sanitizer runtimes and headers
  # (sanitizer/asan_interface.h), which clang only recommends.
  clang libclang-rt-14-dev
  # Redis collector tests and the demo.
  redis-server redis-tools
  # ZooKeeper collector tests: the server's jars (libzookeeper-java, from
  # Debian's zookeeper source; the zookeeper package adds only service files
  # and pulls a desktop JRE), a headless JRE, and slf4j-simple so that the
  # test servers log why they fail.
  libzookeeper-java default-jre-headless libslf4j-java
  # etcd collector tests.
  etcd-server
  # NATS JetStream fixtures (collectors/nats/fixtures/record.sh).
  nats-server
  # RabbitMQ fixtures (collectors/rabbitmq/fixtures/record.sh): the server
  # and, through it, Erlang's epmd; servers.py runs the nodes by hand.
  rabbitmq-server
  # MySQL/MariaDB collector tests (mariadb-client records the fixtures).
  mariadb-server mariadb-client
  # PostgreSQL collector tests: PostgreSQL 15 servers (and pg_stat_statements,
  # part of postgresql-15).
  postgresql-15 postgresql-client-15
  # The status page's browser test (headless chromium, with a font for
  # readable screenshots).
  chromium fonts-dejavu-core
  # Tests and tools: promtool (package prometheus), curl, python3.
  prometheus curl python3 procps openssl
  # Alert rules and dashboards (alerts/, dashboards/): their checks and the
  # end-to-end test with a real Prometheus (above) and Alertmanager.
  prometheus-alertmanager python3-yaml
  # Deployment checks (docker/): systemd-analyze verifies the unit.
  systemd
)

exec bash "$root/docker/apt-install.sh" "${packages[@]}"
