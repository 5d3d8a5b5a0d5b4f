import type { MigrationInterface, QueryRunner } from "typeorm";

/**
 * Alerts that reach people: notification channels (webhook, Slack, e-mail), the rules' channels,
 * escalation, silences and anomaly settings, the alerts' life (FIRING, ACKNOWLEDGED, RESOLVED),
 * and the delivery outbox with every attempt. `alert_notifications` is the durable queue: a row per
 * message to one channel, claimed by any replica with `FOR UPDATE SKIP LOCKED` and held locked while
 * it is sent, so each attempt happens once; `alert_deliveries` keeps every attempt. A message is
 * CANCELLED when its alert is resolved or its channel deleted before it was delivered.
 */
export class CreateNotificationChannels1763900060000 implements MigrationInterface {
  name = "CreateNotificationChannels1763900060000";

  async up(queryRunner: QueryRunner): Promise<void> {
    // The condition becomes text, so that ANOMALY can be added (and removed again by down()).
    for (const table of ["alert_rules", "alerts"]) {
      await queryRunner.query(
        `ALTER TABLE ${table} ALTER COLUMN condition TYPE text USING condition::text`,
      );
      await queryRunner.query(
        `ALTER TABLE ${table} ADD CONSTRAINT ${table}_condition_check CHECK (condition IN ('ABOVE', 'BELOW', 'ANOMALY'))`,
      );
    }
    await queryRunner.query(`DROP TYPE alert_condition`);
    await queryRunner.query(`
      CREATE TABLE notification_channels (
        organization_id uuid NOT NULL,
        id uuid NOT NULL,
        kind text NOT NULL CHECK (kind IN ('WEBHOOK', 'SLACK', 'EMAIL')),
        name text NOT NULL CHECK (length(name) BETWEEN 1 AND 100),
        url text,
        email text,
        secret_ciphertext text,
        created_by uuid NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        deleted_at timestamptz,
        PRIMARY KEY (organization_id, id)
      )`);
    await queryRunner.query(`
      ALTER TABLE alert_rules
        ADD COLUMN channel_ids uuid[] NOT NULL DEFAULT '{}',
        ADD COLUMN escalate_after_minutes integer CHECK (escalate_after_minutes BETWEEN 1 AND 10080),
        ADD COLUMN interval text CHECK (interval IN ('MINUTE', 'HOUR', 'DAY', 'WEEK', 'MONTH')),
        ADD COLUMN sensitivity double precision CHECK (sensitivity BETWEEN 0 AND 1),
        ADD COLUMN silenced_until timestamptz,
        ADD COLUMN last_notified_at timestamptz`);
    await queryRunner.query(`
      ALTER TABLE alerts
        ADD COLUMN status text NOT NULL DEFAULT 'FIRING' CHECK (status IN ('FIRING', 'ACKNOWLEDGED', 'RESOLVED')),
        ADD COLUMN acknowledged_by uuid,
        ADD COLUMN acknowledged_at timestamptz,
        ADD COLUMN resolved_at timestamptz,
        ADD COLUMN escalated_at timestamptz,
        ADD COLUMN bucket timestamptz`);
    await queryRunner.query(
      `CREATE INDEX alerts_escalation_idx ON alerts (triggered_at) WHERE status = 'FIRING' AND escalated_at IS NULL`,
    );
    await queryRunner.query(`
      CREATE TABLE alert_notifications (
        organization_id uuid NOT NULL,
        id uuid NOT NULL,
        alert_id uuid NOT NULL,
        channel_id uuid NOT NULL,
        reason text NOT NULL CHECK (reason IN ('FIRING', 'ESCALATION')),
        payload jsonb NOT NULL,
        attempts integer NOT NULL DEFAULT 0,
        state text NOT NULL DEFAULT 'PENDING' CHECK (state IN ('PENDING', 'DELIVERED', 'FAILED', 'CANCELLED')),
        next_attempt_at timestamptz NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (organization_id, id),
        FOREIGN KEY (organization_id, alert_id) REFERENCES alerts (organization_id, id) ON DELETE CASCADE,
        FOREIGN KEY (organization_id, channel_id) REFERENCES notification_channels (organization_id, id) ON DELETE CASCADE
      )`);
    await queryRunner.query(
      `CREATE INDEX alert_notifications_due_idx ON alert_notifications (next_attempt_at) WHERE state = 'PENDING'`,
    );
    await queryRunner.query(`
      CREATE TABLE alert_deliveries (
        organization_id uuid NOT NULL,
        notification_id uuid NOT NULL,
        attempt integer NOT NULL,
        alert_id uuid NOT NULL,
        channel_id uuid NOT NULL,
        at timestamptz NOT NULL,
        ok boolean NOT NULL,
        http_status integer,
        error text,
        PRIMARY KEY (organization_id, notification_id, attempt),
        FOREIGN KEY (organization_id, notification_id) REFERENCES alert_notifications (organization_id, id) ON DELETE CASCADE
      )`);
    await queryRunner.query(
      `CREATE INDEX alert_deliveries_alert_idx ON alert_deliveries (organization_id, alert_id, at)`,
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE alert_deliveries`);
    await queryRunner.query(`DROP TABLE alert_notifications`);
    await queryRunner.query(`DROP INDEX alerts_escalation_idx`);
    await queryRunner.query(`
      ALTER TABLE alerts DROP COLUMN status, DROP COLUMN acknowledged_by, DROP COLUMN acknowledged_at,
        DROP COLUMN resolved_at, DROP COLUMN escalated_at, DROP COLUMN bucket`);
    await queryRunner.query(`
      ALTER TABLE alert_rules DROP COLUMN channel_ids, DROP COLUMN escalate_after_minutes,
        DROP COLUMN interval, DROP COLUMN sensitivity, DROP COLUMN silenced_until, DROP COLUMN last_notified_at`);
    await queryRunner.query(`DROP TABLE notification_channels`);
    await queryRunner.query(`DELETE FROM alert_rules WHERE condition = 'ANOMALY'`);
    await queryRunner.query(`CREATE TYPE alert_condition AS ENUM ('ABOVE', 'BELOW')`);
    for (const table of ["alerts", "alert_rules"]) {
      await queryRunner.query(`ALTER TABLE ${table} DROP CONSTRAINT ${table}_condition_check`);
      await queryRunner.query(
        `ALTER TABLE ${table} ALTER COLUMN condition TYPE alert_condition USING condition::alert_condition`,
      );
    }
  }
}
