import type { DataSource } from "typeorm";
import type { Logger } from "../logger";
import { initializeWithRetry, type ConnectOptions } from "./connect";
import { redactUrl } from "./database-url";
import { runPendingMigrations } from "./migrate";

/**
 * Connects a service's data source (retrying while PostgreSQL starts) and brings its schema up to
 * date. Rejects with a `DatabaseUnreachableError` naming the URL when the database never answered.
 */
export async function prepareDatabase(
  dataSource: DataSource,
  url: string,
  log: Logger,
  connect: ConnectOptions = {},
): Promise<DataSource> {
  await initializeWithRetry(dataSource, url, {
    ...connect,
    onRetry: (attempt, error) =>
      log.warn(
        `PostgreSQL at ${redactUrl(url)} not reachable yet (attempt ${attempt}): ${(error as Error).message}`,
      ),
  });
  const ran = await runPendingMigrations(dataSource);
  if (ran.length > 0) log.info(`ran migrations: ${ran.join(", ")}`);
  return dataSource;
}
