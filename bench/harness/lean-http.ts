import net from "node:net";

/** An HTTP/1.1 answer: its status and its body (de-chunked). */
export interface LeanHttpAnswer {
  status: number;
  body: Buffer;
}

/**
 * A POST request serialized once, to be sent as it is any number of times (see
 * {@link LeanHttpConnection}): the request line, the headers (`host`, `content-type:
 * application/json`, `content-length` and `headers`) and the body.
 */
export function prepareRequest(
  url: string,
  body: string,
  headers: Record<string, string> = {},
): Buffer {
  const target = new URL(url);
  const payload = Buffer.from(body, "utf8");
  const lines = [
    `POST ${target.pathname}${target.search} HTTP/1.1`,
    `host: ${target.host}`,
    "content-type: application/json",
    `content-length: ${payload.length}`,
    ...Object.entries(headers).map(([name, value]) => `${name}: ${value}`),
  ];
  return Buffer.concat([Buffer.from(`${lines.join("\r\n")}\r\n\r\n`, "latin1"), payload]);
}

const HEADER_END = Buffer.from("\r\n\r\n");
const CRLF = Buffer.from("\r\n");

/**
 * One keep-alive HTTP/1.1 connection of the benchmark's load generator, as lean as it gets: it
 * writes a prepared request (one `write` of a buffer made once, {@link prepareRequest}) and reads
 * the answer straight from the TCP socket (status line, `content-length` or chunked body), one
 * request at a time. Cheaper per request than Node's `http` client or autocannon's JavaScript
 * parser, which matters when the load generator shares two cores with the services it measures.
 * A connection the server closes (or a malformed answer) rejects the request in flight and every
 * later one: make a new connection.
 */
export class LeanHttpConnection {
  private pending: {
    resolve: (answer: LeanHttpAnswer) => void;
    reject: (error: Error) => void;
  } | null = null;
  private buffered: Buffer = Buffer.alloc(0);
  private failure: Error | null = null;

  private constructor(private readonly socket: net.Socket) {
    socket.setNoDelay(true);
    socket.on("data", (chunk: Buffer) => this.read(chunk));
    socket.on("error", (error) => this.fail(error));
    socket.on("close", () => this.fail(new Error("The server closed the connection.")));
  }

  /** Connects to the host and port of `url`. */
  static connect(url: string): Promise<LeanHttpConnection> {
    const target = new URL(url);
    return new Promise((resolve, reject) => {
      const socket = net.connect(Number(target.port || 80), target.hostname);
      socket.once("connect", () => {
        socket.off("error", reject);
        resolve(new LeanHttpConnection(socket));
      });
      socket.once("error", reject);
    });
  }

  /** Whether the connection can still send (it has not failed or been closed). */
  get usable(): boolean {
    return this.failure === null;
  }

  /** Sends a prepared request; resolves its answer. One request at a time per connection. */
  send(request: Buffer): Promise<LeanHttpAnswer> {
    if (this.failure) return Promise.reject(this.failure);
    if (this.pending) return Promise.reject(new TypeError("A request is already in flight."));
    return new Promise((resolve, reject) => {
      this.pending = { resolve, reject };
      this.socket.write(request);
    });
  }

  close(): void {
    this.fail(new Error("The connection was closed."));
    this.socket.destroy();
  }

  private fail(error: Error): void {
    this.failure ??= error;
    const pending = this.pending;
    this.pending = null;
    pending?.reject(error);
  }

  private read(chunk: Buffer): void {
    this.buffered = this.buffered.length === 0 ? chunk : Buffer.concat([this.buffered, chunk]);
    let answer: { status: number; body: Buffer; used: number } | null;
    try {
      answer = parseAnswer(this.buffered);
    } catch (error) {
      this.fail(error as Error);
      this.socket.destroy();
      return;
    }
    if (!answer) return;
    this.buffered = this.buffered.subarray(answer.used);
    const pending = this.pending;
    this.pending = null;
    pending?.resolve({ status: answer.status, body: answer.body });
  }
}

/**
 * One whole answer at the start of `data`, with how many bytes it took; null when more bytes are
 * needed. Throws on something that is not an HTTP/1.1 answer this client can read.
 */
export function parseAnswer(data: Buffer): { status: number; body: Buffer; used: number } | null {
  const headerEnd = data.indexOf(HEADER_END);
  if (headerEnd === -1) return null;
  const head = data.toString("latin1", 0, headerEnd);
  const status = Number(/^HTTP\/1\.[01] (\d{3})/.exec(head)?.[1]);
  if (!status) throw new Error(`Not an HTTP answer: ${head.slice(0, 80)}`);
  const bodyStart = headerEnd + HEADER_END.length;
  const length = /\r\ncontent-length:\s*(\d+)/i.exec(head);
  if (length) {
    const end = bodyStart + Number(length[1]);
    return data.length < end ? null : { status, body: data.subarray(bodyStart, end), used: end };
  }
  if (!/\r\ntransfer-encoding:\s*chunked/i.test(head)) {
    // No body unless its length is said (204, 304, or a body closed by the server: not read here).
    if (status === 204 || status === 304) return { status, body: Buffer.alloc(0), used: bodyStart };
    throw new Error("An answer with neither content-length nor chunked transfer-encoding.");
  }
  const parts: Buffer[] = [];
  let at = bodyStart;
  for (;;) {
    const lineEnd = data.indexOf(CRLF, at);
    if (lineEnd === -1) return null;
    const size = parseInt(data.toString("latin1", at, lineEnd).split(";")[0], 16);
    if (Number.isNaN(size)) throw new Error("A malformed chunk size.");
    const chunkStart = lineEnd + CRLF.length;
    if (size === 0) {
      // No trailers are sent by the servers measured: the last chunk ends with one more CRLF.
      const end = chunkStart + CRLF.length;
      if (data.length < end) return null;
      return { status, body: parts.length === 1 ? parts[0] : Buffer.concat(parts), used: end };
    }
    const chunkEnd = chunkStart + size;
    if (data.length < chunkEnd + CRLF.length) return null;
    parts.push(data.subarray(chunkStart, chunkEnd));
    at = chunkEnd + CRLF.length;
  }
}
