import path from "node:path";
import { databaseUrlFromEnv, withDatabase, type ServiceName } from "./database/database-url";

/** The fixed ports of the design; each can be overridden with `<SERVICE>_PORT`. */
export const DEFAULT_PORTS = {
  gateway: 4000,
  users: 4001,
  customers: 4002,
  analytics: 4003,
} as const;
export type AnyServiceName = keyof typeof DEFAULT_PORTS;

/**
 * The embedded PostgreSQL's port (`EMBEDDED_POSTGRES_PORT`). @default 5433 // not 5432, to stay
 * clear of a system server
 */
export function embeddedPostgresPort(env: NodeJS.ProcessEnv = process.env): number {
  return Number(env.EMBEDDED_POSTGRES_PORT ?? 5433);
}

export function portFromEnv(service: AnyServiceName, env: NodeJS.ProcessEnv = process.env): number {
  const value = env[`${service.toUpperCase()}_PORT`];
  const port = value === undefined ? DEFAULT_PORTS[service] : Number(value);
  if (!Number.isInteger(port) || port < 0 || port > 65535)
    throw new Error(`${service.toUpperCase()}_PORT must be a port number, got '${value}'.`);
  return port;
}

/**
 * Where local state lives (`DATA_DIR`): the embedded database and development keys. @default
 * ".data"
 */
export function dataDir(env: NodeJS.ProcessEnv = process.env): string {
  return path.resolve(env.DATA_DIR ?? ".data");
}

/** The embedded server's URL, used when no `*DATABASE_URL` is set. */
export function embeddedServerUrl(env: NodeJS.ProcessEnv = process.env): string {
  return `postgres://postgres:postgres@127.0.0.1:${embeddedPostgresPort(env)}/postgres`;
}

/** The service's database URL: from the environment, else its database on the embedded server. */
export function serviceDatabaseUrl(
  service: ServiceName,
  env: NodeJS.ProcessEnv = process.env,
): string {
  return databaseUrlFromEnv(service, env) ?? withDatabase(embeddedServerUrl(env), service);
}

/** Paths the users subgraph serves next to `/graphql`. */
export const USERS_AUTH_PATHS = {
  /** Its public keys (JWKS), to verify access tokens. */
  jwks: "/.well-known/jwks.json",
  /** `POST` with `Authorization: ApiKey <secret>`: a short-lived access token for that key. */
  apiKeyToken: "/auth/api-key-token",
} as const;

/** Where the users subgraph answers (`USERS_BASE_URL`). @default http://localhost:<USERS_PORT> */
export function usersBaseUrlFromEnv(env: NodeJS.ProcessEnv = process.env): string {
  return (env.USERS_BASE_URL ?? `http://localhost:${portFromEnv("users", env)}`).replace(
    /\/+$/,
    "",
  );
}

/**
 * A number from the environment, or `fallback` when the variable is unset or empty. Throws a
 * message naming the variable when it is not a number, below `min`, or not whole with `integer`.
 */
export function numberFromEnv(
  env: NodeJS.ProcessEnv,
  name: string,
  fallback: number,
  { min = 0, integer = true } = {},
): number {
  const value = env[name];
  if (value === undefined || value === "") return fallback;
  const number = Number(value);
  if (!Number.isFinite(number) || number < min || (integer && !Number.isInteger(number))) {
    throw new Error(
      `${name} must be ${integer ? "an integer" : "a number"} of at least ${min}, got '${value}'.`,
    );
  }
  return number;
}

/**
 * `true`/`false` from `env[name]` (unset or empty: `fallback`); throws naming the variable for
 * anything else.
 */
export function booleanFromEnv(env: NodeJS.ProcessEnv, name: string, fallback: boolean): boolean {
  const value = env[name];
  if (value === undefined || value === "") return fallback;
  if (value === "true" || value === "false") return value === "true";
  throw new Error(`${name} must be true or false, got '${value}'.`);
}
