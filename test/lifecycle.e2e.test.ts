import { sqlQueryCount } from "#kit/database/query-counter";
import { statementsOnSharedSnapshot } from "#kit/database/shared-snapshot";
import { SeededRandom } from "#kit/random";
import {
  intervalStarts,
  randomPeopleEvents,
  referenceLifecycle,
  seedPeople,
  type IntervalQuery,
  type ReferencePoint,
} from "./support/insights";
import type { SentEvent } from "./support/people";
import { useSupergraph, type SignedUp } from "./support/supergraph";

/**
 * lifecycle through the gateway against the JavaScript reference of product.md's rule
 * (test/support/insights.ts, aligning intervals with Intl's calendar), on 5,000 seeded random
 * events of customers and visitors (identified before their events, after, or never) from January
 * to May and October to early December 2026 (so events before `from` decide "first ever",
 * "previous" and "some time before"), some exactly at a local midnight, a millisecond before one,
 * or at the same instant as another event.
 */
// Every people query in 3 parts of the actors (ANALYTICS_PEOPLE_QUERY_PARTS), 3 statements on one
// snapshot, so that each comparison with the reference checks the split too.
const PARTS = 3;
const supergraph = useSupergraph({ env: { ANALYTICS_PEOPLE_QUERY_PARTS: String(PARTS) } });
let organization: SignedUp;
let sent: SentEvent[];
let links: Map<string, string>;

beforeAll(async () => {
  const random = new SeededRandom(22);
  ({ organization, sent, links } = await seedPeople(supergraph, (customers, visitors) =>
    randomPeopleEvents(
      random,
      5_000,
      ["login", "login", "signup", "purchase"],
      customers,
      visitors,
      "l",
    ),
  ));
});

const LIFECYCLE = `
  query L($event: String!, $from: DateTime!, $to: DateTime!, $interval: Interval!, $timezone: String, $filter: EventFilter) {
    lifecycle(event: $event, from: $from, to: $to, interval: $interval, timezone: $timezone, filter: $filter) {
      bucket new returning resurrecting dormant
    }
  }`;

async function lifecycle(query: IntervalQuery) {
  const { body } = await supergraph.request(LIFECYCLE, {
    token: organization.accessToken,
    variables: { interval: "DAY", ...query },
  });
  return body;
}

async function expectLikeReference(query: IntervalQuery): Promise<ReferencePoint[]> {
  const body = await lifecycle(query);
  expect(body.errors).toBeUndefined();
  const want = referenceLifecycle(sent, links, query);
  expect(body.data!.lifecycle).toEqual(want);
  for (const point of want) expect(point.dormant).toBeGreaterThanOrEqual(0);
  return want;
}

const sum = (points: ReferencePoint[], kind: Exclude<keyof ReferencePoint, "bucket">) =>
  points.reduce((total, point) => total + point[kind], 0);

