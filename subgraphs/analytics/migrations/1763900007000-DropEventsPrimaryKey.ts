import type { MigrationInterface, QueryRunner } from "typeorm";

/**
 * `events` without a primary key: since events are partitioned, `event_ids (organization_id, id)`
 * is what stores an id once, and nothing looks an event up by its id. The key `(organization_id,
 * id, timestamp)` was a second index of the same size on every stored event, maintained on the
 * ingest path for nothing. Events are only appended
 * and dropped by whole months, so they need no replica identity either.
 */
export class DropEventsPrimaryKey1763900007000 implements MigrationInterface {
  name = "DropEventsPrimaryKey1763900007000";

  async up(queryRunner: QueryRunner): Promise<void> {
    // Its name depends on history (the unpartitioned table's key kept "events_pkey" while it
    // lived).
    const [key] = await queryRunner.query(
      `SELECT conname FROM pg_constraint WHERE conrelid = 'events'::regclass AND contype = 'p'`,
    );
    if (key) await queryRunner.query(`ALTER TABLE events DROP CONSTRAINT "${key.conname}"`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      `ALTER TABLE events ADD PRIMARY KEY (organization_id, id, "timestamp")`,
    );
  }
}
