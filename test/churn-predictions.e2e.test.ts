import "reflect-metadata";
import { randomUUID } from "node:crypto";
import type { DataSource } from "typeorm";
import { AlterChurnPredictionsForBulkWrites1763900005000 } from "../subgraphs/analytics/migrations/1763900005000-AlterChurnPredictionsForBulkWrites";
import { KeyModelsByOrganization1763900050000 } from "../subgraphs/analytics/migrations/1763900050000-KeyModelsByOrganization";
import { createAnalyticsDataSource } from "../subgraphs/analytics/src/data-source";
import {
  copyPredictions,
  type PredictionRow,
} from "../subgraphs/analytics/src/modules/churn/churn-store";
import { RiskBand } from "../subgraphs/analytics/src/modules/churn/churn.types";
import { withDatabase } from "#kit/database/database-url";
import { createScratchAnalyticsDatabase } from "./support/scratch-analytics-database";
import { TEST_ENV } from "./support/test-database";

let dataSource: DataSource;

beforeAll(async () => {
  dataSource = await createAnalyticsDataSource(
    withDatabase(process.env[TEST_ENV.serverUrl]!, "analytics"),
  ).initialize();
});

afterAll(() => dataSource?.destroy());

/** The organization of the models made here. */
const ORGANIZATION = randomUUID();

async function newModel(
  db: DataSource = dataSource,
  organizationId = ORGANIZATION,
): Promise<string> {
  const [{ id }] = await db.query(
    `INSERT INTO churn_models (organization_id, cutoff, horizon_days, seed) VALUES ($1, now(), 90, 1) RETURNING id`,
    [organizationId],
  );
  return id;
}

function predictions(
  count: number,
  factors: (i: number) => { feature: string; weight: number }[],
): PredictionRow[] {
  return Array.from({ length: count }, (_, i) => ({
    customerId: randomUUID(),
    probability: i === 0 ? 1e-9 : i / count,
    logOdds: i === 0 ? -20.723265837 : Math.log(i / (count - i || 1)),
    band: [RiskBand.LOW, RiskBand.MEDIUM, RiskBand.HIGH][i % 3],
    factors: JSON.stringify(factors(i)),
  }));
}

/** SQLSTATE of a rejected promise. */
async function sqlState(promise: Promise<unknown>): Promise<string | undefined> {
  try {
    await promise;
    return undefined;
  } catch (error) {
    return (error as { code?: string }).code;
  }
}

