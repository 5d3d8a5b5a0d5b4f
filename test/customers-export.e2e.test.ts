import { encodeCursor } from "#kit/pagination/cursor";
import { sqlQueryCount } from "#kit/database/query-counter";
import { useSupergraph, type SignedUp } from "./support/supergraph";

const supergraph = useSupergraph();
let owner: SignedUp;
const COUNT = 2_345;

const FIELDS = [
  "id",
  "externalId",
  "name",
  "email",
  "age",
  "gender",
  "location",
  "incomeRange",
  "preferredCategory",
  "status",
  "churnedAt",
  "registeredAt",
  "attributes",
  "createdAt",
  "updatedAt",
] as const;
type Row = Record<(typeof FIELDS)[number], unknown>;
const UPSERT = `mutation($input: [CustomerInput!]!) { upsertCustomers(input: $input) { created rejected { index reason } } }`;
const EXPORT = `query($first: Int, $after: String) { customersExport(first: $first, after: $after) { edges { cursor node { ${FIELDS.join(" ")} } } pageInfo { hasNextPage endCursor } } }`;
const COLUMNS = `query($first: Int, $after: String) { customerColumns(first: $first, after: $after) { size ${FIELDS.join(" ")} pageInfo { hasNextPage endCursor } } }`;

beforeAll(async () => {
  owner = await supergraph.signUp();
  for (let start = 0; start < COUNT; start += 1_000) {
    const input = Array.from({ length: Math.min(1_000, COUNT - start) }, (_, k) => {
      const i = start + k;
      return {
        externalId: `X-${String(i).padStart(5, "0")}`,
        name: `Export ${i}`,
        email: i % 3 ? `e${i}@example.com` : null,
        age: i % 7 ? 18 + (i % 60) : null,
        gender: ["female", "male", null][i % 3],
        location: ["Paris", "Berlin", "Lisbon", null][i % 4],
        incomeRange: i % 5 ? "25-50k" : null,
        preferredCategory: ["books", "toys"][i % 2],
        status: i % 4 === 0 ? "CHURNED" : "ACTIVE",
        churnedAt:
          i % 4 === 0
            ? new Date(Date.UTC(2026, 0, 1) + i * 61_000 + (i % 1000)).toISOString()
            : null,
        registeredAt: new Date(Date.UTC(2024, 0, 1) + i * 3_600_123).toISOString(),
        attributes:
          i % 6
            ? {
                plan: ["basic", "pro"][i % 2],
                seats: i % 9,
                beta: i % 2 === 0,
                note: 'quote " and \\ backslash',
              }
            : {},
      };
    });
    const body = (
      await supergraph.request(UPSERT, { token: owner.accessToken, variables: { input } })
    ).body;
    expect(body.errors).toBeUndefined();
    expect(body.data!.upsertCustomers.rejected).toEqual([]);
  }
});

async function gql(
  query: string,
  variables: Record<string, unknown> = {},
  token = owner.accessToken,
) {
  return (await supergraph.request(query, { token, variables })).body;
}

/**
 * Every customer through `customers` (TypeORM entities, 100 a page, oldest first): the reference.
 */
async function throughCustomers(): Promise<Row[]> {
  const rows: Row[] = [];
  let after: string | null = null;
  do {
    const body = await gql(
      `query($after: String) { customers(first: 100, after: $after) { edges { node { ${FIELDS.join(" ")} } } pageInfo { hasNextPage endCursor } } }`,
      { after },
    );
    expect(body.errors).toBeUndefined();
    rows.push(...body.data!.customers.edges.map((edge: { node: Row }) => edge.node));
    after = body.data!.customers.pageInfo.hasNextPage
      ? body.data!.customers.pageInfo.endCursor
      : null;
  } while (after);
  return rows;
}

/** The rows of a customerColumns page, zipped back into one object per customer. */
function zip(columns: Record<string, unknown[]> & { size: number }): Row[] {
  for (const field of FIELDS) expect(columns[field]).toHaveLength(columns.size);
  return Array.from(
    { length: columns.size },
    (_, i) => Object.fromEntries(FIELDS.map((field) => [field, columns[field][i]])) as Row,
  );
}

