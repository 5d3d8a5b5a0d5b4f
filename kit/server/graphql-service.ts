import type { IncomingMessage } from "node:http";
import { ApolloServer, type ApolloServerOptions, type BaseContext } from "@apollo/server";
import {
  ApolloServerPluginCacheControlDisabled,
  ApolloServerPluginInlineTraceDisabled,
} from "@apollo/server/plugin/disabled";
import type { ExecutionArgs, GraphQLSchema, ValidationRule } from "graphql";
import type { OperationResult } from "graphql-ws";
import { apiKeyScopePlugin } from "../auth/api-key-scope-plugin";
import type { CredentialVerifier, VerifiedCredential } from "../auth/credentials";
import type { Viewer } from "../auth/viewer";
import type { AnyServiceName } from "../config";
import { formatError } from "../errors";
import { clientAddress, trustedProxiesFromEnv } from "../http/client-address";
import {
  sendJson,
  startGraphQLHttpServer,
  type RequestShortcut,
  type RouteHandler,
} from "../http/graphql-http-server";
import {
  introspectionEnabled,
  operationLimitRules,
  operationLimitsFromEnv,
} from "../limits/operation-limits";
import { createLogger } from "../logger";
import { metricsPlugin } from "../metrics/metrics-plugin";
import { metricsFor } from "../metrics/service-metrics";
import { createRateLimiter, rateLimitsFromEnv } from "../rate-limit/rate-limiter";
import type { DirectDeliveryFactory } from "../subscriptions/direct-delivery";
import {
  startGraphQLWebSocketServer,
  webSocketLimitsFromEnv,
} from "../subscriptions/websocket-server";
import { authenticateRequest, firstHeader } from "./request-credential";

/** A running service: where it listens and how to stop it. */
export interface RunningService {
  name: string;
  port: number;
  /** `http://localhost:<port>/graphql` */
  url: string;
  /** Stops accepting requests, waits for in-flight ones, then releases what it holds. */
  stop(): Promise<void>;
}

/** What `/ready` reports: whether the service can serve, and details (what fails, and why). */
export interface Readiness {
  ready: boolean;
  [detail: string]: unknown;
}

/** What every service's context holds: the verified caller, or `null` when anonymous. */
export interface ServiceContext extends BaseContext {
  viewer: Viewer | null;
}

/** A gateway as Apollo Server takes it (`@apollo/gateway`'s ApolloGateway). */
export type GatewayExecutor = NonNullable<ApolloServerOptions<BaseContext>["gateway"]>;

/** What serves GraphQL: a schema (a subgraph) or a gateway (the supergraph's query planner). */
export type GraphQLExecutor = { schema: GraphQLSchema } | { gateway: GatewayExecutor };

export interface GraphQLServiceOptions<TContext extends ServiceContext> {
  name: AnyServiceName;
  /** 0 picks a free port. */
  port: number;
  executor: GraphQLExecutor;
  /** Reads the `Authorization` header of each request and WebSocket (access token or API key). */
  verifyCredential: CredentialVerifier;
  /** The context of one request (or one WebSocket connection) of a verified caller, or of nobody. */
  createContext(credential: VerifiedCredential | null, req: IncomingMessage): TContext;
  /**
   * Operation cost is limited here (the gateway) or not (subgraphs: the gateway's own fetches of
   * `_entities` count every representation, and the gateway has checked the client's operation).
   */
  limitCost: boolean;
  /**
   * Requests from a trusted proxy (`TRUSTED_PROXIES`: the gateway) are not rate limited again; the
   * gateway counted them already. @default false
   */
  exemptTrustedProxies?: boolean;
  /** `/ready`: whether the service's dependencies answer. */
  readiness(): Promise<Readiness>;
  /** Routes beside `/graphql`, `/health`, `/ready` and `/metrics`. */
  routes?: Record<string, RouteHandler>;
  /** The page a browser gets on `GET /graphql`. */
  landingPage?: string;
  /**
   * GraphQL over WebSocket on the same path: the schema operations are validated against, and how
   * subscriptions and other operations run when not on that schema (the gateway). Omitted: no
   * WebSocket endpoint.
   */
  webSockets?: {
    schema: GraphQLSchema;
    subscribe?: (args: ExecutionArgs, direct: DirectDeliveryFactory) => OperationResult;
    /** Runs queries and mutations sent over the socket; given the started Apollo Server. */
    execute?: (apollo: ApolloServer<TContext>) => (args: ExecutionArgs) => OperationResult;
  };
  /**
   * Requests answered without Apollo Server when they can (the gateway's raw passthrough), given
   * the checks Apollo Server would make of their documents; counted in `/metrics` as Apollo
   * Server's answers are.
   */
  shortcut?: (checks: {
    validationRules: readonly ValidationRule[];
    maxTokens: number;
  }) => RequestShortcut<TContext>;
  /** Runs first when the service stops, before its connections close (e.g. ending subscriptions). */
  stopping?: () => Promise<void> | void;
  /**
   * Runs last when the service stops, once its connections are closed and Apollo Server stopped
   * (e.g. closing the database pool).
   */
  stopped?: () => Promise<void> | void;
}

