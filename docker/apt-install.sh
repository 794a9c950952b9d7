#!/usr/bin/env bash
# Installs the Debian packages given as arguments when any is missing (all of
# them, after apt-get update; every time when FORCE_INSTALL=1, so that a fresh
# machine is proven). As root, or with sudo available. Used by
# tests/scripts/install-deps.sh and by the image's build (build-steps.sh).
set -euo pipefail
missing=()
for p in "$@"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ "${#missing[@]}" -eq 0 ] && [ "${FORCE_INSTALL:-0}" != 1 ]; then
  echo "apt-install: all $# packages installed" >&2
  exit 0
fi
sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"
echo "apt-install: installing ${missing[*]:-$*}" >&2
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get -o DPkg::Lock::Timeout=600 update -q
$sudo apt-get -o DPkg::Lock::Timeout=600 install -y -q --no-install-recommends "$@"
