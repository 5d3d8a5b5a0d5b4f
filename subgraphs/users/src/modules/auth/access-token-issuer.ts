import { createLocalJWKSet, SignJWT } from "jose";
import {
  ACCESS_TOKEN_ALGORITHM,
  ACCESS_TOKEN_AUDIENCE,
  ACCESS_TOKEN_ISSUER,
  createAccessTokenVerifier,
  type AccessTokenVerifier,
} from "../../../../shared/src/auth/access-token";
import type { Viewer } from "../../../../shared/src/auth/viewer";
import type { SigningKeys } from "./signing-keys";

/** Signs access tokens and verifies them with the same keys the JWKS endpoint publishes. */
export interface AccessTokenIssuer {
  issue(viewer: Viewer): Promise<{ token: string; expiresAt: Date }>;
  verify: AccessTokenVerifier;
  jwks: SigningKeys["jwks"];
}

/** @param ttlSeconds lifetime of an access token. @default 900 // 15 minutes */
export function createAccessTokenIssuer(keys: SigningKeys, ttlSeconds = 900): AccessTokenIssuer {
  return {
    jwks: keys.jwks,
    verify: createAccessTokenVerifier(createLocalJWKSet(keys.jwks)),
    async issue(viewer) {
      const now = Math.floor(Date.now() / 1000);
      const token = await new SignJWT({ org: viewer.organizationId, role: viewer.role })
        .setProtectedHeader({ alg: ACCESS_TOKEN_ALGORITHM, kid: keys.keyId, typ: "JWT" })
        .setIssuer(ACCESS_TOKEN_ISSUER)
        .setAudience(ACCESS_TOKEN_AUDIENCE)
        .setSubject(viewer.userId)
        .setIssuedAt(now)
        .setExpirationTime(now + ttlSeconds)
        .sign(keys.privateKey);
      return { token, expiresAt: new Date((now + ttlSeconds) * 1000) };
    },
  };
}
