import { createRemoteJWKSet, jwtVerify, errors as joseErrors, type JWTVerifyGetKey } from "jose";
import { GraphQLError } from "graphql";
import { ErrorCode, unauthenticated } from "../errors";
import { isApiKeyScope } from "./api-key-scope";
import { isRole } from "./role";
import type { Viewer } from "./viewer";

/** `iss` of every access token; verification requires it. */
export const ACCESS_TOKEN_ISSUER = "federated-analytics/users";
/** `aud` of every access token; verification requires it. */
export const ACCESS_TOKEN_AUDIENCE = "federated-analytics";
/**
 * The only signature algorithm accepted (Ed25519); pinned so a token cannot pick its own (`none`,
 * HS256).
 */
export const ACCESS_TOKEN_ALGORITHM = "EdDSA";
/** `sub` of a token issued for an API key: `apikey:<id>`. */
export const API_KEY_SUBJECT_PREFIX = "apikey:";

/**
 * Verifies an access token and returns its caller; rejects with an `UNAUTHENTICATED` GraphQLError.
 */
export type AccessTokenVerifier = (token: string) => Promise<Viewer>;

/**
 * How long a verified token is trusted without checking its signature again (never past its `exp`).
 */
export const VERIFIED_TOKEN_CACHE_MS = 60_000;
/** Verified tokens remembered at most (the oldest is forgotten first). */
const VERIFIED_TOKEN_CACHE_ENTRIES = 10_000;

/**
 * A verifier over a key set: the users subgraph's JWKS (fetched once, refetched when a token names
 * an unknown `kid`, so rotated keys are picked up) or a local key set. Requires `iss`, `aud`,
 * `exp`, `sub`, `org` and `role`; an API key's token also carries its scopes in `scp`.
 *
 * A token that verified is remembered for {@link VERIFIED_TOKEN_CACHE_MS} (never past its `exp`),
 * so a client's next requests skip the signature check, which is most of a small request's
 * authentication cost. Only successes are remembered, and a remembered token is refused once it expires.
 */
export function createAccessTokenVerifier(
  keys: JWTVerifyGetKey,
  now: () => number = Date.now,
): AccessTokenVerifier {
  const verified = new Map<string, { viewer: Viewer; trustedUntil: number; expiresAt: number }>();
  return async (token) => {
    const cached = verified.get(token);
    if (cached) {
      const at = now();
      if (at < cached.trustedUntil) return { ...cached.viewer };
      verified.delete(token);
      if (at >= cached.expiresAt)
        throw unauthenticated("The access token has expired; refresh it.");
    }
    const { viewer, expiresAt } = await verifySignedToken(token, keys);
    if (verified.size >= VERIFIED_TOKEN_CACHE_ENTRIES)
      verified.delete(verified.keys().next().value!);
    verified.set(token, {
      viewer,
      expiresAt,
      trustedUntil: Math.min(expiresAt, now() + VERIFIED_TOKEN_CACHE_MS),
    });
    return { ...viewer };
  };
}

/** Checks the signature and claims; the caller and when the token expires (ms since the epoch). */
async function verifySignedToken(
  token: string,
  keys: JWTVerifyGetKey,
): Promise<{ viewer: Viewer; expiresAt: number }> {
  try {
    const { payload } = await jwtVerify(token, keys, {
      issuer: ACCESS_TOKEN_ISSUER,
      audience: ACCESS_TOKEN_AUDIENCE,
      algorithms: [ACCESS_TOKEN_ALGORITHM],
      requiredClaims: ["exp", "sub", "org", "role"],
    });
    const { sub, org, role, scp } = payload as {
      sub?: unknown;
      org?: unknown;
      role?: unknown;
      scp?: unknown;
    };
    if (typeof sub !== "string" || typeof org !== "string" || !isRole(role))
      throw unauthenticated("The access token's claims are malformed.");
    const expiresAt = payload.exp! * 1000;
    if (sub.startsWith(API_KEY_SUBJECT_PREFIX)) {
      if (!Array.isArray(scp) || !scp.every(isApiKeyScope))
        throw unauthenticated("The access token's claims are malformed.");
      return {
        viewer: {
          kind: "apiKey",
          apiKeyId: sub.slice(API_KEY_SUBJECT_PREFIX.length),
          organizationId: org,
          role,
          scopes: scp,
        },
        expiresAt,
      };
    }
    return { viewer: { kind: "user", userId: sub, organizationId: org, role }, expiresAt };
  } catch (error) {
    if (error instanceof GraphQLError) throw error;
    if (error instanceof joseErrors.JWTExpired)
      throw unauthenticated("The access token has expired; refresh it.");
    // The public keys could not be had (no answer in time, an unreachable or broken users
    // service): nothing is known of the token, so it is not called invalid.
    if (
      error instanceof joseErrors.JWKSTimeout ||
      error instanceof joseErrors.JWKSInvalid ||
      !(error instanceof joseErrors.JOSEError)
    )
      throw new GraphQLError(
        "Access tokens cannot be checked right now: the users service did not give its public keys; try again shortly.",
        { extensions: { code: ErrorCode.ServiceUnavailable } },
      );
    throw unauthenticated("The access token is invalid.");
  }
}

/** A verifier that reads the public keys from the users subgraph's `/.well-known/jwks.json`. */
export function createRemoteAccessTokenVerifier(jwksUrl: string): AccessTokenVerifier {
  return createAccessTokenVerifier(
    createRemoteJWKSet(new URL(jwksUrl), { cooldownDuration: 30_000, timeoutDuration: 5_000 }),
  );
}
