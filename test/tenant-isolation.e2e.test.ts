import { randomUUID } from "node:crypto";
import { DEMO_ORGANIZATION_ID } from "#dev/demo/demo-dataset";
import { useSupergraph } from "./support/supergraph";

/**
 * Two organizations with data (the demo tenants Acme and Globex). Globex's admin tries to read and
 * change Acme's users, customers, campaigns, events and analytics by id, by list, by entity
 * reference through the gateway and by `_entities` straight to each subgraph. An Acme id must
 * behave exactly like an id that does not exist.
 */
const supergraph = useSupergraph();
let globex: string;
let acme: {
  customerId: string;
  campaignId: string;
  userId: string;
  apiKeyId: string;
  organizationId: string;
};

beforeAll(async () => {
  globex = await supergraph.login("admin@globex.test");
  const acmeAdmin = await supergraph.login("admin@acme.test");
  const key = await supergraph.request(
    `mutation { createApiKey(name: "acme-ingest", scopes: [EVENTS_WRITE]) { apiKey { id } } }`,
    { token: acmeAdmin },
  );
  // A customer of Acme's with purchases, so its stats would show if they leaked.
  const [customer] = await supergraph.sql(
    "analytics",
    "SELECT customer_id FROM events WHERE organization_id = $1 AND type = 'purchase' LIMIT 1",
    [DEMO_ORGANIZATION_ID],
  );
  const [campaign] = await supergraph.sql(
    "customers",
    "SELECT id FROM campaigns WHERE organization_id = $1 LIMIT 1",
    [DEMO_ORGANIZATION_ID],
  );
  const [user] = await supergraph.sql(
    "users",
    "SELECT id FROM users WHERE organization_id = $1 AND email = 'analyst@acme.test'",
    [DEMO_ORGANIZATION_ID],
  );
  acme = {
    customerId: customer.customer_id,
    campaignId: campaign.id,
    userId: user.id,
    apiKeyId: key.body.data!.createApiKey.apiKey.id,
    organizationId: DEMO_ORGANIZATION_ID,
  };
});

/** The response for an id of the other tenant and for a random id, with that id masked. */
async function foreignAndMissing(
  query: string,
  foreignId: string,
  options: { url?: string; token?: string; variable?: string } = {},
) {
  const missingId = randomUUID();
  const ask = async (id: string) => {
    const { body } = await supergraph.request(query, {
      token: options.token ?? globex,
      url: options.url,
      variables: { [options.variable ?? "id"]: id },
    });
    return JSON.parse(JSON.stringify(body).split(id).join("<id>"));
  };
  return { foreign: await ask(foreignId), missing: await ask(missingId) };
}

describe("by id through the gateway", () => {
  it.each([
    ["customer", `query($id: ID!) { customer(id: $id) { id name } }`],
    ["campaign", `query($id: ID!) { campaign(id: $id) { id name } }`],
  ])("a foreign %s is null, exactly like a missing one", async (name, query) => {
    const id = name === "customer" ? acme.customerId : acme.campaignId;
    const { foreign, missing } = await foreignAndMissing(query, id);
    expect(foreign).toEqual({ data: { [name]: null } });
    expect(foreign).toEqual(missing);
  });

  it("cannot change a foreign user's role or revoke a foreign API key: NOT_FOUND, as for a missing id", async () => {
    const role = await foreignAndMissing(
      `mutation($id: ID!) { updateUserRole(id: $id, role: ADMIN) { id } }`,
      acme.userId,
    );
    expect(role.foreign.errors[0].extensions.code).toBe("NOT_FOUND");
    expect(role.foreign).toEqual(role.missing);
    const key = await foreignAndMissing(
      `mutation($id: ID!) { revokeApiKey(id: $id) { id } }`,
      acme.apiKeyId,
    );
    expect(key.foreign.errors[0].extensions.code).toBe("NOT_FOUND");
    expect(key.foreign).toEqual(key.missing);
    const [user] = await supergraph.sql("users", "SELECT role FROM users WHERE id = $1", [
      acme.userId,
    ]);
    const [apiKey] = await supergraph.sql(
      "users",
      "SELECT revoked_at FROM api_keys WHERE id = $1",
      [acme.apiKeyId],
    );
    expect(user.role).toBe("ANALYST");
    expect(apiKey.revoked_at).toBeNull();
  });
});

