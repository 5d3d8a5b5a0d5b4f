import type { MigrationInterface, QueryRunner } from "typeorm";

export class CreateRefreshTokensAndApiKeys1763900001000 implements MigrationInterface {
  name = "CreateRefreshTokensAndApiKeys1763900001000";

  async up(queryRunner: QueryRunner): Promise<void> {
    // One row per refresh token ever issued; a sign-in starts a family, each rotation adds a row to
    // it. Only the SHA-256 of a token is stored.
    await queryRunner.query(`
      CREATE TABLE refresh_tokens (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        organization_id uuid NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
        user_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
        family_id uuid NOT NULL,
        token_hash bytea NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        expires_at timestamptz NOT NULL,
        used_at timestamptz,
        revoked_at timestamptz
      )`);
    await queryRunner.query(
      `CREATE UNIQUE INDEX refresh_tokens_token_hash_key ON refresh_tokens (token_hash)`,
    );
    await queryRunner.query(`CREATE INDEX refresh_tokens_family_idx ON refresh_tokens (family_id)`);
    await queryRunner.query(`CREATE TYPE api_key_scope AS ENUM ('EVENTS_WRITE', 'READ')`);
    await queryRunner.query(`
      CREATE TABLE api_keys (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        organization_id uuid NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
        name text NOT NULL CHECK (length(name) BETWEEN 1 AND 100),
        prefix text NOT NULL,
        secret_hash bytea NOT NULL,
        scopes api_key_scope[] NOT NULL CHECK (cardinality(scopes) > 0),
        created_by_user_id uuid REFERENCES users (id) ON DELETE SET NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        last_used_at timestamptz,
        revoked_at timestamptz
      )`);
    await queryRunner.query(
      `CREATE UNIQUE INDEX api_keys_secret_hash_key ON api_keys (secret_hash)`,
    );
    await queryRunner.query(
      `CREATE INDEX api_keys_organization_idx ON api_keys (organization_id, created_at, id)`,
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE api_keys`);
    await queryRunner.query(`DROP TYPE api_key_scope`);
    await queryRunner.query(`DROP TABLE refresh_tokens`);
  }
}
