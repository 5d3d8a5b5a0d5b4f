import type { MigrationInterface, QueryRunner } from "typeorm";

/**
 * `churn_predictions.log_odds`: the customer's log-odds of churning under the model (intercept +
 * the weights times the standardised inputs), which its factors and the model's intercept add up
 * to. Stored as computed: recovering it from `probability` loses digits as the probability nears 0
 * or 1. Null for predictions stored before this migration (read back from the probability).
 */
export class AddChurnPredictionLogOdds1763900041000 implements MigrationInterface {
  name = "AddChurnPredictionLogOdds1763900041000";

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE churn_predictions ADD COLUMN log_odds double precision`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE churn_predictions DROP COLUMN log_odds`);
  }
}
