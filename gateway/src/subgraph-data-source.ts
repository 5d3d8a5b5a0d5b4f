import { RemoteGraphQLDataSource, type GraphQLDataSourceProcessOptions } from "@apollo/gateway";
import { GraphQLError } from "graphql";
import { ErrorCode, isPublicErrorCode } from "#kit/errors";
import { metricsFor } from "#kit/metrics/service-metrics";
import type { GatewayContext } from "./context";
import {
  createSubgraphFetcher,
  type SubgraphRequestInit,
  type SubgraphResponse,
} from "#kit/http/subgraph-fetcher";

/** Time to headers of each subgraph fetch (the gateway's /metrics). */
const fetchDuration = metricsFor("gateway").subgraphFetchDuration;

/**
 * How the gateway calls a subgraph: it forwards the caller's verified access token as `Bearer`
 * (each subgraph verifies it again, so one reached directly is just as strict) and the client's
 * address, over keep-alive connections (see {@link createSubgraphFetcher}: identical queries in
 * flight are sent once unless `deduplicateQueries` is off), and fails a fetch that takes longer
 * than `timeoutMs`.
 */
export class SubgraphDataSource extends RemoteGraphQLDataSource<GatewayContext> {
  /** Sends one request to the subgraph, timed in the metrics; rejects with `unreachable`'s error. */
  private readonly fetchSubgraph: (
    input: string,
    init?: SubgraphRequestInit,
  ) => Promise<SubgraphResponse>;

  constructor(
    private readonly serviceName: string,
    url: string,
    timeoutMs: number,
    deduplicateQueries = true,
  ) {
    const send = createSubgraphFetcher({ timeoutMs, deduplicateQueries });
    const fetchSubgraph = async (input: string, init?: SubgraphRequestInit) => {
      const started = process.hrtime.bigint();
      const seconds = () => Number(process.hrtime.bigint() - started) / 1e9;
      try {
        const response = await send(input, init);
        fetchDuration.observe(
          { subgraph: serviceName, outcome: response.ok ? "ok" : "error" },
          seconds(),
        );
        return response;
      } catch (error) {
        fetchDuration.observe({ subgraph: serviceName, outcome: "error" }, seconds());
        throw unreachable(serviceName, timeoutMs, error);
      }
    };
    super({ url, fetcher: fetchSubgraph as unknown as RemoteGraphQLDataSource["fetcher"] });
    this.fetchSubgraph = fetchSubgraph;
  }

  /**
   * Sends a GraphQL request body (JSON text) to the subgraph with the headers every request of the
   * caller carries (see `willSendRequest`), and resolves its HTTP status and body text as they
   * came, unparsed. Rejects with `SERVICE_UNAVAILABLE` when the subgraph cannot be asked in time.
   */
  async forward(body: string, context: GatewayContext): Promise<{ status: number; text: string }> {
    const headers = Object.fromEntries([
      ["content-type", "application/json"],
      ...callerHeaders(context),
    ]);
    const response = await this.fetchSubgraph(this.url!, { method: "POST", headers, body });
    return { status: response.status, text: await response.text() };
  }

  /**
   * A subgraph's non-2xx answer as a client should see it: its own GraphQL error when it has a
   * public code (e.g. `UNAUTHENTICATED` for a bad token), else `SERVICE_UNAVAILABLE` naming the
   * service. Never the subgraph's URL or raw body, which the default error carries.
   */
  override async errorFromResponse(
    response: Parameters<RemoteGraphQLDataSource["errorFromResponse"]>[0],
  ): Promise<GraphQLError> {
    const body = (await response.json().catch(() => undefined)) as
      { errors?: { message?: string; extensions?: { code?: unknown } }[] } | undefined;
    const first = body?.errors?.[0];
    const code = first?.extensions?.code;
    if (typeof code === "string" && isPublicErrorCode(code) && first?.message) {
      return new GraphQLError(first.message, { extensions: { code } });
    }
    return new GraphQLError(
      `The ${this.serviceName} service failed to answer (HTTP ${response.status}).`,
      {
        extensions: { code: ErrorCode.ServiceUnavailable, serviceName: this.serviceName },
      },
    );
  }

  override willSendRequest({
    request,
    context,
  }: GraphQLDataSourceProcessOptions<GatewayContext>): void {
    for (const [name, value] of callerHeaders((context ?? {}) as Partial<GatewayContext>))
      request.http?.headers.set(name, value);
  }
}

/** The headers each subgraph request of a caller carries: request id, access token, address. */
function callerHeaders(context: Partial<GatewayContext>): [string, string][] {
  const headers: [string, string][] = [];
  if (context.requestId) headers.push(["x-request-id", context.requestId]);
  if (context.accessToken) headers.push(["authorization", `Bearer ${context.accessToken}`]);
  if (context.forwardedFor) headers.push(["x-forwarded-for", context.forwardedFor]);
  return headers;
}

/**
 * A subgraph that could not be asked: `SERVICE_UNAVAILABLE` naming the service and whether it did
 * not answer in time (`SUBGRAPH_TIMEOUT_MS`) or could not be reached, never its address.
 */
function unreachable(serviceName: string, timeoutMs: number, error: unknown): GraphQLError {
  const timedOut = (error as Error)?.name === "TimeoutError";
  return new GraphQLError(
    timedOut
      ? `The ${serviceName} service did not answer within ${timeoutMs} ms (SUBGRAPH_TIMEOUT_MS); try again, or ask for less.`
      : `The ${serviceName} service cannot be reached right now; try again shortly.`,
    { extensions: { code: ErrorCode.ServiceUnavailable, serviceName } },
  );
}
