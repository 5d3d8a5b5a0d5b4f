import { createHash, randomBytes } from "node:crypto";
import http from "node:http";
import type { Socket } from "node:net";

/** RFC 6455's GUID, hashed with the client's key into `Sec-WebSocket-Accept`. */
const HANDSHAKE_GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";
const OPCODE_CONTINUATION = 0x0;
const OPCODE_TEXT = 0x1;
const OPCODE_BINARY = 0x2;
const OPCODE_CLOSE = 0x8;
const OPCODE_PING = 0x9;
const OPCODE_PONG = 0xa;
/**
 * A frame larger than this from the server is a protocol error here (the bench's messages are
 * small).
 */
const MAX_FRAME_BYTES = 16 * 1024 * 1024;

/** What a {@link LeanWebSocket} tells its owner. */
export interface LeanWebSocketHandlers {
  /**
   * A whole text or binary message; `data` is only valid during the call (it may share memory with
   * the read).
   */
  message(data: Buffer): void;
  /**
   * The connection ended: the server's close code and reason, or 1006 when it ended without one.
   */
  close(code: number, reason: string): void;
}

/**
 * A WebSocket client connection (RFC 6455) for the subscriptions benchmark's 10,000 subscribers,
 * without `ws`: it reads frames straight from the TCP socket's chunks and hands each message to
 * one callback, with no stream, event emitter or copy per message, and answers pings. `ws`'s
 * receiver cost the bench client about half of a core at 100,000 messages a second on the 2 cores
 * it shares with the services it measures. Only what the bench needs: no extensions, no outgoing
 * fragmentation; incoming fragments are joined.
 */
export class LeanWebSocket {
  /** Bytes of an incomplete frame, waiting for the rest. */
  private pending: Buffer | null = null;
  /** The parts of a fragmented message so far. */
  private fragments: Buffer[] = [];
  private closed = false;
  private closeSent = false;

  private constructor(
    private readonly socket: Socket,
    private readonly handlers: LeanWebSocketHandlers,
  ) {
    socket.setNoDelay(true);
    socket.on("data", (chunk: Buffer) => this.read(chunk));
    socket.on("error", () => socket.destroy());
    socket.on("close", () => this.ended(1006, ""));
  }

  /**
   * Opens `url` (ws://) with the subprotocol `protocol`. Resolves once the server has switched
   * protocols; rejects when it answers otherwise, picks another subprotocol or the connection
   * fails.
   */
  static connect(
    url: string,
    protocol: string,
    handlers: LeanWebSocketHandlers,
  ): Promise<LeanWebSocket> {
    const target = new URL(url);
    const key = randomBytes(16).toString("base64");
    return new Promise((resolve, reject) => {
      const request = http.request({
        host: target.hostname,
        port: target.port,
        path: `${target.pathname}${target.search}`,
        headers: {
          Connection: "Upgrade",
          Upgrade: "websocket",
          "Sec-WebSocket-Key": key,
          "Sec-WebSocket-Version": "13",
          "Sec-WebSocket-Protocol": protocol,
        },
      });
      request.on("response", (response) => {
        response.resume();
        reject(
          new Error(`the server answered ${response.statusCode} instead of switching protocols`),
        );
      });
      request.on("upgrade", (response, socket: Socket, head: Buffer) => {
        const accept = createHash("sha1")
          .update(key + HANDSHAKE_GUID)
          .digest("base64");
        if (response.headers["sec-websocket-accept"] !== accept) {
          socket.destroy();
          return reject(new Error("wrong Sec-WebSocket-Accept"));
        }
        if (response.headers["sec-websocket-protocol"] !== protocol) {
          socket.destroy();
          return reject(new Error(`the server did not accept the subprotocol ${protocol}`));
        }
        const connection = new LeanWebSocket(socket, handlers);
        resolve(connection);
        // Bytes that came with the handshake, read once the caller holds the connection.
        if (head.length > 0) setImmediate(() => connection.read(head));
      });
      request.on("error", reject);
      request.end();
    });
  }

  /** True until the connection has ended. */
  get open(): boolean {
    return !this.closed;
  }

  /** Sends a text message. */
  send(text: string): void {
    this.writeFrame(OPCODE_TEXT, Buffer.from(text));
  }

