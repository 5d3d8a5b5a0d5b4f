import { ErrorCode } from "#kit/errors";
/** How the import proves who it is. */
export type Credentials =
  | { kind: "token"; token: string }
  | { kind: "apiKey"; secret: string }
  | { kind: "login"; email: string; password: string };

/**
 * The gateway refused a request, or could not be reached even after retries. `code` is the
 * GraphQL error's `extensions.code` when there was one (e.g. `UNAUTHENTICATED`, `FORBIDDEN`).
 */
export class GatewayError extends Error {
  override readonly name = "GatewayError";
  constructor(
    message: string,
    readonly code?: string,
  ) {
    super(message);
  }
}

/** A failure worth trying again: the network, an HTTP 5xx, or `SERVICE_UNAVAILABLE`. */
class TransientError extends Error {}

export interface GatewayClientOptions {
  /** The gateway's GraphQL endpoint. */
  url: string;
  credentials: Credentials;
  /** Retries of a request after a transient failure. @default 3 */
  retries?: number;
  /** The wait before the first retry; it doubles for each next one. @default 500 */
  retryDelayMs?: number;
  /**
   * How long one HTTP request may take before it counts as a transient failure. @default 120_000
   */
  timeoutMs?: number;
  /** Told before each retry, e.g. to say so on stderr. */
  onRetry?: (attempt: number, reason: string) => void;
  /** For tests. @default globalThis.fetch */
  fetch?: typeof fetch;
  /** For tests. @default setTimeout as a promise */
  sleep?: (ms: number) => Promise<void>;
}

interface GraphQLBody {
  data?: Record<string, unknown> | null;
  errors?: { message?: string; extensions?: { code?: unknown } }[];
}

const LOGIN = `mutation Login($email: String!, $password: String!) { login(email: $email, password: $password) { accessToken } }`;

/**
 * A small GraphQL-over-fetch client for the gateway: sends the credentials as the
 * `Authorization` header, retries transient failures with exponential backoff (callers must only
 * send operations that are safe to repeat), and turns GraphQL errors into {@link GatewayError}.
 * With email and password it signs in once, and again if the access token expires mid-import.
 */
export class GatewayClient {
  private authorization: string | undefined;
  private readonly retries: number;
  private readonly retryDelayMs: number;
  private readonly timeoutMs: number;
  private readonly fetch: typeof fetch;
  private readonly sleep: (ms: number) => Promise<void>;

  constructor(private readonly options: GatewayClientOptions) {
    this.retries = options.retries ?? 3;
    this.retryDelayMs = options.retryDelayMs ?? 500;
    this.timeoutMs = options.timeoutMs ?? 120_000;
    this.fetch = options.fetch ?? globalThis.fetch;
    this.sleep = options.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms)));
  }

  /**
   * Prepares the `Authorization` header; with email and password, calls the `login` mutation.
   * Throws a {@link GatewayError} when signing in fails.
   */
  async authenticate(): Promise<void> {
    const { credentials } = this.options;
    switch (credentials.kind) {
      case "token":
        this.authorization = `Bearer ${credentials.token}`;
        return;
      case "apiKey":
        this.authorization = `ApiKey ${credentials.secret}`;
        return;
      case "login": {
        const data = await this.send(
          LOGIN,
          { email: credentials.email, password: credentials.password },
          undefined,
        );
        const login = data.login as { accessToken?: string } | null | undefined;
        if (!login?.accessToken) throw new GatewayError("Signing in returned no access token.");
        this.authorization = `Bearer ${login.accessToken}`;
        return;
      }
    }
  }

  /**
   * Sends one operation and resolves its `data`. Throws a {@link GatewayError} for a GraphQL
   * error, a non-GraphQL answer, or a transient failure that outlasted the retries.
   */
  async request<TData>(query: string, variables: Record<string, unknown>): Promise<TData> {
    if (this.authorization === undefined) await this.authenticate();
    try {
      return (await this.send(query, variables, this.authorization)) as TData;
    } catch (error) {
      // An access token lasts minutes; a long import signed in with a password signs in again once.
      const expired = error instanceof GatewayError && error.code === ErrorCode.Unauthenticated;
      if (!expired || this.options.credentials.kind !== "login") throw error;
      await this.authenticate();
      return (await this.send(query, variables, this.authorization)) as TData;
    }
  }

  private async send(
    query: string,
    variables: Record<string, unknown>,
    authorization: string | undefined,
  ): Promise<Record<string, unknown>> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.sendOnce(query, variables, authorization);
      } catch (error) {
        if (!(error instanceof TransientError)) throw error;
        if (attempt > this.retries) {
          throw new GatewayError(
            `${error.message} (gave up after ${attempt} attempts)`,
            ErrorCode.ServiceUnavailable,
          );
        }
        this.options.onRetry?.(attempt, error.message);
        await this.sleep(this.retryDelayMs * 2 ** (attempt - 1));
      }
    }
  }

  private async sendOnce(
    query: string,
    variables: Record<string, unknown>,
    authorization: string | undefined,
  ): Promise<Record<string, unknown>> {
    const { url } = this.options;
    const headers: Record<string, string> = {
      "content-type": "application/json",
      accept: "application/json",
    };
    if (authorization) headers.authorization = authorization;
    let status: number;
    let text: string;
    try {
      const response = await this.fetch(url, {
        method: "POST",
        headers,
        body: JSON.stringify({ query, variables }),
        signal: AbortSignal.timeout(this.timeoutMs),
      });
      status = response.status;
      text = await response.text();
    } catch (error) {
      throw new TransientError(
        `Cannot reach the gateway at ${url}: ${describeNetworkError(error)}`,
      );
    }

    const body = parseBody(text);
    const firstError = body?.errors?.[0];
    const code =
      typeof firstError?.extensions?.code === "string" ? firstError.extensions.code : undefined;
    const message = firstError?.message ?? `HTTP ${status}`;
    if (status >= 500 || code === ErrorCode.ServiceUnavailable) {
      throw new TransientError(`The gateway answered HTTP ${status}: ${message}`);
    }
    if (!body) {
      throw new GatewayError(
        `${url} answered HTTP ${status} without a GraphQL response; is it the gateway's /graphql endpoint?`,
      );
    }
    if (firstError) {
      const hint = status === 413 ? " Try a smaller --batch-size." : "";
      throw new GatewayError(`${message}${code ? ` (${code})` : ""}${hint}`, code);
    }
    if (!body.data)
      throw new GatewayError(`The gateway answered HTTP ${status} with neither data nor errors.`);
    return body.data;
  }
}

function parseBody(text: string): GraphQLBody | undefined {
  try {
    const body = JSON.parse(text) as unknown;
    return body && typeof body === "object" && ("data" in body || "errors" in body)
      ? (body as GraphQLBody)
      : undefined;
  } catch {
    return undefined;
  }
}

/** fetch's own message is "fetch failed"; the reason (ECONNREFUSED, a timeout) is in its cause. */
function describeNetworkError(error: unknown): string {
  if (error instanceof Error && error.name === "TimeoutError") return "no answer in time";
  const cause = (error as { cause?: { code?: string; message?: string } } | undefined)?.cause;
  return cause?.code ?? cause?.message ?? (error instanceof Error ? error.message : String(error));
}
