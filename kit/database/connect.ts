import type { DataSource } from "typeorm";
import { createDatabasesIfMissing } from "./create-databases";
import { redactUrl } from "./database-url";

export interface ConnectOptions {
  /** How many times to try before giving up. @default DATABASE_CONNECT_ATTEMPTS or 30 */
  attempts?: number;
  /** Pause between attempts. @default 1_000 // 1 second */
  delayMs?: number;
  /** Called before each retry with the error that made it necessary. */
  onRetry?: (attempt: number, error: unknown) => void;
}

/**
 * Thrown when the database stayed unreachable for every attempt; its message says what to check.
 */
export class DatabaseUnreachableError extends Error {
  constructor(
    readonly url: string,
    readonly lastError: unknown,
  ) {
    super(
      `Cannot connect to PostgreSQL at ${redactUrl(url)}: ${(lastError as Error)?.message ?? lastError}. ` +
        "Check that the server is running and reachable, that the database exists, and that the " +
        "user and password in the URL are right (or unset the *DATABASE_URL variables to use the embedded PostgreSQL).",
    );
    this.name = "DatabaseUnreachableError";
  }
}

/** SQLSTATE of "database does not exist". */
const UNDEFINED_DATABASE = "3D000";

/** Creates the URL's database on its server; false when that is not allowed or fails. */
async function createMissingDatabase(url: string): Promise<boolean> {
  const database = decodeURIComponent(new URL(url).pathname.slice(1));
  return createDatabasesIfMissing(url, [database]).then(
    () => true,
    () => false,
  );
}

/**
 * Initializes a TypeORM data source, retrying while PostgreSQL is not reachable yet (a container
 * still starting, say). A database that does not exist yet is created when the user may. Resolves
 * with the initialized data source; rejects with {@link DatabaseUnreachableError} once every
 * attempt failed.
 */
export async function initializeWithRetry(
  dataSource: DataSource,
  url: string,
  options: ConnectOptions = {},
): Promise<DataSource> {
  const attempts = options.attempts ?? Number(process.env.DATABASE_CONNECT_ATTEMPTS ?? 30);
  const delayMs = options.delayMs ?? 1_000;
  let lastError: unknown;
  for (let attempt = 1; attempt <= attempts; attempt++) {
    try {
      return await dataSource.initialize();
    } catch (error) {
      lastError = error;
      if (
        (error as { code?: string }).code === UNDEFINED_DATABASE &&
        (await createMissingDatabase(url))
      )
        continue;
      if (attempt < attempts) {
        options.onRetry?.(attempt, error);
        await new Promise((resolve) => setTimeout(resolve, delayMs));
      }
    }
  }
  throw new DatabaseUnreachableError(url, lastError);
}
