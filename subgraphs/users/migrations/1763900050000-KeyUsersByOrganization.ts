import type { MigrationInterface, QueryRunner } from "typeorm";

/**
 * Keys users, refresh tokens and API keys by `(organization_id, id)` instead of `id`, and makes the
 * references to a user pair the organization too (an API key whose creator is deleted keeps its
 * organization: `SET NULL (created_by_user_id)`). What stays global is what sign-in needs: a user's
 * email, a refresh token's hash and an API key secret's hash are each unique across organizations,
 * since they are presented before any organization is known (docs/SCALING.md).
 */
export class KeyUsersByOrganization1763900050000 implements MigrationInterface {
  name = "KeyUsersByOrganization1763900050000";

  async up(queryRunner: QueryRunner): Promise<void> {
    const q = (sql: string) => queryRunner.query(sql);
    await q(`ALTER TABLE refresh_tokens DROP CONSTRAINT refresh_tokens_user_id_fkey`);
    await q(`ALTER TABLE api_keys DROP CONSTRAINT api_keys_created_by_user_id_fkey`);
    for (const table of ["users", "refresh_tokens", "api_keys"]) {
      await q(
        `ALTER TABLE ${table} DROP CONSTRAINT ${table}_pkey, ADD CONSTRAINT ${table}_pkey PRIMARY KEY (organization_id, id)`,
      );
    }
    await q(
      `ALTER TABLE refresh_tokens ADD CONSTRAINT refresh_tokens_user_fkey FOREIGN KEY (organization_id, user_id) REFERENCES users (organization_id, id) ON DELETE CASCADE`,
    );
    await q(
      `ALTER TABLE api_keys ADD CONSTRAINT api_keys_created_by_user_fkey FOREIGN KEY (organization_id, created_by_user_id) REFERENCES users (organization_id, id) ON DELETE SET NULL (created_by_user_id)`,
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    const q = (sql: string) => queryRunner.query(sql);
    await q(`ALTER TABLE api_keys DROP CONSTRAINT api_keys_created_by_user_fkey`);
    await q(`ALTER TABLE refresh_tokens DROP CONSTRAINT refresh_tokens_user_fkey`);
    for (const table of ["users", "refresh_tokens", "api_keys"]) {
      await q(
        `ALTER TABLE ${table} DROP CONSTRAINT ${table}_pkey, ADD CONSTRAINT ${table}_pkey PRIMARY KEY (id)`,
      );
    }
    await q(
      `ALTER TABLE api_keys ADD CONSTRAINT api_keys_created_by_user_id_fkey FOREIGN KEY (created_by_user_id) REFERENCES users (id) ON DELETE SET NULL`,
    );
    await q(
      `ALTER TABLE refresh_tokens ADD CONSTRAINT refresh_tokens_user_id_fkey FOREIGN KEY (user_id) REFERENCES users (id) ON DELETE CASCADE`,
    );
  }
}
