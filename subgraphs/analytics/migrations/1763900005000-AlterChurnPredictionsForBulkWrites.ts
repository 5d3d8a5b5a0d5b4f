import type { MigrationInterface, QueryRunner } from "typeorm";

/**
 * Makes storing a model's predictions (one row per customer: 100,000 rows for 100,000 customers,
 * in one COPY) cheap for PostgreSQL, with the same guarantees:
 *
 * - `factors` becomes `json`: it is written once and only ever read back whole, never queried
 *   inside SQL, so the text is kept as it is instead of being converted to jsonb (which cost
 *   PostgreSQL about as much as the rest of the row). It reads back the same.
 * - The foreign key to `churn_models` is checked once per statement instead of once per row: a
 *   row-level foreign key runs a lookup (and a row lock) for each of the 100,000 rows, a third of
 *   the time PostgreSQL spent storing them. The statement-level triggers below keep its meaning:
 *   an insert (or update) naming a model that does not exist fails with `foreign_key_violation`
 *   (SQLSTATE 23503) and holds a FOR KEY SHARE lock on the models it names until it commits, as
 *   the foreign key did; deleting a model deletes its predictions (ON DELETE CASCADE); changing
 *   the id of a model that has predictions fails (NO ACTION).
 */
export class AlterChurnPredictionsForBulkWrites1763900005000 implements MigrationInterface {
  name = "AlterChurnPredictionsForBulkWrites1763900005000";

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      `ALTER TABLE churn_predictions ALTER COLUMN factors TYPE json USING factors::json`,
    );
    await queryRunner.query(
      `ALTER TABLE churn_predictions DROP CONSTRAINT churn_predictions_model_id_fkey`,
    );
    await queryRunner.query(`
      CREATE FUNCTION churn_predictions_check_models() RETURNS trigger LANGUAGE plpgsql AS $$
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
    await queryRunner.query(`
      CREATE TRIGGER churn_predictions_models_on_insert AFTER INSERT ON churn_predictions
        REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION churn_predictions_check_models()`);
    await queryRunner.query(`
      CREATE TRIGGER churn_predictions_models_on_update AFTER UPDATE ON churn_predictions
        REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION churn_predictions_check_models()`);
    await queryRunner.query(`
      CREATE FUNCTION churn_models_delete_predictions() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        DELETE FROM churn_predictions p USING old_rows o WHERE p.model_id = o.id;
        RETURN NULL;
      END $$`);
    await queryRunner.query(`
      CREATE TRIGGER churn_models_delete_predictions AFTER DELETE ON churn_models
        REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION churn_models_delete_predictions()`);
    await queryRunner.query(`
      CREATE FUNCTION churn_models_keep_id() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        IF NEW.id IS DISTINCT FROM OLD.id AND EXISTS (SELECT 1 FROM churn_predictions WHERE model_id = OLD.id) THEN
          RAISE foreign_key_violation USING
            MESSAGE = 'update on table "churn_models" would leave rows of "churn_predictions" without their model',
            DETAIL = format('Key (id)=(%s) is still referenced from table "churn_predictions".', OLD.id);
        END IF;
        RETURN NEW;
      END $$`);
    await queryRunner.query(
      `CREATE TRIGGER churn_models_keep_id BEFORE UPDATE OF id ON churn_models FOR EACH ROW EXECUTE FUNCTION churn_models_keep_id()`,
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TRIGGER churn_models_keep_id ON churn_models`);
    await queryRunner.query(`DROP FUNCTION churn_models_keep_id()`);
    await queryRunner.query(`DROP TRIGGER churn_models_delete_predictions ON churn_models`);
    await queryRunner.query(`DROP FUNCTION churn_models_delete_predictions()`);
    await queryRunner.query(`DROP TRIGGER churn_predictions_models_on_update ON churn_predictions`);
    await queryRunner.query(`DROP TRIGGER churn_predictions_models_on_insert ON churn_predictions`);
    await queryRunner.query(`DROP FUNCTION churn_predictions_check_models()`);
    await queryRunner.query(
      `DELETE FROM churn_predictions p WHERE NOT EXISTS (SELECT 1 FROM churn_models m WHERE m.id = p.model_id)`,
    );
    await queryRunner.query(
      `ALTER TABLE churn_predictions ADD CONSTRAINT churn_predictions_model_id_fkey FOREIGN KEY (model_id) REFERENCES churn_models (id) ON DELETE CASCADE`,
    );
    await queryRunner.query(
      `ALTER TABLE churn_predictions ALTER COLUMN factors TYPE jsonb USING factors::jsonb`,
    );
  }
}
