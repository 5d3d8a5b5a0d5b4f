import { sqlQueryCount } from "#kit/database/query-counter";
import { DEMO_ORGANIZATION_ID } from "#dev/demo/demo-dataset";
import { useSupergraph } from "./support/supergraph";

const supergraph = useSupergraph();
let analyst: string;

beforeAll(async () => {
  analyst = await supergraph.login("analyst@acme.test");
});

async function gql(query: string, variables: Record<string, unknown> = {}, token = analyst) {
  return (await supergraph.request(query, { token, variables })).body;
}

const RUN = `mutation($input: SegmentationInput!) { runSegmentation(input: $input) {
  id status k features silhouette inertia customerCount segments { id index label size share revenueShare centroid { feature value } } } }`;

describe("segmentation", () => {
  it("segments the purchasers with k-means, deterministically for a seed, and stores every segment", async () => {
    const body = await gql(RUN, { input: { k: 4, seed: 7 } });
    expect(body.errors).toBeUndefined();
    const run = body.data!.runSegmentation;
    const [{ purchasers }] = await supergraph.sql(
      "analytics",
      `SELECT count(DISTINCT customer_id)::int AS purchasers FROM events WHERE organization_id = $1 AND type = 'purchase'`,
      [DEMO_ORGANIZATION_ID],
    );
    expect(run).toMatchObject({
      status: "COMPLETED",
      k: 4,
      features: ["recency", "frequency", "monetary"],
      customerCount: purchasers,
    });
    expect(run.segments).toHaveLength(4);
    expect(run.segments.reduce((s: number, g: any) => s + g.size, 0)).toBe(purchasers);
    expect(run.segments.reduce((s: number, g: any) => s + g.share, 0)).toBeCloseTo(1, 10);
    expect(run.segments.reduce((s: number, g: any) => s + g.revenueShare, 0)).toBeCloseTo(1, 10);
    expect(run.silhouette).toBeGreaterThan(0);
    expect(run.silhouette).toBeLessThanOrEqual(1);
    for (const segment of run.segments) {
      expect(segment.label).toMatch(
        /^(Champions|Loyal|New|At risk|Hibernating|Potential loyalists|Needs attention)( \d)?$/,
      );
      expect(segment.centroid.map((c: any) => c.feature)).toEqual([
        "recency",
        "frequency",
        "monetary",
      ]);
    }
    // Centroids are in original units: frequency between the smallest and largest order counts.
    const frequencies = run.segments.map((s: any) => s.centroid[1].value);
    expect(Math.min(...frequencies)).toBeGreaterThanOrEqual(1);

    const again = (await gql(RUN, { input: { k: 4, seed: 7 } })).data!.runSegmentation;
    expect(again.inertia).toBeCloseTo(run.inertia, 9);
    expect(again.segments.map((s: any) => s.size)).toEqual(run.segments.map((s: any) => s.size));
  });

  it("chooses k by silhouette when it is omitted", async () => {
    const run = (
      await gql(RUN, {
        input: { seed: 3, features: ["recency", "frequency", "monetary", "tenure"] },
      })
    ).data!.runSegmentation;
    expect(run.status).toBe("COMPLETED");
    expect(run.k).toBeGreaterThanOrEqual(2);
    expect(run.k).toBeLessThanOrEqual(8);
  });

  it("uses numeric customer attributes read from the customers subgraph", async () => {
    const run = (
      await gql(RUN, {
        input: {
          k: 3,
          seed: 5,
          features: ["recency", "monetary", "age", "attributes.supportTickets"],
        },
      })
    ).data!.runSegmentation;
    expect(run.status).toBe("COMPLETED");
    const ages = run.segments.map(
      (s: any) => s.centroid.find((c: any) => c.feature === "age").value,
    );
    for (const age of ages) {
      expect(age).toBeGreaterThan(18);
      expect(age).toBeLessThan(75);
    }
    const missing = await gql(RUN, {
      input: { k: 3, features: ["recency", "attributes.nothing_here"] },
    });
    expect(missing.errors?.[0]?.message ?? "").toMatch(
      /No segmented customer has a numeric 'attributes.nothing_here'/,
    );
  });

  it("pages a segment's members as Customer entities resolved by the customers subgraph", async () => {
    const latest = await gql(
      `{ segmentation { id segments { index size members(first: 5) { totalCount edges { node { id name stats { orders } segment { index } } } pageInfo { hasNextPage } } } } }`,
    );
    expect(latest.errors).toBeUndefined();
    for (const segment of latest.data!.segmentation.segments) {
      expect(segment.members.totalCount).toBe(segment.size);
      for (const { node } of segment.members.edges) {
        expect(node.name).toEqual(expect.any(String));
        expect(node.stats.orders).toBeGreaterThan(0);
        expect(node.segment.index).toBe(segment.index);
      }
    }
  });

  it("runs in the background without blocking other requests, reporting progress to poll", async () => {
    const started = (await gql(RUN, { input: { seed: 11, waitSeconds: 0 } })).data!.runSegmentation;
    expect(["RUNNING", "COMPLETED"]).toContain(started.status);
    const other = await gql(`{ metrics { name } }`);
    expect(other.errors).toBeUndefined();
    let status = started.status;
    for (let i = 0; i < 100 && status === "RUNNING"; i++) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      status = (
        await gql(`query($id: ID!) { segmentation(id: $id) { status progress } }`, {
          id: started.id,
        })
      ).data!.segmentation.status;
    }
    expect(status).toBe("COMPLETED");
  });

  it.each([
    ["k out of range", { k: 13 }, /k must be from 2 to 12/],
    [
      "an unknown feature",
      { features: ["recency", "shoe_size"] },
      /Unknown feature 'shoe_size'\. Known features: recency/,
    ],
    [
      "a date with too little data before it",
      { asOf: "2001-01-01T00:00:00Z" },
      /segmentation needs at least/,
    ],
  ])("refuses %s with BAD_USER_INPUT", async (_case, input, message) => {
    const body = await gql(RUN, { input });
    expect(body.errors![0].extensions!.code).toBe("BAD_USER_INPUT");
    expect(body.errors![0].message).toMatch(message);
  });

  it("is refused to a VIEWER", async () => {
    const viewer = await supergraph.login("viewer@acme.test");
    expect((await gql(RUN, { input: { k: 3 } }, viewer)).errors![0].extensions!.code).toBe(
      "FORBIDDEN",
    );
  });
});

