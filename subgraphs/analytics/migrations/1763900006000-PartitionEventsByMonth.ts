import type { MigrationInterface, QueryRunner } from "typeorm";

/** The indexes of `events`, created on the partitioned table (so on every partition). */
const EVENT_INDEXES = [
  `CREATE INDEX events_organization_time_idx ON events (organization_id, "timestamp")`,
  `CREATE INDEX events_organization_customer_idx ON events (organization_id, customer_id, "timestamp") WHERE customer_id IS NOT NULL`,
  `CREATE INDEX events_organization_campaign_idx ON events (organization_id, campaign_id, "timestamp") WHERE campaign_id IS NOT NULL`,
  `CREATE INDEX events_organization_type_time_idx ON events (organization_id, type, "timestamp")`,
  `CREATE INDEX events_properties_idx ON events USING gin (properties jsonb_path_ops)`,
];

/**
 * `events` becomes a table partitioned by month of `timestamp` (UTC), one partition per month,
 * `events_pYYYYMM`, created by `ensure_event_partition(month)`: ahead of time by the analytics
 * service, and on demand for the months an ingested batch falls in. Old months are dropped whole
 * for retention (`ANALYTICS_EVENT_RETENTION_MONTHS`).
 *
 * A unique key of a partitioned table must contain the partition column, so `(organization_id, id)`
 * can no longer be enforced by `events` itself: `event_ids` holds it, and ingestion inserts there
 * first and stores only the events whose id was new (exactly once, as before). Every primary and
 * unique key starts with `organization_id`, the distribution column should the tables be
 * distributed by organization (Citus, docs/SCALING.md).
 */
export class PartitionEventsByMonth1763900006000 implements MigrationInterface {
  name = "PartitionEventsByMonth1763900006000";

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE TABLE event_ids (
        organization_id uuid NOT NULL,
        id text NOT NULL,
        "timestamp" timestamptz NOT NULL,
        PRIMARY KEY (organization_id, id)
      )`);
    await queryRunner.query(
      `INSERT INTO event_ids (organization_id, id, "timestamp") SELECT organization_id, id, "timestamp" FROM events`,
    );
    await queryRunner.query(`ALTER TABLE events RENAME TO events_unpartitioned`);
    await queryRunner.query(`
      CREATE TABLE events (
        organization_id uuid NOT NULL,
        id text NOT NULL CHECK (length(id) BETWEEN 1 AND 128),
        type text NOT NULL CHECK (length(type) BETWEEN 1 AND 64),
        customer_id uuid,
        campaign_id uuid,
        "timestamp" timestamptz NOT NULL,
        value double precision,
        properties jsonb,
        received_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (organization_id, id, "timestamp")
      ) PARTITION BY RANGE ("timestamp")`);
    await queryRunner.query(`
      CREATE FUNCTION ensure_event_partition(month_start timestamptz) RETURNS boolean
      LANGUAGE plpgsql AS $$
      DECLARE
        first_day timestamptz := date_trunc('month', month_start, 'UTC');
        partition_name text := 'events_p' || to_char(first_day AT TIME ZONE 'UTC', 'YYYYMM');
      BEGIN
        IF to_regclass(partition_name) IS NOT NULL THEN RETURN false; END IF;
        -- One creator at a time; a caller that waited finds it made (the statement's catalog
        -- snapshot may predate it, hence the exception rather than a second look).
        PERFORM pg_advisory_xact_lock(hashtext('ensure_event_partition'));
        EXECUTE format('CREATE TABLE %I PARTITION OF events FOR VALUES FROM (%L) TO (%L)', partition_name, first_day, first_day + interval '1 month');
        RETURN true;
      EXCEPTION WHEN duplicate_table THEN
        RETURN false;
      END $$`);
    await queryRunner.query(`
      SELECT ensure_event_partition(month)
        FROM (SELECT DISTINCT date_trunc('month', "timestamp", 'UTC') AS month FROM events_unpartitioned
              UNION SELECT date_trunc('month', now(), 'UTC') + make_interval(months => n) FROM generate_series(0, 3) AS n) AS months`);
    await queryRunner.query(
      `INSERT INTO events SELECT organization_id, id, type, customer_id, campaign_id, "timestamp", value, properties, received_at FROM events_unpartitioned`,
    );
    await queryRunner.query(`DROP TABLE events_unpartitioned`);
    for (const statement of EVENT_INDEXES) await queryRunner.query(statement);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE events RENAME TO events_partitioned`);
    await queryRunner.query(
      `CREATE TABLE events (LIKE events_partitioned INCLUDING DEFAULTS INCLUDING CONSTRAINTS)`,
    );
    await queryRunner.query(`INSERT INTO events SELECT * FROM events_partitioned`);
    await queryRunner.query(`DROP TABLE events_partitioned`);
    await queryRunner.query(`DROP FUNCTION ensure_event_partition(timestamptz)`);
    await queryRunner.query(`ALTER TABLE events ADD PRIMARY KEY (organization_id, id)`);
    for (const statement of EVENT_INDEXES) await queryRunner.query(statement);
    await queryRunner.query(`DROP TABLE event_ids`);
  }
}
