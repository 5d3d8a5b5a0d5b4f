import type { MigrationInterface, QueryRunner } from "typeorm";

/**
 * `heartbeat_at` on the two job tables: the process running a job sets it to now() every few
 * seconds while it runs (modules/jobs/background-job.ts), so that another analytics process on the
 * same database tells a job that is still running elsewhere (a recent heartbeat) from one whose
 * process died (a stale heartbeat), and fails only the latter. Rows present when this runs get
 * now(), so a job running during the migration is not taken for a dead one.
 */
export class AddJobHeartbeats1763900040000 implements MigrationInterface {
  name = "AddJobHeartbeats1763900040000";

  async up(queryRunner: QueryRunner): Promise<void> {
    for (const table of ["segmentation_runs", "churn_models"])
      await queryRunner.query(
        `ALTER TABLE ${table} ADD COLUMN heartbeat_at timestamptz NOT NULL DEFAULT now()`,
      );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    for (const table of ["segmentation_runs", "churn_models"])
      await queryRunner.query(`ALTER TABLE ${table} DROP COLUMN heartbeat_at`);
  }
}
