import { readFileSync } from "node:fs";
import path from "node:path";
import { Client } from "pg";
import { withDatabase, type ServiceName } from "#kit/database/database-url";
import { SERVICE_START_ORDER, type StackServiceName } from "../../stack/services";
import { startStack, type RunningStack } from "../../stack/start-stack";
import type { SupervisorOutput } from "../../stack/supervisor";
import { freePort } from "./ports";

/**
 * `WS_MAX_CONNECTIONS_PER_CALLER` of the bench services unless the environment sets it: the
 * subscriptions benchmark opens up to 100 WebSocket connections per user (production default 20).
 */
export const BENCH_WS_MAX_CONNECTIONS_PER_CALLER = "20000";

/** One bench service's process. */
export interface BenchProcess {
  pid: number;
  port: number;
  /** `http://localhost:<port>/graphql` */
  url: string;
}

/** The services as the benchmarks use them: a stack of processes and what they need of it. */
export interface BenchServices {
  stack: RunningStack;
  /** The gateway's `/graphql`. */
  gatewayUrl: string;
  /** Each service's process now (its pid changes if it is started again). */
  services: Record<StackServiceName, BenchProcess>;
  /** Throws naming the service when one of them has exited. */
  assertAlive(): void;
  stop(): Promise<void>;
}

/** The bench database server: where it is and what matters for the figures. */
export interface BenchDatabase {
  /** `postgres://...@127.0.0.1:<port>/postgres` */
  serverUrl: string;
  databaseUrl(name: ServiceName): string;
  /** `SHOW server_version`, e.g. `18.0`. */
  version: string;
  /** The settings that matter most for these figures (shared_buffers, work_mem, ...). */
  settings: Record<string, string>;
  /** The postmaster's process id (its backends are its children), for CPU accounting. */
  postmasterPid: number;
}

export interface BenchStackOptions {
  /** Where the services keep state (signing keys) and, with `embedded`, PostgreSQL its data. */
  dataDir: string;
  /** Start an embedded PostgreSQL under `<dataDir>/postgres`, with empty databases. */
  embedded?: boolean;
  /** Or use the databases of this server as they are (a second set of services on it). */
  serverUrl?: string;
  /** Extra environment variables of every service (e.g. `REDIS_URL`), applied last. */
  env?: Record<string, string>;
  /** Where the processes' output goes. @default nowhere (the bench prints its own progress) */
  output?: SupervisorOutput;
}

const SILENT: SupervisorOutput = { line: () => undefined, event: () => undefined };

/**
 * The stack the way `npm start` runs it (a process per service, see stack/processes.ts), with the
 * environment of a measured deployment: `NODE_ENV=production`, logs and rate limits off (the load
 * comes from one address), the analytics result cache off unless `BENCH_ANALYTICS_CACHE_TTL_MS`
 * sets it, one gateway process unless `BENCH_GATEWAY_WORKERS` says otherwise, extra `node`
 * arguments per service from `BENCH_NODE_ARGS_<SERVICE>` (e.g. `--cpu-prof`). Nothing restarts
 * a process that dies: the benchmark fails, naming it.
 */
export async function startBenchStack(options: BenchStackOptions): Promise<BenchServices> {
  const nodeArgs = Object.fromEntries(
    SERVICE_START_ORDER.map((name) => [
      name,
      (process.env[`BENCH_NODE_ARGS_${name.toUpperCase()}`] ?? "").split(/\s+/).filter(Boolean),
    ]),
  );
  const stack = await startStack({
    mode: "processes",
    ports: { gateway: 0, users: 0, customers: 0, analytics: 0 },
    serverUrl: options.serverUrl,
    embedded: options.embedded
      ? { dataDir: path.join(options.dataDir, "postgres"), port: await freePort() }
      : undefined,
    resetDatabases: options.embedded === true,
    demoData: false,
    dataDir: options.dataDir,
    restart: false,
    nodeArgs,
    output: options.output ?? SILENT,
    env: {
      LOG_LEVEL: "silent",
      NODE_ENV: "production",
      RATE_LIMIT_PER_MINUTE: "0",
      RATE_LIMIT_PER_ADDRESS_PER_MINUTE: "0",
      ANALYTICS_CACHE_TTL_MS: process.env.BENCH_ANALYTICS_CACHE_TTL_MS || "0",
      GATEWAY_WORKERS: process.env.BENCH_GATEWAY_WORKERS || "1",
      WS_MAX_CONNECTIONS_PER_CALLER:
        process.env.WS_MAX_CONNECTIONS_PER_CALLER || BENCH_WS_MAX_CONNECTIONS_PER_CALLER,
      ...options.env,
    },
  });
  const endpoints = { gateway: stack.gateway, ...stack.subgraphs };
  const services = Object.fromEntries(
    SERVICE_START_ORDER.map((name) => [
      name,
      {
        get pid() {
          return stack.processes!.process(name).pid;
        },
        port: endpoints[name].port,
        url: endpoints[name].url,
      },
    ]),
  ) as Record<StackServiceName, BenchProcess>;
  return {
    stack,
    gatewayUrl: stack.gateway.url,
    services,
    assertAlive: () => stack.processes!.assertAlive(),
    stop: () => stack.stop(),
  };
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

/** The bench server's version, settings and postmaster pid (from its data folder). */
export async function describeBenchDatabase(
  serverUrl: string,
  dataDir: string,
): Promise<BenchDatabase> {
  const client = new Client({ connectionString: serverUrl });
  await client.connect();
  try {
    const version = (await client.query<{ server_version: string }>("SHOW server_version")).rows[0]
      .server_version;
    const { rows } = await client.query<{ name: string; setting: string; unit: string | null }>(
      "SELECT name, setting, unit FROM pg_settings WHERE name = ANY($1::text[])",
      [REPORTED_SETTINGS],
    );
    const settings = Object.fromEntries(
      rows.map((row) => [row.name, formatSetting(row.setting, row.unit)]),
    );
    const pidFile = path.join(dataDir, "postgres", "postmaster.pid");
    const postmasterPid = Number(readFileSync(pidFile, "utf8").split("\n")[0]);
    return {
      serverUrl,
      databaseUrl: (name) => withDatabase(serverUrl, name),
      version,
      settings,
      postmasterPid,
    };
  } finally {
    await client.end();
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
