import { createRemoteJWKSet, jwtVerify, errors as joseErrors, type JWTVerifyGetKey } from "jose";
import { unauthenticated } from "../errors";
import { isRole } from "./role";
import type { Viewer } from "./viewer";

/** `iss` of every access token; verification requires it. */
export const ACCESS_TOKEN_ISSUER = "federated-analytics/users";
/** `aud` of every access token; verification requires it. */
export const ACCESS_TOKEN_AUDIENCE = "federated-analytics";
/** The only signature algorithm accepted (Ed25519); pinned so a token cannot pick its own. */
export const ACCESS_TOKEN_ALGORITHM = "EdDSA";

/** Verifies an access token and returns its caller; rejects with an `UNAUTHENTICATED` GraphQLError. */
export type AccessTokenVerifier = (token: string) => Promise<Viewer>;

/**
 * A verifier over a key set: the users subgraph's JWKS (fetched once, refetched when a token names
 * an unknown `kid`, so rotated keys are picked up) or a local key set.
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
      if (typeof payload.sub !== "string" || typeof payload.org !== "string" || !isRole(payload.role)) {
        throw unauthenticated("The access token's claims are malformed.");
      }
      return { userId: payload.sub, organizationId: payload.org, role: payload.role };
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
