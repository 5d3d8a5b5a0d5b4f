import "reflect-metadata";
import { startEmbeddedPostgres, type EmbeddedPostgresServer } from "#dev/embedded-postgres";
import { generateDemoDataset } from "#dev/demo/demo-dataset";
import type { RunningService } from "#kit/server/graphql-service";
import { startGateway } from "../gateway/src/gateway";
import { startAnalyticsService } from "../subgraphs/analytics/src/service";
import { startCustomersService } from "../subgraphs/customers/src/service";
import { startUsersService } from "../subgraphs/users/src/service";
import { planDatabase, serviceDatabases } from "./database";
import type { RunningStack, StackOptions, StackPorts } from "./stack-options";

/**
 * The whole supergraph in this process: PostgreSQL (embedded unless configured), one database per
 * subgraph with its migrations, the demo data on first run, the three subgraphs, and the gateway
 * routed to them.
 */
export async function startInProcessStack(
  options: StackOptions,
  ports: StackPorts,
): Promise<RunningStack> {
  let embedded: EmbeddedPostgresServer | undefined;
  const started: RunningService[] = [];
  const stopAll = async () => {
    for (const service of started.reverse()) await service.stop().catch(() => undefined);
    await embedded?.stop();
  };
  try {
    const plan = planDatabase(options);
    if (plan.kind === "embedded") embedded = await startEmbeddedPostgres(plan);
    const serverUrl = plan.kind === "embedded" ? embedded?.url : plan.serverUrl;
    const databaseUrls = await serviceDatabases(plan, serverUrl, { reset: options.resetDatabases });
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
      keysDir: options.keysDir,
    });
    started.push(analytics);
    const gateway = await startGateway({
      port: ports.gateway,
      subgraphUrls: { users: users.url, customers: customers.url, analytics: analytics.url },
      usersBaseUrl,
    });
    started.push(gateway);
    return { gateway, subgraphs: { users, customers, analytics }, serverUrl, stop: stopAll };
  } catch (error) {
    await stopAll();
    throw error;
  }
}
