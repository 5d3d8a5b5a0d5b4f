import { GraphQLError } from "graphql";
import { LoginThrottle } from "./login-throttle";

describe("LoginThrottle", () => {
  let now = 0;
  const throttle = () =>
    new LoginThrottle({ perAccount: 3, perAddress: 5, windowMs: 60_000 }, () => now);

  beforeEach(() => {
    now = 1_000_000;
  });

  function rateLimited(fn: () => void): GraphQLError | undefined {
    try {
      fn();
      return undefined;
    } catch (error) {
      return error as GraphQLError;
    }
  }

  it("refuses an account after its failures reach the limit, until the window ends", () => {
    const limiter = throttle();
    for (let i = 0; i < 3; i++) {
      limiter.assertAllowed("a@x.test", "10.0.0.1");
      limiter.recordFailure("a@x.test", "10.0.0.1");
    }
    const error = rateLimited(() => limiter.assertAllowed("a@x.test", "10.0.0.2"));
    expect(error?.extensions).toEqual({ code: "RATE_LIMITED", retryAfterSeconds: 60 });
    now += 60_000;
    expect(rateLimited(() => limiter.assertAllowed("a@x.test", "10.0.0.2"))).toBeUndefined();
  });

  it("refuses an address that fails across many accounts", () => {
    const limiter = throttle();
    for (let i = 0; i < 5; i++) limiter.recordFailure(`user${i}@x.test`, "10.0.0.9");
    expect(
      rateLimited(() => limiter.assertAllowed("fresh@x.test", "10.0.0.9"))?.extensions.code,
    ).toBe("RATE_LIMITED");
    expect(rateLimited(() => limiter.assertAllowed("fresh@x.test", "10.0.0.10"))).toBeUndefined();
  });

  it("forgets an account's failures after a successful sign-in", () => {
    const limiter = throttle();
    limiter.recordFailure("a@x.test", "10.0.0.1");
    limiter.recordFailure("a@x.test", "10.0.0.1");
    limiter.recordSuccess("a@x.test");
    limiter.recordFailure("a@x.test", "10.0.0.1");
    limiter.recordFailure("a@x.test", "10.0.0.1");
    expect(rateLimited(() => limiter.assertAllowed("a@x.test", "10.0.0.3"))).toBeUndefined();
  });
});