describe("by list through the gateway", () => {
  it("lists only the caller's users, customers, campaigns and API keys", async () => {
    const { body } = await supergraph.request(
      `{ users { id } apiKeys { id } customers(first: 100) { totalCount edges { node { id } } } campaigns(first: 100) { totalCount edges { node { id createdBy { id email } } } } }`,
      { token: globex },
    );
    expect(body.errors).toBeUndefined();
    const data = body.data!;
    const ids = JSON.stringify(data);
    for (const id of Object.values(acme)) expect(ids).not.toContain(id);
    const globexOrganizationId = JSON.parse(
      Buffer.from(globex.split(".")[1], "base64url").toString(),
    ).org;
    const [own] = await supergraph.sql(
      "customers",
      "SELECT count(*)::int AS count FROM customers WHERE organization_id = $1",
      [globexOrganizationId],
    );
    expect(data.customers.totalCount).toBe(own.count);
    expect(own.count).toBeGreaterThan(0);
    for (const edge of data.campaigns.edges)
      expect(edge.node.createdBy.email).toMatch(/@globex\.test$/);
  });

  it("computes Customer.stats only from the caller's own events", async () => {
    const { body } = await supergraph.request(
      `{ customers(first: 100) { edges { node { id stats { orders totalSpent } } } } }`,
      { token: globex },
    );
    const total = body.data!.customers.edges.reduce(
      (sum: number, edge: any) => sum + edge.node.stats.totalSpent,
      0,
    );
    const globexOrganizationId = JSON.parse(
      Buffer.from(globex.split(".")[1], "base64url").toString(),
    ).org;
    const [row] = await supergraph.sql(
      "analytics",
      "SELECT coalesce(sum(value), 0)::float8 AS total FROM events WHERE organization_id = $1 AND type = 'purchase'",
      [globexOrganizationId],
    );
    expect(row.total).toBeGreaterThan(0);
    expect(total).toBeCloseTo(row.total, 1);
  });
});

describe("by entity reference", () => {
  it("the gateway does not expose _entities to clients", async () => {
    const { status, body } = await supergraph.request(
      `query($r: [_Any!]!) { _entities(representations: $r) { __typename } }`,
      {
        token: globex,
        variables: { r: [{ __typename: "Customer", id: acme.customerId }] },
      },
    );
    expect(status).toBe(400);
    expect(body.errors![0].extensions!.code).toBe("GRAPHQL_VALIDATION_FAILED");
  });

  const cases = [
    ["users", "User", "... on User { id email name }", () => acme.userId],
    [
      "users",
      "Organization",
      "... on Organization { id name users { email } }",
      () => acme.organizationId,
    ],
    ["customers", "Customer", "... on Customer { id name email }", () => acme.customerId],
    ["customers", "Campaign", "... on Campaign { id name budget }", () => acme.campaignId],
    [
      "analytics",
      "Customer",
      "... on Customer { id stats { orders totalSpent lastSeenAt } }",
      () => acme.customerId,
    ],
  ] as const;

  it.each(cases)(
    "%s resolves a foreign %s like a missing one, with a token",
    async (service, typename, selection, id) => {
      const query = `query($id: ID!) { _entities(representations: [{ __typename: "${typename}", id: $id }]) { ${selection} } }`;
      const url = supergraph.stack.subgraphs[service].url;
      const { foreign, missing } = await foreignAndMissing(query, id(), { url });
      expect(foreign.errors).toBeUndefined();
      expect(foreign).toEqual(missing);
      expect(JSON.stringify(foreign)).not.toMatch(/acme/i);
    },
  );

  it.each(cases)(
    "%s resolves no %s at all without a token",
    async (service, typename, selection, id) => {
      const query = `query($id: ID!) { _entities(representations: [{ __typename: "${typename}", id: $id }]) { ${selection} } }`;
      const { body } = await supergraph.request(query, {
        url: supergraph.stack.subgraphs[service].url,
        variables: { id: id() },
      });
      expect(body.data).toEqual({ _entities: [null] });
    },
  );

  it("the owner does get the same references, so the nulls above are isolation, not breakage", async () => {
    const acmeAdmin = await supergraph.login("admin@acme.test");
    const { body } = await supergraph.request(
      `query($id: ID!) { _entities(representations: [{ __typename: "Customer", id: $id }]) { ... on Customer { id stats { orders } } } }`,
      {
        url: supergraph.stack.subgraphs.analytics.url,
        token: acmeAdmin,
        variables: { id: acme.customerId },
      },
    );
    expect(body.data!._entities[0].stats.orders).toBeGreaterThan(0);
  });
});

