import http, { type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { HeaderMap, type ApolloServer, type BaseContext } from "@apollo/server";
import { Kind, parse, type OperationDefinitionNode } from "graphql";
import { randomUUID } from "node:crypto";
import { numberFromEnv } from "../config";
import { isJsonObject } from "../data/json-object";
import { ErrorCode } from "../errors";
import type { Logger } from "../logger";
import { assertPortFree } from "./ports";
import { compressBody, compressionFromEnv } from "./response-compression";

/** A handler for a non-GraphQL path; resolves `true` when it answered the request. */
export type RouteHandler = (req: IncomingMessage, res: ServerResponse) => Promise<void> | void;

export interface GraphQLHttpServerOptions<TContext extends BaseContext> {
  /** Port to listen on; 0 picks a free one (tests). */
  port: number;
  /** Started Apollo Server to serve on `/graphql`. */
  apollo: ApolloServer<TContext>;
  /** Builds the per-request context; a thrown GraphQLError becomes the response. */
  context: (req: IncomingMessage) => Promise<TContext>;
  /** Extra routes by exact path, such as `/health`; each handler checks the method it accepts. */
  routes?: Record<string, RouteHandler>;
  /** What the listener is, for the port-in-use message. */
  purpose: string;
  /** Largest request body accepted (`GRAPHQL_MAX_BODY_BYTES`). @default 10_485_760 // 10 MiB */
  maxBodyBytes?: number;
  /** The page a browser gets on `GET /graphql` without a query (instead of Apollo's own). */
  landingPage?: string;
  /** Logs one line per `/graphql` request (request id, operation, status, duration). */
  log?: Logger;
  /**
   * Says whether a `/graphql` request may proceed (rate limits); refused: HTTP 429 with
   * `Retry-After`.
   */
  admit?: (
    req: IncomingMessage,
  ) => Promise<{ allowed: true } | { allowed: false; retryAfterSeconds: number }>;
  /**
   * Gzip GraphQL responses of 1 KB or more for clients that accept it (`HTTP_COMPRESSION`).
   * @default true
   */
  compressResponses?: boolean;
  /**
   * Answers a POSTed JSON request without Apollo Server when it can (the gateway's raw
   * passthrough): given the parsed body and the request's context (its credential verified once:
   * Apollo Server reuses it), the JSON text of an HTTP 200 response, or null to let Apollo Server
   * answer. Only asked for clients that accept `application/json`.
   */
  shortcut?: RequestShortcut<TContext>;
}

/** A response written without Apollo Server: its JSON text and the name of the operation run. */
export interface ShortcutAnswer {
  body: string;
  operationName: string | undefined;
}

/** See {@link GraphQLHttpServerOptions.shortcut}. */
export type RequestShortcut<TContext> = (
  body: Record<string, unknown>,
  context: Promise<TContext>,
) => Promise<ShortcutAnswer | null>;

/** A listening HTTP server. */
export interface ListeningServer {
  server: http.Server;
  port: number;
  /** `http://localhost:<port>/graphql` */
  url: string;
  /**
   * Stops accepting connections and resolves once in-flight requests are done; connections still
   * open after `graceMs` are cut. @default graceMs 10_000 // 10 seconds
   */
  close(graceMs?: number): Promise<void>;
}

export const GRAPHQL_PATH = "/graphql";

/**
 * Serves an Apollo Server on `/graphql` with Node's own `http` module (no framework): JSON bodies
 * up to a size cap, GET for queries, and a few extra routes. The same server carries WebSocket
 * upgrades for subscriptions on the same path.
 */
export async function startGraphQLHttpServer<TContext extends BaseContext>(
  options: GraphQLHttpServerOptions<TContext>,
): Promise<ListeningServer> {
  const maxBodyBytes = options.maxBodyBytes ?? maxBodyBytesFromEnv();
  const compressResponses = options.compressResponses ?? compressionFromEnv();
  const server = http.createServer((req, res) => {
    handle(req, res).catch((error) => {
      if (!res.headersSent)
        sendJson(res, 500, {
          errors: [
            {
              message: "Internal server error.",
              extensions: { code: ErrorCode.InternalServerError },
            },
          ],
        });
      else res.destroy(error);
    });
  });
  server.keepAliveTimeout = 65_000;
  // A request Node's HTTP parser refuses (an unknown method, a malformed header) gets the same
  // JSON error body as any other bad request, instead of a bare 400.
  server.on("clientError", (error: NodeJS.ErrnoException, socket) => {
    if (!socket.writable || error.code === "ECONNRESET") return void socket.destroy();
    const tooLarge = error.code === "HPE_HEADER_OVERFLOW";
    const body = JSON.stringify({
      errors: [
        {
          message: tooLarge
            ? "The request's headers are too large."
            : "The HTTP request is malformed (method, request line or headers).",
          extensions: { code: ErrorCode.BadRequest },
        },
      ],
    });
    socket.end(
      `HTTP/1.1 ${tooLarge ? "431 Request Header Fields Too Large" : "400 Bad Request"}\r\n` +
        `content-type: application/json; charset=utf-8\r\ncontent-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`,
    );
  });

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? "/", "http://localhost");
    if (url.pathname !== GRAPHQL_PATH) {
      const route = options.routes?.[url.pathname];
      if (route) return route(req, res);
      return sendJson(res, 404, {
        error: `Not found: ${url.pathname}. GraphQL is served on ${GRAPHQL_PATH}.`,
      });
    }
    if (
      options.landingPage &&
      req.method === "GET" &&
      !url.searchParams.has("query") &&
      /text\/html/.test(req.headers.accept ?? "")
    ) {
      res.writeHead(200, { "content-type": "text/html; charset=utf-8" });
      return void res.end(options.landingPage);
    }
    // One id per request, accepted from the caller (or the gateway) or made here, answered in
    // `x-request-id` and forwarded to subgraphs, so one request can be followed across services.
    const requestId = acceptRequestId(req.headers["x-request-id"]) ?? randomUUID();
    (req as RequestWithId).requestId = requestId;
    res.setHeader("x-request-id", requestId);
    const started = process.hrtime.bigint();
    let operation: string | undefined;
    res.once("finish", () =>
      options.log?.info("graphql request", {
        requestId,
        operation,
        method: req.method,
        status: res.statusCode,
        durationMs: Math.round(Number(process.hrtime.bigint() - started) / 1e4) / 100,
      }),
    );
    const admission = await options.admit?.(req);
    if (admission && !admission.allowed) {
      req.resume();
      res.setHeader("retry-after", String(admission.retryAfterSeconds));
      return sendJson(res, 429, {
        errors: [
          {
            message: `Too many requests: try again in ${admission.retryAfterSeconds} s.`,
            extensions: {
              code: ErrorCode.RateLimited,
              retryAfterSeconds: admission.retryAfterSeconds,
            },
          },
        ],
      });
    }
    const body = await readBody(req, maxBodyBytes);
    if (body.kind === "too-large") {
      return sendJson(res, 413, {
        errors: [
          {
            message: `Request body exceeds ${maxBodyBytes} bytes.`,
            extensions: { code: ErrorCode.BadRequest },
          },
        ],
      });
    }
    let parsedBody: unknown = undefined;
    const contentType = req.headers["content-type"] ?? "";
    if (body.text.length > 0 && /json/i.test(contentType)) {
      try {
        parsedBody = JSON.parse(body.text);
      } catch {
        return sendJson(res, 400, {
          errors: [
            {
              message: "The request body is not valid JSON.",
              extensions: { code: ErrorCode.BadRequest },
            },
          ],
        });
      }
    } else if (body.text.length > 0) {
      parsedBody = body.text;
    }
    const named = (parsedBody as { operationName?: unknown } | undefined)?.operationName;
    operation = typeof named === "string" ? named.slice(0, 100) : undefined;
    const malformed = malformedExtensions(parsedBody, url.searchParams);
    if (malformed)
      return sendJson(res, 400, {
        errors: [{ message: malformed, extensions: { code: ErrorCode.BadRequest } }],
      });
    const refused = refusedSubscription(parsedBody);
    if (refused)
      return sendJson(res, 400, {
        errors: [{ message: refused, extensions: { code: ErrorCode.BadRequest } }],
      });
    // Created here only for a request the shortcut may answer (Apollo Server checks CSRF first,
    // which a POST of application/json passes).
    let context: Promise<TContext> | undefined;
    if (
      options.shortcut &&
      req.method === "POST" &&
      mediaType(contentType) === "application/json" &&
      acceptsPlainJson(firstHeaderValue(req.headers.accept)) &&
      isJsonObject(parsedBody)
    ) {
      context = options.context(req);
      context.catch(() => undefined); // a refusal is Apollo Server's to answer, below
      const answer = await options.shortcut(parsedBody, context);
      if (answer !== null) {
        res.statusCode = 200;
        res.setHeader("content-type", "application/json; charset=utf-8");
        return sendBody(answer.body);
      }
    }
    const headers = new HeaderMap();
    for (const [name, value] of Object.entries(req.headers)) {
      if (value !== undefined) headers.set(name, Array.isArray(value) ? value.join(", ") : value);
    }
    const response = await options.apollo.executeHTTPGraphQLRequest({
      httpGraphQLRequest: {
        method: (req.method ?? "GET").toUpperCase(),
        headers,
        search: url.search,
        body: parsedBody,
      },
      context: () => context ?? options.context(req),
    });
    for (const [name, value] of response.headers) res.setHeader(name, value);
    res.statusCode = response.status ?? 200;
    if (response.body.kind === "complete") return sendBody(response.body.string);
    for await (const chunk of response.body.asyncIterator) res.write(chunk);
    res.end();

    /** Ends the response with `body`, gzipped when the client accepts it (`HTTP_COMPRESSION`). */
    async function sendBody(body: string): Promise<void> {
      if (!compressResponses) return void res.end(body);
      const sent = await compressBody(firstHeaderValue(req.headers["accept-encoding"]), body);
      res.setHeader("vary", "accept-encoding");
      if (sent.encoding) res.setHeader("content-encoding", sent.encoding);
      res.end(sent.body);
    }
  }

  await assertPortFree(options.port, options.purpose);
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port, () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  return {
    server,
    port,
    url: `http://localhost:${port}${GRAPHQL_PATH}`,
    close: (graceMs = 10_000) =>
      new Promise<void>((resolve) => {
        const force = setTimeout(() => server.closeAllConnections(), graceMs);
        // Keep-alive connections become idle once their request in flight is answered: close them
        // then, rather than waiting for the grace period.
        const sweep = setInterval(() => server.closeIdleConnections(), 50);
        server.close(() => {
          clearTimeout(force);
          clearInterval(sweep);
          resolve();
        });
        server.closeIdleConnections();
      }),
  };
}

