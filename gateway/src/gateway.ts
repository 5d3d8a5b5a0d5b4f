import type { IncomingMessage } from "node:http";
import { ApolloGateway } from "@apollo/gateway";
import { GraphQLError, print, type ExecutionResult } from "graphql";
import { createRemoteAccessTokenVerifier } from "#kit/auth/access-token";
import { createCredentialVerifier, createRemoteApiKeyExchange } from "#kit/auth/credentials";
import { USERS_AUTH_PATHS } from "#kit/config";
import { requestIdOf } from "#kit/http/graphql-http-server";
import { startTracing } from "#kit/tracing";
import {
  startGraphQLService,
  type GatewayExecutor,
  type RunningService,
} from "#kit/server/graphql-service";
import { firstHeader } from "#kit/server/request-credential";
import { gatewayConfigFromEnv, type GatewayConfig } from "./config";
import type { GatewayContext } from "./context";
import { explorerRoutes, landingPage } from "./explorer/explorer-routes";
import { checkReadiness } from "./readiness";
import { PlannedQueries } from "./execution/planned-queries";
import { RawPassthrough } from "./passthrough/raw-passthrough";
import { SubgraphPassthrough, withPassthrough } from "./passthrough/subgraph-passthrough";
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
  const passthrough =
    config.singleSubgraphPassthrough && !supergraphSdl.includes("@inaccessible")
      ? new SubgraphPassthrough(planner, services)
      : null;
  const gateway = passthrough ? withPassthrough(apolloGateway, passthrough) : apolloGateway;
  const verifyCredential = createCredentialVerifier(
    createRemoteAccessTokenVerifier(`${config.usersBaseUrl}${USERS_AUTH_PATHS.jwks}`),
    createRemoteApiKeyExchange(`${config.usersBaseUrl}${USERS_AUTH_PATHS.apiKeyToken}`),
  );
  // Subscriptions (and any operation sent over the socket) on the same URL, over graphql-ws.
  const upstream = new UpstreamConnections((name) => routingUrls.get(name)!);
  const federated = new FederatedSubscriptions(
    planner,
    Object.fromEntries(services),
    upstream,
    passthrough ? (name, document) => passthrough.canForward(name, document) : undefined,
  );
  return startGraphQLService<GatewayContext>({
    name: "gateway",
    port: config.port,
    executor: { gateway: gateway as unknown as GatewayExecutor },
    limitCost: true,
    // Queries of signed-in users below Apollo Server: a single-subgraph one's answer as the subgraph
    // sent it, a federated one on the gateway's own plan execution.
    shortcut: passthrough
      ? (checks) => {
          const raw = new RawPassthrough(
            passthrough,
            services,
            { schema: planner.clientSchema, ...checks },
            // With tracing on, @apollo/gateway runs them: its plan and fetch spans are the trace.
            config.ownPlanExecution && !tracing
              ? new PlannedQueries(planner, planner.supergraphSchema)
              : null,
          );
          return (body, context) => raw.answer(body, context);
        }
      : undefined,
    verifyCredential,
    createContext: (credential, req) => ({
      viewer: credential?.viewer ?? null,
      accessToken: credential?.accessToken,
      forwardedFor: forwardedFor(req),
      requestId: requestIdOf(req),
    }),
    landingPage: landingPage(`http://localhost:${config.port || 4000}/graphql`),
    routes: explorerRoutes(),
    readiness: () => checkReadiness(Object.fromEntries(routingUrls)),
    webSockets: {
      schema: planner.clientSchema,
      subscribe: (args, direct) => federated.subscribe(args, direct),
      execute: (apollo) => async (args) => {
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
            : {
                errors: [new GraphQLError("Incremental delivery is not supported over WebSocket.")],
              }
        ) as ExecutionResult;
      },
    },
    stopping: () => federated.close(),
    stopped: async () => {
      await upstream.close();
      await tracing?.shutdown();
    },
  });
}

/** The `X-Forwarded-For` to send on: the client's own header, then the address the gateway saw. */
function forwardedFor(req: IncomingMessage): string | undefined {
  const incoming = firstHeader(req, "x-forwarded-for");
  const peer = req.socket.remoteAddress;
  return [incoming, peer].filter(Boolean).join(", ") || undefined;
}
