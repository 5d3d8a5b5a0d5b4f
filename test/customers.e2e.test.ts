import { sqlQueryCount } from "#kit/database/query-counter";
import { useSupergraph, uniqueSuffix, type SignedUp } from "./support/supergraph";

const supergraph = useSupergraph();
let admin: SignedUp;

beforeAll(async () => {
  admin = await supergraph.signUp();
});

const CUSTOMER_FIELDS = `id externalId name email age gender location status churnedAt registeredAt attributes createdAt updatedAt`;
const UPSERT = `mutation($input: [CustomerInput!]!) { upsertCustomers(input: $input) { created updated unchanged rejected { index reason field } } }`;

async function gql(
  query: string,
  variables: Record<string, unknown> = {},
  token = admin.accessToken,
) {
  return (await supergraph.request(query, { token, variables })).body;
}

/** Signs up an organization and fills it with `count` customers through upsertCustomers. */
async function organizationWithCustomers(
  count: number,
  make: (i: number) => Record<string, unknown>,
) {
  const owner = await supergraph.signUp();
  for (let start = 0; start < count; start += 2_000) {
    const input = Array.from({ length: Math.min(2_000, count - start) }, (_, k) => make(start + k));
    const body = await gql(UPSERT, { input }, owner.accessToken);
    expect(body.errors).toBeUndefined();
  }
  return owner;
}

describe("customer CRUD", () => {
  it("creates, reads, updates and deletes a customer with attributes", async () => {
    const created = await gql(
      `mutation($input: CustomerInput!) { createCustomer(input: $input) { ${CUSTOMER_FIELDS} } }`,
      {
        input: {
          externalId: `c-${uniqueSuffix()}`,
          name: "  Ada Lovelace ",
          email: "ADA@Example.com",
          age: 36,
          location: "London",
          attributes: { plan: "pro", seats: 3 },
        },
      },
    );
    expect(created.errors).toBeUndefined();
    const customer = created.data!.createCustomer;
    expect(customer).toMatchObject({
      name: "Ada Lovelace",
      email: "ada@example.com",
      age: 36,
      status: "ACTIVE",
      churnedAt: null,
      attributes: { plan: "pro", seats: 3 },
    });

    const read = await gql(`query($id: ID!) { customer(id: $id) { ${CUSTOMER_FIELDS} } }`, {
      id: customer.id,
    });
    expect(read.data!.customer).toEqual(customer);

    const churned = await gql(
      `mutation($id: ID!) { updateCustomer(id: $id, input: { status: CHURNED, location: null }) { status churnedAt location name age updatedAt } }`,
      { id: customer.id },
    );
    expect(churned.data!.updateCustomer).toMatchObject({
      status: "CHURNED",
      location: null,
      name: "Ada Lovelace",
      age: 36,
    });
    expect(churned.data!.updateCustomer.churnedAt).not.toBeNull();
    expect(new Date(churned.data!.updateCustomer.updatedAt).getTime()).toBeGreaterThanOrEqual(
      new Date(customer.updatedAt).getTime(),
    );

    const back = await gql(
      `mutation($id: ID!) { updateCustomer(id: $id, input: { status: ACTIVE }) { status churnedAt } }`,
      { id: customer.id },
    );
    expect(back.data!.updateCustomer).toEqual({ status: "ACTIVE", churnedAt: null });

    expect(
      (await gql(`mutation($id: ID!) { deleteCustomer(id: $id) }`, { id: customer.id })).data,
    ).toEqual({ deleteCustomer: true });
    expect(
      (await gql(`query($id: ID!) { customer(id: $id) { id } }`, { id: customer.id })).data,
    ).toEqual({ customer: null });
    const again = await gql(`mutation($id: ID!) { deleteCustomer(id: $id) }`, { id: customer.id });
    expect(again.errors![0].extensions!.code).toBe("NOT_FOUND");
  });

  it.each([
    ["an invalid email", { email: "nope" }, "input.email"],
    ["a negative age", { age: -1 }, "input.age"],
    ["an empty name", { name: "  " }, "input.name"],
    ["attributes that are not an object", { attributes: [1, 2] }, "input.attributes"],
    ["churnedAt on an ACTIVE customer", { churnedAt: "2026-01-01T00:00:00Z" }, "input.churnedAt"],
  ])(
    "refuses %s with BAD_USER_INPUT naming the field, writing nothing",
    async (_case, override, field) => {
      const externalId = `bad-${uniqueSuffix()}`;
      const body = await gql(
        `mutation($input: CustomerInput!) { createCustomer(input: $input) { id } }`,
        { input: { externalId, name: "Bad", ...override } },
      );
      expect(body.errors![0].extensions).toMatchObject({ code: "BAD_USER_INPUT", field });
      expect(
        await supergraph.sql("customers", "SELECT id FROM customers WHERE external_id = $1", [
          externalId,
        ]),
      ).toEqual([]);
    },
  );

  it("refuses a second customer with the same externalId", async () => {
    const externalId = `dup-${uniqueSuffix()}`;
    await gql(`mutation($input: CustomerInput!) { createCustomer(input: $input) { id } }`, {
      input: { externalId, name: "One" },
    });
    const body = await gql(
      `mutation($input: CustomerInput!) { createCustomer(input: $input) { id } }`,
      { input: { externalId, name: "Two" } },
    );
    expect(body.errors![0].extensions).toMatchObject({
      code: "BAD_USER_INPUT",
      field: "input.externalId",
    });
  });

  it("answers an unknown customer id with NOT_FOUND on update", async () => {
    const body = await gql(
      `mutation { updateCustomer(id: "00000000-0000-4000-8000-000000000000", input: { name: "x" }) { id } }`,
    );
    expect(body.errors![0].extensions!.code).toBe("NOT_FOUND");
  });

  it("lets a VIEWER read but not write customers", async () => {
    const viewer = await supergraph.login("viewer@acme.test");
    const body = await gql(
      `mutation { createCustomer(input: { name: "Sneaky" }) { id } }`,
      {},
      viewer,
    );
    expect(body.errors![0].extensions!.code).toBe("FORBIDDEN");
    expect(
      (await gql(`{ customers(first: 1) { totalCount } }`, {}, viewer)).errors,
    ).toBeUndefined();
  });

  it("cannot update or delete another organization's customer", async () => {
    const [acmeCustomer] = await supergraph.sql(
      "customers",
      "SELECT id, name FROM customers WHERE external_id LIKE 'ACME-%' LIMIT 1",
    );
    const update = await gql(
      `mutation($id: ID!) { updateCustomer(id: $id, input: { name: "Hijacked" }) { id } }`,
      { id: acmeCustomer.id },
    );
    const remove = await gql(`mutation($id: ID!) { deleteCustomer(id: $id) }`, {
      id: acmeCustomer.id,
    });
    expect(update.errors![0].extensions!.code).toBe("NOT_FOUND");
    expect(remove.errors![0].extensions!.code).toBe("NOT_FOUND");
    const [after] = await supergraph.sql("customers", "SELECT name FROM customers WHERE id = $1", [
      acmeCustomer.id,
    ]);
    expect(after.name).toBe(acmeCustomer.name);
  });
});

