import type { MigrationInterface, QueryRunner } from "typeorm";

/**
 * Puts `organization_id` first in every key of the segmentation and churn tables, as in the event
 * tables, so that they can be distributed by organization with them (docs/SCALING.md): the runs
 * and models are keyed `(organization_id, id)`, their rows `(organization_id, run_id | model_id,
 * ...)`, and `segment_members` and `churn_predictions` get the `organization_id` of their run or
 * model. The foreign keys (and the statement-level triggers that stand for one on
 * `churn_predictions`, migration 1763900005000) pair the organization too.
 */
export class KeyModelsByOrganization1763900050000 implements MigrationInterface {
  name = "KeyModelsByOrganization1763900050000";

  async up(queryRunner: QueryRunner): Promise<void> {
    const q = (sql: string) => queryRunner.query(sql);
    await q(`ALTER TABLE segments DROP CONSTRAINT segments_run_id_fkey`);
    await q(`ALTER TABLE segment_members DROP CONSTRAINT segment_members_run_id_fkey`);
    await q(
      `ALTER TABLE segmentation_runs DROP CONSTRAINT segmentation_runs_pkey, ADD CONSTRAINT segmentation_runs_pkey PRIMARY KEY (organization_id, id)`,
    );
    await q(
      `ALTER TABLE segments DROP CONSTRAINT segments_pkey, ADD CONSTRAINT segments_pkey PRIMARY KEY (organization_id, run_id, index)`,
    );
    await q(
      `ALTER TABLE segments ADD CONSTRAINT segments_run_fkey FOREIGN KEY (organization_id, run_id) REFERENCES segmentation_runs (organization_id, id) ON DELETE CASCADE`,
    );
    await q(`ALTER TABLE segment_members ADD COLUMN organization_id uuid`);
    await q(
      `UPDATE segment_members m SET organization_id = r.organization_id FROM segmentation_runs r WHERE r.id = m.run_id`,
    );
    await q(`ALTER TABLE segment_members ALTER COLUMN organization_id SET NOT NULL`);
    await q(
      `ALTER TABLE segment_members DROP CONSTRAINT segment_members_pkey, ADD CONSTRAINT segment_members_pkey PRIMARY KEY (organization_id, run_id, customer_id)`,
    );
    await q(`DROP INDEX segment_members_segment_idx`);
    await q(
      `CREATE INDEX segment_members_segment_idx ON segment_members (organization_id, run_id, segment_index, customer_id)`,
    );
    await q(
      `ALTER TABLE segment_members ADD CONSTRAINT segment_members_run_fkey FOREIGN KEY (organization_id, run_id) REFERENCES segmentation_runs (organization_id, id) ON DELETE CASCADE`,
    );

    await q(
      `ALTER TABLE churn_models DROP CONSTRAINT churn_models_pkey, ADD CONSTRAINT churn_models_pkey PRIMARY KEY (organization_id, id)`,
    );
    await q(`ALTER TABLE churn_predictions ADD COLUMN organization_id uuid`);
    await q(
      `UPDATE churn_predictions p SET organization_id = m.organization_id FROM churn_models m WHERE m.id = p.model_id`,
    );
    await q(`ALTER TABLE churn_predictions ALTER COLUMN organization_id SET NOT NULL`);
    await q(
      `ALTER TABLE churn_predictions DROP CONSTRAINT churn_predictions_pkey, ADD CONSTRAINT churn_predictions_pkey PRIMARY KEY (organization_id, model_id, customer_id)`,
    );
    await q(`DROP INDEX churn_predictions_rank_idx`);
    await q(
      `CREATE INDEX churn_predictions_rank_idx ON churn_predictions (organization_id, model_id, probability DESC, customer_id)`,
    );
    // The triggers of migration 1763900005000, by (organization_id, model_id).
    await q(`
      CREATE OR REPLACE FUNCTION churn_predictions_check_models() RETURNS trigger LANGUAGE plpgsql AS $$
      DECLARE
        named integer;
        found integer;
      BEGIN
        SELECT count(*) INTO named FROM (SELECT 1 FROM new_rows GROUP BY organization_id, model_id) pairs;
        -- Locks the models as a foreign key check does, so that none is deleted before this commits.
        SELECT count(*) INTO found FROM (
          SELECT 1 FROM churn_models m
           WHERE (m.organization_id, m.id) IN (SELECT organization_id, model_id FROM new_rows)
             FOR KEY SHARE OF m) locked;
        IF found < named THEN
          RAISE foreign_key_violation USING
            MESSAGE = 'insert or update on table "churn_predictions" violates its reference to "churn_models"',
            DETAIL = 'An (organization_id, model_id) is not present in table "churn_models".';
        END IF;
        RETURN NULL;
      END $$`);
    await q(`
      CREATE OR REPLACE FUNCTION churn_models_delete_predictions() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        DELETE FROM churn_predictions p USING old_rows o
         WHERE p.organization_id = o.organization_id AND p.model_id = o.id;
        RETURN NULL;
      END $$`);
    await q(`
      CREATE OR REPLACE FUNCTION churn_models_keep_id() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        IF (NEW.organization_id, NEW.id) IS DISTINCT FROM (OLD.organization_id, OLD.id) AND EXISTS (
             SELECT 1 FROM churn_predictions WHERE organization_id = OLD.organization_id AND model_id = OLD.id) THEN
          RAISE foreign_key_violation USING
            MESSAGE = 'update on table "churn_models" would leave rows of "churn_predictions" without their model',
            DETAIL = format('Key (organization_id, id)=(%s, %s) is still referenced from table "churn_predictions".', OLD.organization_id, OLD.id);
        END IF;
        RETURN NEW;
      END $$`);
    await q(`DROP TRIGGER churn_models_keep_id ON churn_models`);
    await q(
      `CREATE TRIGGER churn_models_keep_id BEFORE UPDATE OF organization_id, id ON churn_models FOR EACH ROW EXECUTE FUNCTION churn_models_keep_id()`,
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    const q = (sql: string) => queryRunner.query(sql);
    await q(`DROP TRIGGER churn_models_keep_id ON churn_models`);
    await q(
      `CREATE TRIGGER churn_models_keep_id BEFORE UPDATE OF id ON churn_models FOR EACH ROW EXECUTE FUNCTION churn_models_keep_id()`,
    );
    await q(`
      CREATE OR REPLACE FUNCTION churn_models_keep_id() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        IF NEW.id IS DISTINCT FROM OLD.id AND EXISTS (SELECT 1 FROM churn_predictions WHERE model_id = OLD.id) THEN
          RAISE foreign_key_violation USING
            MESSAGE = 'update on table "churn_models" would leave rows of "churn_predictions" without their model',
            DETAIL = format('Key (id)=(%s) is still referenced from table "churn_predictions".', OLD.id);
        END IF;
        RETURN NEW;
      END $$`);
    await q(`
      CREATE OR REPLACE FUNCTION churn_models_delete_predictions() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        DELETE FROM churn_predictions p USING old_rows o WHERE p.model_id = o.id;
        RETURN NULL;
      END $$`);
    await q(`
      CREATE OR REPLACE FUNCTION churn_predictions_check_models() RETURNS trigger LANGUAGE plpgsql AS $$
      DECLARE
        models uuid[];
        found integer;
      BEGIN
        SELECT array_agg(model_id) INTO models FROM (SELECT model_id FROM new_rows GROUP BY model_id) named;
        -- Locks the models as a foreign key check does, so that none is deleted before this commits.
        SELECT count(*) INTO found FROM (SELECT 1 FROM churn_models WHERE id = ANY (models) FOR KEY SHARE) locked;
        IF found < coalesce(cardinality(models), 0) THEN
          RAISE foreign_key_violation USING
            MESSAGE = 'insert or update on table "churn_predictions" violates its reference to "churn_models"',
            DETAIL = 'A model_id is not present in table "churn_models".';
        END IF;
        RETURN NULL;
      END $$`);
    await q(`DROP INDEX churn_predictions_rank_idx`);
    await q(
      `CREATE INDEX churn_predictions_rank_idx ON churn_predictions (model_id, probability DESC, customer_id)`,
    );
    await q(
      `ALTER TABLE churn_predictions DROP CONSTRAINT churn_predictions_pkey, ADD CONSTRAINT churn_predictions_pkey PRIMARY KEY (model_id, customer_id)`,
    );
    await q(`ALTER TABLE churn_predictions DROP COLUMN organization_id`);
    await q(
      `ALTER TABLE churn_models DROP CONSTRAINT churn_models_pkey, ADD CONSTRAINT churn_models_pkey PRIMARY KEY (id)`,
    );

    await q(`ALTER TABLE segment_members DROP CONSTRAINT segment_members_run_fkey`);
    await q(`ALTER TABLE segments DROP CONSTRAINT segments_run_fkey`);
    await q(`DROP INDEX segment_members_segment_idx`);
    await q(
      `CREATE INDEX segment_members_segment_idx ON segment_members (run_id, segment_index, customer_id)`,
    );
    await q(
      `ALTER TABLE segment_members DROP CONSTRAINT segment_members_pkey, ADD CONSTRAINT segment_members_pkey PRIMARY KEY (run_id, customer_id)`,
    );
    await q(`ALTER TABLE segment_members DROP COLUMN organization_id`);
    await q(
      `ALTER TABLE segments DROP CONSTRAINT segments_pkey, ADD CONSTRAINT segments_pkey PRIMARY KEY (run_id, index)`,
    );
    await q(
      `ALTER TABLE segmentation_runs DROP CONSTRAINT segmentation_runs_pkey, ADD CONSTRAINT segmentation_runs_pkey PRIMARY KEY (id)`,
    );
    await q(
      `ALTER TABLE segments ADD CONSTRAINT segments_run_id_fkey FOREIGN KEY (run_id) REFERENCES segmentation_runs (id) ON DELETE CASCADE`,
    );
    await q(
      `ALTER TABLE segment_members ADD CONSTRAINT segment_members_run_id_fkey FOREIGN KEY (run_id) REFERENCES segmentation_runs (id) ON DELETE CASCADE`,
    );
  }
}
