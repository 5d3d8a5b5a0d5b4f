import { Client } from "pg";
import type { DataSource } from "typeorm";
import { withDatabase } from "#kit/database/database-url";
import { SeededRandom } from "#kit/random";
import { fetchCustomerProfiles } from "../subgraphs/analytics/src/modules/features/customer-profiles";
import { stratifiedSplit } from "../subgraphs/analytics/src/modules/ml/evaluation";
import {
  buildChurnDataset,
  OTHER_FACTORS,
  TOP_FACTORS,
} from "../subgraphs/analytics/src/modules/churn/train-churn-model";
import { useSupergraph, type SignedUp } from "./support/supergraph";
import { TEST_ENV } from "./support/test-database";

// One seeded set of customers and events, stored into two organizations in two different orders,
// with the inputs the encoder's rules are about: a duplicated column (minutes = calls x a flat
// rate), a constant one, a two-valued categorical (plan) and a four-valued one (region).
const supergraph = useSupergraph();

const CUSTOMERS = 400;
const SEED = 5;
/** Features are computed as of this moment (fixed, so that both trainings see the same ones). */
const CUTOFF = new Date(Math.floor(Date.now() / 86_400_000) * 86_400_000 - 86_400_000);
const DAY = 86_400_000;

interface Generated {
  customer: {
    externalId: string;
    name: string;
    age: number;
    gender: string | null;
    status: "ACTIVE" | "CHURNED";
    registeredAt: string;
    churnedAt: string | null;
    attributes: Record<string, unknown>;
  };
  events: { id: string; type: string; timestamp: string; value?: number }[];
}

function generate(): Generated[] {
  const random = new SeededRandom(31);
  return Array.from({ length: CUSTOMERS }, (_, i) => {
    const calls = random.int(0, 9);
    const plan = random.next() < 0.3 ? "pro" : "basic";
    const z = -1.2 + 0.45 * calls - 1.5 * (plan === "pro" ? 1 : 0) + (random.next() - 0.5);
    const churned = random.next() < 1 / (1 + Math.exp(-z));
    const externalId = `m${String(i).padStart(4, "0")}`;
    const lastDay = churned ? 100 + random.int(0, 60) : random.int(0, 30);
    const events = Array.from({ length: 1 + random.int(0, 5) }, (_, k) => ({
      id: `${externalId}-p${k}`,
      type: "purchase",
      timestamp: new Date(CUTOFF.getTime() - (lastDay + random.int(0, 200)) * DAY).toISOString(),
      value: Math.round(random.next() * 10_000) / 100,
    }));
    events.push({
      id: `${externalId}-v`,
      type: "page_view",
      timestamp: new Date(CUTOFF.getTime() - (lastDay + 1) * DAY).toISOString(),
    } as (typeof events)[number]);
    return {
      customer: {
        externalId,
        name: `Customer ${i}`,
        age: random.int(18, 80),
        gender: random.pick(["female", "male", null]),
        status: churned ? "CHURNED" : "ACTIVE",
        registeredAt: new Date(CUTOFF.getTime() - 400 * DAY).toISOString(),
        churnedAt: churned ? new Date(CUTOFF.getTime() - 90 * DAY).toISOString() : null,
        attributes: {
          calls,
          calls_minutes: calls * 3.2,
          flat: 7,
          plan,
          region: random.pick(["north", "south", "east", "west"]),
        },
      },
      events,
    };
  });
}

function shuffled<T>(items: T[], seed: number): T[] {
  const out = [...items];
  const random = new SeededRandom(seed);
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(random.next() * (i + 1));
    [out[i], out[j]] = [out[j], out[i]];
  }
  return out;
}

async function gql(query: string, variables: Record<string, unknown>, token: string) {
  const { body } = await supergraph.request(query, { token, variables });
  expect(body.errors).toBeUndefined();
  return body.data!;
}

