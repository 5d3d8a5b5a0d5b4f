import { randomUUID } from "node:crypto";
import { SeededRandom } from "#kit/random";
import { useSupergraph, type SignedUp } from "./support/supergraph";
import {
  actorOf,
  apiKey,
  createCustomers,
  customerOf,
  identifyAll,
  IDENTIFY,
  randomId,
  track,
  TRACK,
  userWithRole,
  type SentEvent,
} from "./support/people";

/**
 * identify and anonymous events: who may link, what is refused, and that every count of customers
 * (customer_activity, unique_customers and conversion_rate on both their paths, Customer.stats)
 * equals a plain JavaScript count over the events as they were sent and the links, whether a
 * visitor was identified before or after its events arrived.
 */
const supergraph = useSupergraph({ owner: true });
let owner: SignedUp;
let events: string;
let customers: string[];

beforeAll(async () => {
  owner = supergraph.owner;
  customers = await createCustomers(supergraph, owner.accessToken, 12, "identity");
  events = await apiKey(supergraph, owner.accessToken, ["EVENTS_WRITE"]);
});

const codeOf = (body: any) => body.errors?.[0]?.extensions?.code;
const fieldOf = (body: any) => body.errors?.[0]?.extensions?.field;

describe("who may identify", () => {
  it("is an EVENTS_WRITE API key, an ANALYST or an ADMIN; not a VIEWER nor a READ key", async () => {
    const identify = (
      anonymousId: string,
      credential: { token?: string; authorization?: string },
    ) =>
      supergraph.request(IDENTIFY, {
        ...credential,
        variables: { a: anonymousId, c: customers[0] },
      });
    const analyst = await userWithRole(supergraph, owner.accessToken, "ANALYST");
    const viewer = await userWithRole(supergraph, owner.accessToken, "VIEWER");
    const read = await apiKey(supergraph, owner.accessToken, ["READ"]);
    for (const [name, credential] of [
      ["key", { authorization: events }],
      ["analyst", { token: analyst }],
      ["admin", { token: owner.accessToken }],
    ] as const) {
      const { body } = await identify(`who-${name}`, credential);
      expect({ name, errors: body.errors }).toEqual({ name, errors: undefined });
      expect(body.data!.identify).toEqual({
        anonymousId: `who-${name}`,
        customerId: customers[0],
        linkedEvents: 0,
      });
    }
    expect(codeOf((await identify("who-viewer", { token: viewer })).body)).toBe("FORBIDDEN");
    expect(codeOf((await identify("who-read", { authorization: read })).body)).toBe("FORBIDDEN");
    expect(codeOf((await identify("who-nobody", {})).body)).toBe("UNAUTHENTICATED");
    const links = await supergraph.sql(
      "analytics",
      `SELECT anonymous_id FROM identities WHERE organization_id = $1 AND anonymous_id LIKE 'who-%' ORDER BY 1`,
      [owner.organizationId],
    );
    expect(links.map((row) => row.anonymous_id)).toEqual(["who-admin", "who-analyst", "who-key"]);
  });

  it("lets an EVENTS_WRITE key ask the customers subgraph which ids are customers, and nothing else", async () => {
    const url = supergraph.stack.subgraphs.customers.url;
    const known = await supergraph.request(`query($ids: [ID!]!) { knownCustomerIds(ids: $ids) }`, {
      url,
      authorization: events,
      variables: { ids: [randomUUID(), customers[1], "x"] },
    });
    expect(known.body).toEqual({ data: { knownCustomerIds: [customers[1]] } });
    const read = await supergraph.request(`{ customers(first: 1) { totalCount } }`, {
      url,
      authorization: events,
    });
    expect(codeOf(read.body)).toBe("FORBIDDEN");
  });
});

