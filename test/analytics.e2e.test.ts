import { randomUUID } from "node:crypto";
import type { DataSource } from "typeorm";
import { createAnalyticsDataSource } from "../subgraphs/analytics/src/data-source";
import { BUILT_IN_METRICS } from "../subgraphs/analytics/src/modules/metric/metric-spec";
import { Interval } from "../subgraphs/analytics/src/modules/timeseries/interval";
import {
  queryMetrics,
  type ReadPath,
} from "../subgraphs/analytics/src/modules/timeseries/metric-query";
import { withDatabase } from "#kit/database/database-url";
import { useSupergraph, type SignedUp } from "./support/supergraph";
import { TEST_ENV } from "./support/test-database";

const supergraph = useSupergraph();

const TRACK = `mutation($events: [EventInput!]!) { trackEvents(events: $events) { accepted duplicates rejected { index reason } } }`;
const SERIES = `query($metric: String!, $from: DateTime!, $to: DateTime!, $interval: Interval!, $timezone: String, $filter: EventFilter, $groupBy: String, $fill: Boolean, $compare: Boolean) {
  timeseries(metric: $metric, from: $from, to: $to, interval: $interval, timezone: $timezone, filter: $filter, groupBy: $groupBy, fill: $fill, compare: $compare) {
    metric interval timezone total previousTotal points { bucket value group } } }`;

async function ingestKey(owner: SignedUp): Promise<string> {
  const { body } = await supergraph.request(
    `mutation { createApiKey(name: "ingest", scopes: [EVENTS_WRITE]) { secret } }`,
    { token: owner.accessToken },
  );
  return body.data!.createApiKey.secret;
}

async function track(key: string, events: Record<string, unknown>[]) {
  const { body } = await supergraph.request(TRACK, {
    authorization: `ApiKey ${key}`,
    variables: { events },
  });
  return body;
}

async function series(owner: SignedUp, variables: Record<string, unknown>) {
  return (await supergraph.request(SERIES, { token: owner.accessToken, variables })).body;
}

