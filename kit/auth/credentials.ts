import { GraphQLError } from "graphql";
import { ErrorCode, unauthenticated } from "../errors";
import type { AccessTokenVerifier } from "./access-token";
import type { Viewer } from "./viewer";
import { createSubgraphFetcher, type SubgraphResponse } from "../http/subgraph-fetcher";

/**
 * Exchanges an API key secret for a short-lived access token of that key (the users subgraph
 * holds the keys). Rejects with `UNAUTHENTICATED` for an unknown or revoked key.
 */
export type ApiKeyExchange = (secret: string) => Promise<string>;

/** A verified credential: who is calling, and the bearer token that proves it to other services. */
export interface VerifiedCredential {
  viewer: Viewer;
  /**
   * An access token for this caller: the one presented, or the one an API key was exchanged for.
   */
  accessToken: string;
}

/**
 * Reads an `Authorization` header: `Bearer <accessToken>` is verified against the users
 * subgraph's public keys; `ApiKey <secret>` is exchanged for an access token, then verified.
 * Resolves `null` for no header (anonymous), rejects with `UNAUTHENTICATED` for anything else.
 */
export function createCredentialVerifier(
  verifyAccessToken: AccessTokenVerifier,
  exchangeApiKey: ApiKeyExchange,
) {
  return async function verifyCredential(
    header: string | undefined,
  ): Promise<VerifiedCredential | null> {
    if (header === undefined || header.trim() === "") return null;
    const match = /^(Bearer|ApiKey)\s+(\S+)$/i.exec(header.trim());
    if (!match)
      throw unauthenticated(
        "Unsupported Authorization header: expected 'Bearer <accessToken>' or 'ApiKey <secret>'.",
      );
    const accessToken =
      match[1].toLowerCase() === "apikey" ? await exchangeApiKey(match[2]) : match[2];
    return { viewer: await verifyAccessToken(accessToken), accessToken };
  };
}

export type CredentialVerifier = ReturnType<typeof createCredentialVerifier>;

/**
 * An {@link ApiKeyExchange} over HTTP: `POST <url>` with `Authorization: ApiKey <secret>`, answered
 * `{ accessToken }` (200) or a GraphQL-style error (401). A users service that cannot be reached is
 * `SERVICE_UNAVAILABLE`, not a wrong key.
 */
export function createRemoteApiKeyExchange(url: string, timeoutMs = 5_000): ApiKeyExchange {
  // Keep-alive connections; an exchange is a POST, never shared between callers.
  const send = createSubgraphFetcher({ timeoutMs, deduplicateQueries: false });
  return async (secret) => {
    let response: SubgraphResponse;
    try {
      response = await send(url, {
        method: "POST",
        headers: { authorization: `ApiKey ${secret}` },
      });
    } catch {
      throw new GraphQLError(
        "API keys cannot be checked right now: the users service is unreachable.",
        { extensions: { code: ErrorCode.ServiceUnavailable } },
      );
    }
    const body = (await response.json().catch(() => ({}))) as {
      accessToken?: string;
      errors?: { message: string }[];
    };
    if (response.ok && body.accessToken) return body.accessToken;
    if (response.status === 401)
      throw unauthenticated(body.errors?.[0]?.message ?? "The API key is invalid or revoked.");
    throw new GraphQLError(
      `API keys cannot be checked right now (users answered HTTP ${response.status}).`,
      { extensions: { code: ErrorCode.ServiceUnavailable } },
    );
  };
}