describe("upsertCustomers", () => {
  it("is idempotent and stores the valid rows of a batch with rejections", async () => {
    const owner = await supergraph.signUp();
    const batch = [
      {
        externalId: "A-1",
        name: "Alpha",
        email: "alpha@example.com",
        attributes: { plan: "free" },
      },
      { externalId: "A-2", name: "Beta", age: 200 },
      { name: "No external id" },
      {
        externalId: "A-3",
        name: "Gamma",
        status: "CHURNED",
        churnedAt: "2026-03-01T00:00:00Z",
        registeredAt: "2025-01-01T00:00:00Z",
      },
      { externalId: "A-1", name: "Alpha again" },
      { externalId: "A-4", name: "Delta", email: "bad email" },
    ];
    const first = await gql(UPSERT, { input: batch }, owner.accessToken);
    expect(first.data!.upsertCustomers).toEqual({
      created: 2,
      updated: 0,
      unchanged: 0,
      rejected: [
        { index: 1, field: "age", reason: expect.stringContaining("0 to 150") },
        { index: 2, field: "externalId", reason: expect.any(String) },
        { index: 4, field: "externalId", reason: expect.stringContaining("first row is 0") },
        { index: 5, field: "email", reason: expect.stringContaining("not a valid email") },
      ],
    });
    const stored = await supergraph.sql(
      "customers",
      "SELECT external_id, updated_at FROM customers WHERE organization_id = $1 ORDER BY external_id",
      [owner.organizationId],
    );
    expect(stored.map((row) => row.external_id)).toEqual(["A-1", "A-3"]);

    const second = await gql(UPSERT, { input: batch }, owner.accessToken);
    expect(second.data!.upsertCustomers).toMatchObject({ created: 0, updated: 0, unchanged: 2 });
    const after = await supergraph.sql(
      "customers",
      "SELECT external_id, updated_at FROM customers WHERE organization_id = $1 ORDER BY external_id",
      [owner.organizationId],
    );
    expect(after).toEqual(stored);

    const changed = await gql(
      UPSERT,
      {
        input: [
          {
            externalId: "A-1",
            name: "Alpha",
            email: "alpha@example.com",
            attributes: { plan: "pro" },
          },
          { externalId: "A-5", name: "Epsilon" },
        ],
      },
      owner.accessToken,
    );
    expect(changed.data!.upsertCustomers).toMatchObject({
      created: 1,
      updated: 1,
      unchanged: 0,
      rejected: [],
    });
    const [alpha] = await supergraph.sql(
      "customers",
      "SELECT attributes FROM customers WHERE organization_id = $1 AND external_id = 'A-1'",
      [owner.organizationId],
    );
    expect(alpha.attributes).toEqual({ plan: "pro" });

    // Fields a row leaves out keep their stored value; null clears one.
    const partial = await gql(
      UPSERT,
      {
        input: [
          { externalId: "A-1", name: "Alpha", location: "Oslo" },
          { externalId: "A-3", name: "Gamma", email: null },
        ],
      },
      owner.accessToken,
    );
    expect(partial.data!.upsertCustomers).toMatchObject({ updated: 1, unchanged: 1 });
    const [kept] = await supergraph.sql(
      "customers",
      "SELECT email, location, attributes FROM customers WHERE organization_id = $1 AND external_id = 'A-1'",
      [owner.organizationId],
    );
    expect(kept).toEqual({
      email: "alpha@example.com",
      location: "Oslo",
      attributes: { plan: "pro" },
    });
  });

  it("looks customers up by externalId in the order given, null for unknown or foreign ones", async () => {
    const owner = await supergraph.signUp();
    await gql(
      UPSERT,
      {
        input: [
          { externalId: "L-1", name: "One" },
          { externalId: "L-2", name: "Two" },
        ],
      },
      owner.accessToken,
    );
    const body = await gql(
      `query($ids: [String!]!) { customersByExternalIds(externalIds: $ids) { externalId name } }`,
      { ids: ["L-2", "nope", "ACME-10000", "L-1"] },
      owner.accessToken,
    );
    expect(body.data!.customersByExternalIds).toEqual([
      { externalId: "L-2", name: "Two" },
      null,
      null,
      { externalId: "L-1", name: "One" },
    ]);
  });

  it("refuses a batch over 5,000 rows", async () => {
    const input = Array.from({ length: 5_001 }, (_, i) => ({ externalId: `X-${i}`, name: "x" }));
    const body = await gql(UPSERT, { input });
    expect(body.errors![0].extensions).toMatchObject({ code: "BAD_USER_INPUT", field: "input" });
  });

  it("accepts an API key with CUSTOMERS_WRITE, and refuses one without it", async () => {
    const owner = await supergraph.signUp();
    const key = async (scopes: string[]) =>
      (
        await gql(
          `mutation($s: [ApiKeyScope!]!) { createApiKey(name: "crm", scopes: $s) { secret } }`,
          { s: scopes },
          owner.accessToken,
        )
      ).data!.createApiKey.secret;
    const writer = await key(["CUSTOMERS_WRITE"]);
    const ok = await supergraph.request(UPSERT, {
      authorization: `ApiKey ${writer}`,
      variables: { input: [{ externalId: "K-1", name: "Keyed" }] },
    });
    expect(ok.body.data!.upsertCustomers.created).toBe(1);
    const other = await supergraph.request(
      `mutation { createCustomer(input: { name: "x" }) { id } }`,
      { authorization: `ApiKey ${writer}` },
    );
    expect(other.body.errors![0].extensions!.code).toBe("FORBIDDEN");
    const reader = await key(["READ"]);
    const refused = await supergraph.request(UPSERT, {
      authorization: `ApiKey ${reader}`,
      variables: { input: [{ externalId: "K-2", name: "x" }] },
    });
    expect(refused.body.errors![0].extensions!.code).toBe("FORBIDDEN");
  });
});

