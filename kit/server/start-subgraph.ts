import type { IncomingMessage } from "node:http";
import type { GraphQLSchema } from "graphql";
import type { DataSource } from "typeorm";
import { createRemoteAccessTokenVerifier, type AccessTokenVerifier } from "../auth/access-token";
import {
  createCredentialVerifier,
  createRemoteApiKeyExchange,
  type ApiKeyExchange,
  type VerifiedCredential,
} from "../auth/credentials";
import { portFromEnv, serviceDatabaseUrl, USERS_AUTH_PATHS, usersBaseUrlFromEnv } from "../config";
import type { ConnectOptions } from "../database/connect";
import type { ServiceName } from "../database/database-url";
import { prepareDatabase } from "../database/prepare-database";
import type { RouteHandler } from "../http/graphql-http-server";
import { createLogger } from "../logger";
import {
  startGraphQLService,
  type Readiness,
  type RunningService,
  type ServiceContext,
} from "./graphql-service";

/** What may be chosen when starting any subgraph; everything defaults from the environment. */
export interface SubgraphOptions<TDemoData = unknown> {
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
  /** Load this subgraph's part of a demo data set after migrating, unless it is already there. */
  demoData?: TDemoData;
}

/** How one subgraph is made: the parts that differ between users, customers and analytics. */
export interface SubgraphDefinition<TContext extends ServiceContext, TDemoData = unknown> {
  name: ServiceName;
  createDataSource(url: string): DataSource;
  buildSchema(): Promise<GraphQLSchema>;
  /**
   * The context of one request; `credential.accessToken` is the caller's verified token (an API
   * key's exchanged one), to call other services as them.
   */
  createContext(
    dataSource: DataSource,
    credential: VerifiedCredential | null,
    req: IncomingMessage,
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
  seedDemoData(dataSource: DataSource, dataset: TDemoData): Promise<boolean>;
}

/**
 * Starts a subgraph: connects to its database (with retries), runs pending migrations, loads the
 * demo data when given, builds its schema and serves it (see {@link startGraphQLService}), with
 * `/ready` answering whether the database does. Every request's credential is verified here, so a
 * subgraph reached directly is as strict as one reached through the gateway. If anything fails
 * after connecting, the pool is closed before rejecting.
 */
export async function startSubgraph<TContext extends ServiceContext, TDemoData>(
  definition: SubgraphDefinition<TContext, TDemoData>,
  options: SubgraphOptions<TDemoData> = {},
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
    if (options.demoData && (await definition.seedDemoData(dataSource, options.demoData)))
      log.info("loaded the demo data");
    const schema = await definition.buildSchema();
    return await startGraphQLService<TContext>({
      name: definition.name,
      port: options.port ?? portFromEnv(definition.name),
      executor: { schema },
      limitCost: false,
      exemptTrustedProxies: true,
      verifyCredential: createCredentialVerifier(
        definition.verifyAccessToken ??
          createRemoteAccessTokenVerifier(`${usersBase}${USERS_AUTH_PATHS.jwks}`),
        definition.exchangeApiKey?.(dataSource) ??
          createRemoteApiKeyExchange(`${usersBase}${USERS_AUTH_PATHS.apiKeyToken}`),
      ),
      createContext: (credential, req) => definition.createContext(dataSource, credential, req),
      readiness: () => databaseReadiness(dataSource),
      routes: definition.routes?.(dataSource),
      webSockets: schema.getSubscriptionType() ? { schema } : undefined,
      stopped: async () => {
        await definition.stop?.();
        if (dataSource.isInitialized) await dataSource.destroy();
      },
    });
  } catch (error) {
    await definition.stop?.().catch(() => undefined);
    await dataSource.destroy();
    throw error;
  }
}

/** Ready when the database answers `SELECT 1`. */
async function databaseReadiness(dataSource: DataSource): Promise<Readiness> {
  try {
    await dataSource.query("SELECT 1");
    return { ready: true };
  } catch (error) {
    return { ready: false, failing: "database", reason: (error as Error).message };
  }
}
