import { sqlQueryCount } from "#kit/database/query-counter";
import { statementsOnSharedSnapshot } from "#kit/database/shared-snapshot";
import { SeededRandom } from "#kit/random";
import {
  intervalStarts,
  randomPeopleEvents,
  referenceStickiness,
  seedPeople,
  type IntervalQuery,
} from "./support/insights";
import type { SentEvent } from "./support/people";
import { useSupergraph, type SignedUp } from "./support/supergraph";

/**
 * stickiness through the gateway against the JavaScript reference of product.md's rule
 * (test/support/insights.ts, aligning intervals with Intl's calendar), on 5,000 seeded random
 * events of customers and visitors (identified before their events, after, or never) around the
 * DST changes of 2026, some exactly at a local midnight, a millisecond before one, or at the same
 * instant as another event.
 */
// Every people query in 3 parts of the actors (ANALYTICS_PEOPLE_QUERY_PARTS), 3 statements on one
// snapshot, so that each comparison with the reference checks the split too.
const PARTS = 3;
const supergraph = useSupergraph({ env: { ANALYTICS_PEOPLE_QUERY_PARTS: String(PARTS) } });
let organization: SignedUp;
let sent: SentEvent[];
let links: Map<string, string>;

beforeAll(async () => {
  const random = new SeededRandom(21);
  ({ organization, sent, links } = await seedPeople(supergraph, (customers, visitors) =>
    randomPeopleEvents(
      random,
      5_000,
      ["login", "login", "signup", "purchase"],
      customers,
      visitors,
      "s",
    ),
  ));
});

const STICKINESS = `
  query S($event: String!, $from: DateTime!, $to: DateTime!, $interval: Interval, $timezone: String, $filter: EventFilter) {
    stickiness(event: $event, from: $from, to: $to, interval: $interval, timezone: $timezone, filter: $filter) { intervals actors }
  }`;

async function stickiness(query: IntervalQuery) {
  const { body } = await supergraph.request(STICKINESS, {
    token: organization.accessToken,
    variables: { ...query },
  });
  return body;
}

async function expectLikeReference(query: IntervalQuery) {
  const body = await stickiness(query);
  expect(body.errors).toBeUndefined();
  const want = referenceStickiness(sent, links, query);
  expect(body.data!.stickiness).toEqual(want);
  return want;
}

const total = (buckets: { actors: number }[]) => buckets.reduce((sum, b) => sum + b.actors, 0);