describe("listing customers", () => {
  let owner: SignedUp;
  const COUNT = 3_000;

  beforeAll(async () => {
    owner = await organizationWithCustomers(COUNT, (i) => ({
      externalId: `P-${String(i).padStart(5, "0")}`,
      name: `Customer ${String((i * 7919) % COUNT).padStart(5, "0")}`,
      email: i % 10 === 0 ? `vip${i}@big.example` : `c${i}@example.com`,
      location: ["Paris", "Berlin", "Lisbon"][i % 3],
      status: i % 4 === 0 ? "CHURNED" : "ACTIVE",
      registeredAt: new Date(Date.UTC(2025, 0, 1) + i * 3_600_000).toISOString(),
      attributes: { plan: i % 5 === 0 ? "pro" : "free", tier: i % 2 },
    }));
  });

  const PAGE = `query($first: Int, $after: String, $filter: CustomerFilter, $orderBy: CustomerOrder) {
    customers(first: $first, after: $after, filter: $filter, orderBy: $orderBy) { totalCount edges { node { id name registeredAt } } pageInfo { hasNextPage endCursor } } }`;

  it("pages through thousands of customers while others are inserted: no duplicates, no gaps", async () => {
    const before = new Set(
      (
        await supergraph.sql("customers", "SELECT id FROM customers WHERE organization_id = $1", [
          owner.organizationId,
        ])
      ).map((r) => r.id),
    );
    expect(before.size).toBe(COUNT);
    const seen: string[] = [];
    let after: string | null = null;
    let inserted = 0;
    do {
      const body = await gql(PAGE, { first: 100, after }, owner.accessToken);
      const page = body.data!.customers;
      seen.push(...page.edges.map((edge: any) => edge.node.id));
      after = page.pageInfo.hasNextPage ? page.pageInfo.endCursor : null;
      // Meanwhile another client keeps adding customers.
      const insert = await gql(
        UPSERT,
        { input: [{ externalId: `NEW-${inserted++}`, name: "Arrived during paging" }] },
        owner.accessToken,
      );
      expect(insert.data!.upsertCustomers.created).toBe(1);
    } while (after);
    expect(new Set(seen).size).toBe(seen.length);
    for (const id of before) expect(seen).toContain(id);
  });

  it("orders by name and by registration date, both directions, with stable pages", async () => {
    for (const [field, key] of [
      ["NAME", "name"],
      ["REGISTERED_AT", "registeredAt"],
    ] as const) {
      for (const direction of ["ASC", "DESC"]) {
        const first = (
          await gql(PAGE, { first: 50, orderBy: { field, direction } }, owner.accessToken)
        ).data!.customers;
        const second = (
          await gql(
            PAGE,
            { first: 50, after: first.pageInfo.endCursor, orderBy: { field, direction } },
            owner.accessToken,
          )
        ).data!.customers;
        const values = [...first.edges, ...second.edges].map((edge: any) => edge.node[key]);
        const sorted = [...values].sort((a, b) =>
          direction === "ASC" ? (a < b ? -1 : a > b ? 1 : 0) : a > b ? -1 : a < b ? 1 : 0,
        );
        expect({ field, direction, values }).toEqual({ field, direction, values: sorted });
      }
    }
  });

  it("filters by text, status, location, registration range and attributes, counting matches", async () => {
    const count = async (filter: Record<string, unknown>) =>
      (await gql(PAGE, { first: 1, filter }, owner.accessToken)).data!.customers.totalCount;
    expect(await count({ search: "BIG.EXAMPLE" })).toBe(COUNT / 10);
    expect(await count({ status: "CHURNED" })).toBe(COUNT / 4);
    expect(await count({ location: "berlin" })).toBe(COUNT / 3);
    expect(
      await count({ registeredFrom: "2025-01-01T00:00:00Z", registeredTo: "2025-01-02T00:00:00Z" }),
    ).toBe(24);
    expect(await count({ attributes: { plan: "pro" } })).toBe(COUNT / 5);
    expect(await count({ attributes: { plan: "pro", tier: 0 } })).toBe(COUNT / 10);
    expect(await count({ status: "CHURNED", location: "Paris", attributes: { plan: "pro" } })).toBe(
      Array.from({ length: COUNT }, (_, i) => i).filter(
        (i) => i % 4 === 0 && i % 3 === 0 && i % 5 === 0,
      ).length,
    );
    expect(await count({ search: "100%_" })).toBe(0);
  });

  it("refuses a page over the cap and a malformed cursor, naming the argument", async () => {
    expect(
      (await gql(PAGE, { first: 101 }, owner.accessToken)).errors![0].extensions,
    ).toMatchObject({ code: "BAD_USER_INPUT", field: "first" });
    expect(
      (await gql(PAGE, { first: 5, after: "bm90LWEtY3Vyc29y" }, owner.accessToken)).errors![0]
        .extensions,
    ).toMatchObject({ code: "BAD_USER_INPUT", field: "after" });
  });

  it("costs a constant number of SQL queries per page in each subgraph, whatever the page size", async () => {
    const query = `query($first: Int) { customers(first: $first) { edges { node { id name stats { orders totalSpent } } } } campaigns(first: $first) { edges { node { name createdBy { email } } } } }`;
    const acme = await supergraph.login("admin@acme.test");
    const measure = async (first: number) => {
      const before = {
        customers: sqlQueryCount("customers"),
        analytics: sqlQueryCount("analytics"),
        users: sqlQueryCount("users"),
      };
      const body = await gql(query, { first }, acme);
      expect(body.errors).toBeUndefined();
      expect(body.data!.customers.edges.length).toBe(first);
      return {
        customers: sqlQueryCount("customers") - before.customers,
        analytics: sqlQueryCount("analytics") - before.analytics,
        users: sqlQueryCount("users") - before.users,
      };
    };
    const small = await measure(5);
    const large = await measure(100);
    expect(large).toEqual(small);
    // One page query per connection; their counts run only when totalCount is asked for.
    expect(small).toEqual({ customers: 2, analytics: 1, users: 1 });
    const before = sqlQueryCount("customers");
    const counted = await gql(
      `{ customers(first: 5) { totalCount edges { node { id } } } }`,
      {},
      acme,
    );
    expect(counted.data!.customers.totalCount).toBeGreaterThan(5);
    expect(sqlQueryCount("customers") - before).toBe(2);
  });
});

