import { startGateway } from "../gateway/src/gateway";
import type { RunningService } from "#kit/server/graphql-service";
import { useSupergraph } from "./support/supergraph";

/**
 * Operations one subgraph answers alone go to it as the client wrote them, and its answer comes
 * back as is (SINGLE_SUBGRAPH_PASSTHROUGH, on by default); everything else is planned. Answers are
 * the same either way: a second gateway with the passthrough off answers the same operations.
 */
const supergraph = useSupergraph();
let planned: RunningService;
let token: string;

beforeAll(async () => {
  const { users, customers, analytics } = supergraph.stack.subgraphs;
  planned = await startGateway({
    port: 0,
    subgraphUrls: { users: users.url, customers: customers.url, analytics: analytics.url },
    usersBaseUrl: users.url.replace(/\/graphql$/, ""),
    singleSubgraphPassthrough: false,
  });
  token = await supergraph.login("admin@acme.test");
});

afterAll(async () => {
  await planned?.stop();
});

/** How many times a subgraph answered operation `name` (its /metrics counter). */
async function answered(subgraph: "customers" | "analytics", name: string): Promise<number> {
  const text = await (
    await fetch(supergraph.stack.subgraphs[subgraph].url.replace(/\/graphql$/, "/metrics"))
  ).text();
  let total = 0;
  for (const line of text.split("\n")) {
    if (line.startsWith("graphql_requests_total{") && line.includes(`operation="${name}"`))
      total += Number(line.split(" ").pop());
  }
  return total;
}

/** The same operation through both gateways: [with passthrough, planned]. */
async function both(query: string, variables?: Record<string, unknown>) {
  return Promise.all([
    supergraph.request(query, { token, variables }),
    supergraph.request(query, { token, variables, url: planned.url }),
  ]);
}

it("sends a single-subgraph query to its subgraph as written, with the planned answer", async () => {
  const query = `query Page($first: Int!) { customers(first: $first, orderBy: { field: NAME, direction: ASC }) { totalCount edges { cursor node { id name email attributes } } pageInfo { hasNextPage } } }`;
  const before = {
    asWritten: await answered("customers", "Page"),
    planned: await answered("customers", "Page__customers__0"),
  };
  const [passed, viaPlan] = await both(query, { first: 5 });
  expect(passed.body.errors).toBeUndefined();
  expect(passed.body).toEqual(viaPlan.body);
  expect(passed.body.data!.customers.edges).toHaveLength(5);
  expect(await answered("customers", "Page")).toBe(before.asWritten + 1);
  expect(await answered("customers", "Page__customers__0")).toBe(before.planned + 1);
});

it("plans a query that needs two subgraphs, and the answers agree", async () => {
  const query = `query WithStats { customers(first: 3, orderBy: { field: NAME, direction: ASC }) { edges { node { name stats { orders totalSpent } } } } }`;
  const before = await answered("customers", "WithStats");
  const [passed, viaPlan] = await both(query);
  expect(passed.body.errors).toBeUndefined();
  expect(passed.body).toEqual(viaPlan.body);
  expect(passed.body.data!.customers.edges[0].node.stats).toEqual(
    expect.objectContaining({ orders: expect.any(Number) }),
  );
  expect(await answered("customers", "WithStats")).toBe(before);
});

it("answers introspection from the supergraph, never from one subgraph's schema", async () => {
  // A single-subgraph field next to __type: the supergraph's Customer has analytics' fields too.
  const [passed, viaPlan] = await both(
    `{ customers(first: 1) { totalCount } __type(name: "Customer") { fields { name } } }`,
  );
  expect(passed.body).toEqual(viaPlan.body);
  expect(passed.body.data!.__type.fields.map((field: { name: string }) => field.name)).toEqual(
    expect.arrayContaining(["name", "stats"]),
  );
});

it("keeps a subgraph's errors, codes and partial data", async () => {
  const [bad, badPlanned] = await both(`{ customers(first: -1) { totalCount } }`);
  expect(bad.body.errors?.[0].extensions?.code).toBe("BAD_USER_INPUT");
  expect(bad.body.errors?.[0].extensions?.code).toBe(badPlanned.body.errors?.[0].extensions?.code);
  expect(bad.body.errors?.[0].message).toBe(badPlanned.body.errors?.[0].message);
  expect(bad.body.data ?? null).toEqual(badPlanned.body.data ?? null);
  const [anonymous] = await Promise.all([
    supergraph.request(`{ customers(first: 1) { totalCount } }`),
  ]);
  expect(anonymous.body.errors?.[0].extensions?.code).toBe("UNAUTHENTICATED");
});

it("passes variables and aliases through unchanged", async () => {
  const query = `query Aliased($first: Int) { a: customers(first: $first) { n: totalCount } b: customers(first: 1) { edges { node { label: name } } } }`;
  const [passed, viaPlan] = await both(query, { first: 2 });
  expect(passed.body.errors).toBeUndefined();
  expect(passed.body).toEqual(viaPlan.body);
  expect(Object.keys(passed.body.data!)).toEqual(["a", "b"]);
});
