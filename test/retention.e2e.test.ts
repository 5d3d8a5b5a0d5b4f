import { sqlQueryCount } from "#kit/database/query-counter";
import { statementsOnSharedSnapshot } from "#kit/database/shared-snapshot";
import { SeededRandom } from "#kit/random";
import { useSupergraph, type SignedUp } from "./support/supergraph";
import {
  apiKey,
  createCustomers,
  identifyAll,
  randomId,
  referenceRetention,
  track,
  type ReferenceCohort,
  type RetentionQuery,
  type SentEvent,
} from "./support/people";

/**
 * retention through the gateway against the JavaScript reference of product.md's rules
 * (test/support/people.ts, which aligns intervals with Intl's calendar, not PostgreSQL's), on
 * 5,000 seeded random events of customers and visitors (identified before their events, after, or
 * never) around the spring and autumn DST changes of 2026, some exactly at a local midnight of
 * Berlin or New York and some a millisecond before one.
 */
// Every people query in 3 parts of the actors (ANALYTICS_PEOPLE_QUERY_PARTS), 3 statements on one
// snapshot, so that each comparison with the reference checks the split too.
const PARTS = 3;
const supergraph = useSupergraph({
  env: { GRAPHQL_MAX_COST: "1000000", ANALYTICS_PEOPLE_QUERY_PARTS: String(PARTS) },
});
let organization: SignedUp;
const sent: SentEvent[] = [];
const links = new Map<string, string>();
const TYPES = ["signup", "login", "login", "purchase"];

/** Local midnight of a date in a zone (the zones here change their clocks at 2 or 3 AM). */
function midnight(zone: string, year: number, month: number, day: number): number {
  const wall = Date.UTC(year, month - 1, day);
  const offset = (at: number) => {
    const parts = new Intl.DateTimeFormat("en-US", {
      timeZone: zone,
      hourCycle: "h23",
      year: "numeric",
      month: "numeric",
      day: "numeric",
      hour: "numeric",
    }).formatToParts(new Date(at));
    const get = (type: string) => Number(parts.find((p) => p.type === type)!.value);
    return (
      Date.UTC(get("year"), get("month") - 1, get("day"), get("hour")) -
      Math.floor(at / 3_600_000) * 3_600_000
    );
  };
  return wall - offset(wall - offset(wall));
}

beforeAll(async () => {
  organization = await supergraph.signUp();
  const key = await apiKey(supergraph, organization.accessToken, ["EVENTS_WRITE"]);
  const customers = await createCustomers(supergraph, organization.accessToken, 30, "retention");
  const random = new SeededRandom(11);
  const visitors = Array.from({ length: 100 }, (_, i) => `visitor-${i}`);
  const before = new Map(visitors.slice(0, 40).map((v, i) => [v, customers[i % 30]]));
  const after = new Map(visitors.slice(40, 70).map((v, i) => [v, customers[(i * 7) % 30]]));
  const spans = [
    [Date.UTC(2026, 0, 10), Date.UTC(2026, 4, 10)],
    [Date.UTC(2026, 9, 1), Date.UTC(2026, 11, 5)],
  ];
  for (let i = 0; i < 5_000; i++) {
    const [start, end] = random.pick(spans);
    let at = start + Math.floor(random.next() * (end - start));
    if (random.chance(0.1)) {
      // On a local midnight, or just before one.
      const date = new Date(at);
      const zone = random.pick(["Europe/Berlin", "America/New_York"]);
      at =
        midnight(zone, date.getUTCFullYear(), date.getUTCMonth() + 1, date.getUTCDate()) -
        (random.chance(0.5) ? 1 : 0);
    }
    const event: SentEvent = {
      id: randomId(random, "r"),
      type: random.pick(TYPES),
      timestamp: new Date(at).toISOString(),
      properties: { plan: random.pick(["free", "pro"]) },
    };
    const roll = random.next();
    if (roll < 0.4) event.customerId = random.pick(customers);
    else event.anonymousId = random.pick(visitors);
    sent.push(event);
  }
  await identifyAll(supergraph, key, before);
  for (const [v, c] of before) links.set(v, c);
  await track(supergraph, key, sent);
  await identifyAll(supergraph, key, after);
  for (const [v, c] of after) links.set(v, c);
});

