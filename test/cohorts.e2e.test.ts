import { randomUUID } from "node:crypto";
import { sqlQueryCount } from "#kit/database/query-counter";
import { SeededRandom } from "#kit/random";
import { useSupergraph, type SignedUp } from "./support/supergraph";
import {
  actorOf,
  apiKey,
  createCustomers,
  identifyAll,
  passes,
  randomId,
  referenceFunnel,
  referenceRetention,
  track,
  userWithRole,
  type Filter,
  type SentEvent,
} from "./support/people";
import { referenceLifecycle, referencePaths, referenceStickiness } from "./support/insights";
import { cohortMembersSql } from "../subgraphs/analytics/src/modules/cohort/cohort-sql";
import { CohortMatch } from "../subgraphs/analytics/src/modules/cohort/cohort.input";

/**
 * Cohorts through the gateway against a plain JavaScript reference of product.md's "Cohorts" rule
 * (below, sharing no code with the service) on 5,000 seeded random events of the last 60 days, of
 * customers and of anonymous visitors identified before their events, after them, or never; a
 * segmentation run and two churn models stored as the jobs store them. Event times lie on a
 * 10-minute grid 5 minutes off the start of the test, so no event is within 5 minutes of a
 * `withinDays` boundary while the tests run; the exact boundary is tested on the SQL with a fixed
 * now at the end.
 */
const supergraph = useSupergraph({ env: { GRAPHQL_MAX_COST: "1000000" } });
let organization: SignedUp;
let customers: string[];
/** Customers with an identity link and no event of their own. */
let linkedOnly: string[];
/** A customer with only a churn prediction (no event, no link). */
let predictedOnly: string;
/** A customer the analytics subgraph knows nothing of. */
let unknown: string;
const sent: SentEvent[] = [];
const links = new Map<string, string>();
const NOW = Date.now();
const DAY = 86_400_000;
const TYPES = ["page_view", "page_view", "purchase", "add_to_cart", "signup", "support"];
const RUN_ID = randomUUID();
const OLD_MODEL = randomUUID();
const LATEST_MODEL = randomUUID();
/** customer -> segment index (0..2) of the run. */
const segmentOf = new Map<string, number>();
/** customer -> probability under the latest model. */
const churnOf = new Map<string, number>();

beforeAll(async () => {
  organization = await supergraph.signUp();
  const key = await apiKey(supergraph, organization.accessToken, ["EVENTS_WRITE"]);
  const all = await createCustomers(supergraph, organization.accessToken, 34, "cohort");
  customers = all.slice(0, 30);
  linkedOnly = all.slice(30, 32);
  predictedOnly = all[32];
  unknown = all[33];
  const random = new SeededRandom(20);
  const visitors = Array.from({ length: 120 }, (_, i) => `visitor-${i}`);
  const before = new Map(visitors.slice(0, 30).map((v, i) => [v, customers[i % 30]]));
  const after = new Map(visitors.slice(30, 60).map((v, i) => [v, customers[(i * 7) % 30]]));
  // Visitors without events linked to the linked-only customers.
  before.set("quiet-visitor-0", linkedOnly[0]);
  before.set("quiet-visitor-1", linkedOnly[1]);
  for (let i = 0; i < 5_000; i++) {
    const type = random.pick(TYPES);
    const event: SentEvent = {
      id: randomId(random, ""),
      type,
      timestamp: new Date(NOW - 300_000 - random.int(0, 60 * 144) * 600_000).toISOString(),
      value: type === "purchase" ? random.int(1, 200) : null,
      properties: random.chance(0.7) ? { plan: random.pick(["p1", "p2"]) } : {},
    };
    if (random.chance(0.4)) event.customerId = random.pick(customers.slice(0, 26));
    else event.anonymousId = random.pick(visitors);
    sent.push(event);
  }
  await identifyAll(supergraph, key, before);
  for (const [v, c] of before) links.set(v, c);
  await track(supergraph, key, sent);
  await identifyAll(supergraph, key, after);
  for (const [v, c] of after) links.set(v, c);

  // A segmentation run and two churn models, stored as the jobs store them.
  const org = organization.organizationId;
  await supergraph.sql(
    "analytics",
    `INSERT INTO segmentation_runs (id, organization_id, status, progress, as_of, seed, k, features)
     VALUES ($1, $2, 'COMPLETED', 1, now(), 1, 3, ARRAY['recency'])`,
    [RUN_ID, org],
  );
  for (let index = 0; index < 3; index++)
    await supergraph.sql(
      "analytics",
      `INSERT INTO segments (run_id, index, organization_id, label, size, share, revenue_share, centroid)
       VALUES ($1, $2, $3, 'S', 0, 0, 0, '[]')`,
      [RUN_ID, index, org],
    );
  const purchasers = [...new Set(sent.map((e) => actorOf(e, links)))].filter(
    (a): a is string => a !== null && !a.startsWith("anon:"),
  );
  for (const [i, customer] of purchasers.entries()) {
    segmentOf.set(customer, i % 3);
    await supergraph.sql(
      "analytics",
      `INSERT INTO segment_members (organization_id, run_id, customer_id, segment_index) VALUES ($1, $2, $3, $4)`,
      [org, RUN_ID, customer, i % 3],
    );
  }
  for (const [model, trainedAt] of [
    [OLD_MODEL, new Date(NOW - 2 * DAY)],
    [LATEST_MODEL, new Date(NOW - DAY)],
  ] as const)
    await supergraph.sql(
      "analytics",
      `INSERT INTO churn_models (id, organization_id, status, progress, trained_at, cutoff, horizon_days, seed)
       VALUES ($1, $2, 'COMPLETED', 1, $3, now(), 90, 1)`,
      [model, org, trainedAt],
    );
  for (const customer of [...customers, predictedOnly]) {
    const latest = Math.round(random.next() * 100) / 100;
    churnOf.set(customer, latest);
    for (const [model, probability] of [
      [OLD_MODEL, 1 - latest],
      [LATEST_MODEL, latest],
    ] as const)
      await supergraph.sql(
        "analytics",
        `INSERT INTO churn_predictions (organization_id, model_id, customer_id, probability, band, factors)
         VALUES ($1, $2, $3, $4, 'LOW', '[]')`,
        [org, model, customer, probability],
      );
  }
}, 120_000);

