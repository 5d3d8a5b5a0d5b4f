import { graphql } from "./http-client";
import { signUpOrganization, type BenchOrganization } from "./organization";
import { SeededRandom } from "#kit/random";

/** What the gateway benchmark's organization holds. */
export interface GatewayBenchData {
  organization: BenchOrganization;
  customers: number;
  campaigns: number;
  events: number;
}

const DAY_MS = 86_400_000;

/**
 * A new organization with `customers` customers, 10 campaigns, about 8 events per customer over the
 * past year (purchases, some through a campaign; page views; campaign impressions, clicks and ad
 * spend), a segmentation run and a churn model: every field of the benchmark's operations has a
 * real value to resolve. All through the gateway's public API; seeded.
 */
export async function prepareGatewayBenchData(
  gatewayUrl: string,
  customers = 500,
  seed = 11,
): Promise<GatewayBenchData> {
  const random = new SeededRandom(seed);
  const organization = await signUpOrganization(gatewayUrl, "gateway");
  const auth = `Bearer ${organization.accessToken}`;
  const now = Date.now();

  const rows = Array.from({ length: customers }, (_, i) => ({
    externalId: `g-${i}`,
    name: `Customer ${i}`,
    email: `customer${i}@gateway.bench`,
    age: 18 + Math.floor(random.next() * 60),
    location: ["DE", "FR", "US", "GB", "ES"][i % 5],
    registeredAt: new Date(now - (30 + Math.floor(random.next() * 700)) * DAY_MS).toISOString(),
  }));
  await graphql(
    gatewayUrl,
    `
      mutation ($input: [CustomerInput!]!) {
        upsertCustomers(input: $input) {
          created
        }
      }
    `,
    { input: rows },
    auth,
  );
  const exported = await graphql<{ customersExport: { edges: { node: { id: string } }[] } }>(
    gatewayUrl,
    `
      {
        customersExport(first: 5000) {
          edges {
            node {
              id
            }
          }
        }
      }
    `,
    {},
    auth,
  );
  const customerIds = exported.customersExport.edges.map((edge) => edge.node.id);

  const campaignIds: string[] = [];
  for (let i = 0; i < 10; i++) {
    const created = await graphql<{ createCampaign: { id: string } }>(
      gatewayUrl,
      `
        mutation ($input: CampaignInput!) {
          createCampaign(input: $input) {
            id
          }
        }
      `,
      {
        input: {
          name: `Campaign ${i}`,
          channel: ["EMAIL", "SMS", "PUSH", "SOCIAL"][i % 4],
          budget: 1_000 + 500 * i,
          startDate: new Date(now - 360 * DAY_MS).toISOString(),
        },
      },
      auth,
    );
    campaignIds.push(created.createCampaign.id);
  }

  const events: Record<string, unknown>[] = [];
  const at = (daysAgo: number) =>
    new Date(now - daysAgo * DAY_MS - Math.floor(random.next() * DAY_MS)).toISOString();
  for (const customerId of customerIds) {
    // Some customers stop buying months ago, so churn labels have both classes.
    const lastActive =
      random.next() < 0.3 ? 120 + Math.floor(random.next() * 200) : Math.floor(random.next() * 30);
    const purchases = 1 + Math.floor(random.next() * 5);
    for (let p = 0; p < purchases; p++) {
      const campaignId =
        random.next() < 0.4
          ? campaignIds[Math.floor(random.next() * campaignIds.length)]
          : undefined;
      events.push({
        type: "purchase",
        customerId,
        campaignId,
        value: Math.round(10 + random.next() * 190),
        timestamp: at(lastActive + Math.floor(random.next() * 200)),
      });
    }
    for (let v = 0; v < 3; v++)
      events.push({
        type: "page_view",
        customerId,
        timestamp: at(lastActive + Math.floor(random.next() * 60)),
      });
  }
  for (const campaignId of campaignIds) {
    for (let d = 0; d < 30; d++) {
      events.push({ type: "campaign_impression", campaignId, timestamp: at(d * 10) });
      if (d % 3 === 0) events.push({ type: "campaign_click", campaignId, timestamp: at(d * 10) });
      events.push({
        type: "ad_spend",
        campaignId,
        value: 20 + Math.round(random.next() * 30),
        timestamp: at(d * 10),
      });
    }
  }
  for (let start = 0; start < events.length; start += 10_000) {
    await graphql(
      gatewayUrl,
      `
        mutation ($events: [EventInput!]!) {
          trackEvents(events: $events) {
            accepted
          }
        }
      `,
      { events: events.slice(start, start + 10_000) },
      auth,
    );
  }

  await graphql(
    gatewayUrl,
    `
      mutation {
        runSegmentation(input: { k: 4, seed: 1, waitSeconds: 60 }) {
          status
        }
      }
    `,
    {},
    auth,
    90_000,
  );
  await graphql(
    gatewayUrl,
    `
      mutation {
        trainChurnModel(input: { seed: 1, waitSeconds: 60 }) {
          status
        }
      }
    `,
    {},
    auth,
    90_000,
  );
  return {
    organization,
    customers: customerIds.length,
    campaigns: campaignIds.length,
    events: events.length,
  };
}
