#!/usr/bin/env bash
# Creates one database and one owner role per Tagwarden service. Used by the
# postgres container's /docker-entrypoint-initdb.d on first start, and by
# hand on an existing server:
#   TAGWARDEN_DB_PASSWORD=... PGHOST=... PGUSER=postgres infra/postgres/init.sh
# Every service owns its database alone; none reads another's.
set -euo pipefail
: "${TAGWARDEN_DB_PASSWORD:?set TAGWARDEN_DB_PASSWORD}"

for service in discovery licensing tag_watcher scheduler scanner; do
  psql -v ON_ERROR_STOP=1 --username "${POSTGRES_USER:-${PGUSER:-postgres}}" \
    --set=role="$service" --set=password="$TAGWARDEN_DB_PASSWORD" <<'SQL'
SELECT format('CREATE ROLE %I LOGIN PASSWORD %L', :'role', :'password')
WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = :'role') \gexec
SELECT format('CREATE DATABASE %I OWNER %I', :'role', :'role')
WHERE NOT EXISTS (SELECT FROM pg_database WHERE datname = :'role') \gexec
SQL
done
