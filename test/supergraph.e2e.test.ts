import { DEMO_ORGANIZATION_ID } from "#dev/demo/demo-dataset";
import { useSupergraph } from "./support/supergraph";

const supergraph = useSupergraph();
let acmeToken: string;
let globexToken: string;

beforeAll(async () => {
  acmeToken = await supergraph.login("admin@acme.test");
  globexToken = await supergraph.login("admin@globex.test");
});

describe("a federated query through the gateway", () => {
  it("returns customers from the customers subgraph with stats computed by analytics", async () => {
    const { status, body } = await supergraph.request(
      `{ customers(first: 100) { totalCount edges { node { id name stats { orders totalSpent averageOrderValue lastSeenAt } } } } }`,
      { token: acmeToken },
    );
    expect(status).toBe(200);
    expect(body.errors).toBeUndefined();
    const [{ count }] = await supergraph.sql(
      "customers",
      "SELECT count(*)::int AS count FROM customers WHERE organization_id = $1",
      [DEMO_ORGANIZATION_ID],
    );
    expect(body.data!.customers.totalCount).toBe(count);

    // The stats must be what the analytics database says for the same customers.
    const nodes = body.data!.customers.edges.map((edge: { node: any }) => edge.node);
    const expected = await supergraph.sql(
      "analytics",
      `SELECT customer_id, count(*) FILTER (WHERE type = 'purchase')::int AS orders,
              coalesce(round(sum(value) FILTER (WHERE type = 'purchase')::numeric, 2), 0)::float8 AS total, max("timestamp") AS last_seen
         FROM events WHERE organization_id = $1 AND customer_id = ANY($2::uuid[]) GROUP BY customer_id`,
      [DEMO_ORGANIZATION_ID, nodes.map((node: { id: string }) => node.id)],
    );
    const byId = new Map(expected.map((row) => [row.customer_id, row]));
    const buyers = nodes.filter((node: any) => node.stats.orders > 0);
    expect(buyers.length).toBeGreaterThan(5);
    for (const node of nodes) {
      const row = byId.get(node.id);
      expect(node.stats.orders).toBe(row?.orders ?? 0);
      expect(node.stats.totalSpent).toBeCloseTo(row?.total ?? 0, 2);
      expect(node.stats.lastSeenAt).toBe(row ? new Date(row.last_seen).toISOString() : null);
      if (node.stats.orders > 0)
        expect(node.stats.averageOrderValue).toBeCloseTo(
          node.stats.totalSpent / node.stats.orders,
          1,
        );
    }
  });

  it("resolves Campaign.createdBy through the users subgraph", async () => {
    const { body } = await supergraph.request(
      `{ campaigns(first: 20) { edges { node { id name budget createdBy { id email role } } } } }`,
      { token: acmeToken },
    );
    expect(body.errors).toBeUndefined();
    const campaigns = body.data!.campaigns.edges.map((edge: { node: any }) => edge.node);
    expect(campaigns.length).toBeGreaterThan(0);
    const creators = await supergraph.sql(
      "customers",
      "SELECT id, created_by_user_id, budget::text FROM campaigns WHERE organization_id = $1",
      [DEMO_ORGANIZATION_ID],
    );
    const users = await supergraph.sql(
      "users",
      "SELECT id, email FROM users WHERE organization_id = $1",
      [DEMO_ORGANIZATION_ID],
    );
    const emailById = new Map(users.map((user) => [user.id, user.email]));
    for (const campaign of campaigns) {
      const row = creators.find((creator) => creator.id === campaign.id)!;
      expect(campaign.createdBy.email).toBe(emailById.get(row.created_by_user_id));
      expect(campaign.budget).toBe(Number(row.budget));
    }
  });

  it("returns the signed-in user with their organization and its users", async () => {
    const { body } = await supergraph.request(
      `{ me { email role organization { id name users { email } } } }`,
      { token: acmeToken },
    );
    expect(body.data!.me).toMatchObject({
      email: "admin@acme.test",
      role: "ADMIN",
      organization: { id: DEMO_ORGANIZATION_ID, name: "Acme Retail" },
    });
    expect(
      body.data!.me.organization.users.map((user: { email: string }) => user.email).sort(),
    ).toEqual(["admin@acme.test", "analyst@acme.test", "viewer@acme.test"]);
  });

  it("lists the built-in metrics from analytics", async () => {
    const { body } = await supergraph.request(`{ metrics { name aggregation builtIn } }`, {
      token: acmeToken,
    });
    expect(body.data!.metrics.map((metric: { name: string }) => metric.name)).toEqual(
      expect.arrayContaining([
        "events",
        "unique_customers",
        "revenue",
        "orders",
        "average_order_value",
        "conversion_rate",
        "page_views",
        "new_customers",
      ]),
    );
  });
});

