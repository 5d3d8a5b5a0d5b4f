import type { Socket } from "node:net";
import type WebSocket from "ws";

/** How long a socket's messages are gathered before they leave in one write. */
export const WRITE_COALESCE_MS = 4;

/**
 * A send's callback is called as soon as its message is queued while the socket holds less than
 * this much unsent data; beyond it, only once the data has left (the sender waits: backpressure).
 */
export const EARLY_ACK_BYTES = 256 * 1024;

/** Sockets holding gathered messages, all flushed by one timer. */
const corked = new Set<Socket>();
let flushTimer: NodeJS.Timeout | undefined;

function flush(): void {
  flushTimer = undefined;
  for (const tcp of corked) tcp.uncork();
  corked.clear();
}

/**
 * Holds what is written to `tcp` from now until the next flush (at most {@link WRITE_COALESCE_MS}
 * away), when it leaves in one write with everything else written meanwhile.
 */
export function coalesceWrites(tcp: Socket): void {
  if (corked.has(tcp) || !tcp.writable) return;
  tcp.cork();
  corked.add(tcp);
  flushTimer ??= setTimeout(flush, WRITE_COALESCE_MS);
}

/**
 * Makes what a WebSocket sends within {@link WRITE_COALESCE_MS} leave in one write: its first send
 * corks the underlying TCP socket, and one timer for all sockets uncorks them. The events of a
 * batch, which reach the gateway a few at a time, then cost a subscriber one system call instead of
 * one each, which was most of the gateway's CPU per delivery; a message waits at most that long.
 * A sender that waits for each send's callback before the next (graphql-ws does, per
 * subscription) is not held to one message per window: the callback comes once the message is
 * queued, unless the socket already holds {@link EARLY_ACK_BYTES} unsent (a slow reader), when it
 * comes once the data has left. Does nothing when the socket has no TCP socket to cork.
 */
export function batchWrites(socket: WebSocket): void {
  // `ws` keeps the TCP socket in `_socket`; it has no public way to cork it.
  const tcp = (socket as unknown as { _socket?: Socket })._socket;
  if (!tcp || typeof tcp.cork !== "function") return;
  const send = socket.send.bind(socket) as (...args: unknown[]) => void;
  socket.send = ((...args: unknown[]) => {
    coalesceWrites(tcp);
    const callback = args[args.length - 1];
    if (typeof callback === "function" && tcp.writableLength < EARLY_ACK_BYTES) {
      send(...args.slice(0, -1));
      process.nextTick(callback as () => void);
      return;
    }
    send(...args);
  }) as WebSocket["send"];
  // A socket closed while corked leaves the set (its data is flushed or discarded by the close).
  tcp.once("close", () => corked.delete(tcp));
}
