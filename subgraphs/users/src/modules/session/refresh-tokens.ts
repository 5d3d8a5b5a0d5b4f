import { randomUUID } from "node:crypto";
import type { DataSource, EntityManager } from "typeorm";
import { unauthenticated } from "#kit/errors";
import { generateSecret, hashSecret } from "../secret/secrets";

/** How long a refresh token stays usable (`REFRESH_TOKEN_TTL_DAYS`). @default 30 */
const TTL_DAYS = () => Number(process.env.REFRESH_TOKEN_TTL_DAYS ?? 30);

/**
 * Issues a refresh token for a user: a new family (a new sign-in) or the next token of `familyId`
 * (a rotation). Returns the opaque token; only its hash is stored.
 */
export async function issueRefreshToken(
  manager: EntityManager,
  user: { id: string; organizationId: string },
  familyId: string = randomUUID(),
): Promise<string> {
  const token = generateSecret("rt");
  await manager.query(
    `INSERT INTO refresh_tokens (organization_id, user_id, family_id, token_hash, expires_at)
     VALUES ($1, $2, $3, $4, now() + make_interval(days => $5))`,
    [user.organizationId, user.id, familyId, hashSecret(token), TTL_DAYS()],
  );
  return token;
}

/**
 * Uses a refresh token once: marks it used and issues the next one in its family. Presenting a
 * token that was already used (or revoked) means it was copied: the whole family is revoked, so
 * neither the thief nor the user can refresh again, and the call fails with `UNAUTHENTICATED`.
 * Resolves with the user it belongs to and the new token.
 */
export async function rotateRefreshToken(
  dataSource: DataSource,
  token: string,
): Promise<{ userId: string; organizationId: string; refreshToken: string }> {
  const outcome = await dataSource.transaction(async (manager) => {
    const [row]: {
      id: string;
      user_id: string;
      organization_id: string;
      family_id: string;
      expired: boolean;
      used_at: Date | null;
      revoked_at: Date | null;
    }[] = await manager.query(
      `SELECT id, user_id, organization_id, family_id, expires_at <= now() AS expired, used_at, revoked_at
           FROM refresh_tokens WHERE token_hash = $1 FOR UPDATE`,
      [hashSecret(token)],
    );
    if (!row || row.expired) return { kind: "invalid" as const };
    if (row.used_at || row.revoked_at) {
      await manager.query(
        "UPDATE refresh_tokens SET revoked_at = now() WHERE family_id = $1 AND revoked_at IS NULL",
        [row.family_id],
      );
      return { kind: "reused" as const };
    }
    await manager.query(
      "UPDATE refresh_tokens SET used_at = now() WHERE organization_id = $1 AND id = $2",
      [row.organization_id, row.id],
    );
    const refreshToken = await issueRefreshToken(
      manager,
      { id: row.user_id, organizationId: row.organization_id },
      row.family_id,
    );
    return {
      kind: "rotated" as const,
      userId: row.user_id,
      organizationId: row.organization_id,
      refreshToken,
    };
  });
  if (outcome.kind === "invalid")
    throw unauthenticated("The refresh token is invalid or expired; sign in again.");
  if (outcome.kind === "reused")
    throw unauthenticated(
      "The refresh token was already used; its session has been revoked. Sign in again.",
    );
  return outcome;
}

/**
 * Revokes the session (family) a refresh token belongs to. Resolves false when the token is unknown
 * or already revoked.
 */
export async function revokeRefreshTokenFamily(
  dataSource: DataSource,
  token: string,
): Promise<boolean> {
  const [{ count }]: { count: number }[] = await dataSource.query(
    `WITH revoked AS (
       UPDATE refresh_tokens SET revoked_at = now()
        WHERE family_id = (SELECT family_id FROM refresh_tokens WHERE token_hash = $1) AND revoked_at IS NULL
        RETURNING id)
     SELECT count(*)::int AS count FROM revoked`,
    [hashSecret(token)],
  );
  return count > 0;
}
