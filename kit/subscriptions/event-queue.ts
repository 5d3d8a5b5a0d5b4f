/** What an {@link EventQueue} does when its consumer falls `capacity` items behind. */
export type OverflowPolicy = "drop-oldest" | "error";

export interface EventQueueOptions {
  /** Most items held for a slow consumer. @default 1000 */
  capacity?: number;
  /** @default "drop-oldest" */
  overflow?: OverflowPolicy;
  /** Called once when the consumer stops (return, throw, or {@link EventQueue.end}). */
  onClose?: () => void;
}

/**
 * A push-to-pull bridge for subscriptions: producers `push` items, and the subscription's
 * consumer iterates them. Memory is bounded: past `capacity`, the oldest item is dropped (and
 * counted in `dropped`), or, with `overflow: "error"`, the iteration fails with a clear error.
 */
export class EventQueue<T> implements AsyncIterableIterator<T> {
  private readonly items: T[] = [];
  private readonly waiting: ((result: IteratorResult<T>) => void)[] = [];
  private readonly capacity: number;
  private failure: Error | undefined;
  private closed = false;
  /** Items dropped because the consumer was too slow. */
  dropped = 0;

  constructor(private readonly options: EventQueueOptions = {}) {
    this.capacity = options.capacity ?? 1000;
  }

  /** Queues an item for the consumer; ignored once closed. */
  push(item: T): void {
    if (this.closed) return;
    const waiter = this.waiting.shift();
    if (waiter) return waiter({ value: item, done: false });
    if (this.items.length >= this.capacity) {
      if (this.options.overflow === "error") {
        return this.fail(
          new Error(
            `The subscriber fell more than ${this.capacity} events behind; the subscription was closed.`,
          ),
        );
      }
      this.items.shift();
      this.dropped++;
    }
    this.items.push(item);
  }

  /** Ends the iteration after the queued items with `error`. */
  fail(error: Error): void {
    if (this.closed) return;
    this.items.length = 0;
    const waiters = this.waiting.splice(0);
    if (waiters.length === 0) this.failure = error;
    for (const waiter of waiters) waiter(Promise.reject(error) as never);
    this.close();
  }

  /** Ends the iteration once the queued items are consumed. */
  end(): void {
    for (const waiter of this.waiting.splice(0)) waiter({ value: undefined, done: true });
    this.close();
  }

  next(): Promise<IteratorResult<T>> {
    if (this.items.length > 0)
      return Promise.resolve({ value: this.items.shift() as T, done: false });
    if (this.failure) {
      const failure = this.failure;
      this.failure = undefined;
      return Promise.reject(failure);
    }
    if (this.closed) return Promise.resolve({ value: undefined, done: true });
    return new Promise((resolve) => this.waiting.push(resolve));
  }

  return(): Promise<IteratorResult<T>> {
    this.items.length = 0;
    this.end();
    return Promise.resolve({ value: undefined, done: true });
  }

  throw(error?: unknown): Promise<IteratorResult<T>> {
    this.items.length = 0;
    this.end();
    return Promise.reject(error);
  }

  [Symbol.asyncIterator](): AsyncIterableIterator<T> {
    return this;
  }

  private close(): void {
    if (this.closed) return;
    this.closed = true;
    this.options.onClose?.();
  }
}