const RETENTION = `
  query R($startEvent: String!, $returnEvent: String, $interval: Interval!, $periods: Int! = 8, $from: DateTime!, $to: DateTime!,
          $timezone: String! = "UTC", $type: RetentionType! = FIRST_TIME, $filter: EventFilter) {
    retention(startEvent: $startEvent, returnEvent: $returnEvent, interval: $interval, periods: $periods, from: $from, to: $to,
              timezone: $timezone, type: $type, filter: $filter) {
      interval timezone
      cohorts { start size values rates customers(first: 100) { totalCount edges { node { id } } pageInfo { hasNextPage } } }
    }
  }`;

async function retention(query: RetentionQuery) {
  const { body } = await supergraph.request(RETENTION, {
    token: organization.accessToken,
    variables: { ...query },
  });
  return body;
}

async function expectLikeReference(query: RetentionQuery): Promise<ReferenceCohort[]> {
  const body = await retention(query);
  expect(body.errors).toBeUndefined();
  const want = referenceRetention(sent, links, query);
  const got = body.data!.retention.cohorts.map((cohort: any) => {
    expect(cohort.customers.pageInfo.hasNextPage).toBe(false);
    expect(cohort.rates).toEqual(
      cohort.values.map((v: number) => (cohort.size ? v / cohort.size : 0)),
    );
    return {
      start: cohort.start,
      size: cohort.size,
      values: cohort.values,
      customers: cohort.customers.edges.map((edge: any) => edge.node.id),
    };
  });
  expect(got).toEqual(want);
  return want;
}

const hours = (cohorts: ReferenceCohort[]) =>
  cohorts.slice(1).map((c, i) => (Date.parse(c.start) - Date.parse(cohorts[i].start)) / 3_600_000);

describe("retention equals the reference", () => {
  it("FIRST_TIME by WEEK in Europe/Berlin across the spring change: a week of 167 hours", async () => {
    const want = await expectLikeReference({
      startEvent: "signup",
      returnEvent: "login",
      interval: "WEEK",
      from: "2026-02-25T10:00:00Z",
      to: "2026-04-20T00:00:00Z",
      timezone: "Europe/Berlin",
    });
    expect(want[0].start).toBe("2026-02-22T23:00:00.000Z");
    expect(hours(want)).toContain(167);
    expect(want.some((c) => c.size > 0 && c.values.slice(1).some((v) => v > 0))).toBe(true);
  });

  it("RECURRING by DAY in America/New_York across the spring change: a day of 23 hours", async () => {
    const want = await expectLikeReference({
      startEvent: "login",
      returnEvent: "purchase",
      interval: "DAY",
      periods: 5,
      from: "2026-03-01T05:00:00Z",
      to: "2026-03-20T04:00:00Z",
      timezone: "America/New_York",
      type: "RECURRING",
    });
    expect(hours(want)).toContain(23);
  });

  it("RECURRING by DAY in Europe/Berlin across the autumn change: a day of 25 hours", async () => {
    const want = await expectLikeReference({
      startEvent: "login",
      interval: "DAY",
      periods: 10,
      from: "2026-10-20T00:00:00Z",
      to: "2026-11-03T00:00:00Z",
      timezone: "Europe/Berlin",
      type: "RECURRING",
    });
    expect(hours(want)).toContain(25);
  });

  it("FIRST_TIME by WEEK in America/New_York across the autumn change: a week of 169 hours", async () => {
    const want = await expectLikeReference({
      startEvent: "login",
      returnEvent: "purchase",
      interval: "WEEK",
      periods: 4,
      from: "2026-10-05T04:00:00Z",
      to: "2026-12-05T00:00:00Z",
      timezone: "America/New_York",
    });
    expect(hours(want)).toContain(169);
  });

  it("by MONTH in UTC over the year, first time only once per actor", async () => {
    const want = await expectLikeReference({
      startEvent: "signup",
      returnEvent: "purchase",
      interval: "MONTH",
      periods: 12,
      from: "2026-01-01T00:00:00Z",
      to: "2027-01-01T00:00:00Z",
    });
    expect(want).toHaveLength(12);
  });

  it("with the start events filtered, and a range cut inside a week", async () => {
    await expectLikeReference({
      startEvent: "login",
      interval: "WEEK",
      from: "2026-03-04T12:00:00Z",
      to: "2026-04-01T12:00:00Z",
      timezone: "Europe/Berlin",
      type: "RECURRING",
      filter: { properties: { plan: "pro" } },
    });
  });

  it("over a range without events: empty cohorts, every one of them", async () => {
    const want = await expectLikeReference({
      startEvent: "signup",
      interval: "DAY",
      from: "2025-06-01T00:00:00Z",
      to: "2025-06-05T00:00:00Z",
    });
    expect(want.map((c) => c.values)).toEqual([[0, 0, 0, 0], [0, 0, 0], [0, 0], [0]]);
  });
});

