// A bare `@apollo/gateway` for the gateway benchmark: Apollo Server with no plugins, the supergraph
// at SUPERGRAPH_PATH, listening on PORT. It only forwards the client's Authorization header, which
// the subgraphs need. Usage: node dist/bench/peers/apollo-gateway.js
import { readFileSync } from "node:fs";
import { ApolloGateway, RemoteGraphQLDataSource } from "@apollo/gateway";
import { ApolloServer } from "@apollo/server";
import { startStandaloneServer } from "@apollo/server/standalone";
import { peerGatewayEnv } from "./peer-env";

interface Context {
  authorization?: string;
}

async function main(): Promise<void> {
  const { port, supergraphPath } = peerGatewayEnv();
  const gateway = new ApolloGateway({
    supergraphSdl: readFileSync(supergraphPath, "utf8"),
    buildService: ({ url }) =>
      new (class extends RemoteGraphQLDataSource<Context> {
        override willSendRequest({
          request,
          context,
        }: {
          request: { http?: { headers: { set(name: string, value: string): void } } };
          context: Context;
        }): void {
          if (context.authorization)
            request.http?.headers.set("authorization", context.authorization);
        }
      })({ url }),
  });
  const server = new ApolloServer<Context>({ gateway: gateway as never });
  const { url } = await startStandaloneServer(server, {
    listen: { port, host: "127.0.0.1" },
    context: async ({ req }) => ({ authorization: req.headers.authorization }),
  });
  process.stdout.write(`bare @apollo/gateway at ${url}\n`);
  process.once("SIGTERM", () => void server.stop().finally(() => process.exit(0)));
}

main().catch((error) => {
  process.stderr.write(`${(error as Error).stack ?? error}\n`);
  process.exit(1);
});