/**
 * `GRAPHQL_MAX_BODY_BYTES`: the largest request body accepted. @default 10 MiB (a full trackEvents
 * batch of 10,000 events fits)
 */
export function maxBodyBytesFromEnv(env: NodeJS.ProcessEnv = process.env): number {
  return numberFromEnv(env, "GRAPHQL_MAX_BODY_BYTES", 10 * 1024 * 1024, { min: 1024 });
}

interface RequestWithId extends IncomingMessage {
  requestId?: string;
}

/** The id of a request (set when it arrived; see `x-request-id`). */
export function requestIdOf(req: IncomingMessage): string | undefined {
  return (req as RequestWithId).requestId;
}

/**
 * A caller's `x-request-id` when it is a sensible token (letters, digits, `._:-`, at most 128),
 * else undefined.
 */
function acceptRequestId(header: string | string[] | undefined): string | undefined {
  const value = Array.isArray(header) ? header[0] : header;
  return value && /^[A-Za-z0-9._:-]{1,128}$/.test(value) ? value : undefined;
}

/** Writes a JSON response. */
export function sendJson(res: ServerResponse, status: number, value: unknown): void {
  const body = JSON.stringify(value);
  res.writeHead(status, {
    "content-type": "application/json; charset=utf-8",
    "content-length": Buffer.byteLength(body),
  });
  res.end(body);
}

