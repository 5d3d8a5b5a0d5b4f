/** A bucket's rule: `capacity` tokens at most, refilled at `perSecond`; each request takes one. */
export interface BucketRule {
  capacity: number;
  perSecond: number;
}

/** What a bucket said about one request. */
export type TakeResult = { allowed: true } | { allowed: false; retryAfterSeconds: number };

/** Where buckets live: this process's memory, or Redis shared by every replica. */
export interface BucketStore {
  /** Takes a token from `key`'s bucket (created full), or says how long until one is there. */
  take(key: string, rule: BucketRule, now?: number): Promise<TakeResult>;
  close(): Promise<void>;
}

interface Bucket {
  tokens: number;
  updatedAt: number;
}

/**
 * Buckets kept in memory at most; the least recently used are forgotten (a forgotten bucket is
 * full).
 */
const MAX_BUCKETS = 100_000;

/** Token buckets in this process's memory. */
export class MemoryBucketStore implements BucketStore {
  private readonly buckets = new Map<string, Bucket>();

  async take(key: string, rule: BucketRule, now = Date.now()): Promise<TakeResult> {
    const bucket = this.buckets.get(key) ?? { tokens: rule.capacity, updatedAt: now };
    this.buckets.delete(key);
    const result = takeFrom(bucket, rule, now);
    this.buckets.set(key, bucket);
    if (this.buckets.size > MAX_BUCKETS) this.buckets.delete(this.buckets.keys().next().value!);
    return result;
  }

  async close(): Promise<void> {
    this.buckets.clear();
  }
}

/** Refills `bucket` for the time elapsed, then takes a token if there is one (mutates it). */
export function takeFrom(bucket: Bucket, rule: BucketRule, now: number): TakeResult {
  const elapsedSeconds = Math.max(0, now - bucket.updatedAt) / 1000;
  bucket.tokens = Math.min(rule.capacity, bucket.tokens + elapsedSeconds * rule.perSecond);
  bucket.updatedAt = now;
  if (bucket.tokens >= 1) {
    bucket.tokens -= 1;
    return { allowed: true };
  }
  return {
    allowed: false,
    retryAfterSeconds: Math.max(1, Math.ceil((1 - bucket.tokens) / rule.perSecond)),
  };
}