describe("people analytics", () => {
  const FROM = new Date(Date.now() - 100 * 86_400_000).toISOString();
  const TO = new Date(Date.now() + 86_400_000).toISOString();
  const PEOPLE = `query($from: DateTime!, $to: DateTime!) {
    funnel(steps: [{ type: "page_view" }, { type: "signup" }], from: $from, to: $to) {
      steps { count customers(first: 100) { totalCount edges { node { id } } } } }
    retention(startEvent: "page_view", interval: WEEK, from: $from, to: $to, type: RECURRING) {
      cohorts { size customers(first: 100) { totalCount edges { node { id } } } } } }`;
  let globexOrganizationId: string;

  beforeAll(() => {
    globexOrganizationId = JSON.parse(
      Buffer.from(globex.split(".")[1], "base64url").toString(),
    ).org;
  });

  it.each(["the gateway", "the analytics subgraph"])(
    "funnel and retention through %s count and list only the caller's actors",
    async (through) => {
      const url = through === "the gateway" ? undefined : supergraph.stack.subgraphs.analytics.url;
      const { body } = await supergraph.request(PEOPLE, {
        token: globex,
        url,
        variables: { from: FROM, to: TO },
      });
      expect(body.errors).toBeUndefined();
      const [own] = await supergraph.sql(
        "analytics",
        `SELECT count(DISTINCT coalesce(customer_id::text, anonymous_id))::int AS actors,
                count(DISTINCT customer_id)::int AS customers
           FROM events WHERE organization_id = $1 AND type = 'page_view' AND "timestamp" >= $2 AND "timestamp" < $3`,
        [globexOrganizationId, FROM, TO],
      );
      const [first] = body.data!.funnel.steps;
      expect(own.actors).toBeGreaterThan(0);
      expect(first.count).toBe(own.actors);
      expect(first.customers.totalCount).toBe(own.customers);
      const listed = new Set<string>([
        ...first.customers.edges.map((edge: any) => edge.node.id),
        ...body.data!.retention.cohorts.flatMap((c: any) =>
          c.customers.edges.map((e: any) => e.node.id),
        ),
      ]);
      const acmeCustomers = await supergraph.sql(
        "analytics",
        `SELECT DISTINCT customer_id FROM events WHERE organization_id = $1 AND customer_id IS NOT NULL`,
        [DEMO_ORGANIZATION_ID],
      );
      expect(acmeCustomers.length).toBeGreaterThan(0);
      for (const { customer_id } of acmeCustomers) expect(listed.has(customer_id)).toBe(false);
    },
  );

  it.each(["the gateway", "the analytics subgraph"])(
    "stickiness, lifecycle and paths through %s read only the caller's events",
    async (through) => {
      const url = through === "the gateway" ? undefined : supergraph.stack.subgraphs.analytics.url;
      const INSIGHTS = `query($from: DateTime!, $to: DateTime!) {
        stickiness(event: "page_view", from: $from, to: $to) { intervals actors }
        lifecycle(event: "page_view", from: $from, to: $to, interval: DAY) { bucket new returning resurrecting }
        paths(from: $from, to: $to, top: 1000) { count } }`;
      const from = new Date(Date.now() - 30 * 86_400_000).toISOString();
      const ask = async (token: string) => {
        const { body } = await supergraph.request(INSIGHTS, {
          token,
          url,
          variables: { from, to: TO },
        });
        expect(body.errors).toBeUndefined();
        return body.data!;
      };
      const own = await ask(globex);
      // Globex's actors of each day (UTC), from its events alone.
      const days = await supergraph.sql(
        "analytics",
        `SELECT date_trunc('day', "timestamp", 'UTC') AS day, count(DISTINCT coalesce(customer_id::text, anonymous_id))::int AS actors
           FROM events WHERE organization_id = $1 AND type = 'page_view'
            AND "timestamp" >= date_trunc('day', $2::timestamptz, 'UTC') AND "timestamp" < $3
          GROUP BY 1`,
        [globexOrganizationId, from, TO],
      );
      const [{ actors }] = await supergraph.sql(
        "analytics",
        `SELECT count(DISTINCT coalesce(customer_id::text, anonymous_id))::int AS actors
           FROM events WHERE organization_id = $1 AND type = 'page_view'
            AND "timestamp" >= date_trunc('day', $2::timestamptz, 'UTC') AND "timestamp" < $3`,
        [globexOrganizationId, from, TO],
      );
      expect(actors).toBeGreaterThan(0);
      expect(own.stickiness.reduce((sum: number, b: any) => sum + b.actors, 0)).toBe(actors);
      const active = new Map(days.map((d: any) => [new Date(d.day).toISOString(), d.actors]));
      for (const point of own.lifecycle)
        expect(point.new + point.returning + point.resurrecting).toBe(
          active.get(point.bucket) ?? 0,
        );
      // A new organization sees nothing where Acme and Globex have events.
      const empty = await ask((await supergraph.signUp()).accessToken);
      expect(empty.stickiness.every((b: any) => b.actors === 0)).toBe(true);
      expect(empty.lifecycle.every((p: any) => p.new + p.returning + p.resurrecting === 0)).toBe(
        true,
      );
      expect(empty.paths).toEqual([]);
      expect(own.paths.length).toBeGreaterThan(0);
    },
  );

  it("refuses people queries without a token, at the gateway and at the subgraph", async () => {
    const INSIGHTS = [
      `query($from: DateTime!, $to: DateTime!) { stickiness(event: "page_view", from: $from, to: $to) { actors } }`,
      `query($from: DateTime!, $to: DateTime!) { lifecycle(event: "page_view", from: $from, to: $to, interval: DAY) { new } }`,
      `query($from: DateTime!, $to: DateTime!) { paths(from: $from, to: $to) { count } }`,
    ];
    for (const url of [undefined, supergraph.stack.subgraphs.analytics.url])
      for (const query of [PEOPLE, ...INSIGHTS]) {
        const { body } = await supergraph.request(query, {
          url,
          variables: { from: FROM, to: TO },
        });
        expect(body.errors?.[0]?.extensions?.code).toBe("UNAUTHENTICATED");
      }
  });

  it("identify cannot reach another organization: its customers are unknown, its visitors untouched", async () => {
    const [visitor] = await supergraph.sql(
      "analytics",
      `SELECT anonymous_id, customer_id FROM events WHERE organization_id = $1 AND anonymous_id IS NOT NULL AND customer_id IS NULL LIMIT 1`,
      [DEMO_ORGANIZATION_ID],
    );
    const identify = `mutation($a: String!, $c: ID!) { identify(anonymousId: $a, customerId: $c) { linkedEvents } }`;
    const foreignCustomer = await supergraph.request(identify, {
      token: globex,
      variables: { a: visitor.anonymous_id, c: acme.customerId },
    });
    expect(foreignCustomer.body.errors?.[0]?.extensions).toMatchObject({
      code: "BAD_USER_INPUT",
      field: "customerId",
    });
    // The same visitor id in Globex is Globex's own visitor: linking it changes no Acme event.
    const [globexCustomer] = await supergraph.sql(
      "analytics",
      `SELECT customer_id FROM events WHERE organization_id = $1 AND customer_id IS NOT NULL LIMIT 1`,
      [globexOrganizationId],
    );
    const own = await supergraph.request(identify, {
      token: globex,
      variables: { a: visitor.anonymous_id, c: globexCustomer.customer_id },
    });
    expect(own.body.errors).toBeUndefined();
    const [still] = await supergraph.sql(
      "analytics",
      `SELECT count(*) FILTER (WHERE customer_id IS NOT NULL)::int AS linked FROM events WHERE organization_id = $1 AND anonymous_id = $2`,
      [DEMO_ORGANIZATION_ID, visitor.anonymous_id],
    );
    expect(still.linked).toBe(0);
  });
});

