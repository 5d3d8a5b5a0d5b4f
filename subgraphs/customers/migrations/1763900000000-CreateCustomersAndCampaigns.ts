import type { MigrationInterface, QueryRunner } from "typeorm";

export class CreateCustomersAndCampaigns1763900000000 implements MigrationInterface {
  name = "CreateCustomersAndCampaigns1763900000000";

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`CREATE TYPE customer_status AS ENUM ('ACTIVE', 'CHURNED')`);
    await queryRunner.query(`
      CREATE TABLE customers (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        organization_id uuid NOT NULL,
        external_id text,
        name text NOT NULL,
        email text,
        age integer CHECK (age BETWEEN 0 AND 150),
        gender text,
        location text,
        income_range text,
        preferred_category text,
        status customer_status NOT NULL DEFAULT 'ACTIVE',
        churned_at timestamptz,
        registered_at timestamptz NOT NULL DEFAULT now(),
        attributes jsonb NOT NULL DEFAULT '{}'::jsonb,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now()
      )`);
    await queryRunner.query(
      `CREATE UNIQUE INDEX customers_external_id_key ON customers (organization_id, external_id) WHERE external_id IS NOT NULL`,
    );
    await queryRunner.query(
      `CREATE INDEX customers_organization_created_idx ON customers (organization_id, created_at, id)`,
    );
    await queryRunner.query(
      `CREATE TYPE campaign_channel AS ENUM ('EMAIL', 'SMS', 'PUSH', 'SOCIAL', 'SEARCH', 'DISPLAY')`,
    );
    await queryRunner.query(
      `CREATE TYPE campaign_status AS ENUM ('DRAFT', 'ACTIVE', 'PAUSED', 'COMPLETED')`,
    );
    await queryRunner.query(`
      CREATE TABLE campaigns (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        organization_id uuid NOT NULL,
        name text NOT NULL,
        channel campaign_channel NOT NULL,
        status campaign_status NOT NULL DEFAULT 'DRAFT',
        target_segment text,
        budget numeric(14, 2) NOT NULL CHECK (budget >= 0),
        start_date timestamptz NOT NULL,
        end_date timestamptz CHECK (end_date IS NULL OR end_date >= start_date),
        created_by_user_id uuid NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now()
      )`);
    await queryRunner.query(
      `CREATE INDEX campaigns_organization_created_idx ON campaigns (organization_id, created_at, id)`,
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE campaigns`);
    await queryRunner.query(`DROP TYPE campaign_status`);
    await queryRunner.query(`DROP TYPE campaign_channel`);
    await queryRunner.query(`DROP TABLE customers`);
    await queryRunner.query(`DROP TYPE customer_status`);
  }
}
