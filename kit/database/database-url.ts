/** The subgraphs, each with a database of its own of the same name. */
export const SERVICE_NAMES = ["users", "customers", "analytics"] as const;
export type ServiceName = (typeof SERVICE_NAMES)[number];

/**
 * The connection URL of one service's database, from the environment:
 * `USERS_DATABASE_URL` (and so on) wins; otherwise `DATABASE_URL` names a server and the service
 * uses the database named after itself on it. Returns `undefined` when neither is set, which means
 * "use the embedded PostgreSQL".
 */
export function databaseUrlFromEnv(
  service: ServiceName,
  env: NodeJS.ProcessEnv = process.env,
): string | undefined {
  const own = env[`${service.toUpperCase()}_DATABASE_URL`];
  if (own) return own;
  if (env.DATABASE_URL) return withDatabase(env.DATABASE_URL, service);
  return undefined;
}

/** The same server URL with its database path replaced by `database`. */
export function withDatabase(serverUrl: string, database: string): string {
  const url = new URL(serverUrl);
  url.pathname = `/${database}`;
  return url.toString();
}

/** The URL with its password replaced by `***`, safe for logs and error messages. */
export function redactUrl(connectionUrl: string): string {
  try {
    const url = new URL(connectionUrl);
    if (url.password) url.password = "***";
    return url.toString();
  } catch {
    return "<unparseable database URL>";
  }
}
