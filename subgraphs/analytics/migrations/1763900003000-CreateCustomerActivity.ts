import type { MigrationInterface, QueryRunner } from "typeorm";

/**
 * On which UTC days customers were active: one row per organization, event type, UTC month and
 * customer, with a 31-bit mask of the month's days (bit day - 1) on which the customer had an
 * event of that type. Type '' (never an event type: those are 1 to 64 characters) is every type
 * together. Exact distinct-customer counts over a range read one small row per customer and
 * month instead of every event (the partial days at the range's ends are checked on the events).
 * Maintained by the ingest statement from the rows it inserted (OR-ing bits is idempotent
 * anyway); events stored before this table existed are backfilled here, in key order.
 */
export class CreateCustomerActivity1763900003000 implements MigrationInterface {
  name = "CreateCustomerActivity1763900003000";

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE TABLE customer_activity (
        organization_id uuid NOT NULL,
        type text NOT NULL,
        month date NOT NULL,
        customer_id uuid NOT NULL,
        days integer NOT NULL,
        PRIMARY KEY (organization_id, type, month, customer_id)
      ) WITH (fillfactor = 90)`);
    await queryRunner.query(`
      INSERT INTO customer_activity (organization_id, type, month, customer_id, days)
      SELECT e.organization_id, k.type, date_trunc('month', e."timestamp" AT TIME ZONE 'UTC')::date, e.customer_id,
             bit_or(1 << (extract(day FROM e."timestamp" AT TIME ZONE 'UTC')::int - 1))
        FROM events e CROSS JOIN LATERAL (VALUES (e.type), ('')) AS k(type)
       WHERE e.customer_id IS NOT NULL
       GROUP BY 1, 2, 3, 4
       ORDER BY 1, 2, 3, 4`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE customer_activity`);
  }
}
