#!/bin/bash
# Runs once, when the demo primary's data directory is created (mounted into
# /docker-entrypoint-initdb.d/ of the postgres image): a replication role for
# the standby and the exporter's least-privilege role (pg_monitor).
set -euo pipefail
psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname postgres \
  -v replicator_password="$REPLICATOR_PASSWORD" -v monitor_password="$PG_MONITOR_PASSWORD" <<'SQL'
CREATE ROLE replicator WITH REPLICATION LOGIN PASSWORD :'replicator_password';
CREATE ROLE monitor WITH LOGIN PASSWORD :'monitor_password';
GRANT pg_monitor TO monitor;
SQL
echo "host replication replicator all scram-sha-256" >> "$PGDATA/pg_hba.conf"
