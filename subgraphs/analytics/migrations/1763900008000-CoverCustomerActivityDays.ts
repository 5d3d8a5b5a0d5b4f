import type { MigrationInterface, QueryRunner } from "typeorm";

/**
 * `customer_activity`'s primary key also carries `days` (`INCLUDE`), so that distinct-customer
 * counts read the index alone (index-only scans, one per month and set of types) instead of
 * visiting a heap page per row.
 */
export class CoverCustomerActivityDays1763900008000 implements MigrationInterface {
  name = "CoverCustomerActivityDays1763900008000";

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      `ALTER TABLE customer_activity DROP CONSTRAINT customer_activity_pkey, ADD CONSTRAINT customer_activity_pkey PRIMARY KEY (organization_id, type, month, customer_id) INCLUDE (days)`,
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      `ALTER TABLE customer_activity DROP CONSTRAINT customer_activity_pkey, ADD CONSTRAINT customer_activity_pkey PRIMARY KEY (organization_id, type, month, customer_id)`,
    );
  }
}
