/** What a peer gateway of the benchmark is told by its environment. */
export interface PeerGatewayEnv {
  /** PORT: where it listens (127.0.0.1). */
  port: number;
  /** SUPERGRAPH_PATH: the supergraph, routing URLs pointing at the bench subgraphs. */
  supergraphPath: string;
  /**
   * PEER_DEDUPLICATE: `false` turns off the peer's merging of identical subgraph requests in flight
   * (where it has one). @default its own default
   */
  deduplicate: boolean;
}

/** Reads PORT, SUPERGRAPH_PATH and PEER_DEDUPLICATE; throws naming the one that is missing. */
export function peerGatewayEnv(): PeerGatewayEnv {
  const port = Number(process.env.PORT);
  const supergraphPath = process.env.SUPERGRAPH_PATH;
  if (!Number.isInteger(port) || port <= 0) throw new Error("PORT must be set to a port number.");
  if (!supergraphPath) throw new Error("SUPERGRAPH_PATH must be set to the supergraph file.");
  const deduplicate = process.env.PEER_DEDUPLICATE !== "false";
  return { port, supergraphPath, deduplicate };
}
