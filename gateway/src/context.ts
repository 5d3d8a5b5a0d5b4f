/** The gateway's per-request context: what it forwards to subgraphs. */
export interface GatewayContext {
  /** The caller's `Authorization` header, forwarded as is. */
  authorization?: string;
}
