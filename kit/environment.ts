/** What a variable must hold. */
type Kind =
  | "port"
  | "count"
  | "number"
  | "url"
  | "boolean"
  | "logLevel"
  | "text"
  | "json"
  | "hostList"
  | "date";

/**
 * Every environment variable the services read and what it must hold (`.env.example` lists them
 * with their defaults; test/env-example.test.ts keeps the three in step).
 */
export const ENVIRONMENT: Record<string, Kind> = {
  NODE_ENV: "text",
  LOG_LEVEL: "logLevel",
  DATA_DIR: "text",
  DEMO_DATA: "boolean",
  DEMO_DATA_AS_OF: "date",
  DEMO_JOBS: "boolean",
  GATEWAY_PORT: "port",
  GATEWAY_WORKERS: "text",
  USERS_PORT: "port",
  CUSTOMERS_PORT: "port",
  ANALYTICS_PORT: "port",
  EMBEDDED_POSTGRES_PORT: "port",
  EMBEDDED_POSTGRES_DIR: "text",
  DATABASE_URL: "url",
  USERS_DATABASE_URL: "url",
  CUSTOMERS_DATABASE_URL: "url",
  ANALYTICS_DATABASE_URL: "url",
  ANALYTICS_READ_DATABASE_URL: "url",
  ANALYTICS_READ_REPLICA_MAX_WAIT_MS: "number",
  ANALYTICS_PEOPLE_QUERY_PARTS: "count",
  DATABASE_CONNECT_ATTEMPTS: "count",
  USERS_DB_POOL_SIZE: "count",
  CUSTOMERS_DB_POOL_SIZE: "count",
  ANALYTICS_DB_POOL_SIZE: "count",
  USERS_BASE_URL: "url",
  USERS_URL: "url",
  CUSTOMERS_URL: "url",
  ANALYTICS_URL: "url",
  SUPERGRAPH_PATH: "text",
  SUBGRAPH_TIMEOUT_MS: "count",
  SUBGRAPH_DEDUPLICATE_QUERIES: "boolean",
  SINGLE_SUBGRAPH_PASSTHROUGH: "boolean",
  OWN_PLAN_EXECUTION: "boolean",
  HTTP_COMPRESSION: "boolean",
  SQL_QUERY_COUNTING: "boolean",
  TRUSTED_PROXIES: "hostList",
  JWT_PRIVATE_KEY: "text",
  JWT_KEY_ID: "text",
  JWT_PREVIOUS_PUBLIC_KEYS: "json",
  ACCESS_TOKEN_TTL_SECONDS: "count",
  REFRESH_TOKEN_TTL_DAYS: "count",
  LOGIN_MAX_FAILURES_PER_ACCOUNT: "count",
  LOGIN_MAX_FAILURES_PER_ADDRESS: "count",
  LOGIN_THROTTLE_WINDOW_SECONDS: "count",
  GRAPHQL_MAX_DEPTH: "count",
  GRAPHQL_MAX_ALIASES: "count",
  GRAPHQL_MAX_DIRECTIVES: "count",
  GRAPHQL_MAX_TOKENS: "count",
  GRAPHQL_MAX_COST: "count",
  GRAPHQL_MAX_BODY_BYTES: "count",
  GRAPHQL_INTROSPECTION: "boolean",
  RATE_LIMIT_PER_MINUTE: "number",
  RATE_LIMIT_PER_ADDRESS_PER_MINUTE: "number",
  RATE_LIMIT_BURST_SECONDS: "number",
  RATE_LIMIT_REDIS_URL: "url",
  REDIS_URL: "url",
  WS_MAX_CONNECTIONS_PER_CALLER: "count",
  WS_MAX_SUBSCRIPTIONS_PER_CONNECTION: "count",
  WS_KEEP_ALIVE_MS: "count",
  WS_CONNECTION_INIT_TIMEOUT_MS: "count",
  METRIC_UPDATE_INTERVAL_MS: "number",
  ANALYTICS_CACHE_TTL_MS: "number",
  ANALYTICS_CACHE_ENTRIES: "count",
  ANALYTICS_EVENT_RETENTION_MONTHS: "number",
  ALERT_SECRET_KEY: "text",
  ALERT_WEBHOOK_ALLOW_PRIVATE: "boolean",
  ALERT_RETRY_BASE_SECONDS: "number",
  ALERT_DELIVERY_ENABLED: "boolean",
  SMTP_URL: "url",
  ALERT_EMAIL_FROM: "text",
  OTEL_EXPORTER_OTLP_ENDPOINT: "url",
  OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: "url",
  OTEL_TRACES_EXPORTER: "text",
  OTEL_SDK_DISABLED: "boolean",
  OTEL_SERVICE_NAME: "text",
  FA_GATEWAY_URL: "url",
  FA_TOKEN: "text",
  FA_API_KEY: "text",
};

const LOG_LEVELS = ["trace", "debug", "info", "warn", "error", "fatal", "silent"];

/** Why `value` is not a valid `kind`, or null when it is. */
function problem(kind: Kind, value: string): string | null {
  switch (kind) {
    case "port":
      return /^\d+$/.test(value) && Number(value) <= 65535
        ? null
        : "must be a port number (0 to 65535; 0 picks a free one)";
    case "count":
      return /^\d+$/.test(value) && Number(value) >= 1
        ? null
        : "must be a whole number of at least 1";
    case "number":
      return Number.isFinite(Number(value)) && Number(value) >= 0
        ? null
        : "must be a number of at least 0";
    case "url":
      try {
        new URL(value);
        return null;
      } catch {
        return "must be a URL (such as postgres://user:password@host:5432/db or http://host:4001)";
      }
    case "boolean":
      return value === "true" || value === "false" ? null : "must be true or false";
    case "logLevel":
      return LOG_LEVELS.includes(value) ? null : `must be one of ${LOG_LEVELS.join(", ")}`;
    case "json":
      try {
        JSON.parse(value);
        return null;
      } catch {
        return "must be JSON";
      }
    case "hostList":
      return value.split(",").every((part) => part.trim() !== "")
        ? null
        : "must be a comma-separated list of addresses";
    case "date":
      return Number.isNaN(Date.parse(value)) ? "must be an ISO 8601 date and time" : null;
    case "text":
      return null;
  }
}

/**
 * Checks every variable that is set (an empty one counts as unset): resolves one message per
 * wrong value, naming the variable, what it holds and what it must hold. Empty when all are fine.
 */
export function environmentProblems(env: NodeJS.ProcessEnv = process.env): string[] {
  const problems: string[] = [];
  for (const [name, kind] of Object.entries(ENVIRONMENT)) {
    const value = env[name];
    if (value === undefined || value === "") continue;
    const why = problem(kind, value);
    // Values that may hold a secret (URLs with passwords, keys, tokens) are not repeated.
    const shown = ["port", "count", "number", "boolean", "logLevel"].includes(kind)
      ? `=${JSON.stringify(value)}`
      : "";
    if (why) problems.push(`${name}${shown} ${why}.`);
  }
  return problems;
}

/** At start: prints each wrong value and exits 1, before anything else is done. */
export function exitOnEnvironmentProblems(env: NodeJS.ProcessEnv = process.env): void {
  const problems = environmentProblems(env);
  if (problems.length === 0) return;
  process.stderr.write(
    `The configuration has ${problems.length} problem${problems.length > 1 ? "s" : ""} (see .env.example):\n${problems.map((p) => `  - ${p}`).join("\n")}\n`,
  );
  process.exit(1);
}