// ---------------------------------------------------------------------------------------------
// The reference.

interface Rule {
  event?: string;
  filter?: Filter;
  minCount?: number;
  maxCount?: number | null;
  withinDays?: number | null;
  segmentId?: string;
  minChurnProbability?: number;
}

/** The customers the analytics subgraph knows of: with an event, an identity link or a latest prediction. */
function knownCustomers(): Set<string> {
  const known = new Set<string>();
  for (const event of sent) {
    const actor = actorOf(event, links);
    if (actor && !actor.startsWith("anon:")) known.add(actor);
  }
  for (const customer of links.values()) known.add(customer.toLowerCase());
  for (const customer of churnOf.keys()) known.add(customer);
  return known;
}

/** product.md's rule, as worded: the members of a cohort as of `now`, in id order. */
function referenceMembers(match: "ALL" | "ANY", rules: Rule[], now = NOW): string[] {
  const holds = (customer: string, rule: Rule): boolean => {
    if (rule.segmentId !== undefined) {
      const [run, index] = rule.segmentId.split(":");
      return run === RUN_ID && segmentOf.get(customer) === Number(index);
    }
    if (rule.minChurnProbability !== undefined)
      return (churnOf.get(customer) ?? -1) >= rule.minChurnProbability;
    const since = rule.withinDays == null ? -Infinity : now - rule.withinDays * DAY;
    const count = sent.filter((event) => {
      const at = Date.parse(event.timestamp);
      return (
        actorOf(event, links) === customer &&
        event.type === rule.event &&
        at >= since &&
        at <= now &&
        passes(event, rule.filter, links)
      );
    }).length;
    return count >= (rule.minCount ?? 1) && (rule.maxCount == null || count <= rule.maxCount);
  };
  return [...knownCustomers()]
    .filter((customer) =>
      match === "ALL"
        ? rules.every((rule) => holds(customer, rule))
        : rules.some((rule) => holds(customer, rule)),
    )
    .sort();
}

// ---------------------------------------------------------------------------------------------

const CREATE = `mutation($input: CohortInput!) { createCohort(input: $input) { id name match createdAt
  rules { event minCount maxCount withinDays segmentId minChurnProbability filter { types properties } } } }`;

async function gql(query: string, variables: Record<string, unknown> = {}, token?: string) {
  const { body } = await supergraph.request(query, {
    token: token ?? organization.accessToken,
    variables,
  });
  return body;
}

async function createCohort(input: { name?: string; match?: string; rules: Rule[] }) {
  const body = await gql(CREATE, { input: { name: "c", ...input } });
  expect(body.errors).toBeUndefined();
  return body.data!.createCohort.id as string;
}

/** Every member of the cohort, through pages of `first`, and its size. */
async function members(id: string, first = 100): Promise<{ size: number; ids: string[] }> {
  const ids: string[] = [];
  let after: string | null = null;
  let size = -1;
  for (let page = 0; page < 50; page++) {
    const body = await gql(
      `query($id: ID!, $first: Int, $after: String) { cohort(id: $id) { size members(first: $first, after: $after) {
        totalCount edges { node { id } } pageInfo { hasNextPage endCursor } } } }`,
      { id, first, after },
    );
    expect(body.errors).toBeUndefined();
    const { size: s, members: connection } = body.data!.cohort;
    size = s;
    expect(connection.totalCount).toBe(s);
    ids.push(...connection.edges.map((edge: any) => edge.node.id));
    if (!connection.pageInfo.hasNextPage) break;
    after = connection.pageInfo.endCursor;
  }
  return { size, ids };
}