describe("trackEvents", () => {
  let owner: SignedUp;
  let key: string;

  beforeAll(async () => {
    owner = await supergraph.signUp();
    key = await ingestKey(owner);
  });

  it("stores valid events and reports each invalid one by index with its reason", async () => {
    const now = Date.now();
    const body = await track(key, [
      {
        id: "ok-1",
        type: "purchase",
        timestamp: new Date(now - 60_000).toISOString(),
        value: 12.5,
        customerId: randomUUID(),
        properties: { category: "books" },
      },
      { id: "future", type: "page_view", timestamp: new Date(now + 10 * 60_000).toISOString() },
      { id: "ancient", type: "page_view", timestamp: "1999-12-31T23:59:59Z" },
      {
        id: "big",
        type: "page_view",
        timestamp: new Date(now).toISOString(),
        properties: { blob: "x".repeat(9_000) },
      },
      {
        id: "bad-customer",
        type: "page_view",
        timestamp: new Date(now).toISOString(),
        customerId: "not-a-uuid",
      },
      { id: "no-type", type: " ", timestamp: new Date(now).toISOString() },
      { id: "ok-2", type: "page_view", timestamp: new Date(now - 1_000).toISOString() },
    ]);
    expect(body.errors).toBeUndefined();
    expect(body.data!.trackEvents).toEqual({
      accepted: 2,
      duplicates: 0,
      rejected: [
        { index: 1, reason: expect.stringContaining("future") },
        { index: 2, reason: expect.stringContaining("before 2000") },
        { index: 3, reason: expect.stringContaining("8192 bytes") },
        { index: 4, reason: expect.stringContaining("not a UUID") },
        { index: 5, reason: expect.stringContaining("type") },
      ],
    });
    const stored = await supergraph.sql(
      "analytics",
      "SELECT id FROM events WHERE organization_id = $1 ORDER BY id",
      [owner.organizationId],
    );
    expect(stored.map((row) => row.id)).toEqual(["ok-1", "ok-2"]);
  });

  it("gives events without an id one of their own, so identical ones are both stored", async () => {
    const event = { type: "signup", timestamp: "2026-01-05T10:00:00Z" };
    const body = await track(key, [event, event]);
    expect(body.data!.trackEvents).toMatchObject({ accepted: 2, duplicates: 0 });
  });

  it("stores each event exactly once under concurrent replays, rollups included", async () => {
    const batch = Array.from({ length: 500 }, (_, i) => ({
      id: `replay-${i}`,
      type: i % 2 ? "purchase" : "page_view",
      timestamp: new Date(Date.UTC(2026, 0, 10, 12, i % 60)).toISOString(),
      value: i % 2 ? i : null,
    }));
    const results = await Promise.all(Array.from({ length: 5 }, () => track(key, batch)));
    const accepted = results.reduce((sum, body) => sum + body.data!.trackEvents.accepted, 0);
    const duplicates = results.reduce((sum, body) => sum + body.data!.trackEvents.duplicates, 0);
    expect(accepted).toBe(500);
    expect(duplicates).toBe(2_000);
    const [events] = await supergraph.sql(
      "analytics",
      "SELECT count(*)::int AS n, sum(value)::float8 AS total FROM events WHERE organization_id = $1 AND id LIKE 'replay-%'",
      [owner.organizationId],
    );
    expect(events.n).toBe(500);
    for (const table of ["event_rollups_minute", "event_rollups_hour", "event_type_rollups_hour"]) {
      const [rollup] = await supergraph.sql(
        "analytics",
        `SELECT sum(count)::int AS n, sum(value_sum)::float8 AS total FROM ${table} WHERE organization_id = $1 AND bucket >= '2026-01-10T12:00:00Z' AND bucket < '2026-01-10T13:00:00Z'`,
        [owner.organizationId],
      );
      expect(rollup).toEqual(events);
    }
  });

  it("refuses a batch over 10,000 events and a non-numeric value as a whole, writing nothing", async () => {
    const tooMany = Array.from({ length: 10_001 }, (_, i) => ({
      id: `many-${i}`,
      type: "page_view",
      timestamp: "2026-01-01T00:00:00Z",
    }));
    const big = await track(key, tooMany);
    expect(big.errors![0].extensions).toMatchObject({ code: "BAD_USER_INPUT", field: "events" });
    const nan = await track(key, [
      { id: "nan-1", type: "purchase", timestamp: "2026-01-01T00:00:00Z" },
      { id: "nan-2", type: "purchase", timestamp: "2026-01-01T00:00:00Z", value: "abc" },
    ]);
    expect(nan.errors![0].extensions!.code).toBe("BAD_USER_INPUT");
    const rows = await supergraph.sql(
      "analytics",
      "SELECT id FROM events WHERE organization_id = $1 AND (id LIKE 'many-%' OR id LIKE 'nan-%')",
      [owner.organizationId],
    );
    expect(rows).toEqual([]);
  });

  it("lets an EVENTS_WRITE key track but not read, and refuses a VIEWER", async () => {
    const read = await supergraph.request(`{ metrics { name } }`, {
      authorization: `ApiKey ${key}`,
    });
    expect(read.body.errors![0].extensions!.code).toBe("FORBIDDEN");
    const viewer = await supergraph.login("viewer@acme.test");
    const { body } = await supergraph.request(TRACK, {
      token: viewer,
      variables: { events: [{ type: "x", timestamp: "2026-01-01T00:00:00Z" }] },
    });
    expect(body.errors![0].extensions!.code).toBe("FORBIDDEN");
  });
});

