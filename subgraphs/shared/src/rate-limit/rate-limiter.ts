import { createHash } from "node:crypto";
import type { IncomingMessage } from "node:http";
import { numberFromEnv } from "../config";
import { RedisBucketStore } from "./redis-bucket-store";
import { MemoryBucketStore, type BucketRule, type BucketStore, type TakeResult } from "./token-bucket";

/** Rate limits; each has an environment variable, and 0 turns that limit off. */
export interface RateLimits {
  /** `RATE_LIMIT_PER_MINUTE`: requests per minute per credential (API key or access token). @default 3000 */
  perCredentialPerMinute: number;
  /** `RATE_LIMIT_PER_ADDRESS_PER_MINUTE`: requests per minute per client address. @default 6000 */
  perAddressPerMinute: number;
  /** `RATE_LIMIT_BURST_SECONDS`: how many seconds' worth of requests may come at once. @default 10 */
  burstSeconds: number;
  /** `RATE_LIMIT_REDIS_URL`, else `REDIS_URL`: share the buckets between replicas. */
  redisUrl?: string;
}

export function rateLimitsFromEnv(env: NodeJS.ProcessEnv = process.env): RateLimits {
  const read = (name: string, fallback: number) => numberFromEnv(env, name, fallback, { min: 0, integer: false });
  return {
    perCredentialPerMinute: read("RATE_LIMIT_PER_MINUTE", 3000),
    perAddressPerMinute: read("RATE_LIMIT_PER_ADDRESS_PER_MINUTE", 6000),
    burstSeconds: Math.max(1, read("RATE_LIMIT_BURST_SECONDS", 10)),
    redisUrl: env.RATE_LIMIT_REDIS_URL || env.REDIS_URL || undefined,
  };
}

/** Checks requests against the limits; `admit` resolves whether one may proceed. */
export interface RateLimiter {
  admit(req: IncomingMessage, clientAddress: string): Promise<TakeResult>;
  close(): Promise<void>;
}

/**
 * Token buckets per credential and per client address: a request takes a token from both, and is
 * refused (HTTP 429 with `Retry-After`, code `RATE_LIMITED`) when either is empty. The credential
 * is keyed by a hash of the `Authorization` header as sent (checking it is not needed to count it;
 * made-up headers still share their address's bucket). Memory by default; Redis when configured.
 */
export function createRateLimiter(limits: RateLimits, store: BucketStore = limits.redisUrl ? new RedisBucketStore(limits.redisUrl) : new MemoryBucketStore()): RateLimiter {
  const rule = (perMinute: number): BucketRule => ({ perSecond: perMinute / 60, capacity: Math.max(1, (perMinute / 60) * limits.burstSeconds) });
  const credentialRule = limits.perCredentialPerMinute > 0 ? rule(limits.perCredentialPerMinute) : null;
  const addressRule = limits.perAddressPerMinute > 0 ? rule(limits.perAddressPerMinute) : null;
  return {
    async admit(req, clientAddress) {
      const checks: Promise<TakeResult>[] = [];
      if (addressRule) checks.push(store.take(`address:${clientAddress}`, addressRule));
      const authorization = req.headers.authorization;
      if (credentialRule && authorization) checks.push(store.take(`credential:${createHash("sha256").update(authorization).digest("base64url").slice(0, 32)}`, credentialRule));
      const results = await Promise.all(checks);
      const refused = results.filter((result): result is Extract<TakeResult, { allowed: false }> => !result.allowed);
      if (refused.length === 0) return { allowed: true };
      return { allowed: false, retryAfterSeconds: Math.max(...refused.map((result) => result.retryAfterSeconds)) };
    },
    close: () => store.close(),
  };
}