const P = (name: string) => ({ properties: { plan: name } });

const CASES: { name: string; match: "ALL" | "ANY"; rules: Rule[] }[] = [
  {
    name: "purchased at least twice in 30 days",
    match: "ALL",
    rules: [{ event: "purchase", minCount: 2, withinDays: 30 }],
  },
  {
    name: "did not purchase in 7 days",
    match: "ALL",
    rules: [{ event: "purchase", minCount: 0, maxCount: 0, withinDays: 7 }],
  },
  { name: "never signed up", match: "ALL", rules: [{ event: "signup", minCount: 0, maxCount: 0 }] },
  {
    name: "exactly 3 page views of plan p1, all time",
    match: "ALL",
    rules: [{ event: "page_view", filter: P("p1"), minCount: 3, maxCount: 3 }],
  },
  {
    name: "at most 2 add_to_cart in 30 days",
    match: "ALL",
    rules: [{ event: "add_to_cart", minCount: 0, maxCount: 2, withinDays: 30 }],
  },
  {
    name: "zero or more events (every known customer)",
    match: "ALL",
    rules: [{ event: "support", minCount: 0 }],
  },
  { name: "1 day window", match: "ANY", rules: [{ event: "page_view", withinDays: 1 }] },
  {
    name: "ALL: purchase and no support, in 30 days",
    match: "ALL",
    rules: [
      { event: "purchase", withinDays: 30 },
      { event: "support", minCount: 0, maxCount: 0, withinDays: 30 },
    ],
  },
  {
    name: "ANY: two did-not rules",
    match: "ANY",
    rules: [
      { event: "purchase", minCount: 0, maxCount: 0, withinDays: 7 },
      { event: "signup", minCount: 0, maxCount: 1, withinDays: 30 },
    ],
  },
  {
    name: "ANY: purchases, a segment, a churn risk",
    match: "ANY",
    rules: [
      { event: "purchase", minCount: 5, withinDays: 30 },
      { segmentId: `${RUN_ID}:1` },
      { minChurnProbability: 0.8 },
    ],
  },
  {
    name: "ALL: segment, churn risk and did not purchase",
    match: "ALL",
    rules: [
      { segmentId: `${RUN_ID}:0` },
      { minChurnProbability: 0.3 },
      { event: "purchase", minCount: 0, maxCount: 1, withinDays: 30 },
    ],
  },
  {
    name: "ANY: every known customer, whatever the other rules",
    match: "ANY",
    rules: [
      { event: "purchase", minCount: 4 },
      { event: "support", minCount: 0 },
      { event: "signup", minCount: 0, maxCount: 0 },
    ],
  },
  {
    name: "ALL: every-customer rule beside a did-not rule and a segment",
    match: "ALL",
    rules: [
      { event: "support", minCount: 0 },
      { event: "signup", minCount: 0, maxCount: 2, withinDays: 30 },
      { segmentId: `${RUN_ID}:2` },
    ],
  },
  {
    name: "churn risk 0 (every scored customer)",
    match: "ALL",
    rules: [{ minChurnProbability: 0 }],
  },
  { name: "churn risk 1 exactly", match: "ALL", rules: [{ minChurnProbability: 1 }] },
  {
    name: "ALL: churn risk and did not sign up (customers without events)",
    match: "ALL",
    rules: [{ minChurnProbability: 0.5 }, { event: "signup", minCount: 0, maxCount: 0 }],
  },
];

describe("membership against the reference", () => {
  it.each(CASES.map((c) => [c.name, c] as const))("%s", async (_, c) => {
    const id = await createCohort({ name: c.name, match: c.match, rules: c.rules });
    const want = referenceMembers(c.match, c.rules);
    const got = await members(id, 7);
    expect(got.ids).toEqual(want);
    expect(got.size).toBe(want.length);
  });

  it("has cases that hold for some customers and not for others", () => {
    const sizes = CASES.map((c) => referenceMembers(c.match, c.rules).length);
    expect(sizes.filter((n) => n > 0 && n < knownCustomers().size).length).toBeGreaterThan(8);
  });

  it("counts customers without events in a did-not rule when the subgraph knows them, never the others", async () => {
    const id = await createCohort({ rules: [{ event: "purchase", minCount: 0, maxCount: 0 }] });
    const { ids } = await members(id);
    expect(ids).toEqual(expect.arrayContaining([...linkedOnly, predictedOnly]));
    expect(ids).not.toContain(unknown);
  });

  it("counts an identified visitor's events, before and after identify, as the customer's", async () => {
    const visitorEvents = sent.filter(
      (e) => !e.customerId && e.anonymousId && links.has(e.anonymousId),
    );
    expect(visitorEvents.length).toBeGreaterThan(500);
    // The cases above already compare with the reference, which resolves visitors; here the
    // customers whose purchases are all a visitor's.
    const onlyThroughVisitors = customers.slice(26);
    const id = await createCohort({ rules: [{ event: "purchase", minCount: 1 }] });
    const { ids } = await members(id);
    const want = referenceMembers("ALL", [{ event: "purchase", minCount: 1 }]);
    expect(ids).toEqual(want);
    expect(onlyThroughVisitors.filter((c) => ids.includes(c)).length).toBeGreaterThan(0);
  });
});

