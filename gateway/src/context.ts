import type { Viewer } from "#kit/auth/viewer";

/** The gateway's per-request context: the verified caller and what is forwarded to subgraphs. */
export interface GatewayContext {
  /** The caller, verified once at the edge; `null` when anonymous. */
  viewer: Viewer | null;
  /** The access token forwarded to subgraphs as `Bearer` (an API key arrives already exchanged). */
  accessToken?: string;
  /** `X-Forwarded-For` for subgraphs: what the client sent, then the address the gateway saw. */
  forwardedFor?: string;
  /** The request's id (`x-request-id`), forwarded to subgraphs. */
  requestId?: string;
}
