import { createHash } from "node:crypto";
import http from "node:http";
import type { AddressInfo, Socket } from "node:net";
import { WebSocketServer } from "ws";
import { LeanWebSocket } from "../bench/harness/lean-websocket";

/**
 * The subscriptions benchmark's WebSocket client, against `ws` and against a server that writes
 * frames a byte at a time.
 */
describe("LeanWebSocket (bench client)", () => {
  it("exchanges messages of every length encoding with a ws server, and closes with the server's code", async () => {
    const server = http.createServer();
    const wss = new WebSocketServer({
      server,
      handleProtocols: (protocols) =>
        protocols.has("graphql-transport-ws") ? "graphql-transport-ws" : false,
    });
    const sizes = [5, 125, 126, 300, 65_535, 65_536, 100_000];
    wss.on("connection", (socket) => {
      socket.on("message", (data) => {
        // Echoes what the client sent (masked by the client), then one message of each size.
        socket.send(data.toString());
        for (const size of sizes) socket.send("x".repeat(size));
        socket.ping("are you there");
        socket.once("pong", (payload) => socket.close(4403, `pong ${payload.toString()}`));
      });
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const { port } = server.address() as AddressInfo;
    const received: string[] = [];
    let closed: [number, string] | undefined;
    const done = new Promise<void>((resolve, reject) => {
      LeanWebSocket.connect(`ws://127.0.0.1:${port}/graphql`, "graphql-transport-ws", {
        message: (data) => received.push(data.toString("utf8")),
        close: (code, reason) => {
          closed = [code, reason];
          resolve();
        },
      }).then(
        (socket) =>
          socket.send(JSON.stringify({ type: "connection_init", payload: { ü: "ß".repeat(200) } })),
        reject,
      );
    });
    await done;
    expect(received[0]).toBe(
      JSON.stringify({ type: "connection_init", payload: { ü: "ß".repeat(200) } }),
    );
    expect(received.slice(1).map((text) => text.length)).toEqual(sizes);
    expect(closed).toEqual([4403, "pong are you there"]);
    wss.close();
    await new Promise((resolve) => server.close(resolve));
  });

  it("joins frames split across reads, messages sent in fragments and frames that came with the handshake", async () => {
    const server = http.createServer();
    server.on("upgrade", (request: http.IncomingMessage, socket: Socket) => {
      const accept = createHash("sha1")
        .update(`${request.headers["sec-websocket-key"]}258EAFA5-E914-47DA-95CA-C5AB0DC85B11`)
        .digest("base64");
      socket.setNoDelay(true);
      const frames = Buffer.concat([
        frame(0x81, Buffer.from("first")),
        frame(0x01, Buffer.from("frag-")), // a text message in three fragments
        frame(0x00, Buffer.from("ment-")),
        frame(0x80, Buffer.from("ed")),
        frame(0x81, Buffer.alloc(200, "y")),
        frame(0x88, Buffer.concat([Buffer.from([0x03, 0xe8]), Buffer.from("bye")])),
      ]);
      // The handshake and the first 3 bytes in one write, then the rest a byte at a time.
      socket.write(
        Buffer.concat([
          Buffer.from(
            `HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ${accept}\r\nSec-WebSocket-Protocol: graphql-transport-ws\r\n\r\n`,
          ),
          frames.subarray(0, 3),
        ]),
      );
      let at = 3;
      const next = () => {
        if (at >= frames.length) return;
        socket.write(frames.subarray(at, ++at));
        setTimeout(next, 1);
      };
      setTimeout(next, 5);
      socket.on("data", () => undefined);
      socket.on("end", () => socket.end()); // the HTTP server keeps sockets half open
      socket.on("error", () => undefined);
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const { port } = server.address() as AddressInfo;
    const received: string[] = [];
    const closed = await new Promise<[number, string]>((resolve, reject) => {
      LeanWebSocket.connect(`ws://127.0.0.1:${port}/graphql`, "graphql-transport-ws", {
        message: (data) => received.push(data.toString("utf8")),
        close: (code, reason) => resolve([code, reason]),
      }).catch(reject);
    });
    expect(received).toEqual(["first", "frag-ment-ed", "y".repeat(200)]);
    expect(closed).toEqual([1000, "bye"]);
    await new Promise((resolve) => server.close(resolve));
  });

  it("rejects a server that does not speak the subprotocol", async () => {
    const server = http.createServer();
    const wss = new WebSocketServer({ server, handleProtocols: () => false });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const { port } = server.address() as AddressInfo;
    await expect(
      LeanWebSocket.connect(`ws://127.0.0.1:${port}/graphql`, "graphql-transport-ws", {
        message: () => undefined,
        close: () => undefined,
      }),
    ).rejects.toThrow(/subprotocol/);
    wss.close();
    await new Promise((resolve) => server.close(resolve));
  });
});

/** An unmasked server frame: `first` is FIN and opcode; payloads below 64 KiB. */
function frame(first: number, payload: Buffer): Buffer {
  if (payload.length < 126) return Buffer.concat([Buffer.from([first, payload.length]), payload]);
  const header = Buffer.from([first, 126, 0, 0]);
  header.writeUInt16BE(payload.length, 2);
  return Buffer.concat([header, payload]);
}