describe("the API", () => {
  it("lists, reads, and deletes cohorts; keeps the rules as given", async () => {
    const body = await gql(CREATE, {
      input: {
        name: "  Buyers  ",
        match: "ANY",
        rules: [
          { event: "purchase", minCount: 2, withinDays: 30, filter: P("p1") },
          { minChurnProbability: 0.5 },
        ],
      },
    });
    expect(body.errors).toBeUndefined();
    const created = body.data!.createCohort;
    expect(created).toMatchObject({
      name: "Buyers",
      match: "ANY",
      rules: [
        {
          event: "purchase",
          minCount: 2,
          maxCount: null,
          withinDays: 30,
          segmentId: null,
          minChurnProbability: null,
          filter: { types: null, properties: { plan: "p1" } },
        },
        { event: null, minCount: null, minChurnProbability: 0.5, filter: null },
      ],
    });
    const list = await gql(`{ cohorts { id name } }`);
    expect(list.data!.cohorts[0]).toEqual({ id: created.id, name: "Buyers" });
    const deleted = await gql(`mutation($id: ID!) { deleteCohort(id: $id) }`, { id: created.id });
    expect(deleted.data!.deleteCohort).toBe(true);
    const again = await gql(`mutation($id: ID!) { deleteCohort(id: $id) }`, { id: created.id });
    expect(again.data!.deleteCohort).toBe(false);
    expect(
      (await gql(`query($id: ID!) { cohort(id: $id) { id } }`, { id: created.id })).data!.cohort,
    ).toBeNull();
    expect((await gql(`{ cohorts { id } }`)).data!.cohorts.map((c: any) => c.id)).not.toContain(
      created.id,
    );
  });

  it("lets ANALYST and ADMIN create and delete, any role and READ keys read", async () => {
    const viewer = await userWithRole(supergraph, organization.accessToken, "VIEWER");
    const analyst = await userWithRole(supergraph, organization.accessToken, "ANALYST");
    const input = { name: "roles", rules: [{ event: "purchase" }] };
    const denied = await gql(CREATE, { input }, viewer);
    expect(denied.errors?.[0].extensions?.code).toBe("FORBIDDEN");
    const made = await gql(CREATE, { input }, analyst);
    expect(made.errors).toBeUndefined();
    const id = made.data!.createCohort.id;
    const del = await gql(`mutation($id: ID!) { deleteCohort(id: $id) }`, { id }, viewer);
    expect(del.errors?.[0].extensions?.code).toBe("FORBIDDEN");
    const read = await gql(
      `query($id: ID!) { cohort(id: $id) { size } cohorts { id } }`,
      { id },
      viewer,
    );
    expect(read.errors).toBeUndefined();
    expect(read.data!.cohort.size).toBe(referenceMembers("ALL", [{ event: "purchase" }]).length);
    const key = await apiKey(supergraph, organization.accessToken, ["READ"]);
    const byKey = await supergraph.request(`query($id: ID!) { cohort(id: $id) { size } }`, {
      authorization: key,
      variables: { id },
    });
    expect(byKey.body.errors).toBeUndefined();
    expect(byKey.body.data!.cohort.size).toBe(read.data!.cohort.size);
    const keyWrite = await supergraph.request(CREATE, { authorization: key, variables: { input } });
    expect(keyWrite.body.errors?.[0].extensions?.code).toBe("FORBIDDEN");
    const anonymous = await supergraph.request(`{ cohorts { id } }`);
    expect(anonymous.body.errors?.[0].extensions?.code).toBe("UNAUTHENTICATED");
  });

  it("pages members by customer id with first and after", async () => {
    const rules: Rule[] = [{ event: "page_view", minCount: 1 }];
    const id = await createCohort({ rules });
    const want = referenceMembers("ALL", rules);
    expect(want.length).toBeGreaterThan(20);
    for (const first of [1, 3, 100]) expect((await members(id, first)).ids).toEqual(want);
    const bad = await gql(
      `query($id: ID!) { cohort(id: $id) { members(after: "nonsense") { totalCount } } }`,
      { id },
    );
    expect(bad.errors?.[0].extensions?.code).toBe("BAD_USER_INPUT");
  });

  it("lists each customer's cohorts with Customer.cohorts, in a constant number of statements", async () => {
    const a = await createCohort({ name: "a", rules: [{ event: "purchase", minCount: 3 }] });
    const b = await createCohort({
      name: "b",
      rules: [{ event: "purchase", minCount: 0, maxCount: 1000 }],
    });
    const every = await gql(
      `{ cohorts { id match rules { event minCount maxCount withinDays segmentId minChurnProbability filter { properties } } } }`,
    );
    const cohorts = every.data!.cohorts.map((c: any) => ({
      id: c.id,
      members: new Set(
        referenceMembers(
          c.match,
          c.rules.map((r: any) => ({
            event: r.event ?? undefined,
            minCount: r.minCount ?? undefined,
            maxCount: r.maxCount,
            withinDays: r.withinDays,
            segmentId: r.segmentId ?? undefined,
            minChurnProbability: r.minChurnProbability ?? undefined,
            filter: r.filter?.properties ? { properties: r.filter.properties } : undefined,
          })),
        ),
      ),
    }));
    const statements: number[] = [];
    // The counter counts the whole service, background work included: the fewest of three runs.
    for (const first of [3, 30]) {
      let fewest = Infinity;
      let body: any;
      for (let run = 0; run < 3; run++) {
        const before = sqlQueryCount("analytics");
        body = await gql(
          `query($id: ID!, $first: Int) { cohort(id: $id) { members(first: $first) { edges { node { id name cohorts { id } } } } } }`,
          { id: b, first },
        );
        fewest = Math.min(fewest, sqlQueryCount("analytics") - before);
      }
      statements.push(fewest);
      expect(body.data!.cohort.members.edges).toHaveLength(first);
      expect(body.errors).toBeUndefined();
      for (const { node } of body.data!.cohort.members.edges) {
        expect(node.name).toMatch(/^cohort /);
        const want = cohorts.filter((c: any) => c.members.has(node.id)).map((c: any) => c.id);
        expect(node.cohorts.map((c: any) => c.id)).toEqual(want);
        expect(want).toContain(b);
      }
    }
    // The cohort, its members, and the customers' cohorts (their membership; the definitions are
    // the process's, read once after a change).
    expect(statements).toEqual([3, 3]);
    expect(a).not.toBe(b);
  });

  it("computes every cohort of a list in one statement", async () => {
    let fewest = Infinity;
    for (let run = 0; run < 3; run++) {
      const before = sqlQueryCount("analytics");
      const body = await gql(`{ cohorts { id size members(first: 2) { totalCount } } }`);
      expect(body.errors).toBeUndefined();
      expect(body.data!.cohorts.length).toBeGreaterThan(10);
      fewest = Math.min(fewest, sqlQueryCount("analytics") - before);
    }
    // The list, and every cohort's members.
    expect(fewest).toBe(2);
  });
});

