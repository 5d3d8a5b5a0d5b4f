import { HeaderMap } from "@apollo/server";
import { GraphQLError } from "graphql";
import { callerId, type Viewer } from "../auth/viewer";
import { ErrorCode } from "../errors";
import { numberFromEnv } from "../config";
import { RedisBucketStore } from "./redis-bucket-store";
import {
  MemoryBucketStore,
  type BucketRule,
  type BucketStore,
  type TakeResult,
} from "./token-bucket";

/** Rate limits; each has an environment variable, and 0 turns that limit off. */
export interface RateLimits {
  /**
   * `RATE_LIMIT_PER_MINUTE`: requests per minute per caller (a user, whatever its tokens, or an API
   * key). @default 3000
   */
  perCredentialPerMinute: number;
  /** `RATE_LIMIT_PER_ADDRESS_PER_MINUTE`: requests per minute per client address. @default 6000 */
  perAddressPerMinute: number;
  /**
   * `RATE_LIMIT_BURST_SECONDS`: how many seconds' worth of requests may come at once. @default 10
   */
  burstSeconds: number;
  /** `RATE_LIMIT_REDIS_URL`, else `REDIS_URL`: share the buckets between replicas. */
  redisUrl?: string;
}

export function rateLimitsFromEnv(env: NodeJS.ProcessEnv = process.env): RateLimits {
  const read = (name: string, fallback: number) =>
    numberFromEnv(env, name, fallback, { min: 0, integer: false });
  return {
    perCredentialPerMinute: read("RATE_LIMIT_PER_MINUTE", 3000),
    perAddressPerMinute: read("RATE_LIMIT_PER_ADDRESS_PER_MINUTE", 6000),
    burstSeconds: Math.max(1, read("RATE_LIMIT_BURST_SECONDS", 10)),
    redisUrl: env.RATE_LIMIT_REDIS_URL || env.REDIS_URL || undefined,
  };
}

/** Checks requests against the limits. */
export interface RateLimiter {
  /** Before anything else: the client address's bucket. */
  admitAddress(clientAddress: string): Promise<TakeResult>;
  /** Once the credential is verified: the caller's bucket (see {@link callerId}). */
  admitCaller(viewer: Viewer): Promise<TakeResult>;
  close(): Promise<void>;
}

/**
 * Token buckets per client address and per caller. A request takes a token from its address's
 * bucket before its body is read, and one from its caller's bucket once the credential is
 * verified; when either is empty the request is refused: HTTP 429 with `Retry-After`, code
 * `RATE_LIMITED` (see {@link rateLimitedError}). Memory by default; Redis when configured.
 */
export function createRateLimiter(
  limits: RateLimits,
  store: BucketStore = limits.redisUrl
    ? new RedisBucketStore(limits.redisUrl)
    : new MemoryBucketStore(),
): RateLimiter {
  const rule = (perMinute: number): BucketRule => ({
    perSecond: perMinute / 60,
    capacity: Math.max(1, (perMinute / 60) * limits.burstSeconds),
  });
  const callerRule = limits.perCredentialPerMinute > 0 ? rule(limits.perCredentialPerMinute) : null;
  const addressRule = limits.perAddressPerMinute > 0 ? rule(limits.perAddressPerMinute) : null;
  const allowed: TakeResult = { allowed: true };
  return {
    admitAddress: async (clientAddress) =>
      addressRule ? store.take(`address:${clientAddress}`, addressRule) : allowed,
    admitCaller: async (viewer) =>
      callerRule ? store.take(`caller:${callerId(viewer)}`, callerRule) : allowed,
    close: () => store.close(),
  };
}

/** The error of a refused request: HTTP 429 with `Retry-After`, code `RATE_LIMITED`. */
export function rateLimitedError(retryAfterSeconds: number): GraphQLError {
  return new GraphQLError(`Too many requests: try again in ${retryAfterSeconds} s.`, {
    extensions: {
      code: ErrorCode.RateLimited,
      retryAfterSeconds,
      http: { status: 429, headers: new HeaderMap([["retry-after", String(retryAfterSeconds)]]) },
    },
  });
}