describe("bad input", () => {
  it.each([
    ["an empty anonymousId", "", () => customers[0], "anonymousId"],
    ["an anonymousId of 129 characters", "v".repeat(129), () => customers[0], "anonymousId"],
    ["a customerId that is not a UUID", "bad-1", () => "customer-1", "customerId"],
    ["an unknown customer", "bad-2", () => randomUUID(), "customerId"],
  ])("refuses %s with BAD_USER_INPUT naming the argument", async (_name, a, c, field) => {
    const { body } = await supergraph.request(IDENTIFY, {
      authorization: events,
      variables: { a, c: c() },
    });
    expect(codeOf(body)).toBe("BAD_USER_INPUT");
    expect(fieldOf(body)).toBe(field);
  });

  it("refuses another organization's customer as unknown", async () => {
    const other = await supergraph.signUp();
    const [foreign] = await createCustomers(supergraph, other.accessToken, 1, "foreign");
    const { body } = await supergraph.request(IDENTIFY, {
      authorization: events,
      variables: { a: "bad-foreign", c: foreign },
    });
    expect(codeOf(body)).toBe("BAD_USER_INPUT");
    expect(fieldOf(body)).toBe("customerId");
    expect(body.errors![0].message).not.toContain("foreign");
  });

  it("refuses a trackEvents call with an anonymousId over 128 characters, storing nothing", async () => {
    const id = `long-anonymous-${randomUUID()}`;
    const { body } = await supergraph.request(TRACK, {
      authorization: events,
      variables: {
        events: [
          { id, type: "page_view", timestamp: "2026-05-01T10:00:00Z", anonymousId: "ok" },
          { type: "page_view", timestamp: "2026-05-01T10:00:00Z", anonymousId: "v".repeat(129) },
        ],
      },
    });
    expect(codeOf(body)).toBe("BAD_USER_INPUT");
    expect(fieldOf(body)).toBe("events.1.anonymousId");
    const stored = await supergraph.sql(
      "analytics",
      "SELECT count(*)::int AS n FROM events WHERE organization_id = $1 AND id = $2",
      [owner.organizationId, id],
    );
    expect(stored[0].n).toBe(0);
  });
});

describe("linking", () => {
  it("is idempotent, and refuses to link an anonymous id to a second customer", async () => {
    await track(supergraph, events, [
      { id: "idem-1", type: "page_view", timestamp: "2026-05-02T10:00:00Z", anonymousId: "idem" },
      { id: "idem-2", type: "page_view", timestamp: "2026-05-02T10:01:00Z", anonymousId: "idem" },
    ]);
    const first = await supergraph.request(IDENTIFY, {
      authorization: events,
      variables: { a: "idem", c: customers[2] },
    });
    const again = await supergraph.request(IDENTIFY, {
      authorization: events,
      variables: { a: "idem", c: customers[2].toUpperCase() },
    });
    const expected = { anonymousId: "idem", customerId: customers[2], linkedEvents: 2 };
    expect(first.body.data!.identify).toEqual(expected);
    expect(again.body.data!.identify).toEqual(expected);
    const other = await supergraph.request(IDENTIFY, {
      authorization: events,
      variables: { a: "idem", c: customers[3] },
    });
    expect(codeOf(other.body)).toBe("BAD_USER_INPUT");
    expect(fieldOf(other.body)).toBe("anonymousId");
    const rows = await supergraph.sql(
      "analytics",
      `SELECT DISTINCT customer_id FROM events WHERE organization_id = $1 AND anonymous_id = 'idem'`,
      [owner.organizationId],
    );
    expect(rows).toEqual([{ customer_id: customers[2] }]);
  });

  it("counts a visitor's events before and after identify as the customer's", async () => {
    const customer = customers[4];
    const stats = async () => {
      const { body } = await supergraph.request(
        `query($id: ID!) { customer(id: $id) { stats { orders totalSpent firstSeenAt lastSeenAt } } }`,
        { token: owner.accessToken, variables: { id: customer } },
      );
      return body.data!.customer.stats;
    };
    await track(supergraph, events, [
      { id: "ba-1", type: "page_view", timestamp: "2026-06-01T08:00:00Z", anonymousId: "ba" },
      {
        id: "ba-2",
        type: "purchase",
        timestamp: "2026-06-01T08:05:00Z",
        anonymousId: "ba",
        value: 10,
      },
      {
        id: "ba-3",
        type: "purchase",
        timestamp: "2026-06-03T09:00:00Z",
        customerId: customer,
        value: 5,
      },
    ]);
    expect(await stats()).toEqual({
      orders: 1,
      totalSpent: 5,
      firstSeenAt: "2026-06-03T09:00:00.000Z",
      lastSeenAt: "2026-06-03T09:00:00.000Z",
    });
    const linked = await supergraph.request(IDENTIFY, {
      authorization: events,
      variables: { a: "ba", c: customer },
    });
    expect(linked.body.data!.identify.linkedEvents).toBe(2);
    await track(supergraph, events, [
      {
        id: "ba-4",
        type: "purchase",
        timestamp: "2026-06-05T12:00:00Z",
        anonymousId: "ba",
        value: 20.5,
      },
    ]);
    expect(await stats()).toEqual({
      orders: 3,
      totalSpent: 35.5,
      firstSeenAt: "2026-06-01T08:00:00.000Z",
      lastSeenAt: "2026-06-05T12:00:00.000Z",
    });
    const again = await supergraph.request(IDENTIFY, {
      authorization: events,
      variables: { a: "ba", c: customer },
    });
    expect(again.body.data!.identify.linkedEvents).toBe(3);
  });
});

