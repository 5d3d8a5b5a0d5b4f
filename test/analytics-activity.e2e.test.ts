import { randomUUID } from "node:crypto";
import type { DataSource } from "typeorm";
import { CreateCustomerActivity1763900003000 } from "../subgraphs/analytics/migrations/1763900003000-CreateCustomerActivity";
import { CustomerActivityTwoMonths1763900010000 } from "../subgraphs/analytics/migrations/1763900010000-CustomerActivityTwoMonths";
import { CreateCustomerTotals1763900100000 } from "../subgraphs/analytics/migrations/1763900100000-CreateCustomerTotals";
import { createAnalyticsDataSource } from "../subgraphs/analytics/src/data-source";
import { createCustomerStatsLoader } from "../subgraphs/analytics/src/modules/customer-stats/customer-stats.loader";
import { Aggregation } from "../subgraphs/analytics/src/modules/metric/aggregation";
import {
  BUILT_IN_METRICS,
  type MetricSpec,
} from "../subgraphs/analytics/src/modules/metric/metric-spec";
import * as activityModule from "../subgraphs/analytics/src/modules/timeseries/customer-activity";
import {
  dayCover,
  rowReads,
} from "../subgraphs/analytics/src/modules/timeseries/customer-activity";
import type { EventFilter } from "../subgraphs/analytics/src/modules/timeseries/event-filter.input";
import { Interval } from "../subgraphs/analytics/src/modules/timeseries/interval";
import { queryMetrics } from "../subgraphs/analytics/src/modules/timeseries/metric-query";
import { withDatabase } from "#kit/database/database-url";
import { useSupergraph, type SignedUp } from "./support/supergraph";
import { createScratchAnalyticsDatabase } from "./support/scratch-analytics-database";
import { TEST_ENV } from "./support/test-database";

const HOUR = 3_600_000;
const TRACK = `mutation($events: [EventInput!]!) { trackEvents(events: $events) { accepted duplicates rejected { index reason } } }`;
const TYPES = ["purchase", "page_view", "signup", "ad_spend"];

/**
 * The customer_activity rows recomputed from the events, written independently of the ingest SQL:
 * the bits set as a list, day d of the row's month as d - 1 and day d of the month before as 32 + d
 * - 1.
 */
const REFERENCE_ROWS = `
  SELECT organization_id, type, month, customer_id, array_agg(DISTINCT bit ORDER BY bit) AS days
    FROM (SELECT organization_id, k.type, to_char(("timestamp" AT TIME ZONE 'UTC') + s.months * interval '1 month', 'YYYY-MM-01') AS month, customer_id,
                 to_char("timestamp" AT TIME ZONE 'UTC', 'DD')::int - 1 + 32 * s.months AS bit
            FROM events CROSS JOIN LATERAL (VALUES (type), ('')) AS k(type) CROSS JOIN (VALUES (0), (1)) AS s(months)
           WHERE organization_id = $1 AND customer_id IS NOT NULL) e
   GROUP BY 1, 2, 3, 4`;
/** The table's rows with their masks as the list of bits set. */
const TABLE_ROWS = `
  SELECT organization_id, type, to_char(month, 'YYYY-MM-DD') AS month, customer_id,
         array(SELECT b FROM generate_series(0, 62) AS b WHERE days & (1::bigint << b) <> 0 ORDER BY b) AS days
    FROM customer_activity WHERE organization_id = $1`;

function random(seed: number) {
  return () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
}

/**
 * Events of `customers` customers (and some anonymous ones) from 20 February to 12 March 2026,
 * across a month boundary.
 */
function makeEvents(count: number, customers: string[], seed: number) {
  const r = random(seed);
  const start = Date.UTC(2026, 1, 20);
  return Array.from({ length: count }, (_, i) => ({
    id: `activity-${seed}-${i}`,
    type: TYPES[Math.floor(r() * TYPES.length)],
    timestamp: new Date(start + Math.floor(r() * 20 * 86_400_000)).toISOString(),
    value: Math.round(r() * 10_000) / 100,
    customerId: r() < 0.1 ? null : customers[Math.floor(r() * customers.length)],
  }));
}

interface Totals {
  events: number;
  orders: number;
  cents: number;
  first: number;
  last: number;
}

/**
 * The customer_totals rows that `events` should make, from the events as sent, by customer: order
 * values in cents (every value has two decimals).
 */