describe("timeseries", () => {
  let owner: SignedUp;

  beforeAll(async () => {
    owner = await supergraph.signUp();
    const key = await ingestKey(owner);
    const at = (
      iso: string,
      type: string,
      value?: number,
      properties?: Record<string, unknown>,
    ) => ({ type, timestamp: iso, value, properties });
    await track(key, [
      at("2026-03-02T10:00:00Z", "purchase", 10),
      at("2026-03-02T23:30:00Z", "purchase", 20),
      at("2026-03-04T08:00:00Z", "purchase", 30),
      at("2026-03-04T09:00:00Z", "page_view"),
      // Around Berlin's switch to summer time on Sunday 29 March 2026 (02:00 -> 03:00 local).
      at("2026-03-28T22:30:00Z", "page_view"), // 28 Mar 23:30 CET
      at("2026-03-29T00:30:00Z", "page_view"), // 29 Mar 01:30 CET
      at("2026-03-29T01:30:00Z", "page_view"), // 29 Mar 03:30 CEST
      at("2026-03-29T21:59:00Z", "page_view"), // 29 Mar 23:59 CEST
      at("2026-03-29T22:00:00Z", "page_view"), // 30 Mar 00:00 CEST
    ]);
  });

  it("aligns DAY buckets in UTC and fills the empty ones with 0", async () => {
    const body = await series(owner, {
      metric: "revenue",
      from: "2026-03-01T00:00:00Z",
      to: "2026-03-06T00:00:00Z",
      interval: "DAY",
    });
    expect(body.errors).toBeUndefined();
    expect(body.data!.timeseries).toEqual({
      metric: "revenue",
      interval: "DAY",
      timezone: "UTC",
      total: 60,
      previousTotal: null,
      points: [
        { bucket: "2026-03-01T00:00:00.000Z", value: 0, group: null },
        { bucket: "2026-03-02T00:00:00.000Z", value: 30, group: null },
        { bucket: "2026-03-03T00:00:00.000Z", value: 0, group: null },
        { bucket: "2026-03-04T00:00:00.000Z", value: 30, group: null },
        { bucket: "2026-03-05T00:00:00.000Z", value: 0, group: null },
      ],
    });
    const unfilled = await series(owner, {
      metric: "revenue",
      from: "2026-03-01T00:00:00Z",
      to: "2026-03-06T00:00:00Z",
      interval: "DAY",
      fill: false,
    });
    expect(unfilled.data!.timeseries.points.map((p: any) => p.bucket)).toEqual([
      "2026-03-02T00:00:00.000Z",
      "2026-03-04T00:00:00.000Z",
    ]);
  });

  it("aligns buckets in a time zone, across the daylight saving change", async () => {
    const days = await series(owner, {
      metric: "page_views",
      from: "2026-03-27T23:00:00Z",
      to: "2026-03-30T22:00:00Z",
      interval: "DAY",
      timezone: "Europe/Berlin",
    });
    expect(days.data!.timeseries.points).toEqual([
      { bucket: "2026-03-27T23:00:00.000Z", value: 1, group: null }, // 28 Mar, 24 h
      { bucket: "2026-03-28T23:00:00.000Z", value: 3, group: null }, // 29 Mar, 23 h
      { bucket: "2026-03-29T22:00:00.000Z", value: 1, group: null }, // 30 Mar
    ]);
    const berlinDay = await series(owner, {
      metric: "revenue",
      from: "2026-03-02T00:00:00Z",
      to: "2026-03-05T00:00:00Z",
      interval: "DAY",
      timezone: "Europe/Berlin",
      fill: false,
    });
    // 23:30 UTC on the 2nd is already the 3rd in Berlin.
    expect(berlinDay.data!.timeseries.points).toEqual([
      { bucket: "2026-03-01T23:00:00.000Z", value: 10, group: null },
      { bucket: "2026-03-02T23:00:00.000Z", value: 20, group: null },
      { bucket: "2026-03-03T23:00:00.000Z", value: 30, group: null },
    ]);
    const hours = await series(owner, {
      metric: "page_views",
      from: "2026-03-29T00:00:00Z",
      to: "2026-03-29T03:00:00Z",
      interval: "HOUR",
      timezone: "Europe/Berlin",
    });
    expect(hours.data!.timeseries.points.map((p: any) => [p.bucket, p.value])).toEqual([
      ["2026-03-29T00:00:00.000Z", 1],
      ["2026-03-29T01:00:00.000Z", 1],
      ["2026-03-29T02:00:00.000Z", 0],
    ]);
  });

  it("adds the previous period with compare", async () => {
    const body = await series(owner, {
      metric: "orders",
      from: "2026-03-04T00:00:00Z",
      to: "2026-03-06T00:00:00Z",
      interval: "DAY",
      compare: true,
    });
    expect(body.data!.timeseries).toMatchObject({ total: 1, previousTotal: 2 });
  });

  it.each([
    [
      "from after to",
      { from: "2026-03-06T00:00:00Z", to: "2026-03-01T00:00:00Z", interval: "DAY" },
      /from must be before to/,
    ],
    [
      "an unknown time zone",
      {
        from: "2026-03-01T00:00:00Z",
        to: "2026-03-06T00:00:00Z",
        interval: "DAY",
        timezone: "Mars/Olympus",
      },
      /IANA time zone/,
    ],
    [
      "too many buckets",
      { from: "2026-01-01T00:00:00Z", to: "2026-03-01T00:00:00Z", interval: "MINUTE" },
      /at most 5000 are allowed\. Use interval HOUR/,
    ],
    [
      "an unknown metric",
      { metric: "nope", from: "2026-03-01T00:00:00Z", to: "2026-03-06T00:00:00Z", interval: "DAY" },
      /Unknown metric 'nope'\. Known metrics: events, unique_customers, revenue/,
    ],
    [
      "a malformed filter",
      {
        from: "2026-03-01T00:00:00Z",
        to: "2026-03-06T00:00:00Z",
        interval: "DAY",
        filter: { customerId: "42" },
      },
      /not a UUID/,
    ],
    [
      "a property filter that is not an object",
      {
        from: "2026-03-01T00:00:00Z",
        to: "2026-03-06T00:00:00Z",
        interval: "DAY",
        filter: { properties: [1] },
      },
      /JSON object/,
    ],
    [
      "an unknown interval",
      { from: "2026-03-01T00:00:00Z", to: "2026-03-06T00:00:00Z", interval: "FORTNIGHT" },
      /FORTNIGHT/,
    ],
  ])("refuses %s with BAD_USER_INPUT", async (_case, variables, message) => {
    const body = await series(owner, { metric: "revenue", ...variables });
    expect(body.errors![0].extensions!.code).toBe("BAD_USER_INPUT");
    expect(body.errors![0].message).toMatch(message);
  });
});

