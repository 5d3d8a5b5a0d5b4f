import type { IncomingMessage } from "node:http";
import { ApolloGateway } from "@apollo/gateway";
import { ApolloServer } from "@apollo/server";
import { ApolloServerPluginCacheControlDisabled } from "@apollo/server/plugin/disabled";
import { GraphQLError, print, type ExecutionResult } from "graphql";
import { createRemoteAccessTokenVerifier } from "#kit/auth/access-token";
import { apiKeyScopePlugin } from "#kit/auth/api-key-scope-plugin";
import { createCredentialVerifier, createRemoteApiKeyExchange } from "#kit/auth/credentials";
import { USERS_AUTH_PATHS } from "#kit/config";
import { ErrorCode, formatError } from "#kit/errors";
import { requestIdOf, sendJson, startGraphQLHttpServer } from "#kit/http/graphql-http-server";
import { createLogger } from "#kit/logger";
import { startTracing } from "#kit/tracing";
import { metricsRoute, type RunningService } from "#kit/server/serve-subgraph";
import { metricsPlugin } from "#kit/metrics/metrics-plugin";
import { metricsFor } from "#kit/metrics/service-metrics";
import {
  startGraphQLWebSocketServer,
  webSocketLimitsFromEnv,
} from "#kit/subscriptions/websocket-server";
import {
  introspectionEnabled,
  operationLimitRules,
  operationLimitsFromEnv,
} from "#kit/limits/operation-limits";
import { clientAddress } from "#kit/http/client-address";
import {
  createRateLimiter,
  rateLimitedError,
  rateLimitsFromEnv,
} from "#kit/rate-limit/rate-limiter";
import { gatewayConfigFromEnv, type GatewayConfig } from "./config";
import type { GatewayContext } from "./context";
import { explorerRoutes, landingPage } from "./explorer/explorer-routes";
import { checkReadiness } from "./readiness";
import { SingleSubgraphOperations } from "./passthrough/subgraph-passthrough";
import { SubgraphDataSource } from "./subgraph-data-source";
import { FederatedSubscriptions } from "./subscriptions/federated-subscriptions";
import { SubscriptionPlanner } from "./subscriptions/subscription-planner";
import { UpstreamConnections } from "./subscriptions/upstream-connections";
import { loadSupergraph } from "./supergraph";

/**
 * Starts the gateway: `@apollo/gateway` over the static supergraph, served by Apollo Server on
 * `/graphql`, with `/health` for liveness. It verifies each request's credential once (a bad one is
 * HTTP 401 before any planning), enforces API key scopes, and forwards a verified access token.
 */