async function readBody(
  req: IncomingMessage,
  limit: number,
): Promise<{ kind: "ok"; text: string } | { kind: "too-large" }> {
  const declared = Number(req.headers["content-length"]);
  if (Number.isFinite(declared) && declared > limit) {
    req.resume();
    return { kind: "too-large" };
  }
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > limit) return { kind: "too-large" };
    chunks.push(chunk as Buffer);
  }
  return { kind: "ok", text: Buffer.concat(chunks).toString("utf8") };
}

/**
 * Why the request's `extensions` (the POSTed body's, or GET's `extensions` parameter) are refused
 * before Apollo Server sees them, or null: a `persistedQuery` that is not `{ version: 1,
 * sha256Hash: "<hex>" }`. Apollo Server reports those with an error of no code, which would reach
 * the client as INTERNAL_SERVER_ERROR.
 */
function malformedExtensions(body: unknown, search: URLSearchParams): string | null {
  let extensions: unknown =
    body !== null && typeof body === "object" && !Array.isArray(body)
      ? (body as { extensions?: unknown }).extensions
      : undefined;
  const fromQuery = search.get("extensions");
  if (extensions === undefined && fromQuery !== null) {
    try {
      extensions = JSON.parse(fromQuery);
    } catch {
      return null; // Apollo Server reports it: not JSON
    }
  }
  if (extensions === null || typeof extensions !== "object" || Array.isArray(extensions))
    return null; // absent, or Apollo Server reports it: not an object
  const persisted = (extensions as { persistedQuery?: unknown }).persistedQuery;
  if (persisted === undefined || persisted === null) return null;
  const { version, sha256Hash } = persisted as { version?: unknown; sha256Hash?: unknown };
  return typeof persisted === "object" &&
    version === 1 &&
    typeof sha256Hash === "string" &&
    /^[0-9a-f]{64}$/i.test(sha256Hash)
    ? null
    : 'extensions.persistedQuery must be { "version": 1, "sha256Hash": "<SHA-256 of the query, in hex>" }.';
}

