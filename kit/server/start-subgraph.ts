import type { IncomingMessage } from "node:http";
import type { GraphQLSchema } from "graphql";
import type { DataSource } from "typeorm";
import { createRemoteAccessTokenVerifier, type AccessTokenVerifier } from "../auth/access-token";
import {
  createCredentialVerifier,
  createRemoteApiKeyExchange,
  type ApiKeyExchange,
} from "../auth/credentials";
import type { Viewer } from "../auth/viewer";
import { portFromEnv, serviceDatabaseUrl, USERS_AUTH_PATHS, usersBaseUrlFromEnv } from "../config";
import type { ConnectOptions } from "../database/connect";
import type { ServiceName } from "../database/database-url";
import { demoDatasetFromEnv, type DemoDataset } from "#dev/demo/demo-dataset";
import { prepareDatabase } from "../database/prepare-database";
import type { RouteHandler } from "../http/graphql-http-server";
import { createLogger } from "../logger";
import {
  startSubgraphServer,
  type BaseSubgraphContext,
  type RunningService,
} from "./serve-subgraph";

/** What may be chosen when starting any subgraph; everything defaults from the environment. */
export interface SubgraphServiceOptions {
  /** @default <SERVICE>_PORT or the design's port; 0 picks a free port */
  port?: number;
  /**
   * @default <SERVICE>_DATABASE_URL, DATABASE_URL with the service's database, or the embedded
   *   server
   */
  databaseUrl?: string;
  /**
   * Where the users subgraph answers, for its public keys and API key exchange.
   * @default USERS_BASE_URL or http://localhost:4001
   */
  usersBaseUrl?: string;
  connect?: ConnectOptions;
  /**
   * Load this subgraph's part of the demo data set after migrating, unless it is already there.
   * @default from DEMO_DATA=true
   */
  demoData?: DemoDataset;
}

/** How one subgraph is made: the parts that differ between users, customers and analytics. */
export interface SubgraphDefinition<TContext extends BaseSubgraphContext> {
  name: ServiceName;
  createDataSource(url: string): DataSource;
  buildSchema(): Promise<GraphQLSchema>;
  createContext(
    dataSource: DataSource,
    viewer: Viewer | null,
    req: IncomingMessage,
    accessToken: string | null,
  ): TContext;
  /**
   * Verification of its own (the users subgraph holds the keys); by default through the users
   * service.
   */
  verifyAccessToken?: AccessTokenVerifier;
  exchangeApiKey?: (dataSource: DataSource) => ApiKeyExchange;
  /** Routes beside `/graphql`, made once the database is ready. */
  routes?: (dataSource: DataSource) => Record<string, RouteHandler>;
  /**
   * Runs once the schema is migrated, before serving (e.g. to clean up after a crash, or start
   * background work).
   */
  prepare?(dataSource: DataSource): Promise<void>;
  /**
   * Runs when the service stops (or fails to start after `prepare`), before the database pool
   * closes.
   */
  stop?(): Promise<void>;
  /** Inserts its part of the demo data set; resolves false when it was already there. */
  seedDemoData(dataSource: DataSource, dataset: DemoDataset): Promise<boolean>;
}

/**
 * Starts a subgraph: connects to its database (with retries), runs pending migrations, loads the
 * demo data when asked, builds its schema and serves it. If anything fails after connecting, the
 * pool is closed before rejecting.
 */
export async function startSubgraphService<TContext extends BaseSubgraphContext>(
  definition: SubgraphDefinition<TContext>,
  options: SubgraphServiceOptions = {},
): Promise<RunningService> {
  const log = createLogger(definition.name);
  const usersBase = options.usersBaseUrl ?? usersBaseUrlFromEnv();
  const url = options.databaseUrl ?? serviceDatabaseUrl(definition.name);
  const dataSource = await prepareDatabase(
    definition.createDataSource(url),
    url,
    log,
    options.connect,
  );
  try {
    await definition.prepare?.(dataSource);
    const demoData = options.demoData ?? demoDatasetFromEnv();
    if (demoData && (await definition.seedDemoData(dataSource, demoData)))
      log.info("loaded the demo data");
    const running = await startSubgraphServer({
      name: definition.name,
      port: options.port ?? portFromEnv(definition.name),
      schema: await definition.buildSchema(),
      dataSource,
      verifyCredential: createCredentialVerifier(
        definition.verifyAccessToken ??
          createRemoteAccessTokenVerifier(`${usersBase}${USERS_AUTH_PATHS.jwks}`),
        definition.exchangeApiKey?.(dataSource) ??
          createRemoteApiKeyExchange(`${usersBase}${USERS_AUTH_PATHS.apiKeyToken}`),
      ),
      createContext: (viewer, req, accessToken) =>
        definition.createContext(dataSource, viewer, req, accessToken),
      routes: definition.routes?.(dataSource),
      beforeDatabaseCloses: definition.stop,
    });
    return running;
  } catch (error) {
    await definition.stop?.().catch(() => undefined);
    await dataSource.destroy();
    throw error;
  }
}
