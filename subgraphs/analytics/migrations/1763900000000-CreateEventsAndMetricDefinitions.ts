import type { MigrationInterface, QueryRunner } from "typeorm";

export class CreateEventsAndMetricDefinitions1763900000000 implements MigrationInterface {
  name = "CreateEventsAndMetricDefinitions1763900000000";

  async up(queryRunner: QueryRunner): Promise<void> {
    // An event's id is client-chosen (or generated) and unique per organization: the primary key
    // is what makes a retried batch store each event once.
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
        PRIMARY KEY (organization_id, id)
      )`);
    await queryRunner.query(
      `CREATE INDEX events_organization_time_idx ON events (organization_id, "timestamp")`,
    );
    await queryRunner.query(
      `CREATE INDEX events_organization_customer_idx ON events (organization_id, customer_id, "timestamp") WHERE customer_id IS NOT NULL`,
    );
    await queryRunner.query(
      `CREATE INDEX events_organization_campaign_idx ON events (organization_id, campaign_id, "timestamp") WHERE campaign_id IS NOT NULL`,
    );
    await queryRunner.query(
      `CREATE TYPE metric_aggregation AS ENUM ('COUNT', 'SUM', 'AVG', 'MIN', 'MAX', 'DISTINCT_CUSTOMERS', 'P50', 'P90', 'P95', 'P99')`,
    );
    await queryRunner.query(`
      CREATE TABLE metric_definitions (
        organization_id uuid NOT NULL,
        name text NOT NULL CHECK (name ~ '^[a-z][a-z0-9_]{0,62}$'),
        description text NOT NULL DEFAULT '',
        aggregation metric_aggregation NOT NULL,
        event_type text NOT NULL,
        property text,
        created_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (organization_id, name)
      )`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE metric_definitions`);
    await queryRunner.query(`DROP TYPE metric_aggregation`);
    await queryRunner.query(`DROP TABLE events`);
  }
}
