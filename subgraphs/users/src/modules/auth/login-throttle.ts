import { GraphQLError } from "graphql";
import { ErrorCode } from "#kit/errors";

/** Failed sign-ins allowed per key within a window, before further attempts are refused. */
export interface ThrottleLimits {
  /** Failures per account (email). @default LOGIN_MAX_FAILURES_PER_ACCOUNT or 10 */
  perAccount: number;
  /** Failures per client address. @default LOGIN_MAX_FAILURES_PER_ADDRESS or 50 */
  perAddress: number;
  /** @default LOGIN_THROTTLE_WINDOW_SECONDS or 900 // 15 minutes */
  windowMs: number;
}

export function throttleLimitsFromEnv(env: NodeJS.ProcessEnv = process.env): ThrottleLimits {
  return {
    perAccount: Number(env.LOGIN_MAX_FAILURES_PER_ACCOUNT ?? 10),
    perAddress: Number(env.LOGIN_MAX_FAILURES_PER_ADDRESS ?? 50),
    windowMs: Number(env.LOGIN_THROTTLE_WINDOW_SECONDS ?? 900) * 1000,
  };
}

interface Window {
  failures: number;
  resetsAt: number;
}

/**
 * Counts failed sign-ins per account and per client address in fixed windows, in this process.
 * It is called from the `login` resolver itself, so a request that aliases `login` 100 times makes
 * 100 attempts. Several users replicas each count on their own (see docs for the shared store).
 */
export class LoginThrottle {
  private readonly windows = new Map<string, Window>();

  constructor(
    private readonly limits: ThrottleLimits = throttleLimitsFromEnv(),
    private readonly now: () => number = Date.now,
  ) {}

  /**
   * Throws `RATE_LIMITED` (with `retryAfterSeconds`) when the account or the address is over its
   * limit.
   */
  assertAllowed(email: string, address: string): void {
    const retryAt = Math.max(
      this.blockedUntil(`account:${email}`, this.limits.perAccount),
      this.blockedUntil(`address:${address}`, this.limits.perAddress),
    );
    if (retryAt > 0) {
      const retryAfterSeconds = Math.max(1, Math.ceil((retryAt - this.now()) / 1000));
      throw new GraphQLError(
        `Too many failed sign-in attempts; try again in ${retryAfterSeconds} seconds.`,
        {
          extensions: { code: ErrorCode.RateLimited, retryAfterSeconds },
        },
      );
    }
  }

  recordFailure(email: string, address: string): void {
    this.increment(`account:${email}`);
    this.increment(`address:${address}`);
  }

  /** A successful sign-in clears the account's failures (not the address's). */
  recordSuccess(email: string): void {
    this.windows.delete(`account:${email}`);
  }

  private blockedUntil(key: string, limit: number): number {
    const window = this.current(key);
    return window && window.failures >= limit ? window.resetsAt : 0;
  }

  private increment(key: string): void {
    const window = this.current(key);
    if (window) window.failures++;
    else this.windows.set(key, { failures: 1, resetsAt: this.now() + this.limits.windowMs });
    if (this.windows.size > 100_000) this.prune();
  }

  private current(key: string): Window | undefined {
    const window = this.windows.get(key);
    if (window && window.resetsAt <= this.now()) {
      this.windows.delete(key);
      return undefined;
    }
    return window;
  }

  private prune(): void {
    const now = this.now();
    for (const [key, window] of this.windows) if (window.resetsAt <= now) this.windows.delete(key);
  }
}
