import { spawn, type ChildProcess } from "node:child_process";
import { existsSync } from "node:fs";
import path from "node:path";
import { freePorts } from "./ports";
import { REPO_ROOT } from "./paths";

/** The four services, in start order. */
export const SERVICE_ORDER = ["users", "customers", "analytics", "gateway"] as const;
export type BenchService = (typeof SERVICE_ORDER)[number];

const ENTRY_POINTS: Record<BenchService, string> = {
  users: "dist/subgraphs/users/src/index.js",
  customers: "dist/subgraphs/customers/src/index.js",
  analytics: "dist/subgraphs/analytics/src/index.js",
  gateway: "dist/gateway/src/index.js",
};

/** One service running as a child process. */
export interface ServiceProcess {
  name: BenchService;
  pid: number;
  port: number;
  /** `http://127.0.0.1:<port>/graphql` */
  url: string;
  /** The last 64 KB of what it printed, for error messages. */
  output(): string;
}

/** The running services and how to stop them. */
export interface RunningServices {
  /** The gateway's `/graphql` URL on 127.0.0.1. */
  gatewayUrl: string;
  services: Record<BenchService, ServiceProcess>;
  /** Throws naming the service when one of them has exited. */
  assertAlive(): void;
  /**
   * SIGTERM to the gateway, then to the subgraphs; SIGKILL to any still running 10 s later.
   * Idempotent.
   */
  stop(): Promise<void>;
  /** Sends a signal to one service's process (SIGSTOP makes it hang, SIGKILL makes it crash). */
  signal(name: BenchService, signal: NodeJS.Signals): void;
  /** Resolves when that service's current process has exited, with how it ended. */
  exited(name: BenchService): Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /**
   * Starts that service again, on the same port with the same environment, and waits until it is
   * ready.
   */
  relaunch(name: BenchService): Promise<void>;
}

export interface StartServicesOptions {
  /** The PostgreSQL server URL (`DATABASE_URL`); each subgraph uses its own database on it. */
  serverUrl: string;
  /** `DATA_DIR` of the services (signing keys live under it). */
  dataDir: string;
  /**
   * Extra `node` arguments per service, e.g. `{ analytics: "--cpu-prof
   * --cpu-prof-dir=.data/bench/profiles" }` (`--cpu-prof` is not allowed in `NODE_OPTIONS`).
   * @default from `BENCH_NODE_ARGS_<SERVICE>`
   */
  nodeArgs?: Partial<Record<BenchService, string>>;
  /** How long each service may take to answer its health check. @default 60_000 */
  startTimeoutMs?: number;
  /** Extra environment variables of every service (e.g. `REDIS_URL`), applied last. */
  env?: Record<string, string>;
}

/**
 * `WS_MAX_CONNECTIONS_PER_CALLER` of the bench services unless the environment sets it: the
 * subscriptions benchmark opens up to 100 WebSocket connections per user (production default 20).
 */
export const BENCH_WS_MAX_CONNECTIONS_PER_CALLER = "20000";

const live = new Set<ChildProcess>();
let exitHookInstalled = false;

/**
 * Starts users, then customers and analytics, then the gateway, each as `node dist/...` with the
 * environment a deployment would give it (distinct free ports, `DATABASE_URL`, `USERS_BASE_URL`,
 * the gateway's `USERS_URL`/`CUSTOMERS_URL`/`ANALYTICS_URL`, `LOG_LEVEL=silent`,
 * `NODE_ENV=production`), and waits for each one's `/ready` (subgraphs) or `/health` (gateway).
 * Needs `npm run build` first. Stops whatever it started if any service fails to come up.
 */
