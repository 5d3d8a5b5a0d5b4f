import type { Socket } from "node:net";
import type WebSocket from "ws";

/**
 * Makes what a WebSocket sends within one turn of the event loop leave in one write: the first
 * send of a turn corks the underlying TCP socket and the next turn (`setImmediate`) uncorks it. A
 * batch of events fanned out to a subscriber then costs one system call instead of one per event,
 * which is most of the gateway's CPU per delivery; a message waits at most for the current turn.
 * Does nothing when the socket has no TCP socket to cork.
 */
export function batchWritesPerTurn(socket: WebSocket): void {
  // `ws` keeps the TCP socket in `_socket`; it has no public way to cork it.
  const tcp = (socket as unknown as { _socket?: Socket })._socket;
  if (!tcp || typeof tcp.cork !== "function") return;
  let corked = false;
  const send = socket.send.bind(socket) as (...args: unknown[]) => void;
  socket.send = ((...args: unknown[]) => {
    if (!corked && tcp.writable) {
      corked = true;
      tcp.cork();
      setImmediate(() => {
        corked = false;
        tcp.uncork();
      });
    }
    send(...args);
  }) as WebSocket["send"];
}
