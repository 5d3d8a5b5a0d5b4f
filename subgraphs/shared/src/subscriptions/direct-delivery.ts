import type { Socket } from "node:net";
import type { ExecutionResult } from "graphql";
import type WebSocket from "ws";
import { EARLY_ACK_BYTES } from "./batched-writes";

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
 * The `next` messages of results, each result serialized once however many subscribers it is
 * written to: the same result object pushed to 100 subscriptions is stringified once, and encoded
 * once per subscription id (clients often all use the same id), as the bytes every socket sends.
 */
export class PayloadSerializer {
  private readonly cache = new WeakMap<ExecutionResult, { json: string; messages: Map<string, Buffer> }>();

  /** @param payload the result as the protocol's `next` payload (errors formatted). */
  constructor(private readonly payload: (result: ExecutionResult) => unknown) {}

  /** The UTF-8 bytes of `{"id":id,"type":"next","payload":...}` for this result. */
  message(id: string, result: ExecutionResult): Buffer {
    let entry = this.cache.get(result);
    if (!entry) this.cache.set(result, (entry = { json: JSON.stringify(this.payload(result)), messages: new Map() }));
    let message = entry.messages.get(id);
    if (!message) entry.messages.set(id, (message = Buffer.from(`{"id":${JSON.stringify(id)},"type":"next","payload":${entry.json}}`)));
    return message;
  }
}

/**
 * One subscription's results written straight to its WebSocket as graphql-transport-ws `next`
 * messages, instead of through graphql-ws's loop per result (two object copies, an awaited hook,
 * a stringify and an awaited send for each subscriber of each event): the payload comes from a
 * {@link PayloadSerializer} shared by the subscribers of a source. It is also the async iterator
 * graphql-ws holds for the subscription; it yields nothing and finishes when the subscription ends,
 * so graphql-ws still sends `complete` (after every message written here) and calls `return()` when
 * the client completes the subscription or the socket closes.
 * While the socket holds {@link EARLY_ACK_BYTES} unsent (a slow reader), messages wait here, at most
 * `capacity` of them, the oldest dropped first; they leave in order when the socket drains.
 */
export class DirectDelivery implements ResultSink, AsyncIterableIterator<ExecutionResult> {
  private readonly waiting: Buffer[] = [];
  private readonly tcp: Socket | undefined;
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

  private send(message: Buffer): void {
    // A text frame: graphql-transport-ws messages are text, though these bytes are shared.
    if (this.socket.readyState === this.socket.OPEN) this.socket.send(message, { binary: false });
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