function totalsOf(events: ReturnType<typeof makeEvents>): Map<string, Totals> {
  const want = new Map<string, Totals>();
  for (const event of events) {
    if (!event.customerId) continue;
    const at = Date.parse(event.timestamp);
    const total = want.get(event.customerId) ?? {
      events: 0,
      orders: 0,
      cents: 0,
      first: Infinity,
      last: -Infinity,
    };
    total.events++;
    if (event.type === "purchase") {
      total.orders++;
      total.cents += Math.round(event.value * 100);
    }
    total.first = Math.min(total.first, at);
    total.last = Math.max(total.last, at);
    want.set(event.customerId, total);
  }
  return want;
}

/** The customer_totals rows of an organization, keyed by customer as {@link totalsOf}. */
async function storedTotals(
  dataSource: DataSource,
  organizationId: string,
): Promise<Map<string, Totals>> {
  const rows = await dataSource.query(
    `SELECT customer_id, events::int AS events, orders::int AS orders, order_value::text AS order_value, first_at, last_at
       FROM customer_totals WHERE organization_id = $1`,
    [organizationId],
  );
  return new Map(
    rows.map((row: any) => [
      row.customer_id,
      {
        events: row.events,
        orders: row.orders,
        cents: Math.round(Number(row.order_value) * 100),
        first: row.first_at.getTime(),
        last: row.last_at.getTime(),
      },
    ]),
  );
}

describe("dayCover", () => {
  it("splits a range into whole UTC days per month and the parts of its partial days", () => {
    const cover = dayCover({
      from: new Date("2026-02-27T22:30:00Z"),
      to: new Date("2026-03-02T03:00:00Z"),
    });
    expect(cover.months).toEqual([
      { month: "2026-02-01", whole: 1 << 27, partial: 1 << 26 },
      { month: "2026-03-01", whole: 1 << 0, partial: 1 << 1 },
    ]);
    expect(cover.edges).toEqual([
      [new Date("2026-02-27T22:30:00Z"), new Date("2026-02-28T00:00:00Z")],
      [new Date("2026-03-02T00:00:00Z"), new Date("2026-03-02T03:00:00Z")],
    ]);
    const within = dayCover({
      from: new Date("2026-01-31T01:00:00Z"),
      to: new Date("2026-01-31T02:00:00Z"),
    });
    expect(within).toEqual({
      months: [{ month: "2026-01-01", whole: 0, partial: 1 << 30 }],
      edges: [[new Date("2026-01-31T01:00:00Z"), new Date("2026-01-31T02:00:00Z")]],
    });
    expect(
      dayCover({ from: new Date("2026-01-01T00:00:00Z"), to: new Date("2026-02-01T00:00:00Z") }),
    ).toEqual({ months: [{ month: "2026-01-01", whole: 2 ** 31 - 1, partial: 0 }], edges: [] });
  });

  it("reads the rows of every second month, each with the month before in its high bits", () => {
    const high = (mask: number) => BigInt(mask) << 32n;
    // 30 days across a month boundary: the later month's rows alone.
    const thirty = dayCover({
      from: new Date("2026-02-10T00:00:00Z"),
      to: new Date("2026-03-12T06:00:00Z"),
    });
    const feb = thirty.months[0];
    const mar = thirty.months[1];
    expect(rowReads(thirty)).toEqual([
      {
        month: "2026-03-01",
        whole: (high(feb.whole) | BigInt(mar.whole)).toString(),
        any: (high(feb.whole) | BigInt(mar.whole | mar.partial)).toString(),
      },
    ]);
    // One month: its own rows, its own bits.
    expect(
      rowReads(
        dayCover({ from: new Date("2026-01-01T00:00:00Z"), to: new Date("2026-02-01T00:00:00Z") }),
      ),
    ).toEqual([{ month: "2026-01-01", whole: String(2 ** 31 - 1), any: String(2 ** 31 - 1) }]);
    // Three months: February (with January) and March (with February again).
    const three = rowReads(
      dayCover({ from: new Date("2026-01-01T00:00:00Z"), to: new Date("2026-04-01T00:00:00Z") }),
    );
    expect(three.map((read) => read.month)).toEqual(["2026-02-01", "2026-03-01"]);
    // Five months: February, April and May.
    expect(
      rowReads(
        dayCover({ from: new Date("2026-01-01T00:00:00Z"), to: new Date("2026-06-01T00:00:00Z") }),
      ).map((read) => read.month),
    ).toEqual(["2026-02-01", "2026-04-01", "2026-05-01"]);
  });
});