describe("groupBy", () => {
  it("returns the top 10 groups and folds the rest into 'other'", async () => {
    const owner = await supergraph.signUp();
    const key = await ingestKey(owner);
    // Category c01 has 1 purchase, c02 has 2, ..., c12 has 12; each worth 1.
    const events = [];
    for (let c = 1; c <= 12; c++) {
      for (let k = 0; k < c; k++)
        events.push({
          type: "purchase",
          timestamp: "2026-02-10T12:00:00Z",
          value: 1,
          properties: { category: `c${String(c).padStart(2, "0")}` },
        });
    }
    events.push({ type: "purchase", timestamp: "2026-02-10T12:00:00Z", value: 1 });
    await track(key, events);
    const body = await series(owner, {
      metric: "revenue",
      from: "2026-02-10T00:00:00Z",
      to: "2026-02-11T00:00:00Z",
      interval: "DAY",
      groupBy: "category",
    });
    const byGroup = Object.fromEntries(
      body.data!.timeseries.points.map((p: any) => [p.group, p.value]),
    );
    // The top 10 by revenue are c12..c04 (nine) and, tied at 3 with nothing else, c03; c01, c02 and
    // events without a category fold into other.
    expect(Object.keys(byGroup).sort()).toEqual([
      "c03",
      "c04",
      "c05",
      "c06",
      "c07",
      "c08",
      "c09",
      "c10",
      "c11",
      "c12",
      "other",
    ]);
    expect(byGroup.c12).toBe(12);
    expect(byGroup.other).toBe(1 + 2 + 1);
    expect(body.data!.timeseries.total).toBe(79);
  });
});