describe("Customer.cohorts after a change", () => {
  it("includes a cohort as soon as it is created and leaves it out as soon as it is deleted", async () => {
    const rules: Rule[] = [{ event: "purchase", minCount: 1 }];
    const keep = await createCohort({ name: "kept", rules });
    const cohortsOfMembers = async () => {
      const body = await gql(
        `query($id: ID!) { cohort(id: $id) { members(first: 5) { edges { node { cohorts { id } } } } } }`,
        { id: keep },
      );
      expect(body.errors).toBeUndefined();
      const edges = body.data!.cohort.members.edges as { node: { cohorts: { id: string }[] } }[];
      expect(edges.length).toBeGreaterThan(0);
      return edges.map((edge) => edge.node.cohorts.map((cohort) => cohort.id));
    };
    // The definitions are cached from here on.
    for (const ids of await cohortsOfMembers()) expect(ids).toContain(keep);
    const added = await createCohort({ name: "added", rules });
    for (const ids of await cohortsOfMembers()) expect(ids).toContain(added);
    const deleted = await gql(`mutation($id: ID!) { deleteCohort(id: $id) }`, { id: added });
    expect(deleted.data!.deleteCohort).toBe(true);
    for (const ids of await cohortsOfMembers()) {
      expect(ids).not.toContain(added);
      expect(ids).toContain(keep);
    }
  });
});

