import type { MigrationInterface, QueryRunner } from "typeorm";

/**
 * Per-minute and per-hour rollups of events, maintained in the same statement that stores the
 * events (only from rows actually inserted, so a replayed batch never counts twice). Keyed by
 * organization, type, campaign (the nil UUID for none) and bucket start in UTC.
 */
export class CreateEventRollups1763900001000 implements MigrationInterface {
  name = "CreateEventRollups1763900001000";

  async up(queryRunner: QueryRunner): Promise<void> {
    for (const grain of ["minute", "hour"]) {
      await queryRunner.query(`
        CREATE TABLE event_rollups_${grain} (
          organization_id uuid NOT NULL,
          type text NOT NULL,
          campaign_id uuid NOT NULL,
          bucket timestamptz NOT NULL,
          count bigint NOT NULL,
          value_count bigint NOT NULL,
          value_sum double precision NOT NULL,
          value_min double precision,
          value_max double precision,
          PRIMARY KEY (organization_id, type, bucket, campaign_id)
        )`);
      // Events stored before the rollups existed are rolled up once here.
      await queryRunner.query(`
        INSERT INTO event_rollups_${grain} (organization_id, type, campaign_id, bucket, count, value_count, value_sum, value_min, value_max)
        SELECT organization_id, type, coalesce(campaign_id, '00000000-0000-0000-0000-000000000000'::uuid), date_trunc('${grain}', "timestamp", 'UTC'),
               count(*), count(value), coalesce(sum(value), 0), min(value), max(value)
          FROM events
         GROUP BY 1, 2, 3, 4`);
    }
    await queryRunner.query(
      `CREATE INDEX events_organization_type_time_idx ON events (organization_id, type, "timestamp")`,
    );
    await queryRunner.query(
      `CREATE INDEX events_properties_idx ON events USING gin (properties jsonb_path_ops)`,
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP INDEX events_properties_idx`);
    await queryRunner.query(`DROP INDEX events_organization_type_time_idx`);
    await queryRunner.query(`DROP TABLE event_rollups_hour`);
    await queryRunner.query(`DROP TABLE event_rollups_minute`);
  }
}