describe("rollup and raw paths", () => {
  let dataSource: DataSource;
  let owner: SignedUp;
  const campaigns = [randomUUID(), randomUUID()];

  beforeAll(async () => {
    dataSource = await createAnalyticsDataSource(
      withDatabase(process.env[TEST_ENV.serverUrl]!, "analytics"),
    ).initialize();
    owner = await supergraph.signUp();
    const key = await ingestKey(owner);
    // Random events over a week, with a fixed seed so a failure can be replayed.
    let seed = 42;
    const random = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
    const types = ["purchase", "page_view", "signup", "ad_spend"];
    const events = Array.from({ length: 3_000 }, () => ({
      type: types[Math.floor(random() * types.length)],
      timestamp: new Date(
        Date.UTC(2026, 1, 1) + Math.floor(random() * 7 * 86_400_000),
      ).toISOString(),
      value: random() < 0.8 ? Math.round(random() * 10_000) / 100 : null,
      campaignId: random() < 0.5 ? campaigns[Math.floor(random() * 2)] : null,
      customerId: randomUUID(),
    }));
    for (let i = 0; i < events.length; i += 1_000) await track(key, events.slice(i, i + 1_000));
  });

  afterAll(() => dataSource?.destroy());

  const metrics = ["events", "revenue", "orders", "average_order_value", "page_views"];

  it.each([
    [Interval.HOUR, "UTC"],
    [Interval.DAY, "UTC"],
    [Interval.DAY, "America/New_York"],
    [Interval.DAY, "Asia/Kolkata"],
  ])(
    "agree with a plain SQL reference, per %s in %s, grouped by type and filtered by campaign",
    async (interval, timezone) => {
      const specs = metrics.map(
        (name) => BUILT_IN_METRICS.find(({ spec }) => spec.name === name)!.spec,
      );
      const range = {
        from: new Date("2026-02-01T00:00:00Z"),
        to: new Date("2026-02-08T00:00:00Z"),
        timezone,
      };
      for (const filter of [null, { campaignId: campaigns[0] }]) {
        const reference: any[] = await dataSource.query(
          `SELECT date_trunc($4, "timestamp", $5) AS bucket,
                count(*)::float8 AS events,
                coalesce(sum(value) FILTER (WHERE type = 'purchase'), 0)::float8 AS revenue,
                count(*) FILTER (WHERE type = 'purchase')::float8 AS orders,
                avg(value) FILTER (WHERE type = 'purchase')::float8 AS aov,
                count(*) FILTER (WHERE type = 'page_view')::float8 AS page_views
           FROM events WHERE organization_id = $1 AND "timestamp" >= $2 AND "timestamp" < $3 AND ($6::uuid IS NULL OR campaign_id = $6::uuid)
          GROUP BY 1`,
          [
            owner.organizationId,
            range.from,
            range.to,
            interval.toLowerCase(),
            timezone,
            filter?.campaignId ?? null,
          ],
        );
        const expected = new Map(
          reference.map((row) => [
            row.bucket.toISOString(),
            [row.events, row.revenue, row.orders, row.aov, row.page_views],
          ]),
        );
        const paths: ReadPath[] =
          timezone === "Asia/Kolkata" ? ["raw", "minute"] : ["raw", "minute", "hour"];
        for (const path of paths) {
          const rows = await queryMetrics(
            dataSource,
            owner.organizationId,
            { specs, range, interval, filter },
            path,
          );
          expect({ path, buckets: rows.length }).toEqual({ path, buckets: expected.size });
          for (const row of rows) {
            const want = expected.get(row.bucket!.toISOString())!;
            row.values.forEach((value, i) => {
              if (want[i] === null) expect(value).toBeNull();
              else expect(value).toBeCloseTo(want[i], 6);
            });
          }
        }
      }
    },
  );

  it("the gateway's timeseries uses the rollup and matches the raw events", async () => {
    const viaGateway = await series(owner, {
      metric: "events",
      from: "2026-02-01T00:00:00Z",
      to: "2026-02-08T00:00:00Z",
      interval: "DAY",
      groupBy: "type",
      fill: false,
    });
    // A range that does not start on a minute cannot use the rollups: it reads the raw events.
    const viaRaw = await series(owner, {
      metric: "events",
      from: "2026-02-01T00:00:00.001Z",
      to: "2026-02-08T00:00:00.001Z",
      interval: "DAY",
      groupBy: "type",
      fill: false,
    });
    expect(viaGateway.errors).toBeUndefined();
    const values = (body: any) =>
      body.data.timeseries.points.map((p: any) => [p.bucket, p.group, Math.round(p.value * 100)]);
    expect(values(viaGateway).length).toBe(28); // 7 days x 4 types
    expect(values(viaGateway)).toEqual(values(viaRaw));
    expect(viaGateway.data!.timeseries.total).toBeCloseTo(viaRaw.data!.timeseries.total, 6);
  });
});

