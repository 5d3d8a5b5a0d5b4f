import type { IncomingMessage } from "node:http";
import { ApolloGateway } from "@apollo/gateway";
import { ApolloServer } from "@apollo/server";
import { formatError } from "../../subgraphs/shared/src/errors";
import { sendJson, startGraphQLHttpServer } from "../../subgraphs/shared/src/http/graphql-http-server";
import type { RunningService } from "../../subgraphs/shared/src/subgraph-server";
import { gatewayConfigFromEnv, type GatewayConfig } from "./config";
import type { GatewayContext } from "./context";
import { SubgraphDataSource } from "./subgraph-data-source";
import { loadSupergraph } from "./supergraph";

/**
 * Starts the gateway: `@apollo/gateway` over the static supergraph, served by Apollo Server on
 * `/graphql`, with `/health` for liveness.
 */
export async function startGateway(overrides: Partial<GatewayConfig> = {}): Promise<RunningService> {
  const config = { ...gatewayConfigFromEnv(), ...overrides };
  const supergraphSdl = await loadSupergraph(config.supergraphPath);
  const gateway = new ApolloGateway({
    supergraphSdl,
    buildService: ({ name, url }) => new SubgraphDataSource(name, config.subgraphUrls[name] ?? url!, config.subgraphTimeoutMs),
  });
  const apollo = new ApolloServer<GatewayContext>({
    gateway: gateway as unknown as ConstructorParameters<typeof ApolloServer>[0] extends { gateway?: infer G } ? G : never,
    formatError,
    introspection: process.env.NODE_ENV !== "production",
    includeStacktraceInErrorResponses: false,
    // Our own shutdown drains HTTP first, then stops Apollo; its signal handlers would race that.
    stopOnTerminationSignals: false,
  });
  await apollo.start();
  const listening = await startGraphQLHttpServer<GatewayContext>({
    port: config.port,
    apollo,
    purpose: "gateway",
    context: async (req: IncomingMessage) => ({ authorization: firstHeader(req, "authorization") }),
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

function firstHeader(req: IncomingMessage, name: string): string | undefined {
  const value = req.headers[name];
  return Array.isArray(value) ? value[0] : value;
}