/** Stores the customers in `order`, then every event in `eventOrder` (by the customers' new ids). */
async function store(
  owner: SignedUp,
  data: Generated[],
  order: number[],
  eventOrder: (events: (Generated["events"][number] & { externalId: string })[]) => unknown[],
) {
  for (let start = 0; start < order.length; start += 200) {
    const input = order.slice(start, start + 200).map((i) => data[i].customer);
    const { upsertCustomers } = await gql(
      `mutation($input: [CustomerInput!]!) { upsertCustomers(input: $input) { created rejected { index reason } } }`,
      { input },
      owner.accessToken,
    );
    expect(upsertCustomers).toEqual({ created: input.length, rejected: [] });
  }
  const ids = new Map<string, string>();
  for (let start = 0; start < data.length; start += 1000) {
    const externalIds = data.slice(start, start + 1000).map((d) => d.customer.externalId);
    const { customersByExternalIds } = await gql(
      `query($ids: [String!]!) { customersByExternalIds(externalIds: $ids) { id externalId } }`,
      { ids: externalIds },
      owner.accessToken,
    );
    for (const c of customersByExternalIds) ids.set(c.externalId, c.id);
  }
  const events = eventOrder(
    data.flatMap((d) => d.events.map((e) => ({ ...e, externalId: d.customer.externalId }))),
  ) as (Generated["events"][number] & { externalId: string })[];
  const { trackEvents } = await gql(
    `mutation($events: [EventInput!]!) { trackEvents(events: $events) { accepted } }`,
    {
      events: events.map(({ externalId, ...e }) => ({ ...e, customerId: ids.get(externalId) })),
    },
    owner.accessToken,
  );
  expect(trackEvents.accepted).toBe(events.length);
}

const MODEL = `id status error auc trainingSize positiveRate threshold intercept
  features { feature weight represents { feature correlation } }`;

async function train(owner: SignedUp, seed: number) {
  const { trainChurnModel } = await gql(
    `mutation($input: ChurnTrainingInput!) { trainChurnModel(input: $input) { ${MODEL} } }`,
    { input: { seed, cutoff: CUTOFF.toISOString(), waitSeconds: 60 } },
    owner.accessToken,
  );
  expect(trainChurnModel).toMatchObject({ status: "COMPLETED", error: null });
  return trainChurnModel;
}

interface Risk {
  probability: number;
  logOdds: number;
  band: string;
  factors: {
    feature: string;
    weight: number;
    represents: { feature: string; correlation: number }[];
  }[];
}

/** Every prediction of the latest model, by the customer's externalId. */
async function predictions(owner: SignedUp): Promise<Map<string, Risk>> {
  const out = new Map<string, Risk>();
  let after: string | null = null;
  do {
    const { churnPredictions } = await gql(
      `query($after: String) { churnPredictions(first: 50, after: $after) {
        edges { node { probability logOdds band factors { feature weight represents { feature correlation } } customer { externalId } } }
        pageInfo { hasNextPage endCursor } } }`,
      { after },
      owner.accessToken,
    );
    for (const { node } of churnPredictions.edges) {
      const { customer, ...risk } = node;
      out.set(customer.externalId, risk);
    }
    after = churnPredictions.pageInfo.hasNextPage ? churnPredictions.pageInfo.endCursor : null;
  } while (after);
  return out;
}

/** The externalIds the training holds out for a seed, rebuilt in-process as the resolver does. */
async function heldOut(owner: SignedUp, seed: number) {
  const profiles = await fetchCustomerProfiles(
    supergraph.stack.subgraphs.customers.url,
    owner.accessToken,
  );
  const client = new Client({
    connectionString: withDatabase(process.env[TEST_ENV.serverUrl]!, "analytics"),
  });
  await client.connect();
  try {
    const dataSource = {
      query: async (text: string, params?: unknown[]) =>
        (await client.query(text, params as unknown[])).rows,
    } as unknown as DataSource;
    const dataset = await buildChurnDataset(dataSource, owner.organizationId, profiles, {
      horizonDays: 90,
      cutoff: CUTOFF,
      seed,
      l2: 1,
    });
    const externalId = new Map(profiles.map((p) => [p.id, p.externalId!]));
    const { train, test } = stratifiedSplit(dataset.labels, 0.2, seed);
    const ids = (rows: number[]) => rows.map((i) => externalId.get(dataset.customerIds[i])!);
    return { train: ids(train), test: ids(test) };
  } finally {
    await client.end();
  }
}

const data = generate();
let first: SignedUp;
let second: SignedUp;
let model: Awaited<ReturnType<typeof train>>;
let risks: Map<string, Risk>;

beforeAll(async () => {
  [first, second] = [await supergraph.signUp(), await supergraph.signUp()];
  const inOrder = data.map((_, i) => i);
  await store(first, data, inOrder, (events) => events);
  // The other organization: customers in reverse order, events shuffled.
  await store(second, data, [...inOrder].reverse(), (events) => shuffled(events, 77));
  model = await train(first, SEED);
  risks = await predictions(first);
}, 120_000);