describe("summary and aggregate", () => {
  it("computes the headline KPIs and their change on a small fixed data set", async () => {
    const owner = await supergraph.signUp();
    const key = await ingestKey(owner);
    const [a, b, c, d, e] = Array.from({ length: 5 }, () => randomUUID());
    await track(key, [
      // Previous period, 1-10 April: one purchase of 40 by e; e and d active.
      { type: "purchase", timestamp: "2026-04-02T10:00:00Z", value: 40, customerId: e },
      { type: "page_view", timestamp: "2026-04-03T10:00:00Z", customerId: d },
      // Current period, 11-20 April: purchases 10, 20 (a) and 30 (b); a, b, c, d active; one signup
      // (c).
      { type: "purchase", timestamp: "2026-04-11T10:00:00Z", value: 10, customerId: a },
      { type: "purchase", timestamp: "2026-04-12T10:00:00Z", value: 20, customerId: a },
      { type: "purchase", timestamp: "2026-04-13T10:00:00Z", value: 30, customerId: b },
      { type: "signup", timestamp: "2026-04-14T10:00:00Z", customerId: c },
      { type: "page_view", timestamp: "2026-04-15T10:00:00Z", customerId: d },
    ]);
    const { body } = await supergraph.request(
      `{ summary(from: "2026-04-11T00:00:00Z", to: "2026-04-21T00:00:00Z") {
          revenue { value previous change } orders { value previous change } activeCustomers { value previous change }
          newCustomers { value previous change } averageOrderValue { value previous change } conversionRate { value previous change } } }`,
      { token: owner.accessToken },
    );
    expect(body.errors).toBeUndefined();
    expect(body.data!.summary).toEqual({
      revenue: { value: 60, previous: 40, change: 0.5 },
      orders: { value: 3, previous: 1, change: 2 },
      activeCustomers: { value: 4, previous: 2, change: 1 },
      newCustomers: { value: 1, previous: 0, change: null },
      averageOrderValue: { value: 20, previous: 40, change: -0.5 },
      conversionRate: { value: 0.5, previous: 0.5, change: 0 },
    });

    const table = await supergraph.request(
      `{ aggregate(metrics: ["revenue", "orders", "unique_customers"], from: "2026-04-01T00:00:00Z", to: "2026-04-21T00:00:00Z", groupBy: "type") { group values { metric value } } }`,
      { token: owner.accessToken },
    );
    expect(table.body.data!.aggregate[0]).toEqual({
      group: "purchase",
      values: [
        { metric: "revenue", value: 100 },
        { metric: "orders", value: 4 },
        { metric: "unique_customers", value: 3 },
      ],
    });
  });
});

describe("metrics of one's own", () => {
  it("defines a percentile over a property and computes it exactly", async () => {
    const owner = await supergraph.signUp();
    const key = await ingestKey(owner);
    const defined = await supergraph.request(
      `mutation { defineMetric(input: { name: "p90_latency", eventType: "request", aggregation: P90, property: "ms", description: "Slow requests" }) { name builtIn aggregation eventType } }`,
      { token: owner.accessToken },
    );
    expect(defined.body.data!.defineMetric).toEqual({
      name: "p90_latency",
      builtIn: false,
      aggregation: "P90",
      eventType: "request",
    });
    await track(
      key,
      Array.from({ length: 100 }, (_, i) => ({
        type: "request",
        timestamp: "2026-05-01T12:00:00Z",
        properties: { ms: i + 1 },
      })),
    );
    const body = await series(owner, {
      metric: "p90_latency",
      from: "2026-05-01T00:00:00Z",
      to: "2026-05-02T00:00:00Z",
      interval: "DAY",
    });
    // percentile_cont over 1..100: 1 + 0.9 * 99.
    expect(body.data!.timeseries.total).toBeCloseTo(90.1, 6);
    const listed = await supergraph.request(`{ metrics { name builtIn } }`, {
      token: owner.accessToken,
    });
    expect(listed.body.data!.metrics).toContainEqual({ name: "p90_latency", builtIn: false });

    const again = await supergraph.request(
      `mutation { defineMetric(input: { name: "p90_latency", eventType: "x", aggregation: SUM }) { name } }`,
      { token: owner.accessToken },
    );
    expect(again.body.errors![0].extensions).toMatchObject({
      code: "BAD_USER_INPUT",
      field: "input.name",
    });
    const counted = await supergraph.request(
      `mutation { defineMetric(input: { name: "n", eventType: "x", aggregation: COUNT, property: "ms" }) { name } }`,
      { token: owner.accessToken },
    );
    expect(counted.body.errors![0].extensions).toMatchObject({
      code: "BAD_USER_INPUT",
      field: "input.property",
    });
    const builtIn = await supergraph.request(
      `mutation { defineMetric(input: { name: "revenue", eventType: "x", aggregation: SUM }) { name } }`,
      { token: owner.accessToken },
    );
    expect(builtIn.body.errors![0].extensions!.code).toBe("BAD_USER_INPUT");
  });
});