export async function startGateway(
  overrides: Partial<GatewayConfig> = {},
): Promise<RunningService> {
  const config = { ...gatewayConfigFromEnv(), ...overrides };
  const tracing = startTracing("gateway");
  const supergraphSdl = await loadSupergraph(config.supergraphPath);
  const urlOf = (name: string, routingUrl?: string) => config.subgraphUrls[name] ?? routingUrl!;
  const planner = new SubscriptionPlanner(supergraphSdl);
  // Where each subgraph of the supergraph really is (its routing URL, or the override).
  const routingUrls = new Map(
    planner.subgraphs.map((subgraph) => [subgraph.name, urlOf(subgraph.name, subgraph.url)]),
  );
  // One data source (one keep-alive pool) per subgraph, for queries, passthrough and subscriptions
  // alike.
  const services = new Map(
    [...routingUrls].map(([name, url]) => [
      name,
      new SubgraphDataSource(
        name,
        url,
        config.subgraphTimeoutMs,
        config.deduplicateSubgraphQueries,
      ),
    ]),
  );
  const apolloGateway = new ApolloGateway({
    supergraphSdl,
    buildService: ({ name, url }) =>
      services.get(name) ??
      new SubgraphDataSource(
        name,
        urlOf(name, url),
        config.subgraphTimeoutMs,
        config.deduplicateSubgraphQueries,
      ),
  });
  // Not with @inaccessible in the supergraph: a subgraph could answer with what the API hides.
  const singleSubgraph =
    config.singleSubgraphPassthrough && !supergraphSdl.includes("@inaccessible")
      ? new SingleSubgraphOperations(planner, services)
      : null;
  const gateway = singleSubgraph
    ? withSingleSubgraphPassthrough(apolloGateway, singleSubgraph)
    : apolloGateway;
  const verifyCredential = createCredentialVerifier(
    createRemoteAccessTokenVerifier(`${config.usersBaseUrl}${USERS_AUTH_PATHS.jwks}`),
    createRemoteApiKeyExchange(`${config.usersBaseUrl}${USERS_AUTH_PATHS.apiKeyToken}`),
  );
  const limits = operationLimitsFromEnv();
  const validationRules = operationLimitRules(limits);
  const production = process.env.NODE_ENV === "production";
  const apollo = new ApolloServer<GatewayContext>({
    gateway: gateway as unknown as ConstructorParameters<typeof ApolloServer>[0] extends {
      gateway?: infer G;
    }
      ? G
      : never,
    formatError,
    introspection: introspectionEnabled(),
    // No "Did you mean ...?" in production: they would reveal the schema without introspection.
    hideSchemaDetailsFromClientErrors: production,
    includeStacktraceInErrorResponses: false,
    validationRules,
    parseOptions: { maxTokens: limits.maxTokens },
    allowBatchedHttpRequests: false,
    csrfPrevention: true,
    // No cache-control policy: nothing caches GraphQL answers over HTTP, and computing it reads
    // every subgraph response's headers.
    plugins: [
      ApolloServerPluginCacheControlDisabled(),
      apiKeyScopePlugin<GatewayContext>(),
      metricsPlugin<GatewayContext>(metricsFor("gateway")),
    ],
    // Our own shutdown drains HTTP first, then stops Apollo; its signal handlers would race that.
    stopOnTerminationSignals: false,
  });
  await apollo.start();
  const rateLimiter = createRateLimiter(rateLimitsFromEnv());
  const listening = await startGraphQLHttpServer<GatewayContext>({
    port: config.port,
    apollo,
    purpose: "gateway",
    log: createLogger("gateway"),
    landingPage: landingPage(`http://localhost:${config.port || 4000}/graphql`),
    admit: (req) => rateLimiter.admitAddress(clientAddress(req)),
    context: async (req: IncomingMessage): Promise<GatewayContext> => {
      try {
        const credential = await verifyCredential(firstHeader(req, "authorization"));
        if (credential) {
          const admission = await rateLimiter.admitCaller(credential.viewer);
          if (!admission.allowed) throw rateLimitedError(admission.retryAfterSeconds);
        }
        return {
          viewer: credential?.viewer ?? null,
          accessToken: credential?.accessToken,
          forwardedFor: forwardedFor(req),
          requestId: requestIdOf(req),
        };
      } catch (error) {
        if (error instanceof GraphQLError && error.extensions.code === ErrorCode.RateLimited)
          throw error;
        if (error instanceof GraphQLError) {
          const status = error.extensions.code === ErrorCode.Unauthenticated ? 401 : 503;
          throw new GraphQLError(error.message, {
            extensions: { code: error.extensions.code, http: { status } },
          });
        }
        throw error;
      }
    },
    routes: {
      "/health": (_req, res) => sendJson(res, 200, { status: "ok", service: "gateway" }),
      "/metrics": metricsRoute("gateway"),
      ...explorerRoutes(),
      "/ready": async (_req, res) => {
        const readiness = await checkReadiness(Object.fromEntries(routingUrls));
        sendJson(res, readiness.ready ? 200 : 503, {
          status: readiness.ready ? "ready" : "unavailable",
          service: "gateway",
          ...readiness,
        });
      },
    },
  });

  // Subscriptions (and any operation sent over the socket) on the same URL, over graphql-ws.
  const upstream = new UpstreamConnections((name) => routingUrls.get(name)!);
  const federated = new FederatedSubscriptions(
    planner,
    Object.fromEntries(services),
    upstream,
    singleSubgraph ? (name, document) => singleSubgraph.validFor(name, document) : undefined,
  );
  const webSockets = startGraphQLWebSocketServer<GatewayContext>({
    server: listening.server,
    schema: planner.clientSchema,
    verifyCredential,
    createContext: (credential, req) => ({
      viewer: credential.viewer,
      accessToken: credential.accessToken,
      forwardedFor: forwardedFor(req),
    }),
    limits: webSocketLimitsFromEnv(),
    operationLimits: {
      validationRules,
      maxTokens: limits.maxTokens,
      hideSchemaDetails: production,
    },
    admitCaller: (viewer) => rateLimiter.admitCaller(viewer),
    subscribe: (args, direct) => federated.subscribe(args, direct),
    execute: async (args): Promise<ExecutionResult> => {
      const response = await apollo.executeOperation(
        {
          query: print(args.document),
          variables: (args.variableValues ?? undefined) as Record<string, unknown> | undefined,
          operationName: args.operationName ?? undefined,
        },
        { contextValue: args.contextValue as GatewayContext },
      );
      return (
        response.body.kind === "single"
          ? response.body.singleResult
          : { errors: [new GraphQLError("Incremental delivery is not supported over WebSocket.")] }
      ) as ExecutionResult;
    },
  });

  metricsFor("gateway").observeWebSockets(() => ({
    connections: webSockets.connectionCount,
    subscriptions: webSockets.subscriptionCount,
  }));

  return {
    name: "gateway",
    port: listening.port,
    url: listening.url,
    async stop() {
      // Subscriptions first (clients see 1001 Going away), then HTTP drains.
      federated.close();
      await webSockets.close();
      await upstream.close();
      await listening.close();
      await apollo.stop();
      await rateLimiter.close();
      await tracing?.shutdown();
    },
  };
}

/**
 * `@apollo/gateway` as Apollo Server sees it, except that operations one subgraph answers alone
 * are run by `single` (see {@link SingleSubgraphOperations}).
 */
function withSingleSubgraphPassthrough(
  gateway: ApolloGateway,
  single: SingleSubgraphOperations,
): ApolloGateway {
  return {
    onSchemaLoadOrUpdate: (callback: Parameters<ApolloGateway["onSchemaLoadOrUpdate"]>[0]) =>
      gateway.onSchemaLoadOrUpdate(callback),
    stop: () => gateway.stop(),
    load: async (options: Parameters<ApolloGateway["load"]>[0]) => {
      const loaded = await gateway.load(options);
      const executor = loaded.executor;
      return {
        ...loaded,
        executor: async (requestContext: Parameters<typeof executor>[0]) =>
          (await single.execute(requestContext as never)) ?? executor(requestContext),
      };
    },
  } as unknown as ApolloGateway;
}

/** The `X-Forwarded-For` to send on: the client's own header, then the address the gateway saw. */
function forwardedFor(req: IncomingMessage): string | undefined {
  const incoming = firstHeader(req, "x-forwarded-for");
  const peer = req.socket.remoteAddress;
  return [incoming, peer].filter(Boolean).join(", ") || undefined;
}

function firstHeader(req: IncomingMessage, name: string): string | undefined {
  const value = req.headers[name];
  return Array.isArray(value) ? value[0] : value;
}
