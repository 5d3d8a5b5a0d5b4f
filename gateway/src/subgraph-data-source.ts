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
 * Per client request (its context), the subgraph answers its raw attempt got, by subgraph and
 * request body: when the attempt leaves the request to Apollo Server, `@apollo/gateway` takes these
 * instead of asking again (a subgraph that timed out is not waited for twice, nor one that
 * answered with errors asked twice). Each answer is taken once.
 */
const REMEMBERED = Symbol.for("federated-analytics.gateway.rememberedSubgraphAnswers");

type RememberedAnswers = Map<string, Promise<SubgraphResponse>>;

/** Keeps the subgraph answers of this request's raw attempt for Apollo Server (see above). */
export function rememberSubgraphAnswers(context: GatewayContext): void {
  if (!rememberedAnswersOf(context))
    // Enumerable, so that the shallow copy of the context Apollo Server's gateway gets has it too.
    Object.defineProperty(context, REMEMBERED, { value: new Map(), enumerable: true });
}

function rememberedAnswersOf(context: object | undefined): RememberedAnswers | undefined {
  return (context as { [REMEMBERED]?: RememberedAnswers } | undefined)?.[REMEMBERED];
}

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
    // The remembered answers of the request whose fetch is being made (set around the synchronous
    // start of RemoteGraphQLDataSource's private sendRequest, which calls the fetcher at once).
    const handoff: { answers?: RememberedAnswers } = {};
    const fetcher = (input: string, init?: SubgraphRequestInit) => {
      const answers = handoff.answers;
      handoff.answers = undefined;
      const key = `${serviceName}\n${init?.body}`;
      const known = answers?.get(key);
      if (known) {
        answers!.delete(key);
        return known;
      }
      return fetchSubgraph(input, init);
    };
    super({ url, fetcher: fetcher as unknown as RemoteGraphQLDataSource["fetcher"] });
    this.fetchSubgraph = fetchSubgraph;
    const self = this as unknown as {
      sendRequest(request: unknown, context: GatewayContext | undefined): Promise<unknown>;
    };
    const sendRequest = self.sendRequest.bind(this);
    self.sendRequest = (request, context) => {
      handoff.answers = rememberedAnswersOf(context);
      try {
        return sendRequest(request, context);
      } finally {
        handoff.answers = undefined;
      }
    };
  }

  /**
   * Sends a GraphQL request body (JSON text) to the subgraph with the headers every request of the
   * caller carries (see `willSendRequest`), and resolves its HTTP status and body text as they
   * came, unparsed. Rejects with `SERVICE_UNAVAILABLE` when the subgraph cannot be asked in time.
   * The answer is remembered for Apollo Server when the request asked for it
   * ({@link rememberSubgraphAnswers}).
   */
  async forward(body: string, context: GatewayContext): Promise<{ status: number; text: string }> {
    const headers = Object.fromEntries([
      ["content-type", "application/json"],
      ...callerHeaders(context),
    ]);
    const sent = this.fetchSubgraph(this.url!, { method: "POST", headers, body });
    rememberedAnswersOf(context)?.set(`${this.serviceName}\n${body}`, sent);
    const response = await sent;
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
