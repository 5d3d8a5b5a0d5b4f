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