describe("customer_activity", () => {
  const supergraph = useSupergraph();
  let dataSource: DataSource;
  let owner: SignedUp;
  const customers = Array.from({ length: 40 }, () => randomUUID());
  let events: ReturnType<typeof makeEvents>;

  beforeAll(async () => {
    dataSource = await createAnalyticsDataSource(
      withDatabase(process.env[TEST_ENV.serverUrl]!, "analytics"),
    ).initialize();
    owner = await supergraph.signUp();
    const { body } = await supergraph.request(
      `mutation { createApiKey(name: "ingest", scopes: [EVENTS_WRITE]) { secret } }`,
      { token: owner.accessToken },
    );
    const authorization = `ApiKey ${body.data!.createApiKey.secret}`;
    events = makeEvents(3_000, customers, 11);
    for (let i = 0; i < events.length; i += 1_000) {
      // Four batches of the same 40 customers at once, each sent three times: concurrent batches
      // mark the same rows (the one inserting a row races the others), and the replays store
      // nothing and mark nothing twice.
      const results = await Promise.all(
        [0, 1, 2, 3].flatMap((part) =>
          [0, 1, 2].map(() =>
            supergraph.request(TRACK, {
              authorization,
              variables: { events: events.slice(i + part * 250, i + (part + 1) * 250) },
            }),
          ),
        ),
      );
      for (const r of results) expect(r.body.errors).toBeUndefined();
      expect(results.reduce((sum, r) => sum + r.body.data!.trackEvents.accepted, 0)).toBe(1_000);
    }
  });

  afterAll(async () => {
    await dataSource?.destroy();
  });

  it("is maintained by trackEvents: exactly the UTC days of the stored events", async () => {
    const table = await dataSource.query(TABLE_ROWS, [owner.organizationId]);
    const reference = await dataSource.query(REFERENCE_ROWS, [owner.organizationId]);
    const key = (row: any) => `${row.type}|${row.month}|${row.customer_id}`;
    expect(table.length).toBeGreaterThan(100);
    expect(new Map(table.map((row: any) => [key(row), row.days]))).toEqual(
      new Map(reference.map((row: any) => [key(row), row.days])),
    );
  });

  it("keeps each customer's totals: events, orders, their exact value, first and last event", async () => {
    const want = totalsOf(events);
    expect(want.size).toBe(customers.length);
    expect(await storedTotals(dataSource, owner.organizationId)).toEqual(want);
  });

  it("gives Customer.stats from the totals, equal to the events sent", async () => {
    const stranger = randomUUID();
    const loader = createCustomerStatsLoader(async () => dataSource, owner.organizationId);
    const stats = await loader.loadMany([...customers, stranger]);
    const round2 = (value: number) => Math.round(value * 100) / 100;
    const want = [...customers, stranger].map((customer) => {
      const own = events.filter((event) => event.customerId === customer);
      const purchases = own.filter((event) => event.type === "purchase");
      const cents = purchases.reduce((sum, event) => sum + Math.round(event.value * 100), 0);
      const times = own.map((event) => Date.parse(event.timestamp));
      return own.length === 0
        ? { orders: 0, totalSpent: 0, averageOrderValue: 0, firstSeenAt: null, lastSeenAt: null }
        : {
            orders: purchases.length,
            totalSpent: cents / 100,
            averageOrderValue: purchases.length ? round2(cents / 100 / purchases.length) : 0,
            firstSeenAt: new Date(Math.min(...times)),
            lastSeenAt: new Date(Math.max(...times)),
          };
    });
    expect(want.filter((w) => w.orders > 0).length).toBeGreaterThan(30);
    expect(stats).toEqual(want);
  });

  const distinctPurchasers: MetricSpec = {
    kind: "simple",
    name: "purchasers",
    aggregation: Aggregation.DISTINCT_CUSTOMERS,
    eventType: "purchase",
    property: null,
  };
  const specs = [
    ...["unique_customers", "conversion_rate"].map(
      (name) => BUILT_IN_METRICS.find(({ spec }) => spec.name === name)!.spec,
    ),
    distinctPurchasers,
  ];

  /**
   * Distinct customers, distinct purchasers / distinct customers, distinct purchasers: plain SQL on
   * the raw events.
   */
  async function reference(
    from: Date,
    to: Date,
    filter: EventFilter | null,
  ): Promise<(number | null)[]> {
    const [row] = await dataSource.query(
      `SELECT count(DISTINCT customer_id)::float8 AS active, count(DISTINCT customer_id) FILTER (WHERE type = 'purchase')::float8 AS purchasers
         FROM events WHERE organization_id = $1 AND "timestamp" >= $2 AND "timestamp" < $3 AND ($4::text[] IS NULL OR type = ANY($4::text[]))`,
      [owner.organizationId, from.toISOString(), to.toISOString(), filter?.types ?? null],
    );
    return [row.active, row.active ? row.purchasers / row.active : null, row.purchasers];
  }

  it("gives the same distinct counts as the raw events over random ranges, with type filters", async () => {
    const spy = jest.spyOn(activityModule, "queryActivity");
    const r = random(5);
    const start = Date.UTC(2026, 1, 19);
    const ranges: [Date, Date][] = [
      [new Date("2026-02-01T00:00:00Z"), new Date("2026-04-01T00:00:00Z")],
      [new Date("2026-02-28T22:00:00Z"), new Date("2026-03-01T03:00:00Z")],
      [new Date("2026-03-01T00:00:00Z"), new Date("2026-03-08T00:00:00Z")],
      // Three, four and five months: rows of two months, merged; five months: three reads, grouped.
      [new Date("2026-01-20T05:00:00Z"), new Date("2026-03-05T03:00:00Z")],
      [new Date("2026-01-20T05:00:00Z"), new Date("2026-04-03T07:00:00Z")],
      [new Date("2025-12-15T00:00:00Z"), new Date("2026-04-10T00:00:00Z")],
      ...Array.from({ length: 12 }, (_, i): [Date, Date] => {
        // Half on the hour, half at any millisecond; from an hour to 10 days long.
        const unit = i % 2 ? HOUR : 1;
        const from = start + Math.floor((r() * 22 * 24 * HOUR) / unit) * unit;
        return [
          new Date(from),
          new Date(from + Math.floor((HOUR + r() * 10 * 24 * HOUR) / unit) * unit),
        ];
      }),
    ];
    const filters: (EventFilter | null)[] = [
      null,
      { types: ["purchase"] },
      { types: ["page_view", "signup"] },
    ];
    for (const [from, to] of ranges) {
      for (const filter of filters) {
        const range = { from, to, timezone: "Europe/Berlin" };
        const want = await reference(from, to, filter);
        spy.mockClear();
        const [viaActivity] = await queryMetrics(dataSource, owner.organizationId, {
          specs,
          range,
          interval: null,
          filter,
        });
        expect(spy).toHaveBeenCalled();
        const [viaRaw] = await queryMetrics(
          dataSource,
          owner.organizationId,
          { specs, range, interval: null, filter },
          "raw",
        );
        const label = { from: from.toISOString(), to: to.toISOString(), filter };
        expect({ ...label, values: viaActivity.values }).toEqual({ ...label, values: want });
        expect({ ...label, values: viaRaw.values }).toEqual({ ...label, values: want });
      }
    }
    spy.mockRestore();
  });

  it("reads the raw events for distinct customers by bucket, by group or filtered by customer", async () => {
    const spy = jest.spyOn(activityModule, "queryActivity");
    const range = {
      from: new Date("2026-02-25T00:00:00Z"),
      to: new Date("2026-03-03T00:00:00Z"),
      timezone: "UTC",
    };
    await queryMetrics(dataSource, owner.organizationId, {
      specs,
      range,
      interval: null,
      filter: { customerId: customers[0] },
    });
    await queryMetrics(dataSource, owner.organizationId, {
      specs,
      range,
      interval: null,
      filter: { campaignId: customers[1] },
    });
    await queryMetrics(dataSource, owner.organizationId, {
      specs,
      range,
      interval: null,
      groupBy: "type",
    });
    await queryMetrics(dataSource, owner.organizationId, { specs, range, interval: Interval.DAY });
    spy.mockRestore();
  });

  it("answers summary through the gateway with the raw events' numbers", async () => {
    const from = new Date("2026-03-01T05:00:00Z");
    const to = new Date("2026-03-08T05:17:00Z");
    const { body } = await supergraph.request(
      `{ summary(from: "${from.toISOString()}", to: "${to.toISOString()}") { activeCustomers { value previous } conversionRate { value previous } } }`,
      {
        token: owner.accessToken,
      },
    );
    expect(body.errors).toBeUndefined();
    const [active, rate] = await reference(from, to, null);
    const [previousActive, previousRate] = await reference(
      new Date(2 * from.getTime() - to.getTime()),
      from,
      null,
    );
    expect(body.data!.summary).toEqual({
      activeCustomers: { value: active, previous: previousActive },
      conversionRate: { value: rate, previous: previousRate },
    });
  });

  it("is backfilled from the stored events by its migrations, undone by their down(), and customer_totals too", async () => {
    const database = await createScratchAnalyticsDatabase("migration");
    const scratch = database.dataSource;
    try {
      const organizationId = randomUUID();
      const stored = makeEvents(500, customers.slice(0, 10), 23);
      for (const e of stored) {
        await scratch.query(`SELECT ensure_event_partition($1)`, [e.timestamp]);
        await scratch.query(
          `INSERT INTO events (organization_id, id, type, customer_id, "timestamp", value) VALUES ($1, $2, $3, $4, $5, $6)`,
          [organizationId, e.id, e.type, e.customerId, e.timestamp, e.value],
        );
      }
      // Events inserted behind the ingest path's back: the table does not know them until the
      // migration runs again.
      await scratch.query(`TRUNCATE customer_activity`);
      const queryRunner = scratch.createQueryRunner();
      const key = (row: any) => `${row.type}|${row.month}|${row.customer_id}`;
      const rowsByKey = async (sql: string) =>
        new Map(
          (await scratch.query(sql, [organizationId])).map((row: any) => [key(row), row.days]),
        );
      // The first layout: one month's days per row (the reference without the month-after rows and
      // bits).
      const oneMonth = `SELECT organization_id, type, month, customer_id, array_agg(b) FILTER (WHERE b < 32) AS days FROM (${REFERENCE_ROWS}) r, unnest(r.days) AS b
                         GROUP BY 1, 2, 3, 4 HAVING min(b) < 32`;
      try {
        const created = new CreateCustomerActivity1763900003000();
        const twoMonths = new CustomerActivityTwoMonths1763900010000();
        const totals = new CreateCustomerTotals1763900100000();
        await totals.down(queryRunner);
        await twoMonths.down(queryRunner);
        await created.down(queryRunner);
        expect(
          (await queryRunner.query(`SELECT to_regclass('customer_activity') AS t`))[0].t,
        ).toBeNull();
        await created.up(queryRunner);
        expect(await rowsByKey(TABLE_ROWS)).toEqual(await rowsByKey(oneMonth));
        await twoMonths.up(queryRunner);
        const table = await rowsByKey(TABLE_ROWS);
        expect(table.size).toBeGreaterThan(10);
        expect(table).toEqual(await rowsByKey(REFERENCE_ROWS));
        await totals.up(queryRunner);
        expect(await storedTotals(scratch, organizationId)).toEqual(totalsOf(stored));
        await totals.down(queryRunner);
        expect(
          (await queryRunner.query(`SELECT to_regclass('customer_totals') AS t`))[0].t,
        ).toBeNull();
        await twoMonths.down(queryRunner);
        expect(await rowsByKey(TABLE_ROWS)).toEqual(await rowsByKey(oneMonth));
        await twoMonths.up(queryRunner);
        await totals.up(queryRunner);
      } finally {
        await queryRunner.release();
      }
    } finally {
      await database.drop();
    }
  });
});

