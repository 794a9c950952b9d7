#!/bin/bash
# The demo standby: clones the primary once (pg_basebackup -R writes
# primary_conninfo and standby.signal), then runs PostgreSQL as a streaming
# standby. Runs as user postgres (compose sets it).
set -euo pipefail
: "${PGDATA:=/var/lib/postgresql/data}"
if [ ! -s "$PGDATA/PG_VERSION" ]; then
  until pg_isready -h pg-primary -p 5432 -q; do sleep 1; done
  export PGPASSWORD="$REPLICATOR_PASSWORD"
  until pg_basebackup -h pg-primary -p 5432 -U replicator -D "$PGDATA" -R -X stream; do
    rm -rf "${PGDATA:?}"/*; sleep 2
  done
  chmod 0700 "$PGDATA"
fi
exec postgres -c cluster_name=pg-standby -c hot_standby=on