describe("a multi-item order sent by an application", () => {
  it("counts one order (CustomerStats, the orders metric, summary), its lines readable by product", async () => {
    const owner = await supergraph.signUp();
    const key = await ingestKey(owner);
    const created = await supergraph.request<{ createCustomer: { id: string } }>(
      `mutation { createCustomer(input: { name: "Ada", externalId: "ada" }) { id } }`,
      { token: owner.accessToken },
    );
    const customerId = created.body.data!.createCustomer.id;
    const at = Date.UTC(2026, 0, 10, 12);
    const order = (id: string, minutes: number, lines: Record<string, unknown>[]) => ({
      id,
      type: "purchase",
      customerId,
      timestamp: new Date(at + minutes * 60_000).toISOString(),
      value: lines.reduce((sum, line) => sum + Number(line.quantity) * Number(line.unitPrice), 0),
      properties: { orderId: id, lines },
    });
    const body = await track(key, [
      order("order-1", 0, [
        { sku: "MUG", quantity: 2, unitPrice: 4.5 },
        { sku: "TEA", quantity: 1, unitPrice: 6 },
        { sku: "SPOON", quantity: 4, unitPrice: 1.25 },
      ]),
      order("order-2", 90, [{ sku: "TEA", quantity: 3, unitPrice: 6 }]),
      // A retried order stores nothing.
      order("order-1", 0, [{ sku: "MUG", quantity: 2, unitPrice: 4.5 }]),
    ]);
    expect(body.data?.trackEvents).toEqual({ accepted: 2, duplicates: 1, rejected: [] });

    const range = {
      from: new Date(at - 86_400_000).toISOString(),
      to: new Date(at + 86_400_000).toISOString(),
    };
    const { body: read } = await supergraph.request<{
      customer: { stats: { orders: number; totalSpent: number; averageOrderValue: number } };
      timeseries: { total: number };
      withTea: { total: number };
      withSpoons: { total: number };
      summary: { orders: { value: number }; averageOrderValue: { value: number } };
    }>(
      `query($id: ID!, $from: DateTime!, $to: DateTime!) {
         customer(id: $id) { stats { orders totalSpent averageOrderValue } }
         timeseries(metric: "orders", from: $from, to: $to, interval: DAY) { total }
         withTea: timeseries(metric: "orders", from: $from, to: $to, interval: DAY, filter: { properties: { lines: [{ sku: "TEA" }] } }) { total }
         withSpoons: timeseries(metric: "revenue", from: $from, to: $to, interval: DAY, filter: { properties: { lines: [{ sku: "SPOON" }] } }) { total }
         summary(from: $from, to: $to) { orders { value } averageOrderValue { value } } }`,
      { token: owner.accessToken, variables: { id: customerId, ...range } },
    );
    expect(read.errors).toBeUndefined();
    expect(read.data).toEqual({
      customer: { stats: { orders: 2, totalSpent: 38, averageOrderValue: 19 } },
      timeseries: { total: 2 },
      withTea: { total: 2 },
      withSpoons: { total: 20 },
      summary: { orders: { value: 2 }, averageOrderValue: { value: 19 } },
    });
  });
});
