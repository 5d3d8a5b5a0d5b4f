import { createLogger } from "../logger";
import { InProcessPubSub } from "./in-process-pubsub";
import type { PubSub } from "./pubsub";
import { RedisPubSub } from "./redis-pubsub";

/**
 * The pub/sub of this process: Redis when `REDIS_URL` is set, so that every replica's subscribers
 * see the events every replica ingests; otherwise in this process only (one replica).
 */
export function createPubSubFromEnv(service: string, env: NodeJS.ProcessEnv = process.env): PubSub {
  if (env.REDIS_URL) return new RedisPubSub(env.REDIS_URL, createLogger(service));
  return new InProcessPubSub();
}