describe("bad input", () => {
  const bad: [string, Record<string, unknown>, string][] = [
    [
      "a rule with two kinds",
      { rules: [{ event: "purchase", minChurnProbability: 0.5 }] },
      "input.rules[0]",
    ],
    ["a rule with none", { rules: [{ event: "purchase" }, { minCount: 2 }] }, "input.rules[1]"],
    [
      "minCount above maxCount",
      { rules: [{ event: "purchase", minCount: 3, maxCount: 2 }] },
      "input.rules[0].minCount",
    ],
    [
      "a negative minCount",
      { rules: [{ event: "purchase", minCount: -1 }] },
      "input.rules[0].minCount",
    ],
    [
      "a negative maxCount",
      { rules: [{ event: "purchase", minCount: 0, maxCount: -1 }] },
      "input.rules[0].maxCount",
    ],
    [
      "withinDays 0",
      { rules: [{ event: "purchase", withinDays: 0 }] },
      "input.rules[0].withinDays",
    ],
    [
      "a negative withinDays",
      { rules: [{ event: "purchase", withinDays: -3 }] },
      "input.rules[0].withinDays",
    ],
    ["no rules", { rules: [] }, "input.rules"],
    ["a blank name", { name: "   ", rules: [{ event: "purchase" }] }, "input.name"],
    [
      "a name over 100 characters",
      { name: "x".repeat(101), rules: [{ event: "purchase" }] },
      "input.name",
    ],
    [
      "a churn probability above 1",
      { rules: [{ minChurnProbability: 1.5 }] },
      "input.rules[0].minChurnProbability",
    ],
    ["a malformed segment", { rules: [{ segmentId: "nope" }] }, "input.rules[0].segmentId"],
    [
      "an unknown segment",
      { rules: [{ event: "x" }, { segmentId: `${randomUUID()}:0` }] },
      "input.rules[1].segmentId",
    ],
    [
      "a cohort in a rule's filter",
      { rules: [{ event: "x", filter: { cohortId: randomUUID() } }] },
      "input.rules[0].filter.cohortId",
    ],
    [
      "event options on a churn rule",
      { rules: [{ minChurnProbability: 0.2, withinDays: 3 }] },
      "input.rules[0]",
    ],
  ];
  it.each(bad)("rejects %s", async (_, input, field) => {
    const before = await supergraph.sql(
      "analytics",
      `SELECT count(*)::int AS n FROM cohorts WHERE organization_id = $1`,
      [organization.organizationId],
    );
    const body = await gql(CREATE, { input: { name: "bad", ...input } });
    expect(body.errors?.[0].extensions).toMatchObject({ code: "BAD_USER_INPUT", field });
    const after = await supergraph.sql(
      "analytics",
      `SELECT count(*)::int AS n FROM cohorts WHERE organization_id = $1`,
      [organization.organizationId],
    );
    expect(after[0].n).toBe(before[0].n);
  });

  it("rejects another organization's segment as it rejects an unknown one", async () => {
    const other = await supergraph.signUp();
    const body = await gql(
      CREATE,
      { input: { name: "x", rules: [{ segmentId: `${RUN_ID}:0` }] } },
      other.accessToken,
    );
    expect(body.errors?.[0].extensions).toMatchObject({
      code: "BAD_USER_INPUT",
      field: "input.rules[0].segmentId",
    });
  });

  it("rejects an unknown or malformed cohortId in a filter, naming filter.cohortId", async () => {
    for (const cohortId of [randomUUID(), "not-a-uuid"]) {
      const body = await gql(
        `query($f: EventFilter) { aggregate(metrics: ["events"], from: "2026-01-01T00:00:00Z", to: "2027-01-01T00:00:00Z", filter: $f) { group } }`,
        { f: { cohortId } },
      );
      expect(body.errors?.[0].extensions).toMatchObject({
        code: "BAD_USER_INPUT",
        field: "filter.cohortId",
      });
    }
  });
});

// ---------------------------------------------------------------------------------------------
// EventFilter.cohortId on every analytics query, against the reference over the members' events.

