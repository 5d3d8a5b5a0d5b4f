import type { MigrationInterface, QueryRunner } from "typeorm";

/**
 * Indexes for the customer list: each ordering, text search on name and email, attribute equality.
 */
export class AddCustomerSearchIndexes1763900001000 implements MigrationInterface {
  name = "AddCustomerSearchIndexes1763900001000";

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`CREATE EXTENSION IF NOT EXISTS pg_trgm`);
    await queryRunner.query(
      `CREATE INDEX customers_organization_name_idx ON customers (organization_id, name, id)`,
    );
    await queryRunner.query(
      `CREATE INDEX customers_organization_registered_idx ON customers (organization_id, registered_at, id)`,
    );
    await queryRunner.query(
      `CREATE INDEX customers_search_idx ON customers USING gin ((name || ' ' || coalesce(email, '')) gin_trgm_ops)`,
    );
    await queryRunner.query(
      `CREATE INDEX customers_attributes_idx ON customers USING gin (attributes jsonb_path_ops)`,
    );
    await queryRunner.query(
      `CREATE INDEX campaigns_organization_start_idx ON campaigns (organization_id, start_date, id)`,
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP INDEX campaigns_organization_start_idx`);
    await queryRunner.query(`DROP INDEX customers_attributes_idx`);
    await queryRunner.query(`DROP INDEX customers_search_idx`);
    await queryRunner.query(`DROP INDEX customers_organization_registered_idx`);
    await queryRunner.query(`DROP INDEX customers_organization_name_idx`);
  }
}
