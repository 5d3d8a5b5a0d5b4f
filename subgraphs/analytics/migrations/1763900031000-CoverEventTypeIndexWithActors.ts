import type { MigrationInterface, QueryRunner } from "typeorm";

/**
 * `events_organization_type_time_idx` (organization_id, type, timestamp) gives way to
 * `events_organization_type_time_actor_idx`: the same key, also carrying each event's actor
 * (`INCLUDE (customer_id, anonymous_id)`), so that the people queries read a range of event types
 * from the index alone (index-only scans): retention reads nothing else, and funnels nothing else
 * when no condition reads properties or campaigns. Every query that used the old index uses the new
 * one; its entries grow by the customer id (and the anonymous id when there is one). Built on
 * every partition, then the old index is dropped.
 */
export class CoverEventTypeIndexWithActors1763900031000 implements MigrationInterface {
  name = "CoverEventTypeIndexWithActors1763900031000";

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      `CREATE INDEX events_organization_type_time_actor_idx ON events (organization_id, type, "timestamp") INCLUDE (customer_id, anonymous_id)`,
    );
    await queryRunner.query(`DROP INDEX events_organization_type_time_idx`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      `CREATE INDEX events_organization_type_time_idx ON events (organization_id, type, "timestamp")`,
    );
    await queryRunner.query(`DROP INDEX events_organization_type_time_actor_idx`);
  }
}
