import { RemoteGraphQLDataSource, type GraphQLDataSourceProcessOptions } from "@apollo/gateway";
import type { GatewayContext } from "./context";

/**
 * How the gateway calls a subgraph: it forwards the caller's `Authorization` header (each subgraph
 * verifies it again, so one reached directly is just as strict) and aborts a fetch that takes
 * longer than `timeoutMs`. Uses Node's own fetch, which keeps connections alive.
 */
export class SubgraphDataSource extends RemoteGraphQLDataSource<GatewayContext> {
  constructor(url: string, timeoutMs: number) {
    super({
      url,
      fetcher: ((input: string, init?: RequestInit) =>
        fetch(input, { ...init, signal: AbortSignal.timeout(timeoutMs) })) as unknown as RemoteGraphQLDataSource["fetcher"],
    });
  }

  override willSendRequest({ request, context }: GraphQLDataSourceProcessOptions<GatewayContext>): void {
    const authorization = (context as Partial<GatewayContext>)?.authorization;
    if (authorization) request.http?.headers.set("authorization", authorization);
  }
}
