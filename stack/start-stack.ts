import "reflect-metadata";
import path from "node:path";
import { startAnalyticsService } from "../subgraphs/analytics/src/service";
import { startCustomersService } from "../subgraphs/customers/src/service";
import { startUsersService } from "../subgraphs/users/src/service";
import { dataDir, embeddedPostgresPort, portFromEnv, serviceDatabaseUrl } from "#kit/config";
import { createDatabasesIfMissing } from "#kit/database/create-databases";
import {
  databaseUrlFromEnv,
  SERVICE_NAMES,
  withDatabase,
  type ServiceName,
} from "#kit/database/database-url";
import { startEmbeddedPostgres, type EmbeddedPostgresServer } from "#dev/embedded-postgres";
import { generateDemoDataset } from "#dev/demo/demo-dataset";
import { assertPortFree } from "#kit/http/ports";
import type { RunningService } from "#kit/server/graphql-service";
import { startGateway } from "../gateway/src/gateway";

export interface StackOptions {
  /** Ports of the four services; 0 picks free ones. @default from the environment (4000-4003) */
  ports?: { gateway: number; users: number; customers: number; analytics: number };
  /**
   * A PostgreSQL server URL on which to use (and create) the databases `users`, `customers` and
   * `analytics`. @default the `*DATABASE_URL` variables, or else an embedded server under `.data/`
   */
  serverUrl?: string;
  /** Load the demo data the first time. @default true */
  demoData?: boolean;
  /** Where the development signing key lives. @default <DATA_DIR>/keys */
  keysDir?: string;
}

/** The running supergraph: its four services (gateway last) and how to stop them all. */
export interface RunningStack {
  gateway: RunningService;
  subgraphs: Record<ServiceName, RunningService>;
  /** Stops the gateway, then the subgraphs, then the embedded PostgreSQL if one was started. */
  stop(): Promise<void>;
}

/**
 * Starts the whole supergraph in this process: PostgreSQL (embedded unless configured), one
 * database per subgraph with its migrations, the demo data on first run, the three subgraphs, and
 * the gateway routed to them. Every port is checked before anything starts, so a taken port fails
 * fast with its number.
 */
export async function startStack(options: StackOptions = {}): Promise<RunningStack> {
  const ports = options.ports ?? {
    gateway: portFromEnv("gateway"),
    users: portFromEnv("users"),
    customers: portFromEnv("customers"),
    analytics: portFromEnv("analytics"),
  };
  for (const [name, port] of Object.entries(ports))
    await assertPortFree(port, `${name}${name === "gateway" ? "" : " subgraph"}`);

  let embedded: EmbeddedPostgresServer | undefined;
  const started: RunningService[] = [];
  const stopAll = async () => {
    for (const service of started.reverse()) await service.stop().catch(() => undefined);
    await embedded?.stop();
  };
  try {
    const databaseUrls = await resolveDatabases(options.serverUrl, (server) => (embedded = server));
    const demoData = options.demoData === false ? undefined : generateDemoDataset(new Date());
    const users = await startUsersService({
      port: ports.users,
      databaseUrl: databaseUrls.users,
      demoData,
      keysDir: options.keysDir,
    });
    started.push(users);
    const usersBaseUrl = `http://localhost:${users.port}`;
    const customers = await startCustomersService({
      port: ports.customers,
      databaseUrl: databaseUrls.customers,
      demoData,
      usersBaseUrl,
    });
    started.push(customers);
    const analytics = await startAnalyticsService({
      port: ports.analytics,
      databaseUrl: databaseUrls.analytics,
      demoData,
      usersBaseUrl,
      customersUrl: customers.url,
    });
    started.push(analytics);
    const gateway = await startGateway({
      port: ports.gateway,
      subgraphUrls: { users: users.url, customers: customers.url, analytics: analytics.url },
      usersBaseUrl,
    });
    started.push(gateway);
    return { gateway, subgraphs: { users, customers, analytics }, stop: stopAll };
  } catch (error) {
    await stopAll();
    throw error;
  }
}

/**
 * Each subgraph's database URL. With `serverUrl` or `DATABASE_URL`, the databases are created on
 * that server when missing; with per-service URLs they are used as given; with nothing set, an
 * embedded PostgreSQL is started under `<DATA_DIR>/postgres`.
 */
async function resolveDatabases(
  serverUrl: string | undefined,
  onEmbedded: (server: EmbeddedPostgresServer) => void,
): Promise<Record<ServiceName, string>> {
  const configured = SERVICE_NAMES.every((name) => databaseUrlFromEnv(name));
  if (!serverUrl && configured) {
    if (process.env.DATABASE_URL)
      await createDatabasesIfMissing(process.env.DATABASE_URL, SERVICE_NAMES).catch(
        () => undefined,
      );
    return Object.fromEntries(
      SERVICE_NAMES.map((name) => [name, serviceDatabaseUrl(name)]),
    ) as Record<ServiceName, string>;
  }
  let server = serverUrl;
  if (!server) {
    const embedded = await startEmbeddedPostgres({
      dataDir: path.join(dataDir(), "postgres"),
      port: embeddedPostgresPort(),
    });
    onEmbedded(embedded);
    server = embedded.url;
  }
  await createDatabasesIfMissing(server, SERVICE_NAMES);
  return Object.fromEntries(
    SERVICE_NAMES.map((name) => [name, withDatabase(server!, name)]),
  ) as Record<ServiceName, string>;
}
