import type { Viewer } from "../auth/viewer";
import { Role } from "../auth/role";
import { createRateLimiter } from "./rate-limiter";
import { MemoryBucketStore, takeFrom } from "./token-bucket";

const user = (userId: string): Viewer => ({
  kind: "user",
  userId,
  organizationId: "o",
  role: Role.ADMIN,
});

describe("token bucket", () => {
  it("lets a burst of `capacity` through, then one per 1/perSecond, and says when to retry", () => {
    const bucket = { tokens: 3, updatedAt: 0 };
    const rule = { capacity: 3, perSecond: 2 };
    expect([0, 0, 0].map((t) => takeFrom(bucket, rule, t).allowed)).toEqual([true, true, true]);
    expect(takeFrom(bucket, rule, 0)).toEqual({ allowed: false, retryAfterSeconds: 1 });
    expect(takeFrom(bucket, rule, 499).allowed).toBe(false);
    expect(takeFrom(bucket, rule, 500).allowed).toBe(true);
    // Never more than the capacity, however long it waited.
    const after = { tokens: 0, updatedAt: 0 };
    takeFrom(after, rule, 3_600_000);
    expect(after.tokens).toBe(2);
  });
});

describe("rate limiter", () => {
  it("limits each caller and each address on its own, and 0 turns a limit off", async () => {
    const limiter = createRateLimiter(
      { perCredentialPerMinute: 60, perAddressPerMinute: 120, burstSeconds: 2 },
      new MemoryBucketStore(),
    );
    // 2 per caller at once (whatever token the user holds), 4 per address at once.
    const a = await Promise.all([1, 2, 3].map(() => limiter.admitCaller(user("a"))));
    expect(a.map((r) => r.allowed)).toEqual([true, true, false]);
    expect(await limiter.admitCaller(user("b"))).toEqual({ allowed: true });
    const address = await Promise.all([1, 2, 3, 4, 5].map(() => limiter.admitAddress("10.0.0.1")));
    expect(address.map((r) => r.allowed)).toEqual([true, true, true, true, false]);
    expect((await limiter.admitAddress("10.0.0.2")).allowed).toBe(true);
    const off = createRateLimiter(
      { perCredentialPerMinute: 0, perAddressPerMinute: 0, burstSeconds: 1 },
      new MemoryBucketStore(),
    );
    for (let i = 0; i < 100; i++) {
      expect((await off.admitCaller(user("a"))).allowed).toBe(true);
      expect((await off.admitAddress("10.0.0.1")).allowed).toBe(true);
    }
  });
});

import {
  ensureRedisServer,
  startLocalRedis,
  type LocalRedis,
} from "../../test/support/redis-server";
import { RedisBucketStore } from "./redis-bucket-store";

const redisBinary = ensureRedisServer();
if (!("path" in redisBinary))
  console.warn(`Skipping the Redis rate limit test: ${redisBinary.missing}.`);

("path" in redisBinary ? describe : describe.skip)("rate limiter over Redis", () => {
  let redis: LocalRedis;
  beforeAll(async () => {
    redis = await startLocalRedis((redisBinary as { path: string }).path);
  });
  afterAll(() => redis?.stop());

  it("shares one bucket between limiters (replicas) using the same Redis", async () => {
    const limits = { perCredentialPerMinute: 120, perAddressPerMinute: 0, burstSeconds: 2 }; // buckets of 4
    const replicaA = createRateLimiter(limits, new RedisBucketStore(redis.url));
    const replicaB = createRateLimiter(limits, new RedisBucketStore(redis.url));
    const results = [];
    for (let i = 0; i < 6; i++)
      results.push((await (i % 2 ? replicaB : replicaA).admitCaller(user("shared"))).allowed);
    expect(results).toEqual([true, true, true, true, false, false]);
    const refused = await replicaA.admitCaller(user("shared"));
    expect(refused).toEqual({ allowed: false, retryAfterSeconds: 1 });
    await Promise.all([replicaA.close(), replicaB.close()]);
  });
});
