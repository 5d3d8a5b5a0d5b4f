import type { MigrationInterface, QueryRunner } from "typeorm";

/**
 * Each customer's totals over all their events: how many, how many purchases and the exact sum of
 * their values (a purchase without a value adds nothing), the first and last event's time.
 * `Customer.stats` reads one row per customer instead of probing every monthly partition of
 * `events`. Ingestion and identify add the events they store or link; the events stored before are
 * totalled here, in key order. Few columns and a fillfactor of 80, so that most updates are HOT.
 */
export class CreateCustomerTotals1763900100000 implements MigrationInterface {
  name = "CreateCustomerTotals1763900100000";

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE TABLE customer_totals (
        organization_id uuid NOT NULL,
        customer_id uuid NOT NULL,
        events bigint NOT NULL,
        orders bigint NOT NULL,
        order_value numeric NOT NULL,
        first_at timestamptz NOT NULL,
        last_at timestamptz NOT NULL,
        PRIMARY KEY (organization_id, customer_id)
      ) WITH (fillfactor = 80)`);
    await queryRunner.query(`
      INSERT INTO customer_totals (organization_id, customer_id, events, orders, order_value, first_at, last_at)
      SELECT organization_id, customer_id, count(*), count(*) FILTER (WHERE type = 'purchase'),
             coalesce(sum(value::numeric) FILTER (WHERE type = 'purchase'), 0), min("timestamp"), max("timestamp")
        FROM events
       WHERE customer_id IS NOT NULL
       GROUP BY 1, 2
       ORDER BY 1, 2`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE customer_totals`);
  }
}
