import { sqlQueryCount } from "#kit/database/query-counter";
import { statementsOnSharedSnapshot } from "#kit/database/shared-snapshot";
import { SeededRandom } from "#kit/random";
import { useSupergraph, type SignedUp } from "./support/supergraph";
import {
  apiKey,
  createCustomers,
  identifyAll,
  randomId,
  referenceFunnel,
  track,
  type FunnelQuery,
  type ReferenceStep,
  type SentEvent,
} from "./support/people";

/**
 * funnel through the gateway against the JavaScript reference of product.md's rules
 * (test/support/people.ts), on 4,000 seeded random events of customers and anonymous visitors
 * (identified before their events, after them, or never): times on a 5-minute grid, so that ties
 * and events exactly at the window's end are common; repeated and overlapping steps, exclusions,
 * breakdowns, filters, partial and empty ranges.
 */
// Every step's and every breakdown's customers in one operation costs more than a client's default
// limit allows.
// Every people query in 2 parts of the actors (ANALYTICS_PEOPLE_QUERY_PARTS), 2 statements on one
// snapshot, so that each comparison with the reference checks the split too.
const PARTS = 2;
const supergraph = useSupergraph({
  env: { GRAPHQL_MAX_COST: "1000000", ANALYTICS_PEOPLE_QUERY_PARTS: String(PARTS) },
});
let organization: SignedUp;
const sent: SentEvent[] = [];
const links = new Map<string, string>();
const START = Date.UTC(2026, 3, 6);
const FROM = "2026-04-06T00:00:00Z";
const TO = "2026-04-12T00:00:00Z";
const TYPES = ["page_view", "page_view", "signup", "purchase", "add_to_cart", "support", "other"];

beforeAll(async () => {
  organization = await supergraph.signUp();
  const key = await apiKey(supergraph, organization.accessToken, ["EVENTS_WRITE"]);
  const customers = await createCustomers(supergraph, organization.accessToken, 25, "funnel");
  const random = new SeededRandom(7);
  const visitors = Array.from({ length: 150 }, (_, i) => `anon-${i}`);
  const before = new Map(visitors.slice(0, 40).map((v, i) => [v, customers[i % 25]]));
  const after = new Map(visitors.slice(40, 80).map((v, i) => [v, customers[(i * 7) % 25]]));
  for (let i = 0; i < 4_000; i++) {
    const roll = random.next();
    const event: SentEvent = {
      id: randomId(random, ""),
      type: random.pick(TYPES),
      // Six days and a bit either side, on a 5-minute grid.
      timestamp: new Date(START - 3_600_000 + random.int(0, 6 * 288 + 24) * 300_000).toISOString(),
      properties: {
        ...(random.chance(0.8) ? { plan: random.pick(["p1", "p2", "p3"]) } : {}),
        ...(random.chance(0.5) ? { sku: `sku-${random.int(1, 15)}` } : {}),
        ...(random.chance(0.3) ? { items: random.int(1, 3) } : {}),
        device: random.pick(["mobile", "desktop"]),
      },
    };
    if (roll < 0.35) event.customerId = random.pick(customers);
    else event.anonymousId = random.pick(visitors);
    if (roll < 0.03) event.anonymousId = random.pick(visitors);
    sent.push(event);
  }
  await identifyAll(supergraph, key, before);
  for (const [v, c] of before) links.set(v, c);
  await track(supergraph, key, sent);
  await identifyAll(supergraph, key, after);
  for (const [v, c] of after) links.set(v, c);
});

const FUNNEL = `
  query F($steps: [FunnelStepInput!]!, $from: DateTime!, $to: DateTime!, $window: Int! = 1209600, $order: FunnelOrder! = ORDERED,
          $exclusions: [FunnelExclusionInput!], $breakdown: String, $filter: EventFilter) {
    funnel(steps: $steps, from: $from, to: $to, conversionWindowSeconds: $window, order: $order, exclusions: $exclusions,
           breakdown: $breakdown, filter: $filter) {
      steps { ...Step }
      breakdowns { value steps { ...Step } }
    }
  }
  fragment Step on FunnelStep {
    index label count conversionRate stepConversionRate medianSecondsToConvert averageSecondsToConvert
    customers(first: 100) { totalCount edges { node { id } } pageInfo { hasNextPage } }
    dropped: customers(first: 100, dropped: true) { totalCount edges { node { id } } pageInfo { hasNextPage } }
  }`;

