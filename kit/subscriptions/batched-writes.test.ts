import http from "node:http";
import type { AddressInfo, Socket } from "node:net";
import WebSocket, { WebSocketServer } from "ws";
import { batchWrites, EARLY_ACK_BYTES, WRITE_COALESCE_MS } from "./batched-writes";

/**
 * A server socket and a connected client; `writes` counts the server TCP socket's writes to the
 * kernel.
 */
async function connectedPair(batch: boolean) {
  const server = http.createServer();
  const wss = new WebSocketServer({ server });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const accepted = new Promise<WebSocket>((resolve) =>
    wss.on("connection", (socket) => resolve(socket)),
  );
  const client = new WebSocket(`ws://127.0.0.1:${(server.address() as AddressInfo).port}`);
  const received: string[] = [];
  client.on("message", (data) => received.push(data.toString()));
  await new Promise((resolve) => client.once("open", resolve));
  const socket = await accepted;
  if (batch) batchWrites(socket);
  const tcp = (
    socket as unknown as {
      _socket: Socket & {
        _write: (...args: unknown[]) => void;
        _writev: (...args: unknown[]) => void;
      };
    }
  )._socket;
  let writes = 0;
  for (const method of ["_write", "_writev"] as const) {
    const original = tcp[method].bind(tcp);
    tcp[method] = (...args: unknown[]) => {
      writes++;
      return original(...args);
    };
  }
  const close = async () => {
    client.terminate();
    wss.close();
    await new Promise((resolve) => server.close(resolve));
  };
  return { socket, received, writes: () => writes, close };
}

/**
 * Holds the coalescing window open for as long as a test needs: only `setTimeout` is faked, so
 * the flush waits for {@link releaseWindow} however slow the machine is (sockets and setImmediate
 * stay real).
 */
function holdWindow(): void {
  jest.useFakeTimers({
    doNotFake: [
      "Date",
      "hrtime",
      "nextTick",
      "performance",
      "queueMicrotask",
      "setImmediate",
      "clearImmediate",
      "setInterval",
      "clearInterval",
    ],
  });
}

/** Lets the window's flush run, and real timers back. */
function releaseWindow(): void {
  jest.advanceTimersByTime(WRITE_COALESCE_MS);
  jest.useRealTimers();
}

async function waitFor(condition: () => boolean): Promise<void> {
  for (let attempt = 0; attempt < 500 && !condition(); attempt++)
    await new Promise((resolve) => setTimeout(resolve, 10));
}

async function sendTen(batch: boolean) {
  const pair = await connectedPair(batch);
  try {
    holdWindow();
    // Across several turns of the event loop, within one coalescing window.
    for (let i = 0; i < 10; i++) {
      pair.socket.send(`message ${i}`);
      if (i % 3 === 2) await new Promise((resolve) => setImmediate(resolve));
    }
    releaseWindow();
    await waitFor(() => pair.received.length >= 10);
    return { received: pair.received, writes: pair.writes() };
  } finally {
    jest.useRealTimers();
    await pair.close();
  }
}

describe("batchWrites", () => {
  it(`sends the messages of ${WRITE_COALESCE_MS} ms in one write, all of them and in order`, async () => {
    const batched = await sendTen(true);
    expect(batched.received).toEqual(Array.from({ length: 10 }, (_, i) => `message ${i}`));
    expect(batched.writes).toBe(1);
    // Without it, ws writes each message on its own.
    const unbatched = await sendTen(false);
    expect(unbatched.received).toEqual(batched.received);
    expect(unbatched.writes).toBeGreaterThanOrEqual(10);
  });

  it("calls a send's callback once the message is queued, so a sender that waits for each one is not held to one per window", async () => {
    const pair = await connectedPair(true);
    try {
      holdWindow();
      // As graphql-ws sends a subscription's results: each send after the previous one's callback.
      // All 50 complete while the window is held open: none waits for a flush.
      for (let i = 0; i < 50; i++)
        await new Promise<void>((resolve, reject) =>
          pair.socket.send(`message ${i}`, (error) => (error ? reject(error) : resolve())),
        );
      expect(pair.received).toEqual([]);
      releaseWindow();
      await waitFor(() => pair.received.length >= 50);
      expect(pair.received).toEqual(Array.from({ length: 50 }, (_, i) => `message ${i}`));
      expect(pair.writes()).toBe(1);
    } finally {
      jest.useRealTimers();
      await pair.close();
    }
  });

  it(`waits for the data to leave once ${EARLY_ACK_BYTES} bytes are unsent (a slow reader holds its sender back)`, async () => {
    const pair = await connectedPair(true);
    try {
      const tcp = (pair.socket as unknown as { _socket: Socket })._socket;
      pair.socket.send("x".repeat(EARLY_ACK_BYTES + 1));
      expect(tcp.writableLength).toBeGreaterThan(EARLY_ACK_BYTES);
      let acknowledged = false;
      pair.socket.send("after", () => (acknowledged = true));
      await new Promise((resolve) => process.nextTick(resolve));
      expect(acknowledged).toBe(false);
      await waitFor(() => acknowledged);
      expect(acknowledged).toBe(true);
    } finally {
      await pair.close();
    }
  });
});
