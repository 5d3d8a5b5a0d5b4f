import http from "node:http";
import type { AddressInfo, Socket } from "node:net";
import type { ExecutionResult } from "graphql";
import WebSocket, { WebSocketServer } from "ws";
import { EARLY_ACK_BYTES } from "./batched-writes";
import { DirectDelivery, PayloadSerializer } from "./direct-delivery";

/** Server-side sockets of `count` connected clients, and what each client received. */
async function connectedSockets(count: number, perMessageDeflate = false) {
  const server = http.createServer();
  const wss = new WebSocketServer({ server, perMessageDeflate });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const sockets: WebSocket[] = [];
  const received: string[][] = [];
  const binaryFrames: number[] = [];
  const clients: WebSocket[] = [];
  for (let i = 0; i < count; i++) {
    const accepted = new Promise<WebSocket>((resolve) =>
      wss.once("connection", (socket) => resolve(socket)),
    );
    const client = new WebSocket(`ws://127.0.0.1:${(server.address() as AddressInfo).port}`, {
      perMessageDeflate,
    });
    const messages: string[] = [];
    client.on("message", (data, isBinary) => {
      messages.push(data.toString());
      if (isBinary) binaryFrames.push(i);
    });
    await new Promise((resolve) => client.once("open", resolve));
    sockets.push(await accepted);
    received.push(messages);
    clients.push(client);
  }
  const close = async () => {
    for (const client of clients) client.terminate();
    wss.close();
    await new Promise((resolve) => server.close(resolve));
  };
  return { sockets, received, binaryFrames, clients, close };
}

const settle = () => new Promise((resolve) => setTimeout(resolve, 50));

/** Waits (up to 5 s) until `condition` holds: messages may take a while on a busy machine. */
async function until(condition: () => boolean): Promise<void> {
  for (let attempt = 0; attempt < 500 && !condition(); attempt++)
    await new Promise((resolve) => setTimeout(resolve, 10));
}

describe("DirectDelivery", () => {
  it("writes each pushed result as a graphql-transport-ws next message (a text frame), serialized once for every subscriber", async () => {
    const { sockets, received, binaryFrames, close } = await connectedSockets(3);
    try {
      let serializations = 0;
      const serializer = new PayloadSerializer((result) => {
        serializations++;
        return result;
      });
      const deliveries = sockets.map(
        (socket, i) => new DirectDelivery(socket, `sub-${i}`, serializer, { capacity: 10 }),
      );
      const first: ExecutionResult = { data: { n: 1 } };
      const second: ExecutionResult = { data: { n: 2 } };
      for (const result of [first, second])
        for (const delivery of deliveries) delivery.push(result);
      await until(() => received.every((messages) => messages.length >= 2));
      expect(serializations).toBe(2);
      expect(binaryFrames).toEqual([]);
      received.forEach((messages, i) => {
        expect(messages.map((m) => JSON.parse(m))).toEqual([
          { id: `sub-${i}`, type: "next", payload: { data: { n: 1 } } },
          { id: `sub-${i}`, type: "next", payload: { data: { n: 2 } } },
        ]);
      });
    } finally {
      await close();
    }
  });

  it("frames messages itself in order with what ws writes, and leaves framing to ws when the socket compresses", async () => {
    for (const compressed of [false, true]) {
      const { sockets, received, close } = await connectedSockets(1, compressed);
      try {
        expect(sockets[0].extensions).toBe(compressed ? "permessage-deflate" : "");
        const serializer = new PayloadSerializer((result) => result);
        const delivery = new DirectDelivery(sockets[0], "1", serializer, { capacity: 10 });
        // Longer than 125 and 65,535 bytes: the frame's two wider length forms.
        const sizes = [3, 200, 70_000];
        sizes.forEach((size, n) => {
          delivery.push({ data: { n, text: "ü".repeat(size) } });
          sockets[0].send(JSON.stringify({ type: "ping", n }));
        });
        await until(() => received[0].length >= 2 * sizes.length);
        expect(received[0].map((m) => JSON.parse(m))).toEqual(
          sizes.flatMap((size, n) => [
            { id: "1", type: "next", payload: { data: { n, text: "ü".repeat(size) } } },
            { type: "ping", n },
          ]),
        );
      } finally {
        await close();
      }
    }
  });

  it("finishes its iteration on end() and calls onClose once; return() from graphql-ws stops the writes", async () => {
    const { sockets, received, close } = await connectedSockets(2);
    try {
      const serializer = new PayloadSerializer((result) => result);
      const closed: number[] = [];
      const [ended, returned] = sockets.map(
        (socket, i) =>
          new DirectDelivery(socket, "1", serializer, {
            capacity: 10,
            onClose: () => closed.push(i),
          }),
      );
      const iteration = ended.next();
      ended.push({ data: { n: 1 } });
      ended.end();
      ended.push({ data: { n: 2 } });
      await expect(iteration).resolves.toEqual({ value: undefined, done: true });
      await returned.return();
      returned.push({ data: { n: 3 } });
      returned.end();
      await until(() => received[0].length >= 1);
      await settle(); // and nothing more
      expect(received[0].map((m) => JSON.parse(m).payload.data.n)).toEqual([1]);
      expect(received[1]).toEqual([]);
      expect(closed).toEqual([0, 1]);
      await expect(returned.next()).resolves.toEqual({ value: undefined, done: true });
    } finally {
      await close();
    }
  });

  it("keeps at most `capacity` messages for a subscriber that does not read, dropping the oldest, and sends the rest in order once it reads", async () => {
    const { sockets, received, clients, close } = await connectedSockets(1);
    try {
      const tcp = (clients[0] as unknown as { _socket: Socket })._socket;
      // The client stops reading: the server socket's unsent data grows past EARLY_ACK_BYTES.
      tcp.pause();
      const big = "x".repeat(64 * 1024);
      const delivery = new DirectDelivery(
        sockets[0],
        "1",
        new PayloadSerializer((result) => result),
        { capacity: 3 },
      );
      for (let n = 0; n < 200; n++) delivery.push({ data: { n, big } });
      const serverTcp = (sockets[0] as unknown as { _socket: Socket })._socket;
      expect(serverTcp.writableLength).toBeGreaterThanOrEqual(EARLY_ACK_BYTES);
      expect(delivery.dropped).toBeGreaterThan(0);
      const iteration = delivery.next();
      delivery.end();
      tcp.resume();
      await expect(iteration).resolves.toEqual({ value: undefined, done: true });
      await until(() => received[0].at(-1)?.includes('"n":199') ?? false);
      const numbers = received[0].map((m) => JSON.parse(m).payload.data.n as number);
      // Everything written before the backlog, then the last `capacity`, in order.
      expect(numbers.slice(-3)).toEqual([197, 198, 199]);
      expect(numbers).toEqual([...numbers].sort((a, b) => a - b));
      expect(numbers.length).toBe(200 - delivery.dropped);
    } finally {
      await close();
    }
  });
});
