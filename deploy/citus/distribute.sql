-- Distributes the analytics database by organization on a Citus cluster (docker compose --profile
-- citus; see docs/SCALING.md). Run on the coordinator, in the analytics database, after the
-- analytics service has created and migrated it. Safe to run again: tables already distributed
-- are skipped.
--
-- Every primary and unique key of these tables starts with organization_id, the distribution
-- column, so each organization's events, ids, rollups and activity live on one shard together and
-- an organization's ingest statement and queries run on one worker. New monthly partitions of
-- events (ensure_event_partition) are distributed like their parent.
DO $$
DECLARE
  t text;
BEGIN
  FOREACH t IN ARRAY ARRAY['events', 'event_ids', 'event_rollups_minute', 'event_rollups_hour', 'event_type_rollups_hour', 'customer_activity'] LOOP
    IF NOT EXISTS (SELECT 1 FROM pg_dist_partition WHERE logicalrelid = t::regclass) THEN
      IF t = 'events' THEN
        PERFORM create_distributed_table(t, 'organization_id');
      ELSE
        PERFORM create_distributed_table(t, 'organization_id', colocate_with => 'events');
      END IF;
    END IF;
  END LOOP;
END $$;