describe("the demo data", () => {
  it("answers the analytics summary from rollups that match the raw events", async () => {
    const to = new Date(Math.floor(Date.now() / 3_600_000) * 3_600_000);
    const from = new Date(to.getTime() - 30 * 86_400_000);
    const { body } = await supergraph.request(
      `query($from: DateTime!, $to: DateTime!) { summary(from: $from, to: $to) { revenue { value } orders { value } } }`,
      {
        token: acmeToken,
        variables: { from: from.toISOString(), to: to.toISOString() },
      },
    );
    const [raw] = await supergraph.sql(
      "analytics",
      `SELECT coalesce(sum(value), 0)::float8 AS revenue, count(*)::int AS orders FROM events WHERE organization_id = $1 AND type = 'purchase' AND "timestamp" >= $2 AND "timestamp" < $3`,
      [DEMO_ORGANIZATION_ID, from, to],
    );
    expect(raw.orders).toBeGreaterThan(10);
    expect(body.data!.summary.orders.value).toBe(raw.orders);
    expect(body.data!.summary.revenue.value).toBeCloseTo(raw.revenue, 6);
  });
});

describe("pagination", () => {
  it("pages through customers without overlap and reports hasNextPage", async () => {
    const query = `query Page($after: String) { customers(first: 40, after: $after) { totalCount edges { cursor node { id } } pageInfo { hasNextPage endCursor } } }`;
    const seen = new Set<string>();
    let after: string | null = null;
    let pages = 0;
    let totalCount = 0;
    do {
      const { body }: any = await supergraph.request(query, {
        token: acmeToken,
        variables: { after },
      });
      const page = body.data.customers;
      totalCount = page.totalCount;
      for (const edge of page.edges) {
        expect(seen.has(edge.node.id)).toBe(false);
        seen.add(edge.node.id);
      }
      after = page.pageInfo.hasNextPage ? page.pageInfo.endCursor : null;
      pages++;
    } while (after);
    expect(seen.size).toBe(totalCount);
    expect(pages).toBe(Math.ceil(totalCount / 40));
  });

  it("refuses a page size over the cap with BAD_USER_INPUT", async () => {
    const { body } = await supergraph.request(`{ customers(first: 101) { totalCount } }`, {
      token: acmeToken,
    });
    expect(body.errors?.[0].extensions?.code).toBe("BAD_USER_INPUT");
    expect(body.errors?.[0].message).toMatch(/at most 100/);
  });

  it("refuses a cursor that was not issued by the server", async () => {
    const { body } = await supergraph.request(
      `{ customers(first: 5, after: "garbage") { totalCount } }`,
      { token: acmeToken },
    );
    expect(body.errors?.[0].extensions?.code).toBe("BAD_USER_INPUT");
  });
});

