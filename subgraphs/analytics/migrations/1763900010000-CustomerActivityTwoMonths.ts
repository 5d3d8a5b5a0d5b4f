import type { MigrationInterface, QueryRunner } from "typeorm";

/**
 * `customer_activity.days` becomes a bigint that also carries the month before: bit 32 + d - 1
 * set when the customer was active on day d of the previous month. A row then answers any range
 * within two consecutive months, so a 30-day distinct count reads one row per customer instead of
 * joining two months' rows. The rows of the month after each stored month are made here from the
 * existing ones (every row has only its own month's bits at this point).
 */
export class CustomerActivityTwoMonths1763900010000 implements MigrationInterface {
  name = "CustomerActivityTwoMonths1763900010000";

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE customer_activity ALTER COLUMN days TYPE bigint`);
    await queryRunner.query(`
      INSERT INTO customer_activity AS a (organization_id, type, month, customer_id, days)
      SELECT organization_id, type, (month + interval '1 month')::date, customer_id, days << 32
        FROM customer_activity
       ORDER BY 1, 2, 3, 4
      ON CONFLICT (organization_id, type, month, customer_id) DO UPDATE SET days = a.days | EXCLUDED.days`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DELETE FROM customer_activity WHERE days & 2147483647 = 0`);
    await queryRunner.query(
      `UPDATE customer_activity SET days = days & 2147483647 WHERE days > 2147483647`,
    );
    await queryRunner.query(`ALTER TABLE customer_activity ALTER COLUMN days TYPE integer`);
  }
}