describe("counts of customers, against the events as sent", () => {
  const links = new Map<string, string>();
  const sent: SentEvent[] = [];
  let organization: SignedUp;
  let key: string;
  let people: string[];
  const TYPES = ["page_view", "purchase", "signup"];

  beforeAll(async () => {
    organization = await supergraph.signUp();
    key = await apiKey(supergraph, organization.accessToken, ["EVENTS_WRITE"]);
    people = await createCustomers(supergraph, organization.accessToken, 10, "counts");
    const random = new SeededRandom(20);
    const visitors = Array.from({ length: 30 }, (_, i) => `visitor-${i}`);
    // Ten visitors identified before their events, ten after, ten never.
    const before = new Map(visitors.slice(0, 10).map((v, i) => [v, people[i % people.length]]));
    const after = new Map(
      visitors.slice(10, 20).map((v, i) => [v, people[(i * 3) % people.length]]),
    );
    const start = Date.UTC(2026, 2, 20);
    for (let i = 0; i < 2_000; i++) {
      const roll = random.next();
      const event: SentEvent = {
        id: randomId(random, `counts-${i}-`),
        type: random.pick(TYPES),
        timestamp: new Date(start + random.int(0, 30 * 24 * 60) * 60_000).toISOString(),
        value: random.int(1, 10_000) / 100,
      };
      if (roll < 0.4) event.customerId = random.pick(people);
      else if (roll < 0.95) event.anonymousId = random.pick(visitors);
      // Some events carry both: their own customer counts.
      if (roll < 0.05) event.anonymousId = random.pick(visitors);
      sent.push(event);
    }
    await identifyAll(supergraph, key, before);
    for (const [v, c] of before) links.set(v, c);
    await track(supergraph, key, sent.slice(0, 1_000));
    // Read once before the late links: their results must not be served from a cache afterwards.
    await summary(new Date(start), new Date(start + 31 * 86_400_000));
    await identifyAll(supergraph, key, after);
    for (const [v, c] of after) links.set(v, c);
    await track(supergraph, key, sent.slice(1_000));
  });

  async function summary(from: Date, to: Date) {
    const { body } = await supergraph.request(
      `query($from: DateTime!, $to: DateTime!) { summary(from: $from, to: $to) { activeCustomers { value } conversionRate { value } } }`,
      { token: organization.accessToken, variables: { from, to } },
    );
    expect(body.errors).toBeUndefined();
    return body.data!.summary;
  }

  /** Distinct customers and purchasers among the sent events in [from, to), as the rules say. */
  function expected(from: number, to: number) {
    const active = new Set<string>();
    const purchasers = new Set<string>();
    for (const event of sent) {
      const at = Date.parse(event.timestamp);
      const customer = customerOf(actorOf(event, links) ?? "anon:");
      if (at < from || at >= to || !customer) continue;
      active.add(customer);
      if (event.type === "purchase") purchasers.add(customer);
    }
    return { active: active.size, rate: active.size ? purchasers.size / active.size : null };
  }

  it("summary (customer_activity) counts identified visitors as their customers", async () => {
    const ranges = [
      ["2026-03-20T00:00:00Z", "2026-04-20T00:00:00Z"],
      ["2026-03-25T05:30:00Z", "2026-04-02T17:45:00Z"],
      ["2026-03-31T23:00:00Z", "2026-04-01T01:00:00Z"],
      ["2026-04-10T00:00:00Z", "2026-04-11T00:00:00Z"],
    ];
    for (const [from, to] of ranges) {
      const want = expected(Date.parse(from), Date.parse(to));
      const got = await summary(new Date(from), new Date(to));
      expect({ from, active: got.activeCustomers.value, rate: got.conversionRate.value }).toEqual({
        from,
        active: want.active,
        rate: want.rate ?? 0,
      });
    }
  });

  it("unique_customers per day (the raw events) counts them so too", async () => {
    const { body } = await supergraph.request(
      `{ timeseries(metric: "unique_customers", from: "2026-03-20T00:00:00Z", to: "2026-04-20T00:00:00Z", interval: DAY, timezone: "Europe/Berlin") { points { bucket value } } }`,
      { token: organization.accessToken },
    );
    expect(body.errors).toBeUndefined();
    const points: { bucket: string; value: number }[] = body.data!.timeseries.points;
    expect(points.length).toBeGreaterThan(30);
    for (const [i, point] of points.entries()) {
      const end = i + 1 < points.length ? points[i + 1].bucket : "2026-04-20T00:00:00Z";
      const from = Math.max(Date.parse(point.bucket), Date.parse("2026-03-20T00:00:00Z"));
      expect({ bucket: point.bucket, value: point.value }).toEqual({
        bucket: point.bucket,
        value: expected(from, Date.parse(end)).active,
      });
    }
  });

  it("Customer.stats counts their purchases, spend and first and last events", async () => {
    const { body } = await supergraph.request(
      `{ customers(first: 100) { edges { node { id stats { orders totalSpent firstSeenAt lastSeenAt } } } } }`,
      { token: organization.accessToken },
    );
    expect(body.errors).toBeUndefined();
    for (const { node } of body.data!.customers.edges) {
      const own = sent.filter((event) => actorOf(event, links) === node.id);
      const purchases = own.filter((event) => event.type === "purchase");
      const times = own.map((event) => Date.parse(event.timestamp));
      expect(node.stats.orders).toBe(purchases.length);
      expect(node.stats.totalSpent).toBeCloseTo(
        purchases.reduce((sum, event) => sum + event.value!, 0),
        2,
      );
      expect(node.stats.firstSeenAt).toBe(new Date(Math.min(...times)).toISOString());
      expect(node.stats.lastSeenAt).toBe(new Date(Math.max(...times)).toISOString());
    }
  });

  it("customer_activity holds exactly the UTC days of every customer's events, visitors' included", async () => {
    const want = new Map<string, number[]>();
    for (const event of sent) {
      const customer = customerOf(actorOf(event, links) ?? "anon:");
      if (!customer) continue;
      const at = new Date(event.timestamp);
      for (const type of [event.type, ""]) {
        for (const shift of [0, 1]) {
          const month = new Date(Date.UTC(at.getUTCFullYear(), at.getUTCMonth() + shift, 1));
          const key = `${type}|${month.toISOString().slice(0, 10)}|${customer}`;
          const bit = at.getUTCDate() - 1 + 32 * shift;
          want.set(
            key,
            [...new Set([...(want.get(key) ?? []), bit])].sort((a, b) => a - b),
          );
        }
      }
    }
    const rows = await supergraph.sql(
      "analytics",
      `SELECT type, to_char(month, 'YYYY-MM-DD') AS month, customer_id,
              array(SELECT b FROM generate_series(0, 62) AS b WHERE days & (1::bigint << b) <> 0 ORDER BY b) AS days
         FROM customer_activity WHERE organization_id = $1`,
      [organization.organizationId],
    );
    expect(
      new Map(rows.map((row) => [`${row.type}|${row.month}|${row.customer_id}`, row.days])),
    ).toEqual(want);
  });
});

