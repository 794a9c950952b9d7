#!/usr/bin/env bash
# Builds docker/Dockerfile into a local image with buildah (no Docker engine).
#
#   bash docker/build-image.sh [TAG]       (default localhost/datastore-exporter:VERSION)
#
# Base images: debian:12 and debian:12-slim are used from local storage, else
# pulled. Where no registry can be reached (as on the machines this project is
# tested on), both are imported once from the Debian 12 minbase tarball that
# ../shared/tools/fresh-debian caches (made first when missing): the same
# Debian release, without the few documentation files Docker's slim image drops.
# Prints the image's tag as its last line. Run as root (buildah's storage).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
version=$(sed -n 's/^project(datastore_exporter VERSION \([0-9.]*\).*/\1/p' "$root/CMakeLists.txt")
tag=${1:-localhost/datastore-exporter:$version}

if ! command -v buildah >/dev/null; then
  echo "build-image: installing buildah" >&2
  DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600 install -y -q --no-install-recommends buildah >&2 ||
    { apt-get -o DPkg::Lock::Timeout=600 update -q >&2 &&
      DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600 install -y -q --no-install-recommends buildah >&2; }
fi

base_tarball() {
  local cache=${FRESH_DEBIAN_CACHE:-/var/cache/fresh-debian}
  if [ ! -s "$cache/bookworm-minbase.tar" ]; then
    local fresh="$root/../shared/tools/fresh-debian"
    [ -x "$fresh" ] || { echo "build-image: no registry and no $fresh to make a Debian 12 base" >&2; exit 1; }
    "$fresh" --repo "$root" true >&2
  fi
  echo "$cache/bookworm-minbase.tar"
}

for base in docker.io/library/debian:12 docker.io/library/debian:12-slim; do
  buildah inspect --type image "$base" >/dev/null 2>&1 && continue
  if buildah pull --quiet "$base" >/dev/null 2>&1; then continue; fi
  tarball=$(base_tarball)
  echo "build-image: $base cannot be pulled; importing it from $tarball" >&2
  ctr=$(buildah from scratch)
  buildah add --quiet "$ctr" "$tarball" / >/dev/null
  buildah config --cmd /bin/bash \
    --env PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin "$ctr"
  buildah commit --quiet --rm "$ctr" "$base" >/dev/null
done

revision=$(git -C "$root" rev-parse --short HEAD 2>/dev/null || echo unknown)
buildah build --format docker --isolation chroot --network host --pull=never \
  --file "$root/docker/Dockerfile" --tag "$tag" \
  --build-arg "VERSION=$version" --build-arg "REVISION=$revision" \
  --build-arg "CREATED=$(date -u +%Y-%m-%dT%H:%M:%SZ)" "$root" >&2
echo "$tag"