describe("Customer as an entity other subgraphs reference", () => {
  it("resolves N references with one SQL query, in the caller's organization only", async () => {
    const acme = await supergraph.login("admin@acme.test");
    const ids = (
      await supergraph.sql(
        "customers",
        "SELECT id FROM customers WHERE external_id LIKE 'ACME-%' ORDER BY id LIMIT 50",
      )
    ).map((row) => row.id);
    const foreign = (
      await supergraph.sql(
        "customers",
        "SELECT id FROM customers WHERE external_id LIKE 'GLOBEX-%' LIMIT 1",
      )
    )[0].id;
    const before = sqlQueryCount("customers");
    const { body } = await supergraph.request(
      `query($r: [_Any!]!) { _entities(representations: $r) { ... on Customer { id name } } }`,
      {
        url: supergraph.stack.subgraphs.customers.url,
        token: acme,
        variables: { r: [...ids, foreign].map((id) => ({ __typename: "Customer", id })) },
      },
    );
    expect(sqlQueryCount("customers") - before).toBe(1);
    expect(body.data!._entities.slice(0, 50).map((entity: { id: string }) => entity.id)).toEqual(
      ids,
    );
    expect(body.data!._entities[50]).toBeNull();
  });
});

describe("campaigns", () => {
  const CREATE = `mutation($input: CampaignInput!) { createCampaign(input: $input) { id name status budget startDate endDate createdBy { id email } } }`;
  const STATUS = `mutation($id: ID!, $status: CampaignStatus!) { setCampaignStatus(id: $id, status: $status) { status } }`;

  async function createCampaign(input: Record<string, unknown> = {}) {
    const body = await gql(CREATE, {
      input: {
        name: "Spring launch",
        channel: "EMAIL",
        budget: 1234.56,
        startDate: "2026-03-01T00:00:00Z",
        ...input,
      },
    });
    return body;
  }

  it("creates a DRAFT campaign created by the caller, resolved by the users subgraph, with an exact budget", async () => {
    const body = await createCampaign({ budget: 0.1 });
    expect(body.errors).toBeUndefined();
    expect(body.data!.createCampaign).toMatchObject({
      status: "DRAFT",
      budget: 0.1,
      createdBy: { id: admin.userId, email: admin.email },
    });
    const [row] = await supergraph.sql(
      "customers",
      "SELECT budget::text AS budget, pg_typeof(budget)::text AS type FROM campaigns WHERE id = $1",
      [body.data!.createCampaign.id],
    );
    expect(row).toEqual({ budget: "0.10", type: "numeric" });
  });

  it("moves through DRAFT -> ACTIVE -> PAUSED -> ACTIVE -> COMPLETED and refuses everything else", async () => {
    const id = (await createCampaign()).data!.createCampaign.id;
    const set = (status: string) => gql(STATUS, { id, status });
    expect((await set("PAUSED")).errors![0].extensions).toMatchObject({
      code: "BAD_USER_INPUT",
      field: "status",
    });
    expect((await set("COMPLETED")).errors![0].message).toMatch(
      /DRAFT campaign cannot become COMPLETED; it can become ACTIVE/,
    );
    for (const status of ["ACTIVE", "PAUSED", "ACTIVE", "COMPLETED"])
      expect((await set(status)).data).toEqual({ setCampaignStatus: { status } });
    for (const status of ["ACTIVE", "PAUSED", "DRAFT"])
      expect((await set(status)).errors![0].message).toMatch(/it is final/);
    const update = await gql(
      `mutation($id: ID!) { updateCampaign(id: $id, input: { name: "Renamed" }) { id } }`,
      { id },
    );
    expect(update.errors![0].extensions!.code).toBe("BAD_USER_INPUT");
    const [row] = await supergraph.sql(
      "customers",
      "SELECT status, name, end_date FROM campaigns WHERE id = $1",
      [id],
    );
    expect(row).toMatchObject({ status: "COMPLETED", name: "Spring launch" });
    expect(row.end_date).not.toBeNull();
  });

  it.each([
    ["a negative budget", { budget: -5 }, "input.budget"],
    ["a budget with three decimals", { budget: 1.005 }, "input.budget"],
    ["an end before the start", { endDate: "2026-02-01T00:00:00Z" }, "input.endDate"],
    ["an empty name", { name: " " }, "input.name"],
  ])("refuses %s with BAD_USER_INPUT naming the field", async (_case, input, field) => {
    const before = await supergraph.sql(
      "customers",
      "SELECT count(*)::int AS n FROM campaigns WHERE organization_id = $1",
      [admin.organizationId],
    );
    const body = await createCampaign(input);
    expect(body.errors![0].extensions).toMatchObject({ code: "BAD_USER_INPUT", field });
    expect(
      await supergraph.sql(
        "customers",
        "SELECT count(*)::int AS n FROM campaigns WHERE organization_id = $1",
        [admin.organizationId],
      ),
    ).toEqual(before);
  });

  it("updates fields, keeping the end after the start", async () => {
    const id = (await createCampaign({ endDate: "2026-04-01T00:00:00Z" })).data!.createCampaign.id;
    const ok = await gql(
      `mutation($id: ID!) { updateCampaign(id: $id, input: { budget: 99.5, channel: SMS }) { budget channel endDate } }`,
      { id },
    );
    expect(ok.data!.updateCampaign).toEqual({
      budget: 99.5,
      channel: "SMS",
      endDate: "2026-04-01T00:00:00.000Z",
    });
    const bad = await gql(
      `mutation($id: ID!) { updateCampaign(id: $id, input: { startDate: "2026-05-01T00:00:00Z" }) { id } }`,
      { id },
    );
    expect(bad.errors![0].extensions).toMatchObject({
      code: "BAD_USER_INPUT",
      field: "input.endDate",
    });
  });

  it("filters campaigns by status, channel and dates", async () => {
    const owner = await supergraph.signUp();
    const make = async (input: Record<string, unknown>) =>
      (
        await gql(
          CREATE,
          {
            input: {
              name: "c",
              channel: "EMAIL",
              budget: 1,
              startDate: "2026-01-01T00:00:00Z",
              ...input,
            },
          },
          owner.accessToken,
        )
      ).data!.createCampaign.id;
    const email = await make({});
    await make({ channel: "SMS", startDate: "2026-06-01T00:00:00Z" });
    const ended = await make({ channel: "PUSH", endDate: "2026-01-15T00:00:00Z" });
    await gql(STATUS, { id: email, status: "ACTIVE" }, owner.accessToken);
    const ids = async (filter: Record<string, unknown>) =>
      (
        await gql(
          `query($filter: CampaignFilter) { campaigns(filter: $filter) { totalCount edges { node { id } } } }`,
          { filter },
          owner.accessToken,
        )
      ).data!.campaigns;
    expect((await ids({ status: "ACTIVE" })).edges.map((e: any) => e.node.id)).toEqual([email]);
    expect((await ids({ channel: "SMS" })).totalCount).toBe(1);
    expect(
      (await ids({ activeFrom: "2026-02-01T00:00:00Z" })).edges.map((e: any) => e.node.id),
    ).not.toContain(ended);
    expect((await ids({ activeTo: "2026-03-01T00:00:00Z" })).totalCount).toBe(2);
  });
});