describe("filter: { cohortId }", () => {
  const rules: Rule[] = [{ event: "purchase", minCount: 2, withinDays: 30 }];
  let cohortId: string;
  let memberSet: Set<string>;
  let ofMembers: SentEvent[];
  const FROM = new Date(Math.floor((NOW - 40 * DAY) / DAY) * DAY).toISOString();
  const TO = new Date(Math.floor(NOW / DAY) * DAY + DAY).toISOString();
  beforeAll(async () => {
    cohortId = await createCohort({ name: "filter", rules });
    memberSet = new Set(referenceMembers("ALL", rules));
    ofMembers = sent.filter((e) => memberSet.has(actorOf(e, links) ?? ""));
    expect(memberSet.size).toBeGreaterThan(3);
    expect(memberSet.size).toBeLessThan(knownCustomers().size - 3);
  });
  const inRange = (e: SentEvent) => e.timestamp >= FROM && e.timestamp < TO;

  it("aggregate and summary count only the members' events", async () => {
    const body = await gql(
      `query($f: EventFilter, $from: DateTime!, $to: DateTime!) {
        aggregate(metrics: ["events", "orders", "revenue", "unique_customers"], from: $from, to: $to, filter: $f) { values { metric value } }
        byType: aggregate(metrics: ["events"], from: $from, to: $to, filter: $f, groupBy: "type") { group values { value } }
        summary(from: $from, to: $to, filter: $f) { orders { value } revenue { value } activeCustomers { value } } }`,
      { f: { cohortId }, from: FROM, to: TO },
    );
    expect(body.errors).toBeUndefined();
    const events = ofMembers.filter(inRange);
    const purchases = events.filter((e) => e.type === "purchase");
    const revenue = purchases.reduce((s, e) => s + (e.value ?? 0), 0);
    expect(body.data!.aggregate[0].values.map((v: any) => v.value)).toEqual([
      events.length,
      purchases.length,
      revenue,
      new Set(events.map((e) => actorOf(e, links))).size,
    ]);
    const byType = new Map<string, number>();
    for (const e of events) byType.set(e.type, (byType.get(e.type) ?? 0) + 1);
    expect(
      Object.fromEntries(body.data!.byType.map((r: any) => [r.group, r.values[0].value])),
    ).toEqual(Object.fromEntries(byType));
    expect(body.data!.summary).toEqual({
      orders: { value: purchases.length },
      revenue: { value: revenue },
      activeCustomers: { value: new Set(events.map((e) => actorOf(e, links))).size },
    });
  });

  it("timeseries buckets only the members' events, and the result cache never answers for a cohort", async () => {
    const query = `query($f: EventFilter, $from: DateTime!, $to: DateTime!) { timeseries(metric: "orders", from: $from, to: $to, interval: DAY, filter: $f) { total points { bucket value } } }`;
    const want = new Map<string, number>();
    for (const e of ofMembers.filter(inRange).filter((e) => e.type === "purchase")) {
      const day = new Date(Math.floor(Date.parse(e.timestamp) / DAY) * DAY).toISOString();
      want.set(day, (want.get(day) ?? 0) + 1);
    }
    for (let i = 0; i < 2; i++) {
      const before = sqlQueryCount("analytics");
      const body = await gql(query, { f: { cohortId }, from: FROM, to: TO });
      expect(body.errors).toBeUndefined();
      // Each run reads the cohort and its events again.
      expect(sqlQueryCount("analytics") - before).toBeGreaterThanOrEqual(2);
      const series = body.data!.timeseries;
      expect(series.points).toHaveLength(41);
      for (const point of series.points)
        expect(point.value).toBe(want.get(new Date(point.bucket).toISOString()) ?? 0);
      expect(series.total).toBe([...want.values()].reduce((a, b) => a + b, 0));
    }
  });

  it("anomalies read only the members' events", async () => {
    const body = await gql(
      `query($f: EventFilter, $from: DateTime!, $to: DateTime!) { anomalies(metric: "orders", from: $from, to: $to, interval: DAY, filter: $f) { bucket value } }`,
      { f: { cohortId }, from: FROM, to: TO },
    );
    expect(body.errors).toBeUndefined();
    const want = new Map<string, number>();
    for (const e of ofMembers.filter(inRange).filter((e) => e.type === "purchase")) {
      const day = new Date(Math.floor(Date.parse(e.timestamp) / DAY) * DAY).toISOString();
      want.set(day, (want.get(day) ?? 0) + 1);
    }
    expect(body.data!.anomalies).toHaveLength(41);
    for (const point of body.data!.anomalies)
      expect(point.value).toBe(want.get(new Date(point.bucket).toISOString()) ?? 0);
  });

  it("funnel counts only the members", async () => {
    const query = {
      steps: [{ type: "page_view" }, { type: "add_to_cart" }, { type: "purchase" }],
      from: FROM,
      to: TO,
    };
    const body = await gql(
      `query($steps: [FunnelStepInput!]!, $from: DateTime!, $to: DateTime!, $f: EventFilter) {
        funnel(steps: $steps, from: $from, to: $to, filter: $f) { steps { count customers(first: 100) { edges { node { id } } } } } }`,
      { ...query, f: { cohortId } },
    );
    expect(body.errors).toBeUndefined();
    const want = referenceFunnel(ofMembers, links, query);
    expect(body.data!.funnel.steps.map((s: any) => s.count)).toEqual(
      want.steps.map((s) => s.count),
    );
    expect(
      body.data!.funnel.steps.map((s: any) => s.customers.edges.map((e: any) => e.node.id)),
    ).toEqual(want.steps.map((s) => s.customers));
    expect(want.steps[0].count).toBeGreaterThan(0);
    // A step's own cohort filter narrows that step alone.
    const stepFiltered = await gql(
      `query($steps: [FunnelStepInput!]!, $from: DateTime!, $to: DateTime!) { funnel(steps: $steps, from: $from, to: $to) { steps { count } } }`,
      { ...query, steps: [{ type: "page_view" }, { type: "purchase", filter: { cohortId } }] },
    );
    expect(stepFiltered.errors).toBeUndefined();
    const members = [...memberSet];
    const refStep = referenceFunnel(
      sent.filter((e) => e.type !== "purchase" || members.includes(actorOf(e, links) ?? "")),
      links,
      { ...query, steps: [{ type: "page_view" }, { type: "purchase" }] },
    );
    expect(stepFiltered.data!.funnel.steps.map((s: any) => s.count)).toEqual(
      refStep.steps.map((s) => s.count),
    );
  });

  it("retention counts only the members", async () => {
    const query = {
      startEvent: "page_view",
      returnEvent: "purchase",
      interval: "WEEK" as const,
      type: "RECURRING" as const,
      periods: 4,
      from: FROM,
      to: TO,
    };
    const body = await gql(
      `query($from: DateTime!, $to: DateTime!, $f: EventFilter) {
        retention(startEvent: "page_view", returnEvent: "purchase", interval: WEEK, periods: 4, from: $from, to: $to, type: RECURRING, filter: $f) {
          cohorts { start size values customers(first: 100) { edges { node { id } } } } } }`,
      { from: FROM, to: TO, f: { cohortId } },
    );
    expect(body.errors).toBeUndefined();
    const want = referenceRetention(ofMembers, links, query);
    expect(
      body.data!.retention.cohorts.map((c: any) => ({
        start: c.start,
        size: c.size,
        values: c.values,
        customers: c.customers.edges.map((e: any) => e.node.id),
      })),
    ).toEqual(
      want.map((c) => ({ start: c.start, size: c.size, values: c.values, customers: c.customers })),
    );
    expect(want.some((c) => c.size > 0)).toBe(true);
  });

  it("stickiness, lifecycle and paths count only the members", async () => {
    const interval = { event: "page_view", from: FROM, to: TO, interval: "WEEK" as const };
    // Week-long sessions: the seeded events are days apart.
    const paths = { from: FROM, to: TO, depth: 4, sessionGapMinutes: 10080, top: 50 };
    const body = await gql(
      `query($from: DateTime!, $to: DateTime!, $f: EventFilter) {
        stickiness(event: "page_view", from: $from, to: $to, interval: WEEK, filter: $f) { intervals actors }
        lifecycle(event: "page_view", from: $from, to: $to, interval: WEEK, filter: $f) { bucket new returning resurrecting dormant }
        paths(from: $from, to: $to, depth: 4, sessionGapMinutes: 10080, top: 50, filter: $f) { step source target count } }`,
      { from: FROM, to: TO, f: { cohortId } },
    );
    expect(body.errors).toBeUndefined();
    const stickiness = referenceStickiness(ofMembers, links, interval);
    expect(body.data!.stickiness).toEqual(stickiness);
    expect(stickiness.some((bucket) => bucket.actors > 0)).toBe(true);
    expect(body.data!.lifecycle).toEqual(referenceLifecycle(ofMembers, links, interval));
    const edges = referencePaths(ofMembers, links, paths);
    expect(body.data!.paths).toEqual(edges);
    expect(edges.length).toBeGreaterThan(0);
    // Everyone's answer differs: the filter is what made these.
    const everyone = referenceStickiness(sent, links, interval);
    expect(everyone).not.toEqual(stickiness);
  });

  it("is refused where membership cannot follow: alert rules", async () => {
    const body = await gql(
      `mutation($f: EventFilter) { createAlertRule(input: { metric: "orders", condition: ABOVE, threshold: 1, windowMinutes: 60, filter: $f }) { id } }`,
      { f: { cohortId } },
    );
    expect(body.errors?.[0].extensions).toMatchObject({
      code: "BAD_USER_INPUT",
      field: "input.filter.cohortId",
    });
  });
});