export async function startServices(options: StartServicesOptions): Promise<RunningServices> {
  installExitHook();
  for (const entry of Object.values(ENTRY_POINTS)) {
    if (!existsSync(path.join(REPO_ROOT, entry)))
      throw new Error(`${entry} is missing: run \`npm run build\` first.`);
  }
  const [users, customers, analytics, gateway] = await freePorts(4);
  const ports: Record<BenchService, number> = { users, customers, analytics, gateway };
  const local = (name: BenchService) => `http://127.0.0.1:${ports[name]}`;
  const env: NodeJS.ProcessEnv = { ...process.env };
  // Anything that would point a service elsewhere than the bench database goes.
  for (const key of Object.keys(env))
    if (/_DATABASE_URL$|^DEMO_DATA$|^SUPERGRAPH_PATH$|^JWT_/.test(key)) delete env[key];
  Object.assign(env, {
    DATABASE_URL: options.serverUrl,
    USERS_PORT: String(users),
    CUSTOMERS_PORT: String(customers),
    ANALYTICS_PORT: String(analytics),
    GATEWAY_PORT: String(gateway),
    USERS_BASE_URL: local("users"),
    USERS_URL: `${local("users")}/graphql`,
    CUSTOMERS_URL: `${local("customers")}/graphql`,
    ANALYTICS_URL: `${local("analytics")}/graphql`,
    DATA_DIR: options.dataDir,
    LOG_LEVEL: "silent",
    NODE_ENV: "production",
    // The benchmarks measure throughput from a single client address and credential: no rate
    // limits.
    RATE_LIMIT_PER_MINUTE: "0",
    RATE_LIMIT_PER_ADDRESS_PER_MINUTE: "0",
    // The query benchmark repeats the same queries: measure the queries, not the result cache
    // (BENCH_ANALYTICS_CACHE_TTL_MS sets it, e.g. 60000 for warm figures).
    ANALYTICS_CACHE_TTL_MS: process.env.BENCH_ANALYTICS_CACHE_TTL_MS || "0",
    // One gateway process unless BENCH_GATEWAY_WORKERS says otherwise (the peers are single
    // processes too).
    GATEWAY_WORKERS: process.env.BENCH_GATEWAY_WORKERS || "1",
    WS_MAX_CONNECTIONS_PER_CALLER:
      env.WS_MAX_CONNECTIONS_PER_CALLER || BENCH_WS_MAX_CONNECTIONS_PER_CALLER,
    ...options.env,
  });

  const started: { process: ServiceProcess; child: ChildProcess }[] = [];
  let stopping: Promise<void> | undefined;
  const stop = () =>
    (stopping ??= (async () => {
      const byName = (name: BenchService) =>
        started.filter((s) => s.process.name === name).map((s) => s.child);
      await Promise.all(byName("gateway").map(terminate));
      await Promise.all(
        ["analytics", "customers", "users"]
          .flatMap((name) => byName(name as BenchService))
          .map(terminate),
      );
    })());

  const launch = async (name: BenchService) => {
    const nodeArgs = (
      options.nodeArgs?.[name] ??
      process.env[`BENCH_NODE_ARGS_${name.toUpperCase()}`] ??
      ""
    )
      .split(/\s+/)
      .filter(Boolean);
    const child = spawn(process.execPath, [...nodeArgs, ENTRY_POINTS[name]], {
      cwd: REPO_ROOT,
      env,
      stdio: ["ignore", "pipe", "pipe"],
    });
    killOnExit(child);
    let output = "";
    child.once(
      "error",
      (error) => void (output += `\n[bench] could not run ${name}: ${error.message}\n`),
    );
    const keep = (chunk: Buffer) =>
      void (output = (output + chunk.toString("utf8")).slice(-65_536));
    child.stdout!.on("data", keep);
    child.stderr!.on("data", keep);
    const service: ServiceProcess = {
      name,
      pid: child.pid!,
      port: ports[name],
      url: `${local(name)}/graphql`,
      output: () => output,
    };
    started.push({ process: service, child });
    await waitForHttp(
      `${local(name)}${name === "gateway" ? "/health" : "/ready"}`,
      child,
      name,
      options.startTimeoutMs ?? 60_000,
      () => output,
    );
  };

  try {
    await launch("users");
    await Promise.all([launch("customers"), launch("analytics")]);
    await launch("gateway");
  } catch (error) {
    await stop();
    throw error;
  }
  const services = Object.fromEntries(started.map((s) => [s.process.name, s.process])) as Record<
    BenchService,
    ServiceProcess
  >;
  const current = (name: BenchService) =>
    started.filter((s) => s.process.name === name).at(-1)!.child;
  return {
    gatewayUrl: services.gateway.url,
    signal: (name, signal) => void current(name).kill(signal),
    exited: (name) => {
      const child = current(name);
      if (child.exitCode !== null || child.signalCode !== null)
        return Promise.resolve({ code: child.exitCode, signal: child.signalCode });
      return new Promise((resolve) =>
        child.once("exit", (code, signal) => resolve({ code, signal })),
      );
    },
    relaunch: async (name) => {
      await launch(name);
      services[name] = started.at(-1)!.process;
    },
    services,
    assertAlive() {
      for (const { process: service, child } of SERVICE_ORDER.map((name) =>
        started.filter((s) => s.process.name === name).at(-1)!,
      )) {
        if (child.exitCode !== null || child.signalCode !== null) {
          throw new Error(
            `The ${service.name} service exited (${child.exitCode ?? child.signalCode}). Its last output:\n${service.output().slice(-4000)}`,
          );
        }
      }
    },
    stop,
  };
}

/**
 * Polls `url` every 200 ms until it answers 200; fails when the child exits or after `timeoutMs`.
 */
export async function waitForHttp(
  url: string,
  child: ChildProcess,
  name: string,
  timeoutMs: number,
  output: () => string,
  headers: Record<string, string> = {},
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (let attempt = 0; attempt < 10_000; attempt++) {
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new Error(
        `The ${name} service exited (${child.exitCode ?? child.signalCode}) before it was ready. Its output:\n${output().slice(-4000)}`,
      );
    }
    try {
      const response = await fetch(url, { headers, signal: AbortSignal.timeout(2_000) });
      if (response.ok) return;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline)
      throw new Error(
        `The ${name} service did not answer ${url} within ${timeoutMs} ms. Its output:\n${output().slice(-4000)}`,
      );
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

/** SIGTERM, then SIGKILL after 10 s; resolves when the process has exited. */
export function terminate(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const kill = setTimeout(() => child.kill("SIGKILL"), 10_000);
    child.once("exit", () => {
      clearTimeout(kill);
      resolve();
    });
    child.kill("SIGTERM");
  });
}

/** The child is killed (SIGKILL) if this process exits while the child still runs. */
export function killOnExit(child: ChildProcess): void {
  installExitHook();
  live.add(child);
  child.once("exit", () => live.delete(child));
}

/** Whatever happens to this process, its children do not outlive it. */
function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.on("exit", () => {
    for (const child of live) child.kill("SIGKILL");
  });
}
