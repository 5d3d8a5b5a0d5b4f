import http from "node:http";
import type { AddressInfo, Socket } from "node:net";
import WebSocket, { WebSocketServer } from "ws";
import { batchWrites, EARLY_ACK_BYTES, WRITE_COALESCE_MS } from "./batched-writes";

/** A server socket and a connected client; `writes` counts the server TCP socket's writes to the kernel. */
async function connectedPair(batch: boolean) {
  const server = http.createServer();
  const wss = new WebSocketServer({ server });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const accepted = new Promise<WebSocket>((resolve) => wss.on("connection", (socket) => resolve(socket)));
  const client = new WebSocket(`ws://127.0.0.1:${(server.address() as AddressInfo).port}`);
  const received: string[] = [];
  client.on("message", (data) => received.push(data.toString()));
  await new Promise((resolve) => client.once("open", resolve));
  const socket = await accepted;
  if (batch) batchWrites(socket);
  const tcp = (socket as unknown as { _socket: Socket & { _write: Function; _writev: Function } })._socket;
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

async function sendTen(batch: boolean) {
  const pair = await connectedPair(batch);
  try {
    // Across several turns of the event loop, well within the coalescing window.
    for (let i = 0; i < 10; i++) {
      pair.socket.send(`message ${i}`);
      if (i % 3 === 2) await new Promise((resolve) => setImmediate(resolve));
    }
    for (let attempt = 0; attempt < 100 && pair.received.length < 10; attempt++) await new Promise((resolve) => setTimeout(resolve, 10));
    return { received: pair.received, writes: pair.writes() };
  } finally {
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
      const started = performance.now();
      // As graphql-ws sends a subscription's results: each send after the previous one's callback.
      for (let i = 0; i < 50; i++) await new Promise<void>((resolve, reject) => pair.socket.send(`message ${i}`, (error) => (error ? reject(error) : resolve())));
      // 50 sends in far less than 50 coalescing windows.
      expect(performance.now() - started).toBeLessThan(25 * WRITE_COALESCE_MS);
      for (let attempt = 0; attempt < 100 && pair.received.length < 50; attempt++) await new Promise((resolve) => setTimeout(resolve, 10));
      expect(pair.received).toEqual(Array.from({ length: 50 }, (_, i) => `message ${i}`));
    } finally {
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
      for (let attempt = 0; attempt < 100 && !acknowledged; attempt++) await new Promise((resolve) => setTimeout(resolve, 10));
      expect(acknowledged).toBe(true);
    } finally {
      await pair.close();
    }
  });
});
