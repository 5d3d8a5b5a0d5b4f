import { Client } from "pg";
import type { DataSource } from "typeorm";
import { createAnalyticsDataSource } from "../../subgraphs/analytics/src/data-source";
import { createDatabasesIfMissing } from "#kit/database/create-databases";
import { withDatabase } from "#kit/database/database-url";
import { TEST_ENV } from "./test-database";

/**
 * An analytics database of one test's own, every migration run: for tests that take migrations up
 * and down.
 */
export interface ScratchAnalyticsDatabase {
  dataSource: DataSource;
  /** Closes the connections and drops the database. */
  drop(): Promise<void>;
}

/** Creates `analytics_<label>_<pid>_<time>` on the test server and migrates it. */
export async function createScratchAnalyticsDatabase(
  label: string,
): Promise<ScratchAnalyticsDatabase> {
  const serverUrl = process.env[TEST_ENV.serverUrl]!;
  const name = `analytics_${label}_${process.pid}_${Date.now().toString(36)}`;
  await createDatabasesIfMissing(serverUrl, [name]);
  const dataSource = await createAnalyticsDataSource(withDatabase(serverUrl, name)).initialize();
  const drop = async () => {
    await dataSource.destroy();
    const client = new Client({ connectionString: withDatabase(serverUrl, "postgres") });
    await client.connect();
    await client
      .query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`)
      .finally(() => client.end());
  };
  try {
    await dataSource.runMigrations({ transaction: "each" });
  } catch (error) {
    await drop();
    throw error;
  }
  return { dataSource, drop };
}