describe("lifecycle equals the reference", () => {
  it("by DAY in UTC over 30 days: every kind occurs, the first day's previous day before from", async () => {
    const want = await expectLikeReference({
      event: "login",
      from: "2026-03-01T00:00:00Z",
      to: "2026-03-31T00:00:00Z",
      interval: "DAY",
    });
    expect(want).toHaveLength(30);
    for (const kind of ["new", "returning", "resurrecting", "dormant"] as const)
      expect(sum(want, kind)).toBeGreaterThan(0);
    // Actors of 28 February make the first day's returning or dormant.
    expect(want[0].returning + want[0].dormant).toBeGreaterThan(0);
  });

  it("by DAY in Europe/Berlin across the spring change (a day of 23 hours)", async () => {
    const query: IntervalQuery = {
      event: "login",
      from: "2026-03-22T10:00:00Z",
      to: "2026-04-06T00:00:00Z",
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
    expect(want[0].bucket).toBe("2026-03-21T23:00:00.000Z");
  });

  it("by DAY in America/New_York across the autumn change (a day of 25 hours)", async () => {
    await expectLikeReference({
      event: "login",
      from: "2026-10-25T00:00:00Z",
      to: "2026-11-10T00:00:00Z",
      interval: "DAY",
      timezone: "America/New_York",
    });
  });

  it("by WEEK in America/New_York across the autumn change (a week of 169 hours)", async () => {
    const want = await expectLikeReference({
      event: "login",
      from: "2026-10-12T00:00:00Z",
      to: "2026-12-05T00:00:00Z",
      interval: "WEEK",
      timezone: "America/New_York",
    });
    const hours = want
      .slice(1)
      .map((p, i) => (Date.parse(p.bucket) - Date.parse(want[i].bucket)) / 3_600_000);
    expect(hours).toContain(169);
  });

  it("by MONTH in Europe/Berlin: October resurrects the spring's actors", async () => {
    const want = await expectLikeReference({
      event: "purchase",
      from: "2026-03-01T00:00:00Z",
      to: "2026-12-01T00:00:00Z",
      interval: "MONTH",
      timezone: "Europe/Berlin",
    });
    const october = want.find((p) => p.bucket === "2026-09-30T22:00:00.000Z")!;
    expect(october.resurrecting).toBeGreaterThan(0);
    expect(october.returning).toBe(0);
  });

  it("with a filter on a property, the events before from filtered too", async () => {
    await expectLikeReference({
      event: "signup",
      from: "2026-02-01T00:00:00Z",
      to: "2026-05-01T00:00:00Z",
      interval: "WEEK",
      filter: { properties: { plan: "free" } },
    });
  });

  it("with a filter on a customer: its visitors identified before and after are the same actor", async () => {
    const linked = [...links.values()][5];
    const want = await expectLikeReference({
      event: "login",
      from: "2026-01-05T00:00:00Z",
      to: "2026-05-11T00:00:00Z",
      interval: "WEEK",
      filter: { customerId: linked },
    });
    expect(sum(want, "new")).toBe(1);
  });

  it("after the last events: dormant once, then nothing; over the summer: nothing at all", async () => {
    const after = await expectLikeReference({
      event: "login",
      from: "2026-12-05T00:00:00Z",
      to: "2026-12-12T00:00:00Z",
      interval: "DAY",
    });
    expect(after[0].dormant).toBeGreaterThan(0);
    expect(
      after.slice(1).every((p) => p.dormant + p.new + p.returning + p.resurrecting === 0),
    ).toBe(true);
    const summer = await expectLikeReference({
      event: "login",
      from: "2026-07-01T00:00:00Z",
      to: "2026-07-08T00:00:00Z",
      interval: "DAY",
    });
    expect(summer.every((p) => p.dormant + p.new + p.returning + p.resurrecting === 0)).toBe(true);
  });

  it("costs one SQL statement per part of the actors", async () => {
    const before = sqlQueryCount("analytics");
    const body = await lifecycle({
      event: "login",
      from: "2026-03-01T00:00:00Z",
      to: "2026-04-01T00:00:00Z",
    });
    expect(body.errors).toBeUndefined();
    expect(sqlQueryCount("analytics") - before).toBe(statementsOnSharedSnapshot(PARTS));
  });
});

describe("bad input", () => {
  const base = {
    event: "login",
    from: "2026-03-01T00:00:00Z",
    to: "2026-04-01T00:00:00Z",
    interval: "DAY",
  };
  it.each([
    ["an interval of HOUR", { interval: "HOUR" }, "interval"],
    ["an empty event", { event: "" }, "event"],
    ["a blank event", { event: " " }, "event"],
    ["from equal to to", { from: "2026-04-01T00:00:00Z" }, "from"],
    ["from after to", { from: "2026-05-01T00:00:00Z" }, "from"],
    ["an unknown time zone", { timezone: "Europe/Atlantis" }, "timezone"],
    ["over 400 weeks", { interval: "WEEK", from: "2018-01-01T00:00:00Z" }, "interval"],
    [
      "a filter's campaign that is not a UUID",
      { filter: { campaignId: "x" } },
      "filter.campaignId",
    ],
  ])("refuses %s with BAD_USER_INPUT naming the argument", async (_name, change, field) => {
    const { body } = await supergraph.request(LIFECYCLE, {
      token: organization.accessToken,
      variables: { ...base, ...change },
    });
    expect(body.errors?.[0]?.extensions).toMatchObject({ code: "BAD_USER_INPUT", field });
  });

  it("needs an interval (it has no default)", async () => {
    const { body } = await supergraph.request(
      `{ lifecycle(event: "login", from: "2026-03-01T00:00:00Z", to: "2026-04-01T00:00:00Z") { bucket } }`,
      { token: organization.accessToken },
    );
    expect(body.errors?.[0]?.extensions?.code).toBe("GRAPHQL_VALIDATION_FAILED");
  });
});
