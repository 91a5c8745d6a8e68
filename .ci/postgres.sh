#!/usr/bin/env bash
# Installs (if missing) and starts PostgreSQL on 127.0.0.1:5432, then makes sure a role and a database
# exist for Kiln's PostgreSQL tests. Idempotent: run it as often as you like (as root, on Debian).
#   KILN_PG_USER (default kiln), KILN_PG_PASSWORD (default kiln), KILN_PG_DATABASES (default
#   "kiln_store_test"; several names separated by spaces) choose what it creates.
set -euo pipefail
export DEBIAN_FRONTEND=noninteractive
PG_USER="${KILN_PG_USER:-kiln}"
PG_PASSWORD="${KILN_PG_PASSWORD:-kiln}"
PG_DATABASES="${KILN_PG_DATABASES:-kiln_store_test}"

ls /usr/lib/postgresql/*/bin/postgres >/dev/null 2>&1 || { apt-get update -qq; apt-get install -y -qq postgresql; }
PGVER=$(ls /usr/lib/postgresql | sort -V | tail -1)
pg_lsclusters -h | awk '{print $1" "$2}' | grep -qx "$PGVER main" || pg_createcluster "$PGVER" main
# Not pg_conftool: it writes the value unquoted and the server then refuses to start.
mkdir -p "/etc/postgresql/$PGVER/main/conf.d"
echo "listen_addresses = '127.0.0.1'" > "/etc/postgresql/$PGVER/main/conf.d/99-listen.conf"
pg_lsclusters -h | awk -v v="$PGVER" '$1==v && $2=="main" {print $4}' | grep -q online || pg_ctlcluster "$PGVER" main start
for i in $(seq 1 30); do pg_isready -q -h 127.0.0.1 -p 5432 && break; sleep 1; done
pg_isready -h 127.0.0.1 -p 5432

psql_admin() { su postgres -c "psql -v ON_ERROR_STOP=1 -qtA $*"; }
if [ "$(psql_admin "-c \"SELECT 1 FROM pg_roles WHERE rolname = '$PG_USER'\"")" != "1" ]; then
  psql_admin "-c \"CREATE ROLE \\\"$PG_USER\\\" LOGIN PASSWORD '$PG_PASSWORD'\""
fi
for db in $PG_DATABASES; do
  if [ "$(psql_admin "-c \"SELECT 1 FROM pg_database WHERE datname = '$db'\"")" != "1" ]; then
    psql_admin "-c \"CREATE DATABASE \\\"$db\\\" OWNER \\\"$PG_USER\\\"\""
  fi
done
echo "PostgreSQL $PGVER on 127.0.0.1:5432: role $PG_USER, database(s) $PG_DATABASES"
