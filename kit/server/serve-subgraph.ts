import type { IncomingMessage } from "node:http";
import { ApolloServer } from "@apollo/server";
import {
  ApolloServerPluginCacheControlDisabled,
  ApolloServerPluginInlineTraceDisabled,
} from "@apollo/server/plugin/disabled";
import { GraphQLError, type GraphQLSchema } from "graphql";
import type { DataSource } from "typeorm";
import { apiKeyScopePlugin } from "../auth/api-key-scope-plugin";
import type { CredentialVerifier } from "../auth/credentials";
import type { Viewer } from "../auth/viewer";
import type { ServiceName } from "../database/database-url";
import { ErrorCode, formatError } from "../errors";
import { createLogger } from "../logger";
import { sendJson, startGraphQLHttpServer, type RouteHandler } from "../http/graphql-http-server";
import {
  startGraphQLWebSocketServer,
  webSocketLimitsFromEnv,
} from "../subscriptions/websocket-server";
import {
  introspectionEnabled,
  operationLimitRules,
  operationLimitsFromEnv,
} from "../limits/operation-limits";
import { clientAddress, trustedProxiesFromEnv } from "../http/client-address";
import { createRateLimiter, rateLimitedError, rateLimitsFromEnv } from "../rate-limit/rate-limiter";
import { metricsPlugin } from "../metrics/metrics-plugin";
import { metricsFor } from "../metrics/service-metrics";

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
  /**
   * `accessToken` is the caller's verified token (an API key's exchanged one), to call other
   * services as them.
   */
  createContext: (
    viewer: Viewer | null,
    req: IncomingMessage,
    accessToken: string | null,
  ) => TContext;
  routes?: Record<string, RouteHandler>;
  /**
   * Runs during `stop()`, after HTTP and WebSocket connections are closed, before the pool closes.
   */
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
export async function startSubgraphServer<TContext extends BaseSubgraphContext>(
  options: SubgraphServerOptions<TContext>,
): Promise<RunningService> {
  // The same limits as the gateway, but cost: the gateway's fetches of `_entities` count every
  // representation, and the gateway has already checked the client's operation.
  const limits = operationLimitsFromEnv();
  const validationRules = operationLimitRules(limits, { withCost: false });
  const production = process.env.NODE_ENV === "production";
  const apollo = new ApolloServer<TContext>({
    schema: options.schema,
    formatError,
    introspection: introspectionEnabled(),
    hideSchemaDetailsFromClientErrors: production,
    includeStacktraceInErrorResponses: false,
    validationRules,
    parseOptions: { maxTokens: limits.maxTokens },
    allowBatchedHttpRequests: false,
    csrfPrevention: true,
    // Our own shutdown drains HTTP first, then stops Apollo; its signal handlers would race that.
    stopOnTerminationSignals: false,
    // Inline traces would tell any caller how long each resolver took; usage reporting is not used.
    // No inline traces (nothing reads them) and no cache-control hints (no HTTP caching of GraphQL
    // answers here): both cost work on every resolved field.
    plugins: [
      ApolloServerPluginInlineTraceDisabled(),
      ApolloServerPluginCacheControlDisabled(),
      apiKeyScopePlugin<TContext>(),
      metricsPlugin<TContext>(metricsFor(options.name)),
    ],
  });
  await apollo.start();

  // Callers that reach the subgraph directly are rate limited like at the gateway; the gateway
  // itself (a trusted proxy) is not, as it has already counted the client's request.
  const rateLimiter = createRateLimiter(rateLimitsFromEnv());
  const trustedProxies = trustedProxiesFromEnv();
  const listening = await startGraphQLHttpServer<TContext>({
    port: options.port,
    apollo,
    purpose: `${options.name} subgraph`,
    log: createLogger(options.name),
    admit: async (req) =>
      trustedProxies.has(req.socket.remoteAddress ?? "")
        ? { allowed: true }
        : rateLimiter.admitAddress(clientAddress(req, trustedProxies)),
    context: async (req: IncomingMessage) => {
      try {
        const credential = await options.verifyCredential(header(req, "authorization"));
        if (credential && !trustedProxies.has(req.socket.remoteAddress ?? "")) {
          const admission = await rateLimiter.admitCaller(credential.viewer);
          if (!admission.allowed) throw rateLimitedError(admission.retryAfterSeconds);
        }
        return options.createContext(
          credential?.viewer ?? null,
          req,
          credential?.accessToken ?? null,
        );
      } catch (error) {
        if (error instanceof GraphQLError && error.extensions.code === ErrorCode.RateLimited)
          throw error;
        if (error instanceof GraphQLError) {
          throw new GraphQLError(error.message, {
            extensions: { ...error.extensions, http: { status: 401 } },
          });
        }
        throw error;
      }
    },
    routes: {
      "/health": (_req, res) => sendJson(res, 200, { status: "ok", service: options.name }),
      "/metrics": metricsRoute(options.name),
      "/ready": async (_req, res) => {
        try {
          await options.dataSource.query("SELECT 1");
          sendJson(res, 200, { status: "ready", service: options.name });
        } catch (error) {
          sendJson(res, 503, {
            status: "unavailable",
            service: options.name,
            failing: "database",
            reason: (error as Error).message,
          });
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
        createContext: (credential, req) =>
          options.createContext(credential.viewer, req, credential.accessToken),
        limits: webSocketLimitsFromEnv(),
        operationLimits: {
          validationRules,
          maxTokens: limits.maxTokens,
          hideSchemaDetails: production,
        },
        admitCaller: async (viewer, req) =>
          trustedProxies.has(req.socket.remoteAddress ?? "")
            ? { allowed: true }
            : rateLimiter.admitCaller(viewer),
      })
    : null;
  if (webSockets)
    metricsFor(options.name).observeWebSockets(() => ({
      connections: webSockets.connectionCount,
      subscriptions: webSockets.subscriptionCount,
    }));

  return {
    name: options.name,
    port: listening.port,
    url: listening.url,
    async stop() {
      await webSockets?.close();
      await listening.close();
      await rateLimiter.close();
      await options.beforeDatabaseCloses?.();
      await apollo.stop();
      if (options.dataSource.isInitialized) await options.dataSource.destroy();
    },
  };
}

/** `GET /metrics`: the service's metrics in Prometheus's text format. */
export function metricsRoute(service: string): RouteHandler {
  return async (_req, res) => {
    const registry = metricsFor(service).registry;
    const body = await registry.metrics();
    res.writeHead(200, {
      "content-type": registry.contentType,
      "content-length": Buffer.byteLength(body),
    });
    res.end(body);
  };
}

function header(req: IncomingMessage, name: string): string | undefined {
  const value = req.headers[name];
  return Array.isArray(value) ? value[0] : value;
}