async function funnel(query: FunnelQuery) {
  const { body } = await supergraph.request(FUNNEL, {
    token: organization.accessToken,
    variables: {
      steps: query.steps,
      from: query.from,
      to: query.to,
      window: query.conversionWindowSeconds,
      order: query.order,
      exclusions: query.exclusions,
      breakdown: query.breakdown,
      filter: query.filter,
    },
  });
  return body;
}

/** A step as the API answers it, in the reference's shape (times rounded: floating sums). */
function asReference(step: any): ReferenceStep {
  const ids = (connection: any) => {
    expect(connection.pageInfo.hasNextPage).toBe(false);
    expect(connection.totalCount).toBe(connection.edges.length);
    return connection.edges.map((edge: any) => edge.node.id);
  };
  return {
    count: step.count,
    conversionRate: step.conversionRate,
    stepConversionRate: step.stepConversionRate,
    medianSecondsToConvert: step.medianSecondsToConvert,
    averageSecondsToConvert:
      step.averageSecondsToConvert === null
        ? null
        : Math.round(step.averageSecondsToConvert * 1e6) / 1e6,
    customers: ids(step.customers),
    dropped: ids(step.dropped),
  };
}

function rounded(step: ReferenceStep): ReferenceStep {
  return {
    ...step,
    averageSecondsToConvert:
      step.averageSecondsToConvert === null
        ? null
        : Math.round(step.averageSecondsToConvert * 1e6) / 1e6,
  };
}

async function expectLikeReference(query: FunnelQuery) {
  const body = await funnel(query);
  expect(body.errors).toBeUndefined();
  const want = referenceFunnel(sent, links, query);
  const got = body.data!.funnel;
  expect(got.steps.map((step: any) => step.index)).toEqual(query.steps.map((_, i) => i + 1));
  expect(got.steps.map(asReference)).toEqual(want.steps.map(rounded));
  if (want.breakdowns === null) expect(got.breakdowns).toBeNull();
  else
    expect(
      got.breakdowns.map((b: any) => ({ value: b.value, steps: b.steps.map(asReference) })),
    ).toEqual(want.breakdowns.map((b) => ({ value: b.value, steps: b.steps.map(rounded) })));
  return want;
}

const pageViewSignupPurchase = [{ type: "page_view" }, { type: "signup" }, { type: "purchase" }];