describe("churn prediction", () => {
  const TRAIN = `mutation($input: ChurnTrainingInput!) { trainChurnModel(input: $input) {
    id status labelSource trainingSize positiveRate auc accuracy precision recall threshold horizonDays features { feature weight } } }`;

  it("trains on the recorded churn, evaluates on a held-out split and scores every customer", async () => {
    const body = await gql(TRAIN, { input: { seed: 1 } });
    expect(body.errors).toBeUndefined();
    const model = body.data!.trainChurnModel;
    const [{ total, churned }] = await supergraph.sql(
      "customers",
      `SELECT count(*)::int AS total, count(*) FILTER (WHERE status = 'CHURNED')::int AS churned FROM customers WHERE organization_id = $1`,
      [DEMO_ORGANIZATION_ID],
    );
    expect(model).toMatchObject({
      status: "COMPLETED",
      labelSource: "RECORDED_STATUS",
      horizonDays: 90,
    });
    expect(model.trainingSize).toBe(
      total - Math.round(churned * 0.2) - Math.round((total - churned) * 0.2),
    );
    expect(model.positiveRate).toBeCloseTo(churned / total, 10);
    // Churned demo customers stop buying: recency separates them well.
    expect(model.auc).toBeGreaterThan(0.75);
    expect(model.features.map((f: any) => f.feature)).toEqual(
      expect.arrayContaining(["recency", "frequency", "monetary", "age"]),
    );
    const [{ predictions }] = await supergraph.sql(
      "analytics",
      "SELECT count(*)::int AS predictions FROM churn_predictions WHERE model_id = $1",
      [model.id],
    );
    expect(predictions).toBe(total);
  });

  it("ranks customers by risk and shows each customer's risk with its factors", async () => {
    const ranked = await gql(
      `{ churnPredictions(first: 10, minProbability: 0.2) { totalCount edges { cursor node { probability band factors { feature weight } customer { id name churnRisk { probability band modelId } } } } pageInfo { endCursor hasNextPage } } }`,
    );
    expect(ranked.errors).toBeUndefined();
    const edges = ranked.data!.churnPredictions.edges;
    expect(edges.length).toBeGreaterThan(0);
    const probabilities = edges.map((e: any) => e.node.probability);
    expect(probabilities).toEqual([...probabilities].sort((a, b) => b - a));
    expect(Math.min(...probabilities)).toBeGreaterThanOrEqual(0.2);
    for (const { node } of edges) {
      expect(node.customer.churnRisk.probability).toBe(node.probability);
      expect(node.customer.name).toEqual(expect.any(String));
      expect(node.factors).toHaveLength(4);
    }
    const next = await gql(
      `query($after: String) { churnPredictions(first: 10, minProbability: 0.2, after: $after) { edges { node { probability customer { id } } } } }`,
      { after: ranked.data!.churnPredictions.pageInfo.endCursor },
    );
    const nextIds = next.data!.churnPredictions.edges.map((e: any) => e.node.customer.id);
    expect(
      nextIds.filter((id: string) => edges.some((e: any) => e.node.customer.id === id)),
    ).toEqual([]);
  });

  it("refuses an organization with too few customers, and one without churn or purchases", async () => {
    const empty = await supergraph.signUp();
    const body = await gql(TRAIN, { input: {} }, empty.accessToken);
    expect(body.errors![0].extensions!.code).toBe("BAD_USER_INPUT");
    expect(body.errors![0].message).toMatch(/no events before the cut-off/);
    await gql(
      `mutation($input: [CustomerInput!]!) { upsertCustomers(input: $input) { created } }`,
      {
        input: Array.from({ length: 30 }, (_, i) => ({
          externalId: `z${i}`,
          name: "Z",
          status: "CHURNED",
        })),
      },
      empty.accessToken,
    );
    const single = await gql(TRAIN, { input: {} }, empty.accessToken);
    expect(single.errors![0].message).toMatch(/a model needs both classes/);
  });
});

