import type { MigrationInterface, QueryRunner } from "typeorm";

/**
 * Keys customers and campaigns by `(organization_id, id)` instead of `id`, so that every primary
 * and unique key of the customers database contains `organization_id` and its tables can be
 * distributed by organization (docs/SCALING.md). Every query already names the organization.
 */
export class KeyCustomersByOrganization1763900050000 implements MigrationInterface {
  name = "KeyCustomersByOrganization1763900050000";

  async up(queryRunner: QueryRunner): Promise<void> {
    for (const table of ["customers", "campaigns"]) {
      await queryRunner.query(
        `ALTER TABLE ${table} DROP CONSTRAINT ${table}_pkey, ADD CONSTRAINT ${table}_pkey PRIMARY KEY (organization_id, id)`,
      );
    }
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    for (const table of ["customers", "campaigns"]) {
      await queryRunner.query(
        `ALTER TABLE ${table} DROP CONSTRAINT ${table}_pkey, ADD CONSTRAINT ${table}_pkey PRIMARY KEY (id)`,
      );
    }
  }
}
