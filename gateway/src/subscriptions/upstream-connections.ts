import { createClient, type Client } from "graphql-ws";
import WebSocket from "ws";

interface Entry {
  client: Client;
  users: number;
}

/**
 * The gateway's graphql-ws connections to subgraphs: one per subgraph and caller credential,
 * shared by that caller's subscriptions and closed when the last one ends. The credential travels
 * in `connection_init` (`{ authorization: "Bearer ..." }`), so the subgraph verifies the caller
 * itself, as it does over HTTP.
 */
export class UpstreamConnections {
  private readonly entries = new Map<string, Entry>();

  /** @param urlOf a subgraph's HTTP URL by name (its WebSocket URL is the same with ws:) */
  constructor(private readonly urlOf: (serviceName: string) => string) {}

  /** A client for the subgraph as the caller; call `release` when done with it. */
  acquire(serviceName: string, accessToken: string): { client: Client; release: () => void } {
    const key = `${serviceName}\n${accessToken}`;
    let entry = this.entries.get(key);
    if (!entry) {
      const client = createClient({
        url: this.urlOf(serviceName).replace(/^http/, "ws"),
        webSocketImpl: WebSocket,
        connectionParams: { authorization: `Bearer ${accessToken}` },
        lazy: true,
        // A subgraph restarting: reconnect and resubscribe, for about half a minute.
        retryAttempts: 8,
        shouldRetry: () => true,
      });
      entry = { client, users: 0 };
      this.entries.set(key, entry);
    }
    entry.users++;
    const held = entry;
    let released = false;
    return {
      client: held.client,
      release: () => {
        if (released) return;
        released = true;
        if (--held.users > 0) return;
        this.entries.delete(key);
        void held.client.dispose();
      },
    };
  }

  /** Open subgraph connections (for metrics). */
  get size(): number {
    return this.entries.size;
  }

  async close(): Promise<void> {
    await Promise.all([...this.entries.values()].map((entry) => entry.client.dispose()));
    this.entries.clear();
  }
}
