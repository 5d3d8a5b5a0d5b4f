import type { MigrationInterface, QueryRunner } from "typeorm";

export class AddCustomersWriteScope1763900002000 implements MigrationInterface {
  name = "AddCustomersWriteScope1763900002000";

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TYPE api_key_scope ADD VALUE IF NOT EXISTS 'CUSTOMERS_WRITE'`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    // PostgreSQL cannot drop an enum value: rebuild the type without it.
    await queryRunner.query(`DELETE FROM api_keys WHERE 'CUSTOMERS_WRITE' = ANY (scopes::text[])`);
    await queryRunner.query(`ALTER TYPE api_key_scope RENAME TO api_key_scope_old`);
    await queryRunner.query(`CREATE TYPE api_key_scope AS ENUM ('EVENTS_WRITE', 'READ')`);
    await queryRunner.query(
      `ALTER TABLE api_keys ALTER COLUMN scopes TYPE api_key_scope[] USING scopes::text[]::api_key_scope[]`,
    );
    await queryRunner.query(`DROP TYPE api_key_scope_old`);
  }
}