describe("funnel equals the reference", () => {
  it.each(["ORDERED", "STRICT", "UNORDERED"] as const)(
    "page_view → signup → purchase, %s, a window of an hour (ties and edges on the 5-minute grid)",
    async (order) => {
      const want = await expectLikeReference({
        steps: pageViewSignupPurchase,
        from: FROM,
        to: TO,
        conversionWindowSeconds: 3_600,
        order,
      });
      // The data set makes a funnel worth checking: actors at every step, customers among them.
      expect(want.steps[2].count).toBeGreaterThan(2);
      expect(want.steps[0].count).toBeGreaterThan(want.steps[2].count);
      expect(want.steps[2].customers.length).toBeGreaterThan(0);
    },
  );

  it.each(["ORDERED", "STRICT", "UNORDERED"] as const)(
    "repeated and overlapping steps (page_view, page_view of plan p1, page_view, add_to_cart), %s",
    async (order) => {
      await expectLikeReference({
        steps: [
          { type: "page_view" },
          { type: "page_view", filter: { properties: { plan: "p1" } } },
          { type: "page_view" },
          { type: "add_to_cart" },
        ],
        from: FROM,
        to: TO,
        conversionWindowSeconds: 7_200,
        order,
      });
    },
  );

  it.each([
    ["ORDERED", 86_400, [{ type: "support", fromStep: 1, toStep: 3 }]],
    [
      "ORDERED",
      86_400,
      [
        { type: "support", fromStep: 2, toStep: 3 },
        { type: "other", fromStep: 1, toStep: 2 },
      ],
    ],
    [
      "ORDERED",
      86_400,
      [{ type: "support", filter: { properties: { plan: "p2" } }, fromStep: 1, toStep: 2 }],
    ],
    ["UNORDERED", 7_200, [{ type: "support", fromStep: 1, toStep: 3 }]],
    ["UNORDERED", 7_200, [{ type: "support", fromStep: 2, toStep: 3 }]],
    ["STRICT", 86_400, [{ type: "support", fromStep: 1, toStep: 3 }]],
  ] as const)("%s, a window of %i s, with exclusions %j", async (order, window, exclusions) => {
    const query: FunnelQuery = {
      steps: pageViewSignupPurchase,
      from: FROM,
      to: TO,
      conversionWindowSeconds: window,
      order,
    };
    const want = await expectLikeReference({
      ...query,
      exclusions: exclusions.map((x) => ({ ...x })),
    });
    // The exclusions disqualify attempts here (STRICT leaves no event between two steps).
    const without = referenceFunnel(sent, links, query);
    if (order !== "STRICT") expect(want.steps).not.toEqual(without.steps);
  });

  it.each([
    ["ORDERED", "plan"],
    ["ORDERED", "sku"],
    ["ORDERED", "items"],
    ["UNORDERED", "plan"],
    ["STRICT", "sku"],
  ] as const)("%s broken down by %s: the 10 largest values and other", async (order, breakdown) => {
    const want = await expectLikeReference({
      steps: pageViewSignupPurchase,
      from: FROM,
      to: TO,
      conversionWindowSeconds: 86_400,
      order,
      breakdown,
    });
    if (breakdown === "sku") expect(want.breakdowns!.at(-1)!.value).toBe("other");
  });

  it("with a funnel filter and step filters", async () => {
    await expectLikeReference({
      steps: [
        { type: "page_view", filter: { properties: { plan: "p1" } } },
        { type: "add_to_cart" },
        { type: "purchase", filter: { types: ["purchase", "signup"] } },
      ],
      from: FROM,
      to: TO,
      conversionWindowSeconds: 86_400,
      filter: { properties: { device: "mobile" } },
    });
  });

  it.each(["ORDERED", "UNORDERED"] as const)(
    "%s with a funnel filter alone (steps told apart by type, read per type)",
    async (order) => {
      await expectLikeReference({
        steps: pageViewSignupPurchase,
        from: FROM,
        to: TO,
        conversionWindowSeconds: 86_400,
        order,
        filter: { properties: { device: "mobile" } },
      });
    },
  );

  it("over part of the range, from an event's exact time (in) to another's (out)", async () => {
    const from = sent[10].timestamp;
    const to = sent[20].timestamp > from ? sent[20].timestamp : TO;
    await expectLikeReference({
      steps: pageViewSignupPurchase,
      from,
      to,
      conversionWindowSeconds: 1_800,
    });
  });

  it("with the default window of 14 days, and with one second", async () => {
    await expectLikeReference({ steps: pageViewSignupPurchase, from: FROM, to: TO });
    await expectLikeReference({
      steps: pageViewSignupPurchase,
      from: FROM,
      to: TO,
      conversionWindowSeconds: 1,
    });
  });

  it("with ten steps", async () => {
    await expectLikeReference({
      steps: Array.from({ length: 10 }, (_, i) => ({ type: i % 2 ? "page_view" : "add_to_cart" })),
      from: FROM,
      to: TO,
      conversionWindowSeconds: 86_400,
    });
  });

  it("over a range without events: zeros, no times", async () => {
    const want = await expectLikeReference({
      steps: pageViewSignupPurchase,
      from: "2025-01-01T00:00:00Z",
      to: "2025-02-01T00:00:00Z",
    });
    expect(want.steps.map((step) => step.count)).toEqual([0, 0, 0]);
  });
});

