import { GraphQLError, type GraphQLFormattedError } from "graphql";
import { CONNECTION_EXCEPTION_CLASS, SqlState } from "./database/sqlstate";

/**
 * Every error code a client can see in `extensions.code`. Anything else that escapes a resolver is
 * masked as `INTERNAL_SERVER_ERROR` (see {@link formatError}).
 */
export enum ErrorCode {
  /** No credential, or one that is invalid, expired or revoked. */
  Unauthenticated = "UNAUTHENTICATED",
  /** A valid credential whose role or scope does not allow the operation. */
  Forbidden = "FORBIDDEN",
  /** An argument or input value is invalid; the message says which and why. */
  BadUserInput = "BAD_USER_INPUT",
  /** The addressed object does not exist in the caller's organization. */
  NotFound = "NOT_FOUND",
  /** Too many requests; retry after the time given. */
  RateLimited = "RATE_LIMITED",
  /**
   * A configured limit (subscriptions per connection, and the like) is reached; the message names
   * it.
   */
  LimitExceeded = "LIMIT_EXCEEDED",
  /** A unique value (an email, a name) is already taken. */
  Conflict = "CONFLICT",
  /** The HTTP request itself is malformed (body too large, not JSON, wrong method). */
  BadRequest = "BAD_REQUEST",
  /** A dependency (the database, a subgraph) cannot be reached right now. */
  ServiceUnavailable = "SERVICE_UNAVAILABLE",
  InternalServerError = "INTERNAL_SERVER_ERROR",
}

/** Codes produced by graphql-js and Apollo Server themselves, passed through unmasked. */
const FRAMEWORK_CODES = new Set([
  "GRAPHQL_PARSE_FAILED",
  "GRAPHQL_VALIDATION_FAILED",
  "PERSISTED_QUERY_NOT_FOUND",
  "PERSISTED_QUERY_NOT_SUPPORTED",
  "OPERATION_RESOLUTION_FAILURE",
]);

/**
 * Codes passed to clients as they are; INTERNAL_SERVER_ERROR is not one of them: it is always
 * masked.
 */
const PUBLIC_CODES = new Set<string>([
  ...Object.values(ErrorCode).filter((code) => code !== ErrorCode.InternalServerError),
  ...FRAMEWORK_CODES,
]);

/** True for a code clients may see as it is (ours and the GraphQL framework's). */
export function isPublicErrorCode(code: string): boolean {
  return PUBLIC_CODES.has(code);
}

/**
 * Extension keys that describe internals (a subgraph's URL and body, a stack) and never reach a
 * client.
 */
const INTERNAL_EXTENSIONS = ["stacktrace", "exception", "response"];

export function unauthenticated(
  message = "Authentication required: send Authorization: Bearer <accessToken>.",
): GraphQLError {
  return new GraphQLError(message, { extensions: { code: ErrorCode.Unauthenticated } });
}

export function forbidden(message: string): GraphQLError {
  return new GraphQLError(message, { extensions: { code: ErrorCode.Forbidden } });
}

/** A bad argument. `field` names the argument or input path so clients can point at it. */
export function badUserInput(message: string, field?: string): GraphQLError {
  return new GraphQLError(message, {
    extensions: { code: ErrorCode.BadUserInput, ...(field ? { field } : {}) },
  });
}

export function notFound(typeName: string, id: string): GraphQLError {
  return new GraphQLError(`${typeName} ${id} was not found.`, {
    extensions: { code: ErrorCode.NotFound },
  });
}

export function conflict(message: string): GraphQLError {
  return new GraphQLError(message, { extensions: { code: ErrorCode.Conflict } });
}

/**
 * Apollo Server `formatError`: errors with a public code pass through as they are; anything else
 * (a driver error, a bug) becomes `INTERNAL_SERVER_ERROR` with a generic message, so SQL and stack
 * traces never reach a client. Outside production (`NODE_ENV` other than `production`) the original
 * message stays in `extensions.detail`; in production no error carries `detail`, whatever added it.
 */
export function formatError(
  formatted: GraphQLFormattedError,
  error: unknown,
): GraphQLFormattedError {
  const code = formatted.extensions?.code;
  if (typeof code === "string" && PUBLIC_CODES.has(code)) {
    // `detail` too in production: a subgraph outside production may have added it to an error
    // the gateway passes on.
    const hidden =
      process.env.NODE_ENV === "production"
        ? [...INTERNAL_EXTENSIONS, "detail"]
        : INTERNAL_EXTENSIONS;
    const extensions = Object.fromEntries(
      Object.entries(formatted.extensions ?? {}).filter(([key]) => !hidden.includes(key)),
    );
    return { ...formatted, extensions };
  }
  const original = error instanceof GraphQLError ? (error.originalError ?? error) : error;
  if (isTimeout(original)) {
    return {
      message:
        "A service did not answer in time (see SUBGRAPH_TIMEOUT_MS); try again, or ask for less (a shorter range, a coarser interval).",
      locations: formatted.locations,
      path: formatted.path,
      extensions: { code: ErrorCode.ServiceUnavailable },
    };
  }
  const databaseDown = isConnectionError(original);
  if (process.env.NODE_ENV !== "production" && process.env.LOG_LEVEL !== "silent") {
    console.error("[error]", original);
  }
  return {
    message: databaseDown
      ? "The database is unavailable; try again shortly."
      : "Internal server error.",
    locations: formatted.locations,
    path: formatted.path,
    extensions: {
      code: databaseDown ? ErrorCode.ServiceUnavailable : ErrorCode.InternalServerError,
      ...(process.env.NODE_ENV === "production"
        ? {}
        : { detail: String((original as Error)?.message ?? original) }),
    },
  };
}

/** True for an aborted fetch (the gateway's per-subgraph timeout). */
export function isTimeout(error: unknown): boolean {
  const name = (error as { name?: unknown } | null)?.name;
  return (
    name === "TimeoutError" ||
    (name === "AbortError" && /timeout/i.test(String((error as Error).message)))
  );
}

/** `pg`'s errors without a code when the server goes away under a query or a pooled client. */
const CONNECTION_LOST =
  /Connection terminated|connection error and is not queryable|Client was closed and is not queryable|timeout exceeded when trying to connect/i;

/** True for the errors `pg` raises when the server cannot be reached or went away. */
export function isConnectionError(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  if (
    typeof code === "string" &&
    ([
      "ECONNREFUSED",
      "ECONNRESET",
      "ETIMEDOUT",
      "ENOTFOUND",
      "EAI_AGAIN",
      SqlState.AdminShutdown,
      SqlState.CrashShutdown,
      SqlState.CannotConnectNow,
    ].includes(code) ||
      code.startsWith(CONNECTION_EXCEPTION_CLASS))
  )
    return true;
  return error instanceof Error && CONNECTION_LOST.test(error.message);
}
