import type http from "node:http";
import {
  getOperationAST,
  GraphQLError,
  parse,
  specifiedRules,
  validate,
  type DocumentNode,
  type ExecutionArgs,
  type ExecutionResult,
  type FormattedExecutionResult,
  type GraphQLFormattedError,
  type GraphQLSchema,
  type ValidationRule,
} from "graphql";
import type { Context, OperationResult } from "graphql-ws";
import { useServer, type Extra } from "graphql-ws/use/ws";
import { batchWrites } from "./batched-writes";
import { ServiceCloseCode } from "./close-codes";
import { DirectDelivery, PayloadSerializer, type DirectDeliveryFactory } from "./direct-delivery";
import { decodeJwt } from "jose";
import { WebSocketServer } from "ws";
import type { CredentialVerifier, VerifiedCredential } from "../auth/credentials";
import { callerId, type Viewer } from "../auth/viewer";
import { numberFromEnv } from "../config";
import { ErrorCode, formatError } from "../errors";
import { GRAPHQL_PATH } from "../http/graphql-http-server";

/** Limits of the WebSocket endpoint; each has an environment variable. */
export interface WebSocketLimits {
  /** `WS_MAX_SUBSCRIPTIONS_PER_CONNECTION`. @default 25 */
  maxSubscriptionsPerConnection: number;
  /** `WS_MAX_CONNECTIONS_PER_CALLER`: open connections of one user or API key. @default 20 */
  maxConnectionsPerCaller: number;
  /**
   * `WS_KEEP_ALIVE_MS`: ping interval; a client that does not answer within it is dropped. @default
   * 12_000
   */
  keepAliveMs: number;
  /** `WS_CONNECTION_INIT_TIMEOUT_MS`: time allowed for `connection_init`. @default 3_000 */
  connectionInitWaitTimeoutMs: number;
}

export function webSocketLimitsFromEnv(env: NodeJS.ProcessEnv = process.env): WebSocketLimits {
  const read = (name: string, fallback: number) => numberFromEnv(env, name, fallback, { min: 1 });
  return {
    maxSubscriptionsPerConnection: read("WS_MAX_SUBSCRIPTIONS_PER_CONNECTION", 25),
    maxConnectionsPerCaller: read("WS_MAX_CONNECTIONS_PER_CALLER", 20),
    keepAliveMs: read("WS_KEEP_ALIVE_MS", 12_000),
    connectionInitWaitTimeoutMs: read("WS_CONNECTION_INIT_TIMEOUT_MS", 3_000),
  };
}

/** One authenticated WebSocket connection. */
export interface Connection<TContext> {
  credential: VerifiedCredential;
  /** The GraphQL context every operation of this connection runs with. */
  context: TContext;
  /** Operations running on it, by the client's id. */
  operations: Set<string>;
}

export interface GraphQLWebSocketOptions<TContext> {
  server: http.Server;
  /** The schema operations are validated against (and executed on, unless `subscribe` is given). */
  schema: GraphQLSchema | (() => GraphQLSchema);
  verifyCredential: CredentialVerifier;
  /** The context of a connection's operations, made once when it is accepted. */
  createContext(credential: VerifiedCredential, request: http.IncomingMessage): TContext;
  limits: WebSocketLimits;
  /**
   * Executes a subscription another way (the gateway plans it across subgraphs);
   * `args.contextValue` is the connection's context. It may return `direct(...)` as its iterable
   * and push results into it: they are then written to the socket as they come, each result
   * serialized once for all the subscriptions it is pushed to.
   */
  subscribe?: (args: ExecutionArgs, direct: DirectDeliveryFactory) => OperationResult;
  /** The operation limits of HTTP, applied to operations sent over the socket too. */
  operationLimits?: {
    validationRules: ValidationRule[];
    maxTokens: number;
    hideSchemaDetails: boolean;
  };
  /** The caller's rate limit, taken for every operation sent over the socket. */
  admitCaller?: (
    viewer: Viewer,
    request: http.IncomingMessage,
  ) => Promise<{ allowed: true } | { allowed: false; retryAfterSeconds: number }>;
  /**
   * Executes queries and mutations sent over the socket another way (the gateway runs them as over
   * HTTP).
   */
  execute?: (args: ExecutionArgs) => OperationResult;
}

/** The running endpoint. */
export interface GraphQLWebSocketServer {
  /** Open connections. */
  readonly connectionCount: number;
  /** Running subscriptions over all connections. */
  readonly subscriptionCount: number;
  /** Closes every connection with 1001 (Going away) and stops accepting new ones. */
  close(): Promise<void>;
}