describe("cohorts", () => {
  let acmeCohort: string;
  let acmeAdmin: string;
  beforeAll(async () => {
    acmeAdmin = await supergraph.login("admin@acme.test");
    const { body } = await supergraph.request(
      `mutation { createCohort(input: { name: "Acme buyers", rules: [{ event: "purchase" }] }) { id } }`,
      { token: acmeAdmin },
    );
    acmeCohort = body.data!.createCohort.id;
  });
  const gateway = undefined;
  const subgraph = () => supergraph.stack.subgraphs.analytics.url;

  it.each([
    ["the gateway", () => gateway],
    ["the analytics subgraph", subgraph],
  ])("reads a foreign cohort through %s like a missing one", async (_, url) => {
    const query = `query($id: ID!) { cohort(id: $id) { id name size members { totalCount } } }`;
    const { foreign, missing } = await foreignAndMissing(query, acmeCohort, { url: url() });
    expect(foreign).toEqual({ data: { cohort: null } });
    expect(foreign).toEqual(missing);
    const list = await supergraph.request(`{ cohorts { id } }`, { token: globex, url: url() });
    expect(list.body.errors).toBeUndefined();
    expect(list.body.data!.cohorts.map((c: any) => c.id)).not.toContain(acmeCohort);
  });

  it.each([
    ["the gateway", () => gateway],
    ["the analytics subgraph", subgraph],
  ])("answers a foreign cohortId in a filter through %s as an unknown one", async (_, url) => {
    const query = `query($id: ID!) { aggregate(metrics: ["events"], from: "2020-01-01T00:00:00Z", to: "2030-01-01T00:00:00Z", filter: { cohortId: $id }) { group } }`;
    const { foreign, missing } = await foreignAndMissing(query, acmeCohort, { url: url() });
    expect(foreign.errors[0].extensions).toMatchObject({
      code: "BAD_USER_INPUT",
      field: "filter.cohortId",
    });
    expect(foreign).toEqual(missing);
  });

  it("cannot delete a foreign cohort", async () => {
    const { foreign, missing } = await foreignAndMissing(
      `mutation($id: ID!) { deleteCohort(id: $id) }`,
      acmeCohort,
    );
    expect(foreign).toEqual({ data: { deleteCohort: false } });
    expect(foreign).toEqual(missing);
    const still = await supergraph.request(`query($id: ID!) { cohort(id: $id) { id } }`, {
      token: acmeAdmin,
      variables: { id: acmeCohort },
    });
    expect(still.body.data!.cohort).toEqual({ id: acmeCohort });
  });

  it("lists only the caller's customers as members and the caller's cohorts in Customer.cohorts, straight at the subgraph too", async () => {
    const created = await supergraph.request(
      `mutation { createCohort(input: { name: "Everyone", rules: [{ event: "purchase", minCount: 0 }] }) { id } }`,
      { token: globex },
    );
    const everyone = created.body.data!.createCohort.id;
    const members = await supergraph.request(
      `query($id: ID!) { cohort(id: $id) { size members(first: 100) { edges { node { id } } } } }`,
      { token: globex, variables: { id: everyone } },
    );
    const ids = members.body.data!.cohort.members.edges.map((edge: any) => edge.node.id);
    expect(ids.length).toBeGreaterThan(0);
    const acmeCustomers = await supergraph.sql(
      "analytics",
      `SELECT DISTINCT customer_id FROM events WHERE organization_id = $1 AND customer_id IS NOT NULL`,
      [DEMO_ORGANIZATION_ID],
    );
    for (const { customer_id } of acmeCustomers) expect(ids).not.toContain(customer_id);
    const entity = `query($id: ID!) { _entities(representations: [{ __typename: "Customer", id: $id }]) { ... on Customer { id cohorts { id name } } } }`;
    const { foreign, missing } = await foreignAndMissing(entity, acme.customerId, {
      url: subgraph(),
    });
    expect(foreign.errors).toBeUndefined();
    expect(foreign).toEqual(missing);
    expect(JSON.stringify(foreign)).not.toMatch(/acme/i);
    // The owner gets its cohort for the same customer: the answer above is isolation.
    const own = await supergraph.request(entity, {
      url: subgraph(),
      token: acmeAdmin,
      variables: { id: acme.customerId },
    });
    expect(own.body.data!._entities[0].cohorts.map((c: any) => c.id)).toContain(acmeCohort);
  });
});
