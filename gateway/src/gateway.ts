import type { IncomingMessage } from "node:http";
import { ApolloGateway } from "@apollo/gateway";
import { ApolloServer } from "@apollo/server";
import { GraphQLError } from "graphql";
import { createRemoteAccessTokenVerifier } from "../../subgraphs/shared/src/auth/access-token";
import { apiKeyScopePlugin } from "../../subgraphs/shared/src/auth/api-key-scope-plugin";
import { createCredentialVerifier, createRemoteApiKeyExchange } from "../../subgraphs/shared/src/auth/credentials";
import { USERS_AUTH_PATHS } from "../../subgraphs/shared/src/config";
import { formatError } from "../../subgraphs/shared/src/errors";
import { sendJson, startGraphQLHttpServer } from "../../subgraphs/shared/src/http/graphql-http-server";
import type { RunningService } from "../../subgraphs/shared/src/subgraph-server";
import { gatewayConfigFromEnv, type GatewayConfig } from "./config";
import type { GatewayContext } from "./context";
import { SubgraphDataSource } from "./subgraph-data-source";
import { loadSupergraph } from "./supergraph";

/**
 * Starts the gateway: `@apollo/gateway` over the static supergraph, served by Apollo Server on
 * `/graphql`, with `/health` for liveness. It verifies each request's credential once (a bad one is
 * HTTP 401 before any planning), enforces API key scopes, and forwards a verified access token.
 */
export async function startGateway(overrides: Partial<GatewayConfig> = {}): Promise<RunningService> {
  const config = { ...gatewayConfigFromEnv(), ...overrides };
  const supergraphSdl = await loadSupergraph(config.supergraphPath);
  const gateway = new ApolloGateway({
    supergraphSdl,
    buildService: ({ name, url }) => new SubgraphDataSource(name, config.subgraphUrls[name] ?? url!, config.subgraphTimeoutMs),
  });
  const verifyCredential = createCredentialVerifier(
    createRemoteAccessTokenVerifier(`${config.usersBaseUrl}${USERS_AUTH_PATHS.jwks}`),
    createRemoteApiKeyExchange(`${config.usersBaseUrl}${USERS_AUTH_PATHS.apiKeyToken}`),
  );
  const apollo = new ApolloServer<GatewayContext>({
    gateway: gateway as unknown as ConstructorParameters<typeof ApolloServer>[0] extends { gateway?: infer G } ? G : never,
    formatError,
    introspection: process.env.NODE_ENV !== "production",
    includeStacktraceInErrorResponses: false,
    plugins: [apiKeyScopePlugin<GatewayContext>()],
    // Our own shutdown drains HTTP first, then stops Apollo; its signal handlers would race that.
    stopOnTerminationSignals: false,
  });
  await apollo.start();
  const listening = await startGraphQLHttpServer<GatewayContext>({
    port: config.port,
    apollo,
    purpose: "gateway",
    context: async (req: IncomingMessage): Promise<GatewayContext> => {
      try {
        const credential = await verifyCredential(firstHeader(req, "authorization"));
        return { viewer: credential?.viewer ?? null, accessToken: credential?.accessToken, forwardedFor: forwardedFor(req) };
      } catch (error) {
        if (error instanceof GraphQLError) {
          const status = error.extensions.code === "UNAUTHENTICATED" ? 401 : 503;
          throw new GraphQLError(error.message, { extensions: { code: error.extensions.code, http: { status } } });
        }
        throw error;
      }
    },
    routes: { "/health": (_req, res) => sendJson(res, 200, { status: "ok", service: "gateway" }) },
  });
  return {
    name: "gateway",
    port: listening.port,
    url: listening.url,
    async stop() {
      await listening.close();
      await apollo.stop();
    },
  };
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
