import type { Pool } from "pg";
import type { DataSource } from "typeorm";

/**
 * Runs `text` as the named prepared statement `name` on one of the data source's pooled
 * connections: PostgreSQL parses it once per connection and, after five runs, keeps a generic plan
 * when it costs no more than the custom ones, instead of parsing and planning the statement on
 * every call (for a small ingest batch, much of the statement's time). For
 * constant SQL on hot paths: a name must always stand for the same text. Counted and logged like
 * the data source's other queries. Resolves with the rows, parsed as `dataSource.query` parses
 * them.
 */
export async function queryPrepared<T = Record<string, unknown>>(
  dataSource: DataSource,
  name: string,
  text: string,
  values: unknown[],
): Promise<T[]> {
  // TypeORM's PostgreSQL driver keeps its pg Pool as `master` (no replication configured).
  const pool = (dataSource.driver as unknown as { master?: Pool } | undefined)?.master;
  if (!pool) return dataSource.query(text, values);
  dataSource.logger.logQuery(text, values);
  const result = await pool.query({ name, text, values });
  return result.rows as T[];
}

/** Runs one statement of a {@link transactionPrepared} transaction: prepared as `name`, or not when null. */
export type TransactionQuery = <T = Record<string, unknown>>(
  name: string | null,
  text: string,
  values: unknown[],
) => Promise<T[]>;

/**
 * Runs `work` in a transaction on one of the data source's pooled connections, its statements
 * prepared as {@link queryPrepared} prepares them (by name, once per connection), for short hot
 * transactions of a few constant statements. Commits when `work` resolves, rolls back when it
 * rejects (and rejects with its error). Every statement, BEGIN and COMMIT included, is counted and
 * logged like the data source's other queries.
 */
export async function transactionPrepared<T>(
  dataSource: DataSource,
  work: (query: TransactionQuery) => Promise<T>,
): Promise<T> {
  const pool = (dataSource.driver as unknown as { master?: Pool } | undefined)?.master;
  if (!pool)
    return dataSource.transaction((manager) =>
      work((_name, text, values) => manager.query(text, values)),
    );
  const client = await pool.connect();
  const run: TransactionQuery = async <R>(name: string | null, text: string, values: unknown[]) => {
    dataSource.logger.logQuery(text, values);
    const result = await client.query(name ? { name, text, values } : { text, values });
    return result.rows as R[];
  };
  let broken: Error | undefined;
  try {
    await run(null, "BEGIN", []);
    try {
      const result = await work(run);
      await run(null, "COMMIT", []);
      return result;
    } catch (error) {
      await run(null, "ROLLBACK", []).catch((rollbackError: Error) => (broken = rollbackError));
      throw error;
    }
  } finally {
    // A connection whose rollback failed is not given back to the pool.
    client.release(broken);
  }
}
