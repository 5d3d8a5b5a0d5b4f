import type { MigrationInterface, QueryRunner } from "typeorm";

/**
 * Anonymous visitors and their identification (docs/analytics.md, "People"):
 *
 * - `events.anonymous_id`: the visitor id an application sent with an event (1 to 128 characters,
 *   checked by the service), kept whatever happens to the event's customer.
 * - `identities`: one row per organization and anonymous id that `identify` linked to a customer.
 *   An anonymous id is linked to at most one customer (the primary key), a customer may have many.
 *
 * The actor of an event is written on the event: `identify` sets `customer_id` on the anonymous
 * id's events stored before, and ingestion sets it on the events that arrive after (from this
 * table). `events_organization_anonymous_idx` finds a visitor's events for the first; it holds only
 * the events that carry an anonymous id.
 */
export class CreateIdentities1763900030000 implements MigrationInterface {
  name = "CreateIdentities1763900030000";

  async up(queryRunner: QueryRunner): Promise<void> {
    // No default and no constraint: adding the column rewrites and scans nothing.
    await queryRunner.query(`ALTER TABLE events ADD COLUMN anonymous_id text`);
    await queryRunner.query(
      `CREATE INDEX events_organization_anonymous_idx ON events (organization_id, anonymous_id) WHERE anonymous_id IS NOT NULL`,
    );
    await queryRunner.query(`
      CREATE TABLE identities (
        organization_id uuid NOT NULL,
        anonymous_id text NOT NULL CHECK (length(anonymous_id) BETWEEN 1 AND 128),
        customer_id uuid NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (organization_id, anonymous_id)
      )`);
    await queryRunner.query(
      `CREATE INDEX identities_customer_idx ON identities (organization_id, customer_id)`,
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE identities`);
    await queryRunner.query(`DROP INDEX events_organization_anonymous_idx`);
    await queryRunner.query(`ALTER TABLE events DROP COLUMN anonymous_id`);
  }
}