describe("a page of customers with everything analytics adds", () => {
  it("costs one SQL query per field in analytics, whatever the page size", async () => {
    const query = `query($first: Int) { customers(first: $first) { edges { node { id stats { orders } segment { label } churnRisk { probability } } } } }`;
    const measure = async (first: number) => {
      const before = sqlQueryCount("analytics");
      const body = await gql(query, { first });
      expect(body.errors).toBeUndefined();
      return sqlQueryCount("analytics") - before;
    };
    expect(await measure(10)).toBe(3);
    expect(await measure(100)).toBe(3);
  });
});

describe("campaigns", () => {
  it("computes performance from the campaign's events in one query for a whole page", async () => {
    const before = sqlQueryCount("analytics");
    const body = await gql(
      `{ campaigns(first: 20) { edges { node { id performance { impressions clicks conversions revenue spend ctr conversionRate roas cpa } } } } }`,
    );
    expect(body.errors).toBeUndefined();
    expect(sqlQueryCount("analytics") - before).toBe(1);
    const rows = await supergraph.sql(
      "analytics",
      `SELECT campaign_id, count(*) FILTER (WHERE type = 'campaign_impression')::int AS impressions, count(*) FILTER (WHERE type = 'campaign_click')::int AS clicks,
              count(*) FILTER (WHERE type = 'purchase')::int AS conversions, coalesce(sum(value) FILTER (WHERE type = 'purchase'), 0)::float8 AS revenue,
              coalesce(sum(value) FILTER (WHERE type = 'ad_spend'), 0)::float8 AS spend
         FROM events WHERE organization_id = $1 AND campaign_id IS NOT NULL GROUP BY campaign_id`,
      [DEMO_ORGANIZATION_ID],
    );
    const byId = new Map(rows.map((row) => [row.campaign_id, row]));
    for (const { node } of body.data!.campaigns.edges) {
      const row = byId.get(node.id) ?? {
        impressions: 0,
        clicks: 0,
        conversions: 0,
        revenue: 0,
        spend: 0,
      };
      const p = node.performance;
      expect(p).toMatchObject({
        impressions: row.impressions,
        clicks: row.clicks,
        conversions: row.conversions,
      });
      expect(p.revenue).toBeCloseTo(row.revenue, 6);
      expect(p.spend).toBeCloseTo(row.spend, 6);
      expect(p.ctr).toEqual(
        row.impressions ? expect.closeTo(row.clicks / row.impressions, 10) : null,
      );
      expect(p.roas).toEqual(row.spend ? expect.closeTo(row.revenue / row.spend, 10) : null);
      expect(p.cpa).toEqual(
        row.conversions ? expect.closeTo(row.spend / row.conversions, 10) : null,
      );
    }
  });

  it("recommends from the figures, and refuses an unknown campaign", async () => {
    const [campaign] = await supergraph.sql(
      "analytics",
      `SELECT campaign_id FROM events WHERE organization_id = $1 AND type = 'ad_spend' GROUP BY 1 ORDER BY sum(value) DESC LIMIT 1`,
      [DEMO_ORGANIZATION_ID],
    );
    const body = await gql(
      `query($id: ID!) { campaignRecommendations(campaignId: $id, objective: REVENUE) {
      campaignId objective performance { spend revenue roas } benchmarks { feature value } recommendations { action segment rationale expectedEffect figures { feature value } } } }`,
      { id: campaign.campaign_id },
    );
    expect(body.errors).toBeUndefined();
    const result = body.data!.campaignRecommendations;
    expect(result.performance.spend).toBeGreaterThan(0);
    expect(result.recommendations.length).toBeGreaterThan(0);
    for (const recommendation of result.recommendations) {
      expect(recommendation.rationale.length).toBeGreaterThan(20);
      expect(recommendation.figures.length).toBeGreaterThan(0);
    }
    if (result.performance.roas < 1) expect(result.recommendations[0].action).toBe("PAUSE");
    const unknown = await gql(
      `{ campaignRecommendations(campaignId: "00000000-0000-4000-8000-000000000000", objective: REVENUE) { campaignId } }`,
    );
    expect(unknown.errors![0]).toMatchObject({
      extensions: { code: "BAD_USER_INPUT" },
      message: expect.stringContaining("Unknown campaign"),
    });
  });
});
