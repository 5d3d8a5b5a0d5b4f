import { createLocalJWKSet, SignJWT } from "jose";
import {
  ACCESS_TOKEN_ALGORITHM,
  ACCESS_TOKEN_AUDIENCE,
  ACCESS_TOKEN_ISSUER,
  API_KEY_SUBJECT_PREFIX,
  createAccessTokenVerifier,
  type AccessTokenVerifier,
} from "#kit/auth/access-token";
import type { Viewer } from "#kit/auth/viewer";
import type { SigningKeys } from "./signing-keys";

/** Signs access tokens and verifies them with the same keys the JWKS endpoint publishes. */
export interface AccessTokenIssuer {
  /** Signs a token for the caller; `ttlSeconds` overrides the default lifetime. */
  issue(viewer: Viewer, ttlSeconds?: number): Promise<{ token: string; expiresAt: Date }>;
  verify: AccessTokenVerifier;
  jwks: SigningKeys["jwks"];
}

/**
 * Tokens carry `iss`, `aud`, `sub` (a user id, or `apikey:<id>`), `org`, `role`, `iat`, `exp`, and
 * for API keys their scopes in `scp`; the header names the signing key's `kid`.
 * @param ttlSeconds lifetime of a user's access token. @default 900 // 15 minutes
 */
export function createAccessTokenIssuer(keys: SigningKeys, ttlSeconds = 900): AccessTokenIssuer {
  return {
    jwks: keys.jwks,
    verify: createAccessTokenVerifier(createLocalJWKSet(keys.jwks)),
    async issue(viewer, lifetime = ttlSeconds) {
      const now = Math.floor(Date.now() / 1000);
      const claims =
        viewer.kind === "apiKey"
          ? { org: viewer.organizationId, role: viewer.role, scp: viewer.scopes }
          : { org: viewer.organizationId, role: viewer.role };
      const token = await new SignJWT(claims)
        .setProtectedHeader({ alg: ACCESS_TOKEN_ALGORITHM, kid: keys.keyId, typ: "JWT" })
        .setIssuer(ACCESS_TOKEN_ISSUER)
        .setAudience(ACCESS_TOKEN_AUDIENCE)
        .setSubject(
          viewer.kind === "apiKey" ? `${API_KEY_SUBJECT_PREFIX}${viewer.apiKeyId}` : viewer.userId,
        )
        .setIssuedAt(now)
        .setExpirationTime(now + lifetime)
        .sign(keys.privateKey);
      return { token, expiresAt: new Date((now + lifetime) * 1000) };
    },
  };
}
