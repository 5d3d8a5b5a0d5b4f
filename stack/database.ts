import path from "node:path";
import { dataDir, embeddedPostgresPort, serviceDatabaseUrl } from "#kit/config";
import { createDatabasesIfMissing } from "#kit/database/create-databases";
import { Client } from "pg";
import {
  databaseUrlFromEnv,
  SERVICE_NAMES,
  withDatabase,
  type ServiceName,
} from "#kit/database/database-url";

/**
 * Where the stack's PostgreSQL is: a server the environment or the caller names, or an embedded
 * one the stack starts (in its own process under `npm start`).
 */
export type DatabasePlan =
  /** Each service's database URL as the environment gives it (`*_DATABASE_URL`, `DATABASE_URL`). */
  | { kind: "configured"; urls: Record<ServiceName, string>; serverUrl?: string }
  /** A server on which the stack uses (and creates) the databases users, customers, analytics. */
  | { kind: "server"; serverUrl: string }
  /** An embedded PostgreSQL with its data in `dataDir`, on `port`. */
  | { kind: "embedded"; dataDir: string; port: number };

/**
 * The plan from the stack's options and the environment: `serverUrl` when given; else the
 * `*DATABASE_URL` variables when every service has one; else an embedded PostgreSQL under
 * `<DATA_DIR>/postgres` on `EMBEDDED_POSTGRES_PORT`.
 */
export function planDatabase(
  options: { serverUrl?: string; embedded?: { dataDir: string; port: number } },
  env: NodeJS.ProcessEnv = process.env,
): DatabasePlan {
  if (options.serverUrl) return { kind: "server", serverUrl: options.serverUrl };
  if (options.embedded) return { kind: "embedded", ...options.embedded };
  if (SERVICE_NAMES.every((name) => databaseUrlFromEnv(name, env))) {
    const urls = Object.fromEntries(
      SERVICE_NAMES.map((name) => [name, serviceDatabaseUrl(name, env)]),
    ) as Record<ServiceName, string>;
    return { kind: "configured", urls, serverUrl: env.DATABASE_URL || undefined };
  }
  return {
    kind: "embedded",
    dataDir: path.join(dataDir(env), "postgres"),
    port: embeddedPostgresPort(env),
  };
}

/**
 * Each subgraph's database URL on a running server, creating the databases where the server is
 * the stack's to use (a `DATABASE_URL` server: when the role may).
 */
export async function serviceDatabases(
  plan: DatabasePlan,
  serverUrl: string | undefined,
  { reset = false } = {},
): Promise<Record<ServiceName, string>> {
  if (reset) {
    if (plan.kind === "configured")
      throw new TypeError("resetDatabases needs a server URL or an embedded server.");
    await dropDatabases(serverUrl!, SERVICE_NAMES);
  }
  if (plan.kind === "configured") {
    if (plan.serverUrl) {
      await createDatabasesIfMissing(plan.serverUrl, SERVICE_NAMES).catch(() => undefined);
    }
    return plan.urls;
  }
  await createDatabasesIfMissing(serverUrl!, SERVICE_NAMES);
  return Object.fromEntries(
    SERVICE_NAMES.map((name) => [name, withDatabase(serverUrl!, name)]),
  ) as Record<ServiceName, string>;
}

/** Drops the named databases of a server, closing their connections. */
async function dropDatabases(serverUrl: string, databases: readonly string[]): Promise<void> {
  const client = new Client({ connectionString: withDatabase(serverUrl, "postgres") });
  await client.connect();
  try {
    for (const name of databases) {
      await client.query(`DROP DATABASE IF EXISTS "${name.replace(/"/g, '""')}" WITH (FORCE)`);
    }
  } finally {
    await client.end();
  }
}
