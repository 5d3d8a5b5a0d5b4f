import type { Socket } from "node:net";
import type { ExecutionResult } from "graphql";
import type WebSocket from "ws";
import { coalesceWrites, EARLY_ACK_BYTES } from "./batched-writes";

/** Where results are pushed for one subscriber, and where they stop. */
export interface ResultSink {
  push(result: ExecutionResult): void;
  /** Ends the subscription once what was pushed is out. */
  end(): void;
}

/** What a subscriber of a shared source is made with. */
export interface DirectDeliveryOptions {
  /** Most messages kept for a slow subscriber before the oldest are dropped. */
  capacity: number;
  /** Called once, when the subscription ends (by {@link DirectDelivery.end} or by the client). */
  onClose?: () => void;
}

/** Makes the direct delivery of one subscription (see {@link DirectDelivery}). */
export type DirectDeliveryFactory = (options: DirectDeliveryOptions) => DirectDelivery;

/**
 * A `next` message twice over: its UTF-8 bytes, and the whole WebSocket text frame that carries
 * them. A server's frames are not masked, so every socket can send the same frame bytes.
 */
export interface NextMessage {
  /** The frame: header (FIN, text opcode, length) and payload. */
  frame: Buffer;
  /** The message's bytes (the frame's payload). */
  payload: Buffer;
}

/**
 * The `next` messages of results, each result serialized once however many subscribers it is
 * written to: the same result object pushed to 100 subscriptions is stringified once, and encoded
 * and framed once per subscription id (clients often all use the same id), as the bytes every
 * socket sends.
 */
export class PayloadSerializer {
  private readonly cache = new WeakMap<
    ExecutionResult,
    { json: string; messages: Map<string, NextMessage> }
  >();

  /** @param payload the result as the protocol's `next` payload (errors formatted). */
  constructor(private readonly payload: (result: ExecutionResult) => unknown) {}

  /** `{"id":id,"type":"next","payload":...}` for this result, as bytes and as a frame. */
  message(id: string, result: ExecutionResult): NextMessage {
    let entry = this.cache.get(result);
    if (!entry)
      this.cache.set(
        result,
        (entry = { json: JSON.stringify(this.payload(result)), messages: new Map() }),
      );
    let message = entry.messages.get(id);
    if (!message)
      entry.messages.set(
        id,
        (message = textFrame(`{"id":${JSON.stringify(id)},"type":"next","payload":${entry.json}}`)),
      );
    return message;
  }
}

/** A final, unmasked WebSocket text frame (RFC 6455, 5.2) of `text`. */
function textFrame(text: string): NextMessage {
  const length = Buffer.byteLength(text);
  const headerLength = length < 126 ? 2 : length < 65_536 ? 4 : 10;
  const frame = Buffer.allocUnsafe(headerLength + length);
  frame[0] = 0x81; // FIN, text
  if (headerLength === 2) frame[1] = length;
  else if (headerLength === 4) {
    frame[1] = 126;
    frame.writeUInt16BE(length, 2);
  } else {
    frame[1] = 127;
    frame.writeBigUInt64BE(BigInt(length), 2);
  }
  frame.write(text, headerLength, "utf8");
  return { frame, payload: frame.subarray(headerLength) };
}

/**
 * One subscription's results written straight to its WebSocket as graphql-transport-ws `next`
 * messages, instead of through graphql-ws's loop per result (two object copies, an awaited hook, a
 * stringify and an awaited send for each subscriber of each event): the payload comes from a {@link
 * PayloadSerializer} shared by the subscribers of a source. It is also the async iterator
 * graphql-ws holds for the subscription; it yields nothing and finishes when the subscription ends,
 * so graphql-ws still sends `complete` (after every message written here) and calls `return()` when
 * the client completes the subscription or the socket closes. While the socket holds {@link
 * EARLY_ACK_BYTES} unsent (a slow reader), messages wait here, at most `capacity` of them, the
 * oldest dropped first; they leave in order when the socket drains. On a socket without extensions
 * (no permessage-deflate: `ws`'s sender then writes each frame at once, never queueing), the
 * prebuilt frame is written to the TCP socket itself, gathered with the socket's other writes of
 * the moment ({@link coalesceWrites}): no framing per subscriber, and still in order with what `ws`
 * writes.
 */
export class DirectDelivery implements ResultSink, AsyncIterableIterator<ExecutionResult> {
  private readonly waiting: NextMessage[] = [];
  private readonly tcp: Socket | undefined;
  /** Frames go to the TCP socket as they are (see the class's comment). */
  private readonly writesFrames: boolean;
  private finished: ((result: IteratorResult<ExecutionResult>) => void) | undefined;
  private ending = false;
  private closed = false;
  private draining = false;
  /** Messages dropped because the subscriber was too slow. */
  dropped = 0;

  constructor(
    private readonly socket: WebSocket,
    private readonly id: string,
    private readonly serializer: PayloadSerializer,
    private readonly options: DirectDeliveryOptions,
  ) {
    // `ws` keeps the TCP socket in `_socket`; how much is unsent is only known there.
    this.tcp = (socket as unknown as { _socket?: Socket })._socket;
    this.writesFrames = this.tcp !== undefined && socket.extensions === "";
  }

  push(result: ExecutionResult): void {
    if (this.closed || this.ending) return;
    const message = this.serializer.message(this.id, result);
    if (this.waiting.length === 0 && !this.backedUp()) return this.send(message);
    if (this.waiting.length >= this.options.capacity) {
      this.waiting.shift();
      this.dropped++;
    }
    this.waiting.push(message);
    this.drainLater();
  }

  end(): void {
    if (this.closed) return;
    this.ending = true;
    if (this.waiting.length === 0) this.finish();
  }

  next(): Promise<IteratorResult<ExecutionResult>> {
    if (this.closed) return Promise.resolve({ value: undefined, done: true });
    return new Promise((resolve) => (this.finished = resolve));
  }

  return(): Promise<IteratorResult<ExecutionResult>> {
    this.waiting.length = 0;
    this.finish();
    return Promise.resolve({ value: undefined, done: true });
  }

  throw(error?: unknown): Promise<IteratorResult<ExecutionResult>> {
    this.return();
    return Promise.reject(error);
  }

  [Symbol.asyncIterator](): AsyncIterableIterator<ExecutionResult> {
    return this;
  }

  private backedUp(): boolean {
    return this.tcp !== undefined && this.tcp.writableLength >= EARLY_ACK_BYTES;
  }

  private send(message: NextMessage): void {
    if (this.socket.readyState !== this.socket.OPEN) return;
    if (this.writesFrames) {
      coalesceWrites(this.tcp!);
      this.tcp!.write(message.frame);
    } else {
      // A text frame: graphql-transport-ws messages are text, though these bytes are shared.
      this.socket.send(message.payload, { binary: false });
    }
  }

  /** Sends what waits once the socket has drained, as much as it takes before backing up again. */
  private drainLater(): void {
    if (this.draining || !this.tcp) return;
    this.draining = true;
    this.tcp.once("drain", () => {
      this.draining = false;
      if (this.closed) return;
      while (this.waiting.length > 0 && !this.backedUp()) this.send(this.waiting.shift()!);
      if (this.waiting.length > 0) this.drainLater();
      else if (this.ending) this.finish();
    });
  }

  private finish(): void {
    if (this.closed) return;
    this.closed = true;
    this.finished?.({ value: undefined, done: true });
    this.finished = undefined;
    this.options.onClose?.();
  }
}
