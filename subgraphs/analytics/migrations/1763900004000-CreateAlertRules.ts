import type { MigrationInterface, QueryRunner } from "typeorm";

/**
 * Alert rules (a metric over a trailing window compared with a threshold) and the alerts they
 * fired. `state` is what makes a rule fire once per crossing: it moves OK -> FIRING with a
 * conditional update, so of several replicas evaluating the same rule only one records the alert.
 */
export class CreateAlertRules1763900004000 implements MigrationInterface {
  name = "CreateAlertRules1763900004000";

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`CREATE TYPE alert_condition AS ENUM ('ABOVE', 'BELOW')`);
    await queryRunner.query(`
      CREATE TABLE alert_rules (
        organization_id uuid NOT NULL,
        id uuid NOT NULL,
        name text NOT NULL CHECK (length(name) BETWEEN 1 AND 100),
        metric text NOT NULL,
        condition alert_condition NOT NULL,
        threshold double precision NOT NULL,
        window_minutes integer NOT NULL CHECK (window_minutes BETWEEN 1 AND 1440),
        filter jsonb,
        state text NOT NULL DEFAULT 'OK' CHECK (state IN ('OK', 'FIRING')),
        last_value double precision,
        last_evaluated_at timestamptz,
        created_by uuid NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (organization_id, id)
      )`);
    await queryRunner.query(`
      CREATE TABLE alerts (
        organization_id uuid NOT NULL,
        id uuid NOT NULL,
        rule_id uuid NOT NULL,
        value double precision NOT NULL,
        threshold double precision NOT NULL,
        condition alert_condition NOT NULL,
        triggered_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (organization_id, id),
        FOREIGN KEY (organization_id, rule_id) REFERENCES alert_rules (organization_id, id) ON DELETE CASCADE
      )`);
    await queryRunner.query(
      `CREATE INDEX alerts_organization_time_idx ON alerts (organization_id, triggered_at DESC)`,
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE alerts`);
    await queryRunner.query(`DROP TABLE alert_rules`);
    await queryRunner.query(`DROP TYPE alert_condition`);
  }
}
