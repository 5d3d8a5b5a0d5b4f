import Redis from "ioredis";
import type { Logger } from "../logger";
import { InProcessPubSub } from "./in-process-pubsub";
import type { PubSub, TopicHandler } from "./pubsub";

/** Prefix of the Redis channels, so that other users of the same Redis are left alone. */
const CHANNEL_PREFIX = "federated-analytics:";

/**
 * A {@link PubSub} over Redis PUBLISH/SUBSCRIBE: a message published by any process reaches the
 * handlers of every process subscribed to its topic, once each. One connection publishes, one
 * subscribes (Redis requires a dedicated one); a channel is subscribed while a local handler
 * needs it. Messages are JSON. Redis does not keep messages for a process that is disconnected:
 * what is published during a reconnect is lost for that process (the connection is retried).
 */
export class RedisPubSub implements PubSub {
  readonly kind = "redis";
  private readonly publisher: Redis;
  private readonly subscriber: Redis;
  private readonly local = new InProcessPubSub();
  private readonly channelUsers = new Map<string, number>();

  constructor(
    url: string,
    private readonly log: Logger,
  ) {
    const options = { maxRetriesPerRequest: 2, enableOfflineQueue: true, lazyConnect: false };
    this.publisher = new Redis(url, options);
    this.subscriber = new Redis(url, options);
    for (const connection of [this.publisher, this.subscriber]) {
      connection.on("error", (error: Error) => this.log.warn(`redis: ${error.message}`));
    }
    this.subscriber.on("message", (channel: string, text: string) => {
      let message: unknown;
      try {
        message = JSON.parse(text);
      } catch {
        return this.log.warn(`redis: dropped a message that is not JSON on ${channel}`);
      }
      void this.local.publish(channel.slice(CHANNEL_PREFIX.length), message);
    });
  }

  async publish<T>(topic: string, message: T): Promise<void> {
    await this.publisher.publish(CHANNEL_PREFIX + topic, JSON.stringify(message));
  }

  subscribe<T>(topic: string, handler: TopicHandler<T>): () => void {
    const channel = CHANNEL_PREFIX + topic;
    const users = this.channelUsers.get(channel) ?? 0;
    this.channelUsers.set(channel, users + 1);
    if (users === 0)
      this.subscriber
        .subscribe(channel)
        .catch((error: Error) =>
          this.log.warn(`redis: cannot subscribe to ${channel}: ${error.message}`),
        );
    const stop = this.local.subscribe(topic, handler);
    let stopped = false;
    return () => {
      if (stopped) return;
      stopped = true;
      stop();
      const left = (this.channelUsers.get(channel) ?? 1) - 1;
      if (left > 0) return void this.channelUsers.set(channel, left);
      this.channelUsers.delete(channel);
      this.subscriber.unsubscribe(channel).catch(() => undefined);
    };
  }

  /** Resolves once both connections are ready (subscriptions made before are in place). */
  async ready(): Promise<void> {
    await Promise.all([this.publisher.ping(), this.subscriber.ping().catch(() => undefined)]);
  }

  async close(): Promise<void> {
    await this.local.close();
    this.publisher.disconnect();
    this.subscriber.disconnect();
  }
}