describe("tenant isolation", () => {
  it("does not return another organization's customer by id", async () => {
    const [acmeCustomer] = await supergraph.sql(
      "customers",
      "SELECT id FROM customers WHERE organization_id = $1 LIMIT 1",
      [DEMO_ORGANIZATION_ID],
    );
    const own = await supergraph.request(`query($id: ID!) { customer(id: $id) { id } }`, {
      token: acmeToken,
      variables: { id: acmeCustomer.id },
    });
    expect(own.body.data!.customer).toEqual({ id: acmeCustomer.id });
    const other = await supergraph.request(`query($id: ID!) { customer(id: $id) { id name } }`, {
      token: globexToken,
      variables: { id: acmeCustomer.id },
    });
    expect(other.body.data!.customer).toBeNull();
  });

  it("resolves no _entities of another organization on a subgraph reached directly", async () => {
    const [acmeCustomer] = await supergraph.sql(
      "customers",
      "SELECT id FROM customers WHERE organization_id = $1 LIMIT 1",
      [DEMO_ORGANIZATION_ID],
    );
    const [acmeUser] = await supergraph.sql(
      "users",
      "SELECT id FROM users WHERE organization_id = $1 LIMIT 1",
      [DEMO_ORGANIZATION_ID],
    );
    const customerEntities = `query($representations: [_Any!]!) { _entities(representations: $representations) { ... on Customer { id name } } }`;
    const userEntities = `query($representations: [_Any!]!) { _entities(representations: $representations) { ... on User { id email } } }`;
    const customers = await supergraph.request(customerEntities, {
      url: supergraph.stack.subgraphs.customers.url,
      token: globexToken,
      variables: { representations: [{ __typename: "Customer", id: acmeCustomer.id }] },
    });
    expect(customers.body.data!._entities).toEqual([null]);
    // The same representation with the owner's token does resolve: the nulls above are isolation.
    const owner = await supergraph.request(customerEntities, {
      url: supergraph.stack.subgraphs.customers.url,
      token: acmeToken,
      variables: { representations: [{ __typename: "Customer", id: acmeCustomer.id }] },
    });
    expect(owner.body.data!._entities).toEqual([expect.objectContaining({ id: acmeCustomer.id })]);
    const users = await supergraph.request(userEntities, {
      url: supergraph.stack.subgraphs.users.url,
      token: globexToken,
      variables: { representations: [{ __typename: "User", id: acmeUser.id }] },
    });
    expect(users.body.data!._entities).toEqual([null]);
    const anonymous = await supergraph.request(customerEntities, {
      url: supergraph.stack.subgraphs.customers.url,
      variables: { representations: [{ __typename: "Customer", id: acmeCustomer.id }] },
    });
    expect(anonymous.body.data!._entities).toEqual([null]);
  });

  it("refuses anonymous requests for tenant data with UNAUTHENTICATED", async () => {
    const { body } = await supergraph.request(`{ customers(first: 1) { totalCount } }`);
    expect(body.errors?.[0].extensions?.code).toBe("UNAUTHENTICATED");
    expect(body.data).toBeNull();
  });

  it("refuses a forged token with UNAUTHENTICATED", async () => {
    const [header, payload] = acmeToken.split(".");
    const forged = `${header}.${payload}.${Buffer.from("not-a-signature").toString("base64url")}`;
    const { body } = await supergraph.request(`{ customers(first: 1) { totalCount } }`, {
      token: forged,
    });
    expect(body.errors?.[0].extensions?.code).toBe("UNAUTHENTICATED");
  });

  it.each(["Basic YWRtaW46cGFzc3dvcmQ=", "Bearer", "Bearer not.a.jwt"])(
    "answers the Authorization header %p with UNAUTHENTICATED and no internals",
    async (authorization) => {
      const { body } = await supergraph.request(`{ customers(first: 1) { totalCount } }`, {
        authorization,
      });
      expect(body.errors?.[0].extensions?.code).toBe("UNAUTHENTICATED");
      expect(body.errors?.[0].extensions).not.toHaveProperty("response");
      expect(JSON.stringify(body)).not.toContain(String(supergraph.stack.subgraphs.customers.port));
    },
  );

  it("gives a wrong password and an unknown email the same error", async () => {
    const login = `mutation($email: String!) { login(email: $email, password: "wrong-password") { accessToken } }`;
    const wrongPassword = await supergraph.request(login, {
      variables: { email: "admin@acme.test" },
    });
    const unknownEmail = await supergraph.request(login, {
      variables: { email: "nobody@acme.test" },
    });
    expect(wrongPassword.body.errors?.[0]).toMatchObject({
      message: "Invalid email or password.",
      extensions: { code: "UNAUTHENTICATED" },
    });
    expect(unknownEmail.body.errors?.[0]).toMatchObject({
      message: "Invalid email or password.",
      extensions: { code: "UNAUTHENTICATED" },
    });
  });
});

describe("bad requests", () => {
  it("answers a malformed query with HTTP 400 and GRAPHQL_PARSE_FAILED", async () => {
    const { status, body } = await supergraph.request(`{ customers(first: `, { token: acmeToken });
    expect(status).toBe(400);
    expect(body.errors?.[0].extensions?.code).toBe("GRAPHQL_PARSE_FAILED");
  });

  it("answers an unknown field with HTTP 400 and GRAPHQL_VALIDATION_FAILED", async () => {
    const { status, body } = await supergraph.request(`{ customers(first: 1) { nope } }`, {
      token: acmeToken,
    });
    expect(status).toBe(400);
    expect(body.errors?.[0].extensions?.code).toBe("GRAPHQL_VALIDATION_FAILED");
  });

  it("answers a body that is not JSON with HTTP 400", async () => {
    const response = await fetch(supergraph.stack.gateway.url, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: "{not json",
    });
    expect(response.status).toBe(400);
    expect(((await response.json()) as any).errors[0].extensions.code).toBe("BAD_REQUEST");
  });

  it("reports health and readiness of each subgraph", async () => {
    for (const service of Object.values(supergraph.stack.subgraphs)) {
      const base = service.url.replace(/\/graphql$/, "");
      expect((await fetch(`${base}/health`)).status).toBe(200);
      const ready = await fetch(`${base}/ready`);
      expect(ready.status).toBe(200);
      expect((await ready.json()) as object).toMatchObject({
        status: "ready",
        service: service.name,
      });
    }
    expect(
      (await fetch(supergraph.stack.gateway.url.replace(/\/graphql$/, "/health"))).status,
    ).toBe(200);
  });
});
