import type { MigrationInterface, QueryRunner } from "typeorm";

/**
 * Adds `organizations.currency`: the ISO 4217 code money is reported in (dashboards, KPIs),
 * "USD" unless an ADMIN sets another with `setOrganizationCurrency`. The table's key is the
 * organization's id itself, so it needs no new key.
 */
export class AddOrganizationCurrency1763900090000 implements MigrationInterface {
  name = "AddOrganizationCurrency1763900090000";

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      `ALTER TABLE organizations ADD COLUMN currency char(3) NOT NULL DEFAULT 'USD' CONSTRAINT organizations_currency_format CHECK (currency ~ '^[A-Z]{3}$')`,
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE organizations DROP COLUMN currency`);
  }
}
