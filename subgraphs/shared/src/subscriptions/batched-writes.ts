import type { Socket } from "node:net";
import type WebSocket from "ws";

/** How long a socket's messages are gathered before they leave in one write. */
export const WRITE_COALESCE_MS = 4;

/** Sockets holding gathered messages, all flushed by one timer. */
const corked = new Set<Socket>();
let flushTimer: NodeJS.Timeout | undefined;

function flush(): void {
  flushTimer = undefined;
  for (const tcp of corked) tcp.uncork();
  corked.clear();
}

/**
 * Makes what a WebSocket sends within {@link WRITE_COALESCE_MS} leave in one write: its first send
 * corks the underlying TCP socket, and one timer for all sockets uncorks them. The events of a
 * batch, which reach the gateway a few at a time, then cost a subscriber one system call instead of
 * one each, which was most of the gateway's CPU per delivery; a message waits at most that long.
 * Does nothing when the socket has no TCP socket to cork.
 */
export function batchWrites(socket: WebSocket): void {
  // `ws` keeps the TCP socket in `_socket`; it has no public way to cork it.
  const tcp = (socket as unknown as { _socket?: Socket })._socket;
  if (!tcp || typeof tcp.cork !== "function") return;
  const send = socket.send.bind(socket) as (...args: unknown[]) => void;
  socket.send = ((...args: unknown[]) => {
    if (!corked.has(tcp) && tcp.writable) {
      tcp.cork();
      corked.add(tcp);
      flushTimer ??= setTimeout(flush, WRITE_COALESCE_MS);
    }
    send(...args);
  }) as WebSocket["send"];
  // A socket closed while corked leaves the set (its data is flushed or discarded by the close).
  tcp.once("close", () => corked.delete(tcp));
}
