import type { IncomingMessage } from "node:http";
import { ApolloServer } from "@apollo/server";
import { ApolloServerPluginInlineTraceDisabled } from "@apollo/server/plugin/disabled";
import { GraphQLError, type GraphQLSchema } from "graphql";
import type { DataSource } from "typeorm";
import { apiKeyScopePlugin } from "./auth/api-key-scope-plugin";
import type { CredentialVerifier } from "./auth/credentials";
import type { Viewer } from "./auth/viewer";
import type { ServiceName } from "./database/database-url";
import { formatError } from "./errors";
import { sendJson, startGraphQLHttpServer, type RouteHandler } from "./http/graphql-http-server";
import { startGraphQLWebSocketServer, webSocketLimitsFromEnv } from "./subscriptions/websocket-server";

/** What every subgraph's request context holds. */
export interface BaseSubgraphContext {
  /** The verified caller, or `null` for an anonymous request. */
  viewer: Viewer | null;
}

export interface SubgraphServerOptions<TContext extends BaseSubgraphContext> {
  name: ServiceName;
  /** 0 picks a free port. */
  port: number;
  schema: GraphQLSchema;
  /** An initialized data source; `/ready` checks it and `stop()` destroys it. */
  dataSource: DataSource;
  /** Reads the `Authorization` header of each request (access token or API key). */
  verifyCredential: CredentialVerifier;
  /** Builds the rest of the context (DataLoaders, repositories) for one request. */
  /** `accessToken` is the caller's verified token (an API key's exchanged one), to call other services as them. */
  createContext: (viewer: Viewer | null, req: IncomingMessage, accessToken: string | null) => TContext;
  routes?: Record<string, RouteHandler>;
  /** Runs during `stop()`, after HTTP and WebSocket connections are closed, before the pool closes. */
  beforeDatabaseCloses?: () => Promise<void>;
}

/** A running service: where it listens and how to stop it. */
export interface RunningService {
  name: string;
  port: number;
  /** `http://localhost:<port>/graphql` */
  url: string;
  /** Stops accepting requests, waits for in-flight ones, then closes its database pool. */
  stop(): Promise<void>;
}

/**
 * Serves a subgraph schema on `/graphql`, with `/health` (liveness) and `/ready` (the database
 * answers). Every request's `Authorization` header is verified here, and API key scopes are
 * enforced before any resolver runs, so a subgraph reached directly is as strict as one reached
 * through the gateway.
 */
export async function startSubgraphServer<TContext extends BaseSubgraphContext>(options: SubgraphServerOptions<TContext>): Promise<RunningService> {
  const apollo = new ApolloServer<TContext>({
    schema: options.schema,
    formatError,
    introspection: process.env.NODE_ENV !== "production",
    includeStacktraceInErrorResponses: false,
    // Our own shutdown drains HTTP first, then stops Apollo; its signal handlers would race that.
    stopOnTerminationSignals: false,
    // Inline traces would tell any caller how long each resolver took; usage reporting is not used.
    plugins: [ApolloServerPluginInlineTraceDisabled(), apiKeyScopePlugin<TContext>()],
  });
  await apollo.start();

  const listening = await startGraphQLHttpServer<TContext>({
    port: options.port,
    apollo,
    purpose: `${options.name} subgraph`,
    context: async (req: IncomingMessage) => {
      try {
        const credential = await options.verifyCredential(header(req, "authorization"));
        return options.createContext(credential?.viewer ?? null, req, credential?.accessToken ?? null);
      } catch (error) {
        if (error instanceof GraphQLError) {
          throw new GraphQLError(error.message, { extensions: { ...error.extensions, http: { status: 401 } } });
        }
        throw error;
      }
    },
    routes: {
      "/health": (_req, res) => sendJson(res, 200, { status: "ok", service: options.name }),
      "/ready": async (_req, res) => {
        try {
          await options.dataSource.query("SELECT 1");
          sendJson(res, 200, { status: "ready", service: options.name });
        } catch (error) {
          sendJson(res, 503, { status: "unavailable", service: options.name, failing: "database", reason: (error as Error).message });
        }
      },
      ...options.routes,
    },
  });

  // Subscriptions, when the schema has any: graphql-ws on the same path.
  const webSockets = options.schema.getSubscriptionType()
    ? startGraphQLWebSocketServer<TContext>({
        server: listening.server,
        schema: options.schema,
        verifyCredential: options.verifyCredential,
        createContext: (credential, req) => options.createContext(credential.viewer, req, credential.accessToken),
        limits: webSocketLimitsFromEnv(),
      })
    : null;

  return {
    name: options.name,
    port: listening.port,
    url: listening.url,
    async stop() {
      await webSockets?.close();
      await listening.close();
      await options.beforeDatabaseCloses?.();
      await apollo.stop();
      if (options.dataSource.isInitialized) await options.dataSource.destroy();
    },
  };
}

function header(req: IncomingMessage, name: string): string | undefined {
  const value = req.headers[name];
  return Array.isArray(value) ? value[0] : value;
}