describe("stickiness equals the reference", () => {
  it("by DAY (the default) in UTC over 30 days: one bucket per day, several filled", async () => {
    const want = await expectLikeReference({
      event: "login",
      from: "2026-03-01T00:00:00Z",
      to: "2026-03-31T00:00:00Z",
    });
    expect(want).toHaveLength(30);
    expect(want.filter((b) => b.actors > 0).length).toBeGreaterThan(3);
  });

  it("by DAY in Europe/Berlin across the spring change (a day of 23 hours)", async () => {
    const query: IntervalQuery = {
      event: "login",
      from: "2026-03-20T00:00:00Z",
      to: "2026-04-05T00:00:00Z",
      interval: "DAY",
      timezone: "Europe/Berlin",
    };
    const starts = intervalStarts(
      "Europe/Berlin",
      "DAY",
      Date.parse(query.from),
      Date.parse(query.to),
    );
    expect(starts.slice(1).map((s, i) => (s - starts[i]) / 3_600_000)).toContain(23);
    const want = await expectLikeReference(query);
    expect(want).toHaveLength(starts.length);
    expect(total(want)).toBeGreaterThan(0);
  });

  it("by DAY in America/New_York across the autumn change (a day of 25 hours)", async () => {
    const want = await expectLikeReference({
      event: "purchase",
      from: "2026-10-25T12:00:00Z",
      to: "2026-11-08T00:00:00Z",
      interval: "DAY",
      timezone: "America/New_York",
    });
    expect(total(want)).toBeGreaterThan(0);
  });

  it("by WEEK in Europe/Berlin across the autumn change, from inside a week (rounded down)", async () => {
    const want = await expectLikeReference({
      event: "login",
      from: "2026-10-07T15:00:00Z",
      to: "2026-11-20T00:00:00Z",
      interval: "WEEK",
      timezone: "Europe/Berlin",
    });
    expect(want.filter((b) => b.actors > 0).length).toBeGreaterThan(2);
  });

  it("by MONTH in UTC from January to May", async () => {
    await expectLikeReference({
      event: "signup",
      from: "2026-01-01T00:00:00Z",
      to: "2026-05-10T00:00:00Z",
      interval: "MONTH",
    });
  });

  it("with a filter on a property and on a customer (whose identified visitors count as it)", async () => {
    await expectLikeReference({
      event: "login",
      from: "2026-02-01T00:00:00Z",
      to: "2026-04-01T00:00:00Z",
      interval: "WEEK",
      filter: { properties: { plan: "pro" } },
    });
    const linked = [...links.values()][0];
    const want = await expectLikeReference({
      event: "login",
      from: "2026-01-10T00:00:00Z",
      to: "2026-05-10T00:00:00Z",
      interval: "WEEK",
      filter: { customerId: linked },
    });
    expect(total(want)).toBe(1);
  });

  it("counts a visitor identified after its events as its customer, once", async () => {
    // The customer and its visitor together are one actor: as many actors as the reference.
    const want = await expectLikeReference({
      event: "login",
      from: "2026-01-10T00:00:00Z",
      to: "2026-05-10T00:00:00Z",
      interval: "MONTH",
    });
    const actors = new Set(
      sent
        .filter((e) => e.type === "login" && (e.customerId || e.anonymousId))
        .filter((e) => e.timestamp >= "2026-01" && e.timestamp < "2026-05-10")
        .map((e) => e.customerId ?? links.get(e.anonymousId!) ?? `anon:${e.anonymousId}`),
    );
    expect(total(want)).toBe(actors.size);
    expect(actors.size).toBeLessThan(130);
  });

  it("over a range without events: N buckets of 0", async () => {
    const want = await expectLikeReference({
      event: "login",
      from: "2026-07-01T00:00:00Z",
      to: "2026-07-08T00:00:00Z",
    });
    expect(want).toEqual(Array.from({ length: 7 }, (_, i) => ({ intervals: i + 1, actors: 0 })));
  });

  it("costs one SQL statement per part of the actors", async () => {
    const before = sqlQueryCount("analytics");
    const body = await stickiness({
      event: "login",
      from: "2026-03-01T00:00:00Z",
      to: "2026-04-01T00:00:00Z",
    });
    expect(body.errors).toBeUndefined();
    expect(sqlQueryCount("analytics") - before).toBe(statementsOnSharedSnapshot(PARTS));
  });
});

describe("bad input", () => {
  const base = { event: "login", from: "2026-03-01T00:00:00Z", to: "2026-04-01T00:00:00Z" };
  it.each([
    ["an interval of HOUR", { interval: "HOUR" }, "interval"],
    ["an interval of MINUTE", { interval: "MINUTE" }, "interval"],
    ["an empty event", { event: "" }, "event"],
    ["a blank event", { event: "   " }, "event"],
    ["an event over 64 characters", { event: "x".repeat(65) }, "event"],
    ["from equal to to", { from: "2026-04-01T00:00:00Z" }, "from"],
    ["from after to", { from: "2026-04-02T00:00:00Z" }, "from"],
    ["an unknown time zone", { timezone: "Mars/Olympus" }, "timezone"],
    ["over 400 days", { from: "2025-01-01T00:00:00Z" }, "interval"],
    [
      "a filter's customer that is not a UUID",
      { filter: { customerId: "nope" } },
      "filter.customerId",
    ],
  ])("refuses %s with BAD_USER_INPUT naming the argument", async (_name, change, field) => {
    const { body } = await supergraph.request(STICKINESS, {
      token: organization.accessToken,
      variables: { ...base, ...change },
    });
    expect(body.errors?.[0]?.extensions).toMatchObject({ code: "BAD_USER_INPUT", field });
  });
});
