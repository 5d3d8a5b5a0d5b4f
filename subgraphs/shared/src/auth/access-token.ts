import { createRemoteJWKSet, jwtVerify, errors as joseErrors, type JWTVerifyGetKey } from "jose";
import { unauthenticated } from "../errors";
import { isApiKeyScope } from "./api-key-scope";
import { isRole } from "./role";
import type { Viewer } from "./viewer";

/** `iss` of every access token; verification requires it. */
export const ACCESS_TOKEN_ISSUER = "federated-analytics/users";
/** `aud` of every access token; verification requires it. */
export const ACCESS_TOKEN_AUDIENCE = "federated-analytics";
/** The only signature algorithm accepted (Ed25519); pinned so a token cannot pick its own (`none`, HS256). */
export const ACCESS_TOKEN_ALGORITHM = "EdDSA";
/** `sub` of a token issued for an API key: `apikey:<id>`. */
export const API_KEY_SUBJECT_PREFIX = "apikey:";

/** Verifies an access token and returns its caller; rejects with an `UNAUTHENTICATED` GraphQLError. */
export type AccessTokenVerifier = (token: string) => Promise<Viewer>;

/**
 * A verifier over a key set: the users subgraph's JWKS (fetched once, refetched when a token names
 * an unknown `kid`, so rotated keys are picked up) or a local key set. Requires `iss`, `aud`,
 * `exp`, `sub`, `org` and `role`; an API key's token also carries its scopes in `scp`.
 */
export function createAccessTokenVerifier(keys: JWTVerifyGetKey): AccessTokenVerifier {
  return async (token) => {
    try {
      const { payload } = await jwtVerify(token, keys, {
        issuer: ACCESS_TOKEN_ISSUER,
        audience: ACCESS_TOKEN_AUDIENCE,
        algorithms: [ACCESS_TOKEN_ALGORITHM],
        requiredClaims: ["exp", "sub", "org", "role"],
      });
      const { sub, org, role, scp } = payload as { sub?: unknown; org?: unknown; role?: unknown; scp?: unknown };
      if (typeof sub !== "string" || typeof org !== "string" || !isRole(role)) throw unauthenticated("The access token's claims are malformed.");
      if (sub.startsWith(API_KEY_SUBJECT_PREFIX)) {
        if (!Array.isArray(scp) || !scp.every(isApiKeyScope)) throw unauthenticated("The access token's claims are malformed.");
        return { kind: "apiKey", apiKeyId: sub.slice(API_KEY_SUBJECT_PREFIX.length), organizationId: org, role, scopes: scp };
      }
      return { kind: "user", userId: sub, organizationId: org, role };
    } catch (error) {
      if (error instanceof joseErrors.JWTExpired) throw unauthenticated("The access token has expired; refresh it.");
      if (error instanceof joseErrors.JOSEError) throw unauthenticated("The access token is invalid.");
      throw error;
    }
  };
}

/** A verifier that reads the public keys from the users subgraph's `/.well-known/jwks.json`. */
export function createRemoteAccessTokenVerifier(jwksUrl: string): AccessTokenVerifier {
  return createAccessTokenVerifier(createRemoteJWKSet(new URL(jwksUrl), { cooldownDuration: 30_000, timeoutDuration: 5_000 }));
}
