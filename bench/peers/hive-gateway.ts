// `@graphql-hive/gateway` for the gateway benchmark, as its documentation sets it up: the runtime
// over the supergraph at SUPERGRAPH_PATH on a Node HTTP server on PORT, logging off, forwarding the
// client's Authorization header to the subgraphs (which need it), otherwise its defaults: its HTTP
// executor (@graphql-tools/executor-http) merges identical query requests in flight to a subgraph
// (same URL, body and headers). PEER_DEDUPLICATE=false turns that off, with the executor's own
// option (`deduplicateInflightRequests: false`, given to every subgraph through
// `transportEntries["*"].options`). Usage: node dist/bench/peers/hive-gateway.js
import { createServer, type RequestListener } from "node:http";
import { peerGatewayEnv } from "./peer-env";

/**
 * The part of `@graphql-hive/gateway` used here. It is loaded with `require` rather than imported
 * so that its type declarations (graphql-yoga augments `GraphQLErrorExtensions.http`) stay out of
 * the project's own type checking.
 */
interface HiveGatewayModule {
  createGatewayRuntime(config: {
    supergraph: string;
    logging: boolean;
    propagateHeaders: {
      fromClientToSubgraphs(payload: { request: Request }): Record<string, string | null>;
    };
    transportEntries?: Record<string, { options: Record<string, unknown> }>;
  }): RequestListener & { dispose(): Promise<void> | void };
}
// eslint-disable-next-line @typescript-eslint/no-require-imports -- see HiveGatewayModule
const { createGatewayRuntime } = require("@graphql-hive/gateway") as HiveGatewayModule;

function main(): void {
  const { port, supergraphPath, deduplicate } = peerGatewayEnv();
  const gateway = createGatewayRuntime({
    supergraph: supergraphPath,
    logging: false,
    propagateHeaders: {
      fromClientToSubgraphs: ({ request }) => ({
        authorization: request.headers.get("authorization"),
      }),
    },
    ...(deduplicate
      ? {}
      : { transportEntries: { "*": { options: { deduplicateInflightRequests: false } } } }),
  });
  const server = createServer(gateway);
  server.listen(port, "127.0.0.1", () =>
    process.stdout.write(`@graphql-hive/gateway at http://127.0.0.1:${port}/graphql\n`),
  );
  process.once("SIGTERM", () => {
    server.close();
    void Promise.resolve(gateway.dispose()).finally(() => process.exit(0));
  });
}

main();
