import type { DataSource } from "typeorm";

/**
 * Runs the data source's pending migrations, each in its own transaction, under a PostgreSQL
 * advisory lock so that replicas starting together do not run them twice. Resolves with the names
 * of the migrations it ran (empty when the schema was current).
 */
export async function runPendingMigrations(dataSource: DataSource): Promise<string[]> {
  const runner = dataSource.createQueryRunner();
  await runner.connect();
  try {
    await runner.query("SELECT pg_advisory_lock(hashtext('federated-analytics:migrations'))");
    const ran = await dataSource.runMigrations({ transaction: "each" });
    return ran.map((migration) => migration.name);
  } finally {
    await runner
      .query("SELECT pg_advisory_unlock(hashtext('federated-analytics:migrations'))")
      .catch(() => undefined);
    await runner.release();
  }
}