describe("identify racing the visitor's events", () => {
  it("leaves no event of the visitor without the customer, and stores each event once", async () => {
    const organization = await supergraph.signUp();
    const key = await apiKey(supergraph, organization.accessToken, ["EVENTS_WRITE"]);
    const [customer] = await createCustomers(supergraph, organization.accessToken, 1, "race");
    for (let round = 0; round < 8; round++) {
      const anonymousId = `racer-${round}`;
      const batch = (n: number) =>
        Array.from({ length: 50 }, (_, i) => ({
          id: `race-${round}-${n}-${i}`,
          type: "page_view",
          timestamp: new Date(Date.UTC(2026, 6, 1 + (i % 20), round)).toISOString(),
          anonymousId,
        }));
      const batches = [batch(0), batch(1), batch(2)];
      // Each batch twice at once, and the identify in the middle of them.
      const results = await Promise.all([
        ...[...batches, ...batches].map((events) =>
          supergraph.request(TRACK, { authorization: key, variables: { events } }),
        ),
        supergraph.request(IDENTIFY, {
          authorization: key,
          variables: { a: anonymousId, c: customer },
        }),
      ]);
      for (const { body } of results) expect(body.errors).toBeUndefined();
      const accepted = results
        .slice(0, 6)
        .reduce((sum, { body }) => sum + body.data!.trackEvents.accepted, 0);
      expect(accepted).toBe(150);
    }
    const [left] = await supergraph.sql(
      "analytics",
      `SELECT count(*) FILTER (WHERE customer_id IS NULL)::int AS anonymous, count(*)::int AS total
         FROM events WHERE organization_id = $1`,
      [organization.organizationId],
    );
    expect(left).toEqual({ anonymous: 0, total: 8 * 150 });
    // The customer's activity is that of all those events.
    const [activity] = await supergraph.sql(
      "analytics",
      `SELECT (SELECT count(DISTINCT date_trunc('day', "timestamp", 'UTC'))::int FROM events WHERE organization_id = $1) AS days,
              (SELECT sum(bit_count((days & 2147483647)::bit(31)))::int FROM customer_activity WHERE organization_id = $1 AND type = '') AS bits`,
      [organization.organizationId],
    );
    expect(activity.bits).toBe(activity.days);
  });
});