describe("timeseries grouped by a property, and buckets without a round trip", () => {
  const supergraph = useSupergraph();
  let owner: SignedUp;

  beforeAll(async () => {
    owner = await supergraph.signUp();
    const { body } = await supergraph.request(
      `mutation { createApiKey(name: "ingest", scopes: [EVENTS_WRITE]) { secret } }`,
      { token: owner.accessToken },
    );
    const r = random(3);
    // 15 categories with uneven weights over 6 days, some purchases without one, some page views.
    const events = Array.from({ length: 2_000 }, (_, i) => {
      const c = Math.floor(r() ** 2 * 16);
      return {
        type: i % 7 === 0 ? "page_view" : "purchase",
        timestamp: new Date(Date.UTC(2026, 5, 1) + Math.floor(r() * 6 * 86_400_000)).toISOString(),
        value: Math.round(r() * 10_000) / 100,
        properties: c === 15 ? {} : { category: `cat-${c}` },
      };
    });
    const result = await supergraph.request(TRACK, {
      authorization: `ApiKey ${body.data!.createApiKey.secret}`,
      variables: { events },
    });
    expect(result.body.data!.trackEvents.accepted).toBe(2_000);
  });

  it.each([
    ["revenue", "sum(value)"],
    ["orders", "count(*)"],
    ["average_order_value", "avg(value)"],
  ])(
    "%s per day: the top 10 categories and 'other' as plain SQL computes them",
    async (metric, aggregate) => {
      const from = "2026-06-01T06:00:00Z";
      const to = "2026-06-06T06:00:00Z";
      const { body } = await supergraph.request(
        `query($metric: String!) { timeseries(metric: $metric, from: "${from}", to: "${to}", interval: DAY, groupBy: "category", fill: false) { total points { bucket group value } } }`,
        { token: owner.accessToken, variables: { metric } },
      );
      expect(body.errors).toBeUndefined();
      const top = await supergraph.sql(
        "analytics",
        `SELECT coalesce(properties->>'category', '(none)') AS g FROM events WHERE organization_id = $1 AND type = 'purchase' AND "timestamp" >= $2 AND "timestamp" < $3
        GROUP BY 1 ORDER BY ${aggregate} DESC, 1 LIMIT 10`,
        [owner.organizationId, from, to],
      );
      const reference = await supergraph.sql(
        "analytics",
        `SELECT date_trunc('day', "timestamp", 'UTC') AS bucket, CASE WHEN coalesce(properties->>'category', '(none)') = ANY($4::text[]) THEN coalesce(properties->>'category', '(none)') ELSE 'other' END AS g,
              (${aggregate})::float8 AS v
         FROM events WHERE organization_id = $1 AND type = 'purchase' AND "timestamp" >= $2 AND "timestamp" < $3 GROUP BY 1, 2`,
        [owner.organizationId, from, to, top.map((row) => row.g)],
      );
      const [total] = await supergraph.sql(
        "analytics",
        `SELECT (${aggregate})::float8 AS v FROM events WHERE organization_id = $1 AND type = 'purchase' AND "timestamp" >= $2 AND "timestamp" < $3`,
        [owner.organizationId, from, to],
      );
      const got = new Map(
        body.data!.timeseries.points.map((p: any) => [`${p.bucket}|${p.group}`, p.value]),
      );
      expect([...got.keys()].sort()).toEqual(
        reference.map((row) => `${row.bucket.toISOString()}|${row.g}`).sort(),
      );
      for (const row of reference)
        expect(got.get(`${row.bucket.toISOString()}|${row.g}`)).toBeCloseTo(row.v, 6);
      expect(body.data!.timeseries.total).toBeCloseTo(total.v, 6);
      expect(new Set(body.data!.timeseries.points.map((p: any) => p.group)).size).toBe(11);
    },
  );

  it.each(["MINUTE", "HOUR", "DAY", "WEEK", "MONTH"])(
    "fills every %s bucket of a UTC range as PostgreSQL's calendar does",
    async (interval) => {
      const from = "2025-12-30T13:27:00Z";
      const to = interval === "MINUTE" ? "2025-12-31T01:00:00Z" : "2026-03-02T00:00:01Z";
      const { body } = await supergraph.request(
        `{ timeseries(metric: "events", from: "${from}", to: "${to}", interval: ${interval}) { points { bucket } } }`,
        { token: owner.accessToken },
      );
      expect(body.errors).toBeUndefined();
      const expected = await supergraph.sql(
        "analytics",
        `SELECT generate_series(date_trunc($1, $2::timestamptz, 'UTC'), $3::timestamptz - interval '1 microsecond', ('1 ' || $1)::interval, 'UTC') AS bucket`,
        [interval.toLowerCase(), from, to],
      );
      expect(body.data!.timeseries.points.map((p: any) => p.bucket)).toEqual(
        expected.map((row) => row.bucket.toISOString()),
      );
    },
  );
});
