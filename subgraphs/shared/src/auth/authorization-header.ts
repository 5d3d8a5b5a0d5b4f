import { unauthenticated } from "../errors";
import type { AccessTokenVerifier } from "./access-token";
import type { Viewer } from "./viewer";

/**
 * The caller named by an `Authorization` header. Resolves with `null` when there is no header (an
 * anonymous request; resolvers that need a caller refuse it) and rejects with `UNAUTHENTICATED`
 * when the header is present but malformed or its credential is not valid.
 */
export async function viewerFromAuthorization(header: string | undefined, verifyAccessToken: AccessTokenVerifier): Promise<Viewer | null> {
  if (!header) return null;
  const match = /^Bearer\s+(\S+)$/i.exec(header.trim());
  if (!match) throw unauthenticated("Unsupported Authorization header: expected 'Bearer <accessToken>'.");
  return verifyAccessToken(match[1]);
}