// ---------------------------------------------------------------------------------------------
// The withinDays boundary, on the membership SQL with a fixed now.

describe("the withinDays boundary", () => {
  it("counts an event exactly withinDays days before now, not one a millisecond earlier nor one after now", async () => {
    const other = await supergraph.signUp();
    const org = other.organizationId;
    const key = await apiKey(supergraph, other.accessToken, ["EVENTS_WRITE"]);
    const now = new Date(Math.floor((NOW - 3 * DAY) / 1000) * 1000);
    const [inside, outside, future] = (
      await createCustomers(supergraph, other.accessToken, 3, "edge")
    ).map((id) => id.toLowerCase());
    const purchase = (customerId: string, time: number): SentEvent => ({
      id: randomUUID(),
      type: "purchase",
      timestamp: new Date(time).toISOString(),
      customerId,
    });
    await track(supergraph, key, [
      purchase(inside, now.getTime() - 30 * DAY),
      purchase(outside, now.getTime() - 30 * DAY - 1),
      purchase(future, now.getTime() + 1),
    ]);
    const run = async (rule: any) => {
      const params: unknown[] = [org, now.toISOString()];
      const p = (value: unknown) => `$${params.push(value)}`;
      const sql = cohortMembersSql(
        { id: "x", name: "x", match: CohortMatch.ALL, rules: [rule], createdAt: now },
        p,
        { organization: "$1::uuid", now: () => "$2", candidates: null },
      );
      const rows = await supergraph.sql("analytics", `${sql} ORDER BY 1`, params);
      return rows.map((row) => row.customer_id);
    };
    expect(
      await run({
        kind: "event",
        event: "purchase",
        filter: null,
        minCount: 1,
        maxCount: null,
        withinDays: 30,
      }),
    ).toEqual([inside]);
    expect(
      await run({
        kind: "event",
        event: "purchase",
        filter: null,
        minCount: 1,
        maxCount: null,
        withinDays: null,
      }),
    ).toEqual([inside, outside].sort());
  });
});