describe("a churn model trained on the same customers and events stored in another order", () => {
  it("holds out the same customers, and gives the same model, AUC and predictions for the seed", async () => {
    const [a, b] = [await heldOut(first, SEED), await heldOut(second, SEED)];
    expect(b.test).toEqual(a.test);
    expect(a.test).toHaveLength(CUSTOMERS * 0.2);
    const other = await train(second, SEED);
    const { id: _a, ...sameA } = model;
    const { id: _b, ...sameB } = other;
    expect(sameB).toEqual(sameA);
    expect(await predictions(second)).toEqual(risks);
    // Another seed holds out other customers and gives another model.
    expect((await heldOut(first, SEED + 1)).test).not.toEqual(a.test);
    const reseeded = await train(second, SEED + 1);
    expect(reseeded.features).not.toEqual(model.features);
  });
});

describe("the features of a churn model", () => {
  const byName = () => new Map<string, any>(model.features.map((f: any) => [f.feature, f]));

  it("drop a duplicated column, naming it in the kept one's represents", () => {
    const calls = byName().get("attributes.calls") as any;
    expect(calls.represents).toHaveLength(1);
    expect(calls.represents[0].feature).toBe("attributes.calls_minutes");
    expect(calls.represents[0].correlation).toBeCloseTo(1, 9);
    expect(byName().has("attributes.calls_minutes")).toBe(false);
    // Churn rises with the calls in the data; the weight says so.
    expect(calls.weight).toBeGreaterThan(0.3);
  });

  it("drop a constant column", () => {
    expect([...byName().keys()].filter((name) => name.startsWith("attributes.flat"))).toEqual([]);
  });

  it("encode a two-valued categorical as one column, the other value represented at r = -1; more values keep a column each", () => {
    const names = [...byName().keys()];
    expect(names.filter((name) => name.startsWith("attributes.plan"))).toEqual([
      "attributes.plan=pro",
    ]);
    const pro = byName().get("attributes.plan=pro") as any;
    expect(pro.represents).toEqual([{ feature: "attributes.plan=basic", correlation: -1 }]);
    expect(pro.weight).toBeLessThan(0);
    expect(names.filter((name) => name.startsWith("attributes.region=")).sort()).toEqual([
      "attributes.region=east",
      "attributes.region=north",
      "attributes.region=south",
      "attributes.region=west",
    ]);
    expect(names.filter((name) => name.startsWith("gender=")).sort()).toEqual([
      "gender=(missing)",
      "gender=female",
      "gender=male",
    ]);
  });

  it("are listed largest |weight| first", () => {
    const sizes = model.features.map((f: any) => Math.abs(f.weight));
    expect(sizes).toEqual([...sizes].sort((x: number, y: number) => y - x));
  });
});

describe("a customer's churn factors", () => {
  it("are the largest contributions to the log-odds and the rest, adding up with the intercept to the log-odds", () => {
    expect(risks.size).toBe(CUSTOMERS);
    for (const risk of risks.values()) {
      expect(risk.factors).toHaveLength(TOP_FACTORS + 1);
      const top = risk.factors.slice(0, TOP_FACTORS);
      expect(top.map((f) => f.feature)).not.toContain(OTHER_FACTORS);
      expect(risk.factors[TOP_FACTORS].feature).toBe(OTHER_FACTORS);
      const sizes = top.map((f) => Math.abs(f.weight));
      expect(sizes).toEqual([...sizes].sort((x, y) => y - x));
      const sum = risk.factors.reduce((s, f) => s + f.weight, model.intercept);
      expect(sum).toBeCloseTo(risk.logOdds, 9);
      expect(risk.logOdds).toBeCloseTo(Math.log(risk.probability / (1 - risk.probability)), 9);
    }
    const calls = risks.get("m0000")!.factors.find((f) => f.feature === "attributes.calls");
    if (calls) expect(calls.represents.map((r) => r.feature)).toEqual(["attributes.calls_minutes"]);
  });

  it("are each feature's weight times the customer's standardised value (0 for the average customer)", async () => {
    // attributes.calls is not skewed, so it is standardised as it is: over the training part.
    const { train } = await heldOut(first, SEED);
    const calls = new Map(
      data.map((d) => [d.customer.externalId, d.customer.attributes.calls as number]),
    );
    const values = train.map((id) => calls.get(id)!);
    const mean = values.reduce((s, v) => s + v, 0) / values.length;
    const std = Math.sqrt(values.reduce((s, v) => s + (v - mean) ** 2, 0) / values.length);
    const weight = (model.features as any[]).find((f) => f.feature === "attributes.calls").weight;
    let checked = 0;
    for (const [externalId, risk] of risks) {
      const factor = risk.factors.find((f) => f.feature === "attributes.calls");
      if (!factor) continue;
      expect(factor.weight).toBeCloseTo((weight * (calls.get(externalId)! - mean)) / std, 9);
      checked++;
    }
    expect(checked).toBeGreaterThan(CUSTOMERS / 10);
  });
});
