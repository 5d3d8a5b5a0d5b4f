import type { IncomingMessage } from "node:http";
import { GraphQLError } from "graphql";
import type { CredentialVerifier, VerifiedCredential } from "../auth/credentials";
import { ErrorCode } from "../errors";
import { rateLimitedError, type RateLimiter } from "../rate-limit/rate-limiter";

/** The HTTP status of a request refused before it runs, by the code of its error. */
const STATUS_OF_REFUSAL: Partial<Record<string, number>> = {
  [ErrorCode.Unauthenticated]: 401,
  [ErrorCode.RateLimited]: 429,
  // The users service (public keys, API key exchange) cannot be asked.
  [ErrorCode.ServiceUnavailable]: 503,
};

/**
 * The caller of a request (or of a WebSocket connection): its `Authorization` header verified
 * and, unless `rateLimiter` is null, its rate limit taken. Resolves `null` for an anonymous
 * request. Rejects with the GraphQL error the client gets, carrying its HTTP status: 401 for a bad
 * credential, 429 past the rate limit, 503 when credentials cannot be checked now.
 */
export async function authenticateRequest(
  authorization: string | undefined,
  verifyCredential: CredentialVerifier,
  rateLimiter: Pick<RateLimiter, "admitCaller"> | null,
): Promise<VerifiedCredential | null> {
  try {
    const credential = await verifyCredential(authorization);
    if (credential && rateLimiter) {
      const admission = await rateLimiter.admitCaller(credential.viewer);
      if (!admission.allowed) throw rateLimitedError(admission.retryAfterSeconds);
    }
    return credential;
  } catch (error) {
    if (!(error instanceof GraphQLError)) throw error;
    const code = String(error.extensions.code ?? ErrorCode.Unauthenticated);
    const status = STATUS_OF_REFUSAL[code] ?? 401;
    const http = (error.extensions.http as object | undefined) ?? { status };
    throw new GraphQLError(error.message, { extensions: { ...error.extensions, code, http } });
  }
}

/** The first value of a request header. */
export function firstHeader(req: IncomingMessage, name: string): string | undefined {
  const value = req.headers[name];
  return Array.isArray(value) ? value[0] : value;
}