describe("customers of the steps", () => {
  it("costs one SQL statement per part of the actors for the funnel and every step's customers, reached and dropped", async () => {
    const before = sqlQueryCount("analytics");
    const body = await funnel({
      steps: pageViewSignupPurchase,
      from: FROM,
      to: TO,
      breakdown: "plan",
    });
    expect(body.errors).toBeUndefined();
    expect(sqlQueryCount("analytics") - before).toBe(statementsOnSharedSnapshot(PARTS));
    expect(body.data!.funnel.steps[0].customers.totalCount).toBeGreaterThan(10);
  });

  it("pages through a step's customers with first and after", async () => {
    const query = `query($after: String) { funnel(steps: [{ type: "page_view" }, { type: "purchase" }], from: "${FROM}", to: "${TO}") {
      steps { customers(first: 4, after: $after) { totalCount edges { cursor node { id } } pageInfo { hasNextPage endCursor } } } } }`;
    const want = referenceFunnel(sent, links, {
      steps: [{ type: "page_view" }, { type: "purchase" }],
      from: FROM,
      to: TO,
    }).steps[0].customers;
    const seen: string[] = [];
    let after: string | null = null;
    for (let page = 0; page < 20; page++) {
      const { body } = await supergraph.request(query, {
        token: organization.accessToken,
        variables: { after },
      });
      expect(body.errors).toBeUndefined();
      const connection: any = body.data!.funnel.steps[0].customers;
      expect(connection.totalCount).toBe(want.length);
      seen.push(...connection.edges.map((edge: any) => edge.node.id));
      if (!connection.pageInfo.hasNextPage) break;
      after = connection.pageInfo.endCursor;
    }
    expect(seen).toEqual(want);
  });

  it("resolves the customers through the customers subgraph", async () => {
    const { body } = await supergraph.request(
      `{ funnel(steps: [{ type: "page_view" }, { type: "purchase" }], from: "${FROM}", to: "${TO}") {
          steps { customers(first: 3) { edges { node { id name } } } } } }`,
      { token: organization.accessToken },
    );
    expect(body.errors).toBeUndefined();
    for (const edge of body.data!.funnel.steps[1].customers.edges)
      expect(edge.node.name).toMatch(/^funnel \d+$/);
  });
});

describe("bad input", () => {
  const steps = pageViewSignupPurchase;
  it.each([
    ["one step", { steps: [{ type: "page_view" }] }, "steps"],
    ["11 steps", { steps: Array.from({ length: 11 }, () => ({ type: "page_view" })) }, "steps"],
    ["a window of 0", { steps, window: 0 }, "conversionWindowSeconds"],
    ["a window over 366 days", { steps, window: 367 * 86_400 }, "conversionWindowSeconds"],
    ["from after to", { steps, from: TO, to: FROM }, "from"],
    ["an empty step type", { steps: [{ type: "" }, { type: "signup" }] }, "steps.0.type"],
    [
      "a step filter's customer that is not a UUID",
      { steps: [{ type: "page_view" }, { type: "signup", filter: { customerId: "x" } }] },
      "steps.1.filter.customerId",
    ],
    [
      "a filter's campaign that is not a UUID",
      { steps, filter: { campaignId: "x" } },
      "filter.campaignId",
    ],
    [
      "an exclusion from step 0",
      { steps, exclusions: [{ type: "x", fromStep: 0, toStep: 2 }] },
      "exclusions.0.fromStep",
    ],
    [
      "an exclusion to its own step",
      { steps, exclusions: [{ type: "x", fromStep: 2, toStep: 2 }] },
      "exclusions.0.toStep",
    ],
    [
      "an exclusion past the last step",
      { steps, exclusions: [{ type: "x", fromStep: 1, toStep: 4 }] },
      "exclusions.0.toStep",
    ],
    [
      "an exclusion of a step's type",
      {
        steps,
        exclusions: [
          { type: "x", fromStep: 1, toStep: 2 },
          { type: "signup", fromStep: 1, toStep: 3 },
        ],
      },
      "exclusions.1.type",
    ],
    ["a breakdown that is not a property name", { steps, breakdown: "a b" }, "breakdown"],
  ])("refuses %s with BAD_USER_INPUT naming the argument", async (_name, variables: any, field) => {
    const { body } = await supergraph.request(FUNNEL, {
      token: organization.accessToken,
      variables: { from: FROM, to: TO, ...variables },
    });
    expect(body.errors?.[0]?.extensions).toMatchObject({ code: "BAD_USER_INPUT", field });
  });

  it("refuses a page of more than 100 customers and a cursor that is not one", async () => {
    for (const [args, field] of [
      ["first: 101", "first"],
      ['after: "bm90LWEtY3Vyc29y"', "after"],
      [`after: "${Buffer.from(JSON.stringify(["not-a-uuid"])).toString("base64url")}"`, "after"],
    ]) {
      const { body } = await supergraph.request(
        `{ funnel(steps: [{ type: "page_view" }, { type: "purchase" }], from: "${FROM}", to: "${TO}") { steps { customers(${args}) { totalCount } } } }`,
        { token: organization.accessToken },
      );
      expect(body.errors?.[0]?.extensions).toMatchObject({ code: "BAD_USER_INPUT", field });
    }
  });
});
