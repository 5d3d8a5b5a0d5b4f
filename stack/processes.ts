import { dataDir } from "#kit/config";
import type { ServiceName } from "#kit/database/database-url";
import type { RunningService } from "#kit/server/graphql-service";
import { POSTGRES_READY_LINE } from "#dev/postgres-main";
import { planDatabase, serviceDatabases } from "./database";
import { stdoutOutput } from "./log-output";
import {
  ENTRY_POINTS,
  READY_PATHS,
  SUBGRAPHS,
  type StackProcessName,
  type StackServiceName,
} from "./services";
import type { RunningStack, StackOptions, StackPorts } from "./stack-options";
import { Supervisor } from "./supervisor";

/**
 * Variables of the launcher's own environment that would point a service elsewhere than where the
 * launcher puts it (a read replica, `ANALYTICS_READ_DATABASE_URL`, is passed on as it is).
 */
const NOT_INHERITED =
  /^(USERS|CUSTOMERS|ANALYTICS)_DATABASE_URL$|^DATABASE_URL$|^(USERS|CUSTOMERS|ANALYTICS)_URL$|^USERS_BASE_URL$/;

/** The order the processes stop in: the gateway, then the subgraphs, then PostgreSQL. */
const STOP_ORDER: StackProcessName[][] = [
  ["gateway"],
  ["users", "customers", "analytics"],
  ["postgres"],
];

/**
 * The whole supergraph as one process per part: the embedded PostgreSQL (unless a server is
 * configured), users, then customers and analytics, then the gateway, each `node dist/...` with
 * the environment a deployment would give it (its port, its database, where the others are), and
 * each waited for until ready. A process that dies later is started again (unless `restart` is
 * false). Needs `npm run build` first.
 */
export async function startProcessStack(
  options: StackOptions,
  ports: StackPorts,
): Promise<RunningStack> {
  const supervisor = new Supervisor(options.output ?? stdoutOutput(), {
    restart: options.restart ?? true,
  });
  const stop = () => supervisor.stopAll(STOP_ORDER);
  try {
    const base: NodeJS.ProcessEnv = Object.fromEntries(
      Object.entries(process.env).filter(([name]) => !NOT_INHERITED.test(name)),
    );
    const plan = planDatabase(options);
    let serverUrl = plan.kind === "embedded" ? undefined : plan.serverUrl;
    if (plan.kind === "embedded") {
      const postgres = await supervisor.start({
        name: "postgres",
        entry: ENTRY_POINTS.postgres,
        env: {
          ...base,
          EMBEDDED_POSTGRES_DIR: plan.dataDir,
          EMBEDDED_POSTGRES_PORT: String(plan.port),
        },
        ready: { line: POSTGRES_READY_LINE },
        readyTimeoutMs: 120_000,
      });
      serverUrl = postgres.readyValue;
    }
    const databaseUrls = await serviceDatabases(plan, serverUrl, { reset: options.resetDatabases });
    const local = (name: StackServiceName) => `http://localhost:${ports[name]}`;
    // The same demo data set in every subgraph: generated as of the same moment.
    const hour = 3_600_000;
    const demo =
      options.demoData === false
        ? { DEMO_DATA: "false" }
        : {
            DEMO_DATA: "true",
            DEMO_DATA_AS_OF: new Date(Math.floor(Date.now() / hour) * hour).toISOString(),
          };
    const env: NodeJS.ProcessEnv = {
      ...base,
      ...demo,
      DATA_DIR: options.dataDir ?? dataDir(),
      GATEWAY_PORT: String(ports.gateway),
      USERS_PORT: String(ports.users),
      CUSTOMERS_PORT: String(ports.customers),
      ANALYTICS_PORT: String(ports.analytics),
      USERS_BASE_URL: local("users"),
      USERS_URL: `${local("users")}/graphql`,
      CUSTOMERS_URL: `${local("customers")}/graphql`,
      ANALYTICS_URL: `${local("analytics")}/graphql`,
      ...Object.fromEntries(
        SUBGRAPHS.map((name) => [`${name.toUpperCase()}_DATABASE_URL`, databaseUrls[name]]),
      ),
      ...options.env,
    };
    const launch = (name: StackServiceName) =>
      supervisor.start({
        name,
        entry: ENTRY_POINTS[name],
        env,
        nodeArgs: options.nodeArgs?.[name],
        ready: { url: `${local(name)}${READY_PATHS[name]}` },
      });
    await launch("users");
    await Promise.all([launch("customers"), launch("analytics")]);
    await launch("gateway");
    const endpoint = (name: StackServiceName): RunningService => ({
      name,
      port: ports[name],
      url: `${local(name)}/graphql`,
      stop: () => supervisor.stop(name),
    });
    return {
      gateway: endpoint("gateway"),
      subgraphs: Object.fromEntries(SUBGRAPHS.map((name) => [name, endpoint(name)])) as Record<
        ServiceName,
        RunningService
      >,
      serverUrl,
      processes: supervisor,
      stop,
    };
  } catch (error) {
    await stop();
    throw error;
  }
}
