import type { DataSource } from "typeorm";
import { queryPrepared } from "#kit/database/prepared-query";
import { Role } from "#kit/auth/role";
import { unauthenticated } from "#kit/errors";
import type { AccessTokenIssuer } from "../auth/access-token-issuer";
import { hashSecret } from "../secret/secrets";

/**
 * Turns an API key secret into a short-lived access token that carries the key's organization and
 * scopes, so every service can verify it like any token. Records `lastUsedAt` (to the minute).
 * Rejects with `UNAUTHENTICATED` for an unknown or revoked key: the key is looked up on every
 * exchange, so a revoked key stops working at once.
 *
 * The token it hands out for a key is reused while it has at least {@link MIN_REMAINING_SECONDS} to
 * live: a busy key then costs no signature per request here, and the services that verify the token
 * recognise one they verified a moment ago instead of checking a new signature each time.
 */
export function createApiKeyExchange(
  dataSource: DataSource,
  tokens: AccessTokenIssuer,
  now: () => number = Date.now,
) {
  const issued = new Map<string, { token: string; expiresAt: number }>();
  return async (secret: string): Promise<string> => {
    // lastUsedAt is written at most once a minute: a write per request would make every request of
    // a busy key wait for the one before it (the row lock) and for a WAL flush.
    const rows = await queryPrepared<{ id: string; organization_id: string; scopes: string }>(
      dataSource,
      "users.api-key-exchange",
      EXCHANGE_SQL,
      [hashSecret(secret)],
    );
    const key = rows[0];
    if (!key) throw unauthenticated("The API key is invalid or revoked.");
    const scopes = (Array.isArray(key.scopes) ? key.scopes : parsePgArray(key.scopes)) as never[];
    const claims = `${key.id} ${key.organization_id} ${[...scopes].sort().join(",")}`;
    const reusable = issued.get(claims);
    if (reusable && reusable.expiresAt - now() >= MIN_REMAINING_SECONDS * 1000)
      return reusable.token;
    const { token, expiresAt } = await tokens.issue(
      {
        kind: "apiKey",
        apiKeyId: key.id,
        organizationId: key.organization_id,
        role: Role.VIEWER,
        scopes,
      },
      API_KEY_TOKEN_TTL_SECONDS,
    );
    if (issued.size >= MAX_REUSABLE_TOKENS) issued.delete(issued.keys().next().value!);
    issued.set(claims, { token, expiresAt: expiresAt.getTime() });
    return token;
  };
}

/**
 * The key of a secret's hash, unless revoked, its lastUsedAt touched when a minute old; prepared
 * (it runs on every request made with a key).
 */
const EXCHANGE_SQL = `
  WITH key AS (
    SELECT id, organization_id, scopes, last_used_at FROM api_keys WHERE secret_hash = $1 AND revoked_at IS NULL
  ), touched AS (
    UPDATE api_keys SET last_used_at = now()
     WHERE (organization_id, id) IN (SELECT organization_id, id FROM key WHERE last_used_at IS NULL OR last_used_at < now() - interval '1 minute')
  )
  SELECT id, organization_id, scopes::text[] AS scopes FROM key`;

/**
 * A reused token still has at least this long to live (so it outlasts any request it is used for).
 */
const MIN_REMAINING_SECONDS = 240;
/** Keys whose current token is remembered at most (the oldest is forgotten first). */
const MAX_REUSABLE_TOKENS = 10_000;

/** An exchanged token lives long enough for one request to cross the services. */
export const API_KEY_TOKEN_TTL_SECONDS = 300;

function parsePgArray(text: string): string[] {
  return text
    .replace(/^\{|\}$/g, "")
    .split(",")
    .filter(Boolean);
}