/**
 * Why a POSTed document is refused before Apollo Server sees it, or null. The operation to run is
 * a subscription: those only run over WebSocket. Or the document holds a subscription whose root
 * field carries `@include`/`@skip`: graphql-js's validation of it throws (an HTTP 500) instead of
 * reporting an error, whichever operation is to run.
 */
function refusedSubscription(body: unknown): string | null {
  const { query, operationName } = (body ?? {}) as { query?: unknown; operationName?: unknown };
  if (typeof query !== "string" || !/\bsubscription\b/.test(query)) return null;
  let operations: OperationDefinitionNode[];
  try {
    operations = parse(query, { maxTokens: 10_000 }).definitions.filter(
      (definition): definition is OperationDefinitionNode =>
        definition.kind === Kind.OPERATION_DEFINITION,
    );
  } catch {
    return null; // not parseable: Apollo Server reports the syntax error
  }
  const selected =
    typeof operationName === "string"
      ? operations.find((operation) => operation.name?.value === operationName)
      : operations.length === 1
        ? operations[0]
        : undefined;
  if (selected?.operation === "subscription") {
    return "Subscriptions are served over WebSocket on this URL (the graphql-transport-ws protocol of graphql-ws), not over HTTP.";
  }
  const directiveOnRoot = operations.some(
    (operation) =>
      operation.operation === "subscription" &&
      operation.selectionSet.selections.some(
        (selection) => (selection.directives?.length ?? 0) > 0,
      ),
  );
  return directiveOnRoot
    ? "A subscription's root field cannot carry @include or @skip; remove them, or send the subscription over WebSocket on its own."
    : null;
}

/** `application/json` of `application/json; charset=utf-8`, lower-cased. */
function mediaType(contentType: string): string {
  return contentType.split(";", 1)[0].trim().toLowerCase();
}

/**
 * True when an answer as `application/json` is the one Apollo Server would choose for this
 * `accept`: none, or one naming `application/json` or any type, and neither
 * `application/graphql-response+json` nor multipart.
 */
function acceptsPlainJson(accept: string | undefined): boolean {
  if (!accept) return true;
  const lower = accept.toLowerCase();
  if (lower.includes("graphql-response") || lower.includes("multipart")) return false;
  return lower.includes("application/json") || lower.includes("*/*");
}

function firstHeaderValue(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value.join(", ") : value;
}
