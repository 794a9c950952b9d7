#!/bin/bash
# The image's HEALTHCHECK: GET /-/healthy over bash's /dev/tcp (the runtime
# image has no curl or wget). Healthy when the status line says 200.
#   healthcheck [HOST:PORT]   (default 127.0.0.1:9755, or $HEALTHCHECK_ADDRESS)
# Plain HTTP only: with TLS or basic auth in --web.config.file, set the
# container's health check off or probe from outside (Kubernetes probes can
# use HTTPS and headers).
set -euo pipefail
address=${1:-${HEALTHCHECK_ADDRESS:-127.0.0.1:9755}}
host=${address%:*}
port=${address##*:}
exec 3<>"/dev/tcp/$host/$port"
printf 'GET /-/healthy HTTP/1.0\r\nHost: %s\r\n\r\n' "$address" >&3
IFS= read -r -t 5 status <&3
exec 3<&-
case "$status" in
  "HTTP/1."?" 200"*) exit 0 ;;
  *) echo "unhealthy: ${status:-no answer}" >&2; exit 1 ;;
esac