  /**
   * Starts the closing handshake; resolves when the connection has ended (at most `timeoutMs`
   * later, then it is cut).
   */
  close(code = 1000, timeoutMs = 5_000): Promise<void> {
    if (this.closed) return Promise.resolve();
    return new Promise((resolve) => {
      this.socket.once("close", () => resolve());
      this.sendClose(code);
      setTimeout(() => this.socket.destroy(), timeoutMs).unref();
    });
  }

  private sendClose(code: number): void {
    if (this.closeSent) return;
    this.closeSent = true;
    const payload = Buffer.alloc(2);
    payload.writeUInt16BE(code);
    this.writeFrame(OPCODE_CLOSE, payload);
  }

  /** Writes one final frame, masked as every client frame must be. */
  private writeFrame(opcode: number, payload: Buffer): void {
    if (this.closed || !this.socket.writable) return;
    const length = payload.length;
    const lengthBytes = length < 126 ? 0 : length < 65_536 ? 2 : 8;
    const header = Buffer.alloc(2 + lengthBytes + 4);
    header[0] = 0x80 | opcode;
    if (lengthBytes === 0) header[1] = 0x80 | length;
    else if (lengthBytes === 2) {
      header[1] = 0x80 | 126;
      header.writeUInt16BE(length, 2);
    } else {
      header[1] = 0x80 | 127;
      header.writeBigUInt64BE(BigInt(length), 2);
    }
    const mask = randomBytes(4);
    mask.copy(header, 2 + lengthBytes);
    const masked = Buffer.allocUnsafe(length);
    for (let i = 0; i < length; i++) masked[i] = payload[i] ^ mask[i & 3];
    this.socket.write(Buffer.concat([header, masked]));
  }

  /** Takes every whole frame out of what has arrived; keeps the rest for the next chunk. */
  private read(chunk: Buffer): void {
    let data = chunk;
    if (this.pending) {
      data = Buffer.concat([this.pending, chunk]);
      this.pending = null;
    }
    let at = 0;
    while (at < data.length && !this.closed) {
      if (data.length - at < 2) break;
      const first = data[at];
      const second = data[at + 1];
      if (second & 0x80 || first & 0x70)
        return this.fail(1002, "a masked frame or reserved bits from the server");
      let length = second & 0x7f;
      let headerBytes = 2;
      if (length === 126) {
        if (data.length - at < 4) break;
        length = data.readUInt16BE(at + 2);
        headerBytes = 4;
      } else if (length === 127) {
        if (data.length - at < 10) break;
        const long = data.readBigUInt64BE(at + 2);
        if (long > BigInt(MAX_FRAME_BYTES)) return this.fail(1009, "frame too large");
        length = Number(long);
        headerBytes = 10;
      }
      if (data.length - at < headerBytes + length) break;
      const payload = data.subarray(at + headerBytes, at + headerBytes + length);
      at += headerBytes + length;
      this.frame(first & 0x80, first & 0x0f, payload);
    }
    if (at < data.length && !this.closed) this.pending = Buffer.from(data.subarray(at));
  }

  private frame(fin: number, opcode: number, payload: Buffer): void {
    switch (opcode) {
      case OPCODE_TEXT:
      case OPCODE_BINARY:
        if (this.fragments.length > 0)
          return this.fail(1002, "a new message inside a fragmented one");
        if (fin) return this.handlers.message(payload);
        this.fragments.push(Buffer.from(payload));
        return;
      case OPCODE_CONTINUATION: {
        if (this.fragments.length === 0) return this.fail(1002, "a continuation without a message");
        this.fragments.push(Buffer.from(payload));
        if (!fin) return;
        const message = Buffer.concat(this.fragments);
        this.fragments = [];
        return this.handlers.message(message);
      }
      case OPCODE_PING:
        return this.writeFrame(OPCODE_PONG, payload);
      case OPCODE_PONG:
        return;
      case OPCODE_CLOSE: {
        const code = payload.length >= 2 ? payload.readUInt16BE(0) : 1005;
        const reason = payload.length > 2 ? payload.subarray(2).toString("utf8") : "";
        this.sendClose(code === 1005 ? 1000 : code);
        this.socket.end();
        return this.ended(code, reason);
      }
      default:
        return this.fail(1002, `unknown opcode ${opcode}`);
    }
  }

  /** Closes with `code` after a protocol error of the server's. */
  private fail(code: number, reason: string): void {
    this.sendClose(code);
    this.socket.end();
    this.ended(code, reason);
  }

  private ended(code: number, reason: string): void {
    if (this.closed) return;
    this.closed = true;
    this.pending = null;
    this.handlers.close(code, reason);
  }
}