/**
 * Serves GraphQL over WebSocket (the `graphql-transport-ws` protocol of graphql-ws) on `/graphql`
 * of an HTTP server, beside HTTP. `connection_init` must carry `{ authorization }` with the same
 * value as the HTTP header: missing or invalid, the socket closes with 4403 (Forbidden); it also
 * closes with 4403 when the access token expires. A caller may hold `maxConnectionsPerCaller`
 * connections (beyond that: close code 4029) with `maxSubscriptionsPerConnection` operations each
 * (beyond that: a `LIMIT_EXCEEDED` error for that operation). Errors are formatted as over HTTP.
 * The protocol's own violations close with its codes (4400, 4401, 4408, 4409, 4429).
 */
export function startGraphQLWebSocketServer<TContext>(
  options: GraphQLWebSocketOptions<TContext>,
): GraphQLWebSocketServer {
  const wsServer = new WebSocketServer({ server: options.server, path: GRAPHQL_PATH });
  // Before graphql-ws's own listener, so that every message it sends is batched.
  wsServer.on("connection", batchWrites);
  const connections = new WeakMap<Context<Record<string, unknown>, Extra>, Connection<TContext>>();
  const connectionsPerCaller = new Map<string, number>();
  // Each subscription's socket and id, for direct delivery (found by the arguments onSubscribe
  // made).
  const subscriptionTargets = new WeakMap<ExecutionArgs, { socket: Extra["socket"]; id: string }>();
  const serializer = new PayloadSerializer(nextPayload);
  const expiryTimers = new Set<NodeJS.Timeout>();
  let subscriptionCount = 0;
  const schema = () => (typeof options.schema === "function" ? options.schema() : options.schema);
  const connectionOf = (ctx: Context<Record<string, unknown>, Extra>) => {
    const connection = connections.get(ctx);
    if (!connection)
      throw new GraphQLError("The connection is not initialised.", {
        extensions: { code: ErrorCode.Unauthenticated },
      });
    return connection;
  };

  const disposable = useServer<Record<string, unknown>, Record<PropertyKey, never>>(
    {
      schema: () => schema(),
      connectionInitWaitTimeout: options.limits.connectionInitWaitTimeoutMs,
      onConnect: async (ctx) => {
        const authorization = ctx.connectionParams?.authorization;
        if (typeof authorization !== "string" || authorization.trim() === "") return false;
        let credential: VerifiedCredential | null;
        try {
          credential = await options.verifyCredential(authorization);
        } catch {
          return false;
        }
        if (!credential) return false;
        const caller = callerId(credential.viewer);
        const open = connectionsPerCaller.get(caller) ?? 0;
        if (open >= options.limits.maxConnectionsPerCaller) {
          ctx.extra.socket.close(
            ServiceCloseCode.TooManyConnections,
            `Too many connections: at most ${options.limits.maxConnectionsPerCaller} per caller (WS_MAX_CONNECTIONS_PER_CALLER).`,
          );
          return false;
        }
        connectionsPerCaller.set(caller, open + 1);
        ctx.extra.socket.once("close", () => {
          const left = (connectionsPerCaller.get(caller) ?? 1) - 1;
          if (left > 0) connectionsPerCaller.set(caller, left);
          else connectionsPerCaller.delete(caller);
        });
        connections.set(ctx, {
          credential,
          context: options.createContext(credential, ctx.extra.request),
          operations: new Set(),
        });
        closeWhenExpired(ctx, credential.accessToken);
        return true;
      },
      onSubscribe: async (ctx, id, payload) => {
        const connection = connectionOf(ctx);
        // Operations over the socket count against the caller's rate limit as over HTTP.
        const admission = await options.admitCaller?.(
          connection.credential.viewer,
          ctx.extra.request,
        );
        if (admission && !admission.allowed) {
          return [
            new GraphQLError(`Too many requests: try again in ${admission.retryAfterSeconds} s.`, {
              extensions: {
                code: ErrorCode.RateLimited,
                retryAfterSeconds: admission.retryAfterSeconds,
              },
            }),
          ];
        }
        if (connection.operations.size >= options.limits.maxSubscriptionsPerConnection) {
          return [
            new GraphQLError(
              `Too many subscriptions on this connection: at most ${options.limits.maxSubscriptionsPerConnection} (WS_MAX_SUBSCRIPTIONS_PER_CONNECTION).`,
              {
                extensions: { code: ErrorCode.LimitExceeded },
              },
            ),
          ];
        }
        // Parsed and validated here, with the same limits as over HTTP.
        let document: DocumentNode;
        try {
          document = parse(payload.query, { maxTokens: options.operationLimits?.maxTokens });
        } catch (error) {
          return [
            new GraphQLError((error as GraphQLError).message, {
              extensions: { code: "GRAPHQL_PARSE_FAILED" },
            }),
          ];
        }
        let errors: readonly GraphQLError[];
        try {
          errors = validate(schema(), document, [
            ...specifiedRules,
            ...(options.operationLimits?.validationRules ?? []),
          ]);
        } catch (error) {
          // graphql-js's single-root-field rule throws on a root @include/@skip with a variable.
          errors = [new GraphQLError((error as Error).message)];
        }
        if (errors.length > 0) {
          const hide = options.operationLimits?.hideSchemaDetails;
          return errors.map(
            (error) =>
              new GraphQLError(
                hide ? error.message.replace(/ Did you mean .*$/, "") : error.message,
                { nodes: error.nodes, extensions: { code: "GRAPHQL_VALIDATION_FAILED" } },
              ),
          );
        }
        const operation = getOperationAST(document, payload.operationName);
        if (!operation)
          return [
            new GraphQLError("The document has no operation by that name.", {
              extensions: { code: "GRAPHQL_VALIDATION_FAILED" },
            }),
          ];
        connection.operations.add(id);
        subscriptionCount++;
        const args = {
          schema: schema(),
          document,
          operationName: payload.operationName,
          variableValues: payload.variables,
          contextValue: connection.context,
        } as ExecutionArgs;
        subscriptionTargets.set(args, { socket: ctx.extra.socket, id });
        return args;
      },
      onComplete: (ctx, id) => release(ctx, id),
      onError: (ctx, id, _payload, errors) => {
        release(ctx, id);
        // Errors of parsing and validation against the schema carry no code of their own.
        return errors.map((error) =>
          formatError(
            error.extensions.code || error.originalError
              ? error.toJSON()
              : { ...error.toJSON(), extensions: { code: "GRAPHQL_VALIDATION_FAILED" } },
            error,
          ),
        );
      },
      subscribe:
        options.subscribe &&
        ((args) => {
          const target = subscriptionTargets.get(args);
          if (!target) throw new Error("A subscription reached subscribe() without onSubscribe.");
          return options.subscribe!(
            args,
            (deliveryOptions) =>
              new DirectDelivery(target.socket, target.id, serializer, deliveryOptions),
          );
        }),
      execute: options.execute,
      onNext: (_ctx, _id, _payload, _args, result) => {
        if (!result.errors?.length) return;
        return nextPayload(result) as never;
      },
    },
    wsServer,
    options.limits.keepAliveMs,
  );

  /** A result as the protocol's `next` payload: errors formatted as over HTTP. */
  function nextPayload(result: ExecutionResult): FormattedExecutionResult {
    const { errors, ...rest } = result;
    return errors?.length
      ? {
          ...rest,
          errors: errors.map(
            (error) => formatError(error.toJSON(), error) as GraphQLFormattedError,
          ),
        }
      : rest;
  }

  function release(ctx: Context<Record<string, unknown>, Extra>, id: string): void {
    const connection = connections.get(ctx);
    if (connection?.operations.delete(id)) subscriptionCount--;
  }

  function closeWhenExpired(
    ctx: Context<Record<string, unknown>, Extra>,
    accessToken: string,
  ): void {
    const expiresAt = decodeJwt(accessToken).exp;
    if (!expiresAt) return;
    const timer = setTimeout(
      () =>
        ctx.extra.socket.close(
          ServiceCloseCode.Forbidden,
          "Forbidden: the access token expired; reconnect with a new one.",
        ),
      Math.min(2 ** 31 - 1, Math.max(0, expiresAt * 1000 - Date.now())),
    );
    expiryTimers.add(timer);
    ctx.extra.socket.once("close", () => {
      clearTimeout(timer);
      expiryTimers.delete(timer);
      const connection = connections.get(ctx);
      if (connection) subscriptionCount -= connection.operations.size;
      connection?.operations.clear();
    });
  }

  return {
    get connectionCount() {
      return wsServer.clients.size;
    },
    get subscriptionCount() {
      return subscriptionCount;
    },
    async close() {
      for (const timer of expiryTimers) clearTimeout(timer);
      await disposable.dispose();
    },
  };
}
