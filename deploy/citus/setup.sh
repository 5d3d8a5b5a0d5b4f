#!/bin/sh
# One-shot setup of the Citus profile (docker compose --profile citus up; docs/SCALING.md). Once the
# analytics service has created and migrated its database on the coordinator: creates the same
# database with the citus extension on each worker, registers the workers in it, and distributes the
# event tables by organization (distribute.sql). Runs in the citus-setup container (citusdata/citus
# has psql). Safe to run again.
set -eu
coordinator="postgres://postgres:postgres@citus-coordinator:5432"
until psql "$coordinator/analytics" -tAc "SELECT to_regclass('event_ids')" 2>/dev/null | grep -q event_ids; do sleep 2; done
for worker in citus-worker-1 citus-worker-2; do
  until pg_isready -h "$worker" -U postgres >/dev/null 2>&1; do sleep 1; done
  psql "postgres://postgres:postgres@$worker:5432/postgres" -tAc "SELECT 1 FROM pg_database WHERE datname = 'analytics'" | grep -q 1 \
    || psql "postgres://postgres:postgres@$worker:5432/postgres" -qc "CREATE DATABASE analytics"
  psql "postgres://postgres:postgres@$worker:5432/analytics" -qc "CREATE EXTENSION IF NOT EXISTS citus"
done
psql "$coordinator/analytics" -v ON_ERROR_STOP=1 <<'SQL'
CREATE EXTENSION IF NOT EXISTS citus;
SELECT citus_set_coordinator_host('citus-coordinator', 5432);
SELECT citus_add_node(name, 5432) FROM (VALUES ('citus-worker-1'), ('citus-worker-2')) AS w(name)
 WHERE name NOT IN (SELECT nodename FROM pg_dist_node);
SQL
psql "$coordinator/analytics" -v ON_ERROR_STOP=1 -f /distribute.sql
echo "citus: workers registered, analytics event tables distributed by organization_id"
