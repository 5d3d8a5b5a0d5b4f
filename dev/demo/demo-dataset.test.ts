import { generateDemoDataset } from "./demo-dataset";

describe("the demo data set", () => {
  const asOf = new Date("2026-11-23T12:00:00Z");

  it("is the same in every process for the same moment, so subgraphs agree on ids", () => {
    expect(generateDemoDataset(asOf)).toEqual(generateDemoDataset(asOf));
  });

  it("has two tenants, a few hundred customers and some thousands of events in the last 90 days", () => {
    const data = generateDemoDataset(asOf);
    expect(data.organizations).toHaveLength(2);
    expect(data.customers.length).toBeGreaterThanOrEqual(300);
    expect(data.events.length).toBeGreaterThan(3_000);
    const ninetyDaysAgo = asOf.getTime() - 90 * 86_400_000;
    expect(
      data.events.every(
        (event) =>
          event.timestamp.getTime() >= ninetyDaysAgo - 86_400_000 &&
          event.timestamp.getTime() <= asOf.getTime() + 86_400_000,
      ),
    ).toBe(true);
    expect(new Set(data.events.map((event) => event.id)).size).toBe(data.events.length);
  });

  it("only references customers and campaigns of the event's own organization", () => {
    const data = generateDemoDataset(asOf);
    const customerOrg = new Map(
      data.customers.map((customer) => [customer.id, customer.organizationId]),
    );
    const campaignOrg = new Map(
      data.campaigns.map((campaign) => [campaign.id, campaign.organizationId]),
    );
    for (const event of data.events) {
      if (event.customerId) expect(customerOrg.get(event.customerId)).toBe(event.organizationId);
      if (event.campaignId) expect(campaignOrg.get(event.campaignId)).toBe(event.organizationId);
    }
  });
});

describe("the demo's anonymous visitors", () => {
  const asOf = new Date("2026-11-23T12:00:00Z");
  const data = generateDemoDataset(asOf);

  it("browse before signing up, and are identified as the customer they became", () => {
    const customers = new Map(data.customers.map((customer) => [customer.id, customer]));
    expect(data.identities.length).toBeGreaterThan(20);
    for (const identity of data.identities) {
      const customer = customers.get(identity.customerId)!;
      expect(customer.organizationId).toBe(identity.organizationId);
      const visits = data.events.filter((event) => event.anonymousId === identity.anonymousId);
      expect(visits.length).toBeGreaterThan(0);
      expect(visits.every((event) => event.customerId === null && event.type === "page_view")).toBe(
        true,
      );
      // The first visit comes before the sign-up.
      expect(Math.min(...visits.map((event) => event.timestamp.getTime()))).toBeLessThan(
        customer.registeredAt.getTime(),
      );
    }
    expect(new Set(data.identities.map((identity) => identity.anonymousId)).size).toBe(
      data.identities.length,
    );
  });

  it("are mostly never identified, so that a page_view → signup → purchase funnel drops most of them", () => {
    const identified = new Set(data.identities.map((identity) => identity.anonymousId));
    const visitors = new Set(
      data.events.flatMap((event) => (event.anonymousId ? [event.anonymousId] : [])),
    );
    const never = [...visitors].filter((visitor) => !identified.has(visitor));
    expect(never.length).toBeGreaterThan(identified.size * 5);
  });
});
