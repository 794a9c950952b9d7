#!/usr/bin/env bash
# The image's build steps, in one place: the Dockerfile's build stage RUNs this
# script (CI builds the image for real: docker/image_test.py), and it runs as
# well outside a container.
#
#   bash docker/build-steps.sh [OUT_DIR]
#
# 1. installs the packages of docker/build-packages.txt when any is missing
#    (all of them, after apt-get update, when FORCE_INSTALL=1: the image sets it);
# 2. configures and builds the datastore_exporter target into $BUILD_DIR
#    (default build-steps/ in the source tree);
# 3. installs the stripped binary as OUT_DIR/datastore_exporter (default
#    $BUILD_DIR/out) and runs its --version.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${BUILD_DIR:-$root/build-steps}
out=${1:-$build/out}

mapfile -t packages < <(sed -e 's/#.*//' -e 's/[[:space:]]//g' -e '/^$/d' "$root/docker/build-packages.txt")
bash "$root/docker/apt-install.sh" "${packages[@]}"

cmake -S "$root" -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build "$build" --target datastore_exporter -j "$(nproc)"
install -d "$out"
install -m 0755 -s "$build/exporter/datastore_exporter" "$out/datastore_exporter"
"$out/datastore_exporter" --version
