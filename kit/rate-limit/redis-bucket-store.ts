import Redis from "ioredis";
import type { BucketRule, BucketStore, TakeResult } from "./token-bucket";

/**
 * The token bucket as one atomic Redis script: refill for the time elapsed, take a token if there
 * is one, remember the bucket until it would be full again. Redis's clock is used, so replicas
 * with skewed clocks agree. Returns {1, 0} when allowed, {0, retryAfterSeconds} when not.
 */
const TAKE = `
local key = KEYS[1]
local capacity = tonumber(ARGV[1])
local per_second = tonumber(ARGV[2])
local time = redis.call('TIME')
local now = tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)
local bucket = redis.call('HMGET', key, 'tokens', 'updated')
local tokens = tonumber(bucket[1]) or capacity
local updated = tonumber(bucket[2]) or now
tokens = math.min(capacity, tokens + math.max(0, now - updated) / 1000 * per_second)
local allowed = 0
local retry = 0
if tokens >= 1 then
  tokens = tokens - 1
  allowed = 1
else
  retry = math.max(1, math.ceil((1 - tokens) / per_second))
end
redis.call('HSET', key, 'tokens', tostring(tokens), 'updated', tostring(now))
redis.call('PEXPIRE', key, math.ceil(capacity / per_second * 1000) + 1000)
return {allowed, retry}
`;

const KEY_PREFIX = "federated-analytics:rate:";

/** Token buckets in Redis, shared by every gateway and subgraph replica using the same Redis. */
export class RedisBucketStore implements BucketStore {
  private readonly redis: Redis;

  constructor(url: string) {
    // A Redis that does not answer within 250 ms lets the request through (see take).
    this.redis = new Redis(url, { maxRetriesPerRequest: 1, commandTimeout: 250 });
    this.redis.on("error", () => undefined);
    this.redis.defineCommand("takeToken", { numberOfKeys: 1, lua: TAKE });
  }

  /**
   * Fails open: when Redis cannot answer, the request is allowed (rate limiting is protection, not
   * accounting).
   */
  async take(key: string, rule: BucketRule): Promise<TakeResult> {
    try {
      const [allowed, retry] = (await (
        this.redis as unknown as {
          takeToken(key: string, capacity: number, perSecond: number): Promise<[number, number]>;
        }
      ).takeToken(KEY_PREFIX + key, rule.capacity, rule.perSecond)) as [number, number];
      return allowed === 1 ? { allowed: true } : { allowed: false, retryAfterSeconds: retry };
    } catch {
      return { allowed: true };
    }
  }

  async close(): Promise<void> {
    this.redis.disconnect();
  }
}