describe("customers of the cohorts", () => {
  it("costs one SQL statement per part of the actors for the table and one for every cohort's page, whatever the pages", async () => {
    const query = `{ retention(startEvent: "login", interval: WEEK, from: "2026-02-02T00:00:00Z", to: "2026-04-27T00:00:00Z", type: RECURRING) {
      cohorts { size first: customers(first: 2) { edges { node { id } } pageInfo { endCursor } }
                all: customers(first: 100) { totalCount edges { node { id } } } } } }`;
    const before = sqlQueryCount("analytics");
    const { body } = await supergraph.request(query, { token: organization.accessToken });
    expect(body.errors).toBeUndefined();
    expect(sqlQueryCount("analytics") - before).toBe(statementsOnSharedSnapshot(PARTS) + 1);
    const cohorts = body.data!.retention.cohorts;
    expect(cohorts.length).toBe(12);
    for (const cohort of cohorts) {
      expect(cohort.first.edges).toEqual(cohort.all.edges.slice(0, 2));
      expect(cohort.all.totalCount).toBe(cohort.all.edges.length);
    }
  });

  it("pages through a cohort's customers with first and after", async () => {
    const query: RetentionQuery = {
      startEvent: "login",
      interval: "MONTH",
      from: "2026-01-01T00:00:00Z",
      to: "2026-05-01T00:00:00Z",
      type: "RECURRING",
    };
    const want = referenceRetention(sent, links, query)[1].customers;
    expect(want.length).toBeGreaterThan(10);
    const seen: string[] = [];
    let after: string | null = null;
    for (let page = 0; page < 20; page++) {
      const { body } = await supergraph.request(
        `query($after: String) { retention(startEvent: "login", interval: MONTH, from: "2026-01-01T00:00:00Z", to: "2026-05-01T00:00:00Z", type: RECURRING) {
          cohorts { customers(first: 3, after: $after) { totalCount edges { node { id } } pageInfo { hasNextPage endCursor } } } } }`,
        { token: organization.accessToken, variables: { after } },
      );
      expect(body.errors).toBeUndefined();
      const connection: any = body.data!.retention.cohorts[1].customers;
      expect(connection.totalCount).toBe(want.length);
      seen.push(...connection.edges.map((edge: any) => edge.node.id));
      if (!connection.pageInfo.hasNextPage) break;
      after = connection.pageInfo.endCursor;
    }
    expect(seen).toEqual(want);
  });
});

describe("bad input", () => {
  const base = {
    startEvent: "login",
    interval: "WEEK",
    from: "2026-03-01T00:00:00Z",
    to: "2026-04-01T00:00:00Z",
  };
  it.each([
    ["an interval of HOUR", { interval: "HOUR" }, "interval"],
    ["an interval of MINUTE", { interval: "MINUTE" }, "interval"],
    ["periods of 0", { periods: 0 }, "periods"],
    ["periods of 101", { periods: 101 }, "periods"],
    ["an empty startEvent", { startEvent: "" }, "startEvent"],
    ["a returnEvent over 64 characters", { returnEvent: "x".repeat(65) }, "returnEvent"],
    ["from after to", { from: "2026-04-02T00:00:00Z" }, "from"],
    ["an unknown time zone", { timezone: "Mars/Olympus" }, "timezone"],
    ["over 400 cohorts", { interval: "DAY", from: "2024-01-01T00:00:00Z" }, "interval"],
    [
      "a filter's customer that is not a UUID",
      { filter: { customerId: "nope" } },
      "filter.customerId",
    ],
  ])("refuses %s with BAD_USER_INPUT naming the argument", async (_name, change, field) => {
    const { body } = await supergraph.request(RETENTION, {
      token: organization.accessToken,
      variables: { ...base, ...change },
    });
    expect(body.errors?.[0]?.extensions).toMatchObject({ code: "BAD_USER_INPUT", field });
  });
});