describe("storing churn predictions", () => {
  it("stores every row of a COPY exactly, whatever the feature names hold", async () => {
    const modelId = await newModel();
    // Names with what COPY's text format would misread: backslashes, tabs, newlines (JSON escapes
    // the latter two with a backslash).
    const names = [
      "plain",
      'attributes.say "hi"',
      "attributes.back\\slash",
      "attributes.tab\there",
      "attributes.line\nbreak",
      "attributes.\\N",
      "attributes.ünïcode ✓",
    ];
    const rows = predictions(4_321, (i) => [
      { feature: names[i % names.length], weight: -0.1234 },
      { feature: names[(i + 3) % names.length], weight: i / 7 },
    ]);
    await dataSource.transaction((manager) =>
      copyPredictions(manager, ORGANIZATION, modelId, [
        rows.slice(0, 2_000),
        rows.slice(2_000),
        [],
      ]),
    );
    const stored = await dataSource.query(
      `SELECT customer_id, probability, log_odds, band, factors FROM churn_predictions WHERE model_id = $1`,
      [modelId],
    );
    const byCustomer = new Map(stored.map((row: any) => [row.customer_id, row]));
    expect(byCustomer.size).toBe(rows.length);
    for (const row of rows) {
      expect(byCustomer.get(row.customerId)).toEqual({
        customer_id: row.customerId,
        probability: row.probability,
        log_odds: row.logOdds,
        band: row.band,
        factors: JSON.parse(row.factors),
      });
    }
    await dataSource.query(`DELETE FROM churn_models WHERE id = $1`, [modelId]);
  });

  it("stores nothing when the COPY fails, and needs a transaction", async () => {
    const modelId = await newModel();
    const rows = predictions(10, () => []);
    const broken = [...rows, { ...rows[0] }]; // the same customer twice: the primary key refuses the COPY
    expect(
      await sqlState(
        dataSource.transaction((manager) =>
          copyPredictions(manager, ORGANIZATION, modelId, [broken]),
        ),
      ),
    ).toBe("23505");
    expect(
      await dataSource.query(
        `SELECT count(*)::int AS n FROM churn_predictions WHERE model_id = $1`,
        [modelId],
      ),
    ).toEqual([{ n: 0 }]);
    await expect(
      copyPredictions(dataSource.manager, ORGANIZATION, modelId, [rows]),
    ).rejects.toThrow(TypeError);
    await dataSource.query(`DELETE FROM churn_models WHERE id = $1`, [modelId]);
  });

  it("keeps the meaning of a foreign key to churn_models: no unknown model, cascade on delete, no change of a referenced id", async () => {
    const modelId = await newModel();
    const unknown = randomUUID();
    const insert = (model: string, organizationId = ORGANIZATION) =>
      dataSource.query(
        `INSERT INTO churn_predictions (organization_id, model_id, customer_id, probability, band, factors) VALUES ($1, $2, $3, 0.5, 'LOW', '[]')`,
        [organizationId, model, randomUUID()],
      );
    expect(await sqlState(insert(unknown))).toBe("23503");
    // The model of another organization is no model of this one.
    expect(await sqlState(insert(modelId, randomUUID()))).toBe("23503");
    expect(
      await sqlState(
        dataSource.transaction((manager) =>
          copyPredictions(manager, ORGANIZATION, unknown, [predictions(3, () => [])]),
        ),
      ),
    ).toBe("23503");
    // A statement naming a known and an unknown model fails as a whole.
    expect(
      await sqlState(
        dataSource.query(
          `INSERT INTO churn_predictions (organization_id, model_id, customer_id, probability, band, factors) VALUES ($5, $1, $2, 0.5, 'LOW', '[]'), ($5, $3, $4, 0.5, 'LOW', '[]')`,
          [modelId, randomUUID(), unknown, randomUUID(), ORGANIZATION],
        ),
      ),
    ).toBe("23503");
    await insert(modelId);
    await insert(modelId);
    expect(
      await sqlState(
        dataSource.query(`UPDATE churn_predictions SET model_id = $2 WHERE model_id = $1`, [
          modelId,
          unknown,
        ]),
      ),
    ).toBe("23503");
    expect(
      await sqlState(
        dataSource.query(`UPDATE churn_models SET id = $2 WHERE id = $1`, [modelId, unknown]),
      ),
    ).toBe("23503");
    expect(
      await sqlState(
        dataSource.query(`UPDATE churn_models SET organization_id = $2 WHERE id = $1`, [
          modelId,
          randomUUID(),
        ]),
      ),
    ).toBe("23503");
    await dataSource.query(`UPDATE churn_models SET progress = 0.5 WHERE id = $1`, [modelId]);
    const other = await newModel();
    await insert(other);
    await dataSource.query(`DELETE FROM churn_models WHERE id = $1`, [modelId]);
    expect(
      await dataSource.query(
        `SELECT model_id FROM churn_predictions WHERE model_id = ANY($1::uuid[])`,
        [[modelId, other]],
      ),
    ).toEqual([{ model_id: other }]);
    await dataSource.query(`DELETE FROM churn_models WHERE id = $1`, [other]);
  });

  it("comes from migrations whose down() restore the foreign key and jsonb, then the keys without organization_id, keeping the predictions", async () => {
    const database = await createScratchAnalyticsDatabase("predictions");
    const scratch = database.dataSource;
    try {
      const modelId = await newModel(scratch);
      const rows = predictions(50, (i) => [{ feature: "x", weight: i }]);
      await scratch.transaction((manager) =>
        copyPredictions(manager, ORGANIZATION, modelId, [rows]),
      );
      const columnType = async () =>
        (
          await scratch.query(
            `SELECT data_type FROM information_schema.columns WHERE table_name = 'churn_predictions' AND column_name = 'factors'`,
          )
        )[0].data_type;
      const foreignKeys = async () =>
        (
          await scratch.query(
            `SELECT count(*)::int AS n FROM pg_constraint WHERE conrelid = 'churn_predictions'::regclass AND contype = 'f'`,
          )
        )[0].n;
      expect([await columnType(), await foreignKeys()]).toEqual(["json", 0]);
      const primaryKey = async () =>
        (
          await scratch.query(
            `SELECT pg_get_constraintdef(oid) AS key FROM pg_constraint WHERE conrelid = 'churn_predictions'::regclass AND contype = 'p'`,
          )
        )[0].key;
      expect(await primaryKey()).toBe("PRIMARY KEY (organization_id, model_id, customer_id)");
      const queryRunner = scratch.createQueryRunner();
      try {
        // Undone in the reverse order they ran, then run again.
        const keyed = new KeyModelsByOrganization1763900050000();
        const migration = new AlterChurnPredictionsForBulkWrites1763900005000();
        await keyed.down(queryRunner);
        expect(await primaryKey()).toBe("PRIMARY KEY (model_id, customer_id)");
        await migration.down(queryRunner);
        expect([await columnType(), await foreignKeys()]).toEqual(["jsonb", 1]);
        await migration.up(queryRunner);
        await keyed.up(queryRunner);
      } finally {
        await queryRunner.release();
      }
      expect([await columnType(), await foreignKeys(), await primaryKey()]).toEqual([
        "json",
        0,
        "PRIMARY KEY (organization_id, model_id, customer_id)",
      ]);
      const stored = await scratch.query(
        `SELECT customer_id, factors FROM churn_predictions WHERE organization_id = $2 AND model_id = $1`,
        [modelId, ORGANIZATION],
      );
      expect(new Map(stored.map((row: any) => [row.customer_id, row.factors]))).toEqual(
        new Map(rows.map((row) => [row.customerId, JSON.parse(row.factors)])),
      );
    } finally {
      await database.drop();
    }
  });
});
