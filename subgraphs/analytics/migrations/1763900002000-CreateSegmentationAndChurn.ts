import type { MigrationInterface, QueryRunner } from "typeorm";

export class CreateSegmentationAndChurn1763900002000 implements MigrationInterface {
  name = "CreateSegmentationAndChurn1763900002000";

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`CREATE TYPE job_status AS ENUM ('RUNNING', 'COMPLETED', 'FAILED')`);
    await queryRunner.query(`
      CREATE TABLE segmentation_runs (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        organization_id uuid NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        status job_status NOT NULL DEFAULT 'RUNNING',
        progress double precision NOT NULL DEFAULT 0,
        error text,
        as_of timestamptz NOT NULL,
        seed integer NOT NULL,
        k integer,
        features text[] NOT NULL,
        transforms jsonb,
        silhouette double precision,
        inertia double precision,
        customer_count integer
      )`);
    await queryRunner.query(
      `CREATE INDEX segmentation_runs_latest_idx ON segmentation_runs (organization_id, created_at DESC) WHERE status = 'COMPLETED'`,
    );
    await queryRunner.query(`
      CREATE TABLE segments (
        run_id uuid NOT NULL REFERENCES segmentation_runs (id) ON DELETE CASCADE,
        index integer NOT NULL,
        organization_id uuid NOT NULL,
        label text NOT NULL,
        size integer NOT NULL,
        share double precision NOT NULL,
        revenue_share double precision NOT NULL,
        centroid jsonb NOT NULL,
        PRIMARY KEY (run_id, index)
      )`);
    await queryRunner.query(`
      CREATE TABLE segment_members (
        run_id uuid NOT NULL REFERENCES segmentation_runs (id) ON DELETE CASCADE,
        customer_id uuid NOT NULL,
        segment_index integer NOT NULL,
        PRIMARY KEY (run_id, customer_id)
      )`);
    await queryRunner.query(
      `CREATE INDEX segment_members_segment_idx ON segment_members (run_id, segment_index, customer_id)`,
    );
    await queryRunner.query(`
      CREATE TABLE churn_models (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        organization_id uuid NOT NULL,
        trained_at timestamptz NOT NULL DEFAULT now(),
        status job_status NOT NULL DEFAULT 'RUNNING',
        progress double precision NOT NULL DEFAULT 0,
        error text,
        cutoff timestamptz NOT NULL,
        horizon_days integer NOT NULL,
        label_source text,
        seed integer NOT NULL,
        training_size integer,
        positive_rate double precision,
        auc double precision,
        accuracy double precision,
        precision double precision,
        recall double precision,
        threshold double precision,
        model jsonb
      )`);
    await queryRunner.query(
      `CREATE INDEX churn_models_latest_idx ON churn_models (organization_id, trained_at DESC) WHERE status = 'COMPLETED'`,
    );
    await queryRunner.query(`
      CREATE TABLE churn_predictions (
        model_id uuid NOT NULL REFERENCES churn_models (id) ON DELETE CASCADE,
        customer_id uuid NOT NULL,
        probability double precision NOT NULL,
        band text NOT NULL,
        factors jsonb NOT NULL,
        PRIMARY KEY (model_id, customer_id)
      )`);
    await queryRunner.query(
      `CREATE INDEX churn_predictions_rank_idx ON churn_predictions (model_id, probability DESC, customer_id)`,
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE churn_predictions`);
    await queryRunner.query(`DROP TABLE churn_models`);
    await queryRunner.query(`DROP TABLE segment_members`);
    await queryRunner.query(`DROP TABLE segments`);
    await queryRunner.query(`DROP TABLE segmentation_runs`);
    await queryRunner.query(`DROP TYPE job_status`);
  }
}
