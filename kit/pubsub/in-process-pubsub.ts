import type { PubSub, TopicHandler } from "./pubsub";

/** A {@link PubSub} within one process: publishing calls the topic's handlers synchronously. */
export class InProcessPubSub implements PubSub {
  readonly kind = "in-process";
  private readonly handlers = new Map<string, Set<TopicHandler<unknown>>>();
  private closed = false;

  async publish<T>(topic: string, message: T): Promise<void> {
    if (this.closed) return;
    for (const handler of [...(this.handlers.get(topic) ?? [])]) handler(message);
  }

  subscribe<T>(topic: string, handler: TopicHandler<T>): () => void {
    let set = this.handlers.get(topic);
    if (!set) this.handlers.set(topic, (set = new Set()));
    set.add(handler as TopicHandler<unknown>);
    return () => {
      set.delete(handler as TopicHandler<unknown>);
      if (set.size === 0 && this.handlers.get(topic) === set) this.handlers.delete(topic);
    };
  }

  async close(): Promise<void> {
    this.closed = true;
    this.handlers.clear();
  }
}