describe("customersExport and customerColumns", () => {
  it("give every customer once, oldest first, with the values customers gives, as a connection and as columns", async () => {
    const reference = await throughCustomers();
    expect(reference).toHaveLength(COUNT);
    expect(
      reference.some(
        (row) =>
          row.churnedAt !== null &&
          row.attributes &&
          Object.keys(row.attributes as object).length > 0,
      ),
    ).toBe(true);

    const exported: Row[] = [];
    const columns: Row[] = [];
    for (const [query, into] of [
      [EXPORT, exported],
      [COLUMNS, columns],
    ] as const) {
      let after: string | null = null;
      let pages = 0;
      do {
        const body = await gql(query, { first: 1_000, after });
        expect(body.errors).toBeUndefined();
        const page = body.data!.customersExport ?? body.data!.customerColumns;
        into.push(
          ...(query === EXPORT ? page.edges.map((edge: { node: Row }) => edge.node) : zip(page)),
        );
        after = page.pageInfo.hasNextPage ? page.pageInfo.endCursor : null;
        pages++;
      } while (after);
      expect(pages).toBe(Math.ceil(COUNT / 1_000));
    }
    expect(exported).toEqual(reference);
    expect(columns).toEqual(reference);
  });

  it("continue from each other's cursors, and each edge's cursor continues after its customer", async () => {
    const first = (await gql(EXPORT, { first: 700 })).data!.customersExport;
    const second = (await gql(COLUMNS, { first: 700, after: first.pageInfo.endCursor })).data!
      .customerColumns;
    const third = (await gql(EXPORT, { first: 700, after: second.pageInfo.endCursor })).data!
      .customersExport;
    const all = (await gql(COLUMNS, { first: 2_100 })).data!.customerColumns;
    expect([
      ...first.edges.map((edge: { node: Row }) => edge.node.id),
      ...second.id,
      ...third.edges.map((edge: { node: Row }) => edge.node.id),
    ]).toEqual(all.id);
    expect(first.pageInfo.endCursor).toBe(first.edges.at(-1).cursor);
    const fromEdge = (await gql(COLUMNS, { first: 3, after: first.edges[9].cursor })).data!
      .customerColumns;
    expect(fromEdge.id).toEqual(all.id.slice(10, 13));
  });

  it("read only the columns asked for (fragments included) in one SQL query a page, counting only when totalCount is asked for", async () => {
    const before = sqlQueryCount("customers");
    // Through the gateway a column costs `first` (GRAPHQL_MAX_COST): 4 fields of 2,500 are within
    // the limit.
    const body = await gql(
      `query { customerColumns(first: 2500) { ...Ids pageInfo { hasNextPage } } } fragment Ids on CustomerColumns { size externalId }`,
    );
    expect(body.errors).toBeUndefined();
    expect(sqlQueryCount("customers") - before).toBe(1);
    // Oldest first; a batch of upsertCustomers shares its creation time, so ties go by id.
    const ordered = await supergraph.sql<{ external_id: string; name: string }>(
      "customers",
      `SELECT external_id, name FROM customers WHERE organization_id = $1 ORDER BY created_at, id`,
      [owner.organizationId],
    );
    expect(body.data!.customerColumns).toEqual({
      size: COUNT,
      externalId: ordered.map((row) => row.external_id),
      pageInfo: { hasNextPage: false },
    });

    const counted = sqlQueryCount("customers");
    const withCounts = await gql(
      `{ customerColumns(first: 10) { totalCount size } customersExport(first: 10) { totalCount edges { node { ... on Customer { name } } } } }`,
    );
    expect(withCounts.errors).toBeUndefined();
    expect(withCounts.data).toEqual({
      customerColumns: { totalCount: COUNT, size: 10 },
      customersExport: {
        totalCount: COUNT,
        edges: ordered.slice(0, 10).map((row) => ({ node: { name: row.name } })),
      },
    });
    expect(sqlQueryCount("customers") - counted).toBe(4);
  });

  it("give only the caller's organization", async () => {
    const acme = await supergraph.login("admin@acme.test");
    const acmeId = (await gql(`{ me { organization { id } } }`, {}, acme)).data!.me.organization.id;
    const [{ count }] = await supergraph.sql<{ count: number }>(
      "customers",
      `SELECT count(*)::int AS count FROM customers WHERE organization_id = $1`,
      [acmeId],
    );
    expect(count).toBeGreaterThan(0);
    const theirs = (await gql(`{ customerColumns(first: 5000) { size externalId } }`, {}, acme))
      .data!.customerColumns;
    expect(theirs.size).toBe(count);
    expect(theirs.externalId.some((id: string | null) => id?.startsWith("X-"))).toBe(false);
    const exported = (
      await gql(`{ customersExport(first: 5000) { edges { node { externalId } } } }`, {}, acme)
    ).data!.customersExport;
    expect(exported.edges).toHaveLength(count);
    expect(
      exported.edges.some((edge: { node: { externalId: string | null } }) =>
        edge.node.externalId?.startsWith("X-"),
      ),
    ).toBe(false);
  });

  it("refuse a page over 5,000 and a cursor that was not made here, naming the argument", async () => {
    for (const query of [EXPORT, COLUMNS]) {
      expect((await gql(query, { first: 5_001 })).errors![0].extensions).toMatchObject({
        code: "BAD_USER_INPUT",
        field: "first",
      });
      for (const after of [
        "bm90LWEtY3Vyc29y",
        encodeCursor(["not a time", "00000000-0000-4000-8000-000000000000"]),
        encodeCursor(["2026-01-01 00:00:00+00", "not-a-uuid"]),
        encodeCursor([42, "00000000-0000-4000-8000-000000000000"]),
      ]) {
        expect((await gql(query, { first: 5, after })).errors![0].extensions).toMatchObject({
          code: "BAD_USER_INPUT",
          field: "after",
        });
      }
    }
  });
});
