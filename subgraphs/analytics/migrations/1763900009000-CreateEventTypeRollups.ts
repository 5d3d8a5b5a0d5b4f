import type { MigrationInterface, QueryRunner } from "typeorm";

/**
 * Per-hour rollups by organization, type and bucket only: `event_rollups_hour` also splits every
 * type by campaign, so a series of every event type over a week read ~7x more rows than buckets
 * and types (20 campaigns' clicks and impressions). Queries without a campaign filter or grouping
 * read this table; maintained by the ingest statement like the others, and filled here from the
 * per-campaign hours (the same sums, least minimum and greatest maximum).
 */
export class CreateEventTypeRollups1763900009000 implements MigrationInterface {
  name = "CreateEventTypeRollups1763900009000";

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE TABLE event_type_rollups_hour (
        organization_id uuid NOT NULL,
        type text NOT NULL,
        bucket timestamptz NOT NULL,
        count bigint NOT NULL,
        value_count bigint NOT NULL,
        value_sum double precision NOT NULL,
        value_min double precision,
        value_max double precision,
        PRIMARY KEY (organization_id, type, bucket)
      )`);
    await queryRunner.query(`
      INSERT INTO event_type_rollups_hour (organization_id, type, bucket, count, value_count, value_sum, value_min, value_max)
      SELECT organization_id, type, bucket, sum(count), sum(value_count), sum(value_sum), min(value_min), max(value_max)
        FROM event_rollups_hour
       GROUP BY 1, 2, 3
       ORDER BY 1, 2, 3`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE event_type_rollups_hour`);
  }
}
