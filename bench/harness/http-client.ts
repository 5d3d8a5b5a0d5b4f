import http from "node:http";

/** One keep-alive connection pool for all benchmark traffic (loopback only). */
const agent = new http.Agent({ keepAlive: true, maxSockets: 64, keepAliveMsecs: 10_000 });

/** An HTTP answer: status and body text. */
export interface HttpAnswer {
  status: number;
  body: string;
}

/**
 * POSTs a JSON body with Node's `http` module over a shared keep-alive agent (cheaper per request
 * than `fetch`, so the load generator takes less of the machine it shares with the services).
 * Rejects on a network error or after `timeoutMs`.
 */
export function postJson(
  url: string,
  body: string | Buffer,
  headers: Record<string, string> = {},
  timeoutMs = 60_000,
): Promise<HttpAnswer> {
  const target = new URL(url);
  return new Promise((resolve, reject) => {
    const request = http.request(
      {
        agent,
        host: target.hostname,
        port: target.port,
        path: target.pathname + target.search,
        method: "POST",
        headers: {
          "content-type": "application/json",
          "content-length": Buffer.byteLength(body),
          ...headers,
        },
        timeout: timeoutMs,
      },
      (response) => {
        const chunks: Buffer[] = [];
        response.on("data", (chunk: Buffer) => chunks.push(chunk));
        response.on("end", () =>
          resolve({
            status: response.statusCode ?? 0,
            body: Buffer.concat(chunks).toString("utf8"),
          }),
        );
        response.on("error", reject);
      },
    );
    request.on("timeout", () =>
      request.destroy(new Error(`POST ${url} took longer than ${timeoutMs} ms.`)),
    );
    request.on("error", reject);
    request.end(body);
  });
}

/** A GraphQL response with errors, or one that is not GraphQL at all. */
export class GraphQLRequestError extends Error {
  constructor(
    message: string,
    readonly status: number,
    readonly body: string,
  ) {
    super(message);
    this.name = "GraphQLRequestError";
  }
}

/**
 * Runs one GraphQL operation and returns its `data`; throws {@link GraphQLRequestError} with the
 * first error's message and code when the response has errors.
 */
export async function graphql<T>(
  url: string,
  query: string,
  variables: Record<string, unknown> = {},
  authorization?: string,
  timeoutMs?: number,
): Promise<T> {
  const answer = await postJson(
    url,
    JSON.stringify({ query, variables }),
    authorization ? { authorization } : {},
    timeoutMs,
  );
  return parseGraphQL<T>(answer);
}

/**
 * The `data` of a GraphQL answer; throws {@link GraphQLRequestError} on errors or a non-JSON body.
 */
export function parseGraphQL<T>(answer: HttpAnswer): T {
  let parsed: { data?: T; errors?: { message: string; extensions?: { code?: string } }[] };
  try {
    parsed = JSON.parse(answer.body);
  } catch {
    throw new GraphQLRequestError(
      `HTTP ${answer.status}: ${answer.body.slice(0, 300)}`,
      answer.status,
      answer.body,
    );
  }
  if (parsed.errors?.length || answer.status !== 200 || !parsed.data) {
    const first = parsed.errors?.[0];
    throw new GraphQLRequestError(
      `HTTP ${answer.status}: ${first ? `${first.extensions?.code ?? ""} ${first.message}` : answer.body.slice(0, 300)}`,
      answer.status,
      answer.body,
    );
  }
  return parsed.data;
}
