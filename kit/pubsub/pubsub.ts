/** Receives the messages published on a topic, in the order they were published. */
export type TopicHandler<T> = (message: T) => void;

/**
 * Where a service publishes what subscribers wait for (new events, alerts, job progress). Every
 * subscriber of a topic, in every process sharing the transport, receives each message once.
 */
export interface PubSub {
  /** Resolves once the message is handed to the transport (not when it is delivered). */
  publish<T>(topic: string, message: T): Promise<void>;
  /** Starts delivering the topic's messages to `handler`; the returned function stops it. */
  subscribe<T>(topic: string, handler: TopicHandler<T>): () => void;
  /** Resolves once the transport is connected (immediately in process). */
  ready?(): Promise<void>;
  /** Releases the transport's connections; later publishes are dropped. */
  close(): Promise<void>;
  /** `in-process` or `redis`, for logs and health. */
  readonly kind: string;
}