/**
 * Serves GraphQL the one way every service here does (the gateway and each subgraph): Apollo
 * Server with the same error masking, operation limits, CSRF prevention and API key scope checks,
 * on Node's own HTTP server at `/graphql` with `/health`, `/ready` and `/metrics`, and graphql-ws on
 * the same path. Each request's credential is verified (HTTP 401 for a bad one), its caller rate
 * limited (HTTP 429), before any resolver or query plan runs.
 */
export async function startGraphQLService<TContext extends ServiceContext>(
  options: GraphQLServiceOptions<TContext>,
): Promise<RunningService> {
  const limits = operationLimitsFromEnv();
  const validationRules = operationLimitRules(limits, { withCost: options.limitCost });
  const production = process.env.NODE_ENV === "production";
  const metrics = metricsFor(options.name);
  const apollo = new ApolloServer<TContext>({
    ...options.executor,
    formatError,
    introspection: introspectionEnabled(),
    // No "Did you mean ...?" in production: they would reveal the schema without introspection.
    hideSchemaDetailsFromClientErrors: production,
    includeStacktraceInErrorResponses: false,
    validationRules,
    parseOptions: { maxTokens: limits.maxTokens },
    allowBatchedHttpRequests: false,
    csrfPrevention: true,
    // Our own shutdown drains HTTP first, then stops Apollo; its signal handlers would race that.
    stopOnTerminationSignals: false,
    // No inline traces (they would tell any caller how long each resolver took) and no
    // cache-control policy (nothing caches GraphQL answers over HTTP): both cost work per field.
    plugins: [
      ApolloServerPluginInlineTraceDisabled(),
      ApolloServerPluginCacheControlDisabled(),
      apiKeyScopePlugin<TContext>(),
      metricsPlugin<TContext>(metrics),
    ],
  } as ApolloServerOptions<TContext>);
  await apollo.start();

  const shortcut = options.shortcut?.({ validationRules, maxTokens: limits.maxTokens });
  const rateLimiter = createRateLimiter(rateLimitsFromEnv());
  const trustedProxies = trustedProxiesFromEnv();
  const exempt = (req: IncomingMessage) =>
    options.exemptTrustedProxies === true && trustedProxies.has(req.socket.remoteAddress ?? "");
  const listening = await startGraphQLHttpServer<TContext>({
    port: options.port,
    apollo,
    purpose: options.name === "gateway" ? "gateway" : `${options.name} subgraph`,
    log: createLogger(options.name),
    landingPage: options.landingPage,
    shortcut: shortcut && countedShortcut(shortcut, metrics),
    admit: async (req) =>
      exempt(req)
        ? { allowed: true }
        : rateLimiter.admitAddress(clientAddress(req, trustedProxies)),
    context: async (req) => {
      const credential = await authenticateRequest(
        firstHeader(req, "authorization"),
        options.verifyCredential,
        exempt(req) ? null : rateLimiter,
      );
      return options.createContext(credential, req);
    },
    routes: {
      "/health": (_req, res) => sendJson(res, 200, { status: "ok", service: options.name }),
      "/metrics": metricsRoute(options.name),
      "/ready": async (_req, res) => {
        const readiness = await options.readiness();
        sendJson(res, readiness.ready ? 200 : 503, {
          status: readiness.ready ? "ready" : "unavailable",
          service: options.name,
          ...readiness,
        });
      },
      ...options.routes,
    },
  });

  const ws = options.webSockets;
  const webSockets = ws
    ? startGraphQLWebSocketServer<TContext>({
        server: listening.server,
        schema: ws.schema,
        verifyCredential: options.verifyCredential,
        createContext: (credential, req) => options.createContext(credential, req),
        limits: webSocketLimitsFromEnv(),
        operationLimits: {
          validationRules,
          maxTokens: limits.maxTokens,
          hideSchemaDetails: production,
        },
        admitCaller: async (viewer, req) =>
          exempt(req) ? { allowed: true } : rateLimiter.admitCaller(viewer),
        subscribe: ws.subscribe,
        execute: ws.execute?.(apollo),
      })
    : null;
  if (webSockets) {
    metrics.observeWebSockets(() => ({
      connections: webSockets.connectionCount,
      subscriptions: webSockets.subscriptionCount,
    }));
  }

  return {
    name: options.name,
    port: listening.port,
    url: listening.url,
    async stop() {
      await options.stopping?.();
      // Subscriptions first (clients see 1001 Going away), then HTTP drains.
      await webSockets?.close();
      await listening.close();
      await rateLimiter.close();
      await apollo.stop();
      await options.stopped?.();
    },
  };
}

/** `shortcut` with each answer it gives counted and timed as {@link metricsPlugin} does. */
function countedShortcut<TContext>(
  shortcut: RequestShortcut<TContext>,
  metrics: ReturnType<typeof metricsFor>,
): RequestShortcut<TContext> {
  return async (body, context) => {
    const started = process.hrtime.bigint();
    const answer = await shortcut(body, context);
    if (answer) {
      const operation = metrics.operationLabel(answer.operationName);
      metrics.graphqlRequests.inc({ operation, outcome: "ok" });
      metrics.rawAnswers.inc({ operation });
      metrics.graphqlDuration.observe(
        { operation },
        Number(process.hrtime.bigint() - started) / 1e9,
      );
    }
    return answer;
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
