import type { MigrationInterface, QueryRunner } from "typeorm";

/**
 * Behavioural cohorts (docs/analytics.md, "Cohorts"): one row per organization and cohort, its
 * rules as validated JSON (an array of `{ kind: "event" | "segment" | "churn", ... }`, see
 * modules/cohort/cohort-rules.ts). Membership is never stored: it is computed from events,
 * segments and churn predictions when read.
 */
export class CreateCohorts1763900070000 implements MigrationInterface {
  name = "CreateCohorts1763900070000";

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE TABLE cohorts (
        organization_id uuid NOT NULL,
        id uuid NOT NULL,
        name text NOT NULL CHECK (length(name) BETWEEN 1 AND 100),
        match text NOT NULL CHECK (match IN ('ALL', 'ANY')),
        rules jsonb NOT NULL CHECK (jsonb_typeof(rules) = 'array' AND jsonb_array_length(rules) BETWEEN 1 AND 20),
        created_by uuid NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (organization_id, id)
      )`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE cohorts`);
  }
}
