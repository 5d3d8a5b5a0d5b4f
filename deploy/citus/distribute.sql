-- Distributes the analytics database by organization on a Citus cluster (docker compose --profile
-- citus; see docs/SCALING.md). Run on the coordinator, in the analytics database, after the
-- analytics service has created and migrated it. Safe to run again: tables already distributed
-- are skipped.
--
-- Every primary and unique key of these tables contains organization_id, the distribution column,
-- and their foreign keys pair it (test/citus-readiness.e2e.test.ts holds that for every migration),
-- so each organization's events, ids, rollups, activity, identities, metrics, alerts, notification
-- channels, outbox and deliveries, segments and cohorts live on one shard group together and an
-- organization's ingest statement and queries run on one worker (the alert outbox is locked message
-- by message, by its key: Citus has no multi-shard SELECT ... FOR UPDATE). New
-- monthly partitions of events (ensure_event_partition) are distributed like their parent. Tables
-- referenced by a foreign key come before the tables that reference them.
--
-- churn_models and churn_predictions stay local tables of the coordinator here: their keys are
-- ready, but a statement-level trigger with a transition table stands in for the foreign key
-- between them (migration 1763900005000), which has not been tried under Citus (see
-- docs/SCALING.md).
DO $$
DECLARE
  t text;
BEGIN
  FOREACH t IN ARRAY ARRAY[
    'events', 'event_ids', 'event_rollups_minute', 'event_rollups_hour', 'event_type_rollups_hour',
    'customer_activity', 'customer_totals', 'metric_definitions', 'alert_rules', 'alerts', 'notification_channels',
    'alert_notifications', 'alert_deliveries', 'segmentation_runs', 'segments', 'segment_members',
    'merged_invoice_lines', 'identities', 'cohorts'
  ] LOOP
    IF NOT EXISTS (SELECT 1 FROM pg_dist_partition WHERE logicalrelid = t::regclass) THEN
      IF t = 'events' THEN
        PERFORM create_distributed_table(t, 'organization_id');
      ELSE
        PERFORM create_distributed_table(t, 'organization_id', colocate_with => 'events');
      END IF;
    END IF;
  END LOOP;
END $$;
