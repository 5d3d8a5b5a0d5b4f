import { Client } from "pg";
import { withDatabase } from "./database-url";

/**
 * Creates each named database on the server behind `serverUrl` when it does not exist yet.
 * Connects through the server's maintenance database `postgres`.
 */
export async function createDatabasesIfMissing(
  serverUrl: string,
  databases: readonly string[],
): Promise<void> {
  const client = new Client({ connectionString: withDatabase(serverUrl, "postgres") });
  await client.connect();
  try {
    for (const name of databases) {
      const { rowCount } = await client.query("SELECT 1 FROM pg_database WHERE datname = $1", [
        name,
      ]);
      if (!rowCount) await client.query(`CREATE DATABASE "${name.replace(/"/g, '""')}"`);
    }
  } finally {
    await client.end();
  }
}
