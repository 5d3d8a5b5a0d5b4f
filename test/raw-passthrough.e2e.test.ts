import { startGateway } from "../gateway/src/gateway";
import { MAX_RAW_QUERY_LENGTH } from "../gateway/src/passthrough/raw-passthrough";
import type { RunningService } from "#kit/server/graphql-service";
import { gatewayCount as countOfGateway, postJson } from "./support/raw-answers";
import { useSupergraph } from "./support/supergraph";

/**
 * A signed-in user's single-subgraph query is answered below Apollo Server, with the subgraph's
 * response as it came (gateway/src/passthrough/raw-passthrough.ts); whatever else Apollo Server
 * must answer still gets the answer of a gateway without any passthrough.
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

/** POSTs a body as JSON with the admin's token; the answer as text, decompressed. */
function post(url: string, body: Record<string, unknown>, headers: Record<string, string> = {}) {
  return postJson(url, token, body, headers);
}

/** A counter of the gateway's /metrics for one operation (summed over its other labels). */
function gatewayCount(metric: string, operation: string): Promise<number> {
  return countOfGateway(supergraph.stack.gateway.url, metric, operation);
}

const PAGE = `query RawPage($first: Int!) { customers(first: $first, orderBy: { field: NAME, direction: ASC }) { totalCount edges { cursor node { id name email attributes } } pageInfo { hasNextPage endCursor } } }`;

it("writes a signed-in user's single-subgraph query as the subgraph answered it", async () => {
  const body = { query: PAGE, variables: { first: 20 }, operationName: "RawPage" };
  const before = {
    raw: await gatewayCount("graphql_raw_answers_total", "RawPage"),
    requests: await gatewayCount("graphql_requests_total", "RawPage"),
  };
  const viaGateway = await post(supergraph.stack.gateway.url, body);
  // Counted once, as Apollo Server counts (the gateway without passthrough shares the registry).
  expect(await gatewayCount("graphql_raw_answers_total", "RawPage")).toBe(before.raw + 1);
  expect(await gatewayCount("graphql_requests_total", "RawPage")).toBe(before.requests + 1);
  const straight = await post(supergraph.stack.subgraphs.customers.url, body);
  const viaPlan = await post(planned.url, body);
  expect(viaGateway.status).toBe(200);
  expect(viaGateway.contentType).toBe("application/json; charset=utf-8");
  expect(viaGateway.text).toBe(straight.text);
  expect(JSON.parse(viaGateway.text)).toEqual(JSON.parse(viaPlan.text));
  expect(JSON.parse(viaGateway.text).data.customers.edges).toHaveLength(20);
});

it("gzips a raw answer for a client that accepts it", async () => {
  const body = { query: PAGE, variables: { first: 20 } };
  const before = await gatewayCount("graphql_raw_answers_total", "RawPage");
  const sent = await post(supergraph.stack.gateway.url, body, { "accept-encoding": "gzip" });
  expect(sent.contentEncoding).toBe("gzip");
  expect(sent.text).toBe((await post(supergraph.stack.subgraphs.customers.url, body)).text);
  // Named in the metrics by the document's operation, as Apollo Server names it.
  expect(await gatewayCount("graphql_raw_answers_total", "RawPage")).toBe(before + 1);
});

it("never answers a mutation itself: it is sent once, through Apollo Server", async () => {
  const owner = await supergraph.signUp();
  const before = await gatewayCount("graphql_raw_answers_total", "AddOne");
  const sent = await post(
    supergraph.stack.gateway.url,
    {
      query: `mutation AddOne { createCustomer(input: { name: "Once", externalId: "once" }) { id } }`,
    },
    { authorization: `Bearer ${owner.accessToken}` },
  );
  expect(JSON.parse(sent.text).errors).toBeUndefined();
  expect(await gatewayCount("graphql_raw_answers_total", "AddOne")).toBe(before);
  const rows = await supergraph.sql(
    "customers",
    "SELECT count(*)::int AS count FROM customers WHERE organization_id = $1",
    [owner.organizationId],
  );
  expect(rows).toEqual([{ count: 1 }]);
});

describe("leaves to Apollo Server, with the answer of a gateway without passthrough", () => {
  let apiKey: string;

  beforeAll(async () => {
    const { body } = await supergraph.request<{ createApiKey: { secret: string } }>(
      `mutation { createApiKey(name: "raw-passthrough", scopes: [READ]) { secret } }`,
      { token },
    );
    apiKey = body.data!.createApiKey.secret;
  });

  const aliases = Array.from({ length: 31 }, (_, i) => `a${i}: customers(first: 1) { totalCount }`);
  const cases: [
    string,
    () => { body: Record<string, unknown>; headers?: Record<string, string> },
  ][] = [
    [
      "a subgraph's errors",
      () => ({ body: { query: `query Bad { customers(first: -1) { totalCount } }` } }),
    ],
    [
      "a variable of the wrong type",
      () => ({
        body: {
          query: `query Typed($first: Int!) { customers(first: $first) { totalCount } }`,
          variables: { first: "many" },
        },
      }),
    ],
    [
      "an operation over the alias limit",
      () => ({ body: { query: `query Wide { ${aliases.join(" ")} }` } }),
    ],
    [
      "an API key (its scopes are checked by Apollo Server)",
      () => ({
        body: { query: `query Keyed { customers(first: 2) { totalCount } }` },
        headers: { authorization: `ApiKey ${apiKey}` },
      }),
    ],
    [
      "a refused token",
      () => ({
        body: { query: `query Refused { customers(first: 1) { totalCount } }` },
        headers: { authorization: "Bearer not-a-token" },
      }),
    ],
    [
      "a client asking for application/graphql-response+json",
      () => ({
        body: { query: `query Negotiated { customers(first: 1) { totalCount } }` },
        headers: { accept: "application/graphql-response+json" },
      }),
    ],
    [
      "extensions (persisted queries)",
      () => ({
        body: { query: `query Extended { customers(first: 1) { totalCount } }`, extensions: {} },
      }),
    ],
    [
      "a document longer than the raw passthrough keeps",
      () => ({
        body: {
          query: `query Long { customers(first: 1) { totalCount } }\n#${"x".repeat(MAX_RAW_QUERY_LENGTH)}`,
        },
      }),
    ],
  ];

  it.each(cases)("%s", async (_name, request) => {
    const { body, headers } = request();
    const operation = /query (\w+)/.exec(String(body.query))![1];
    const before = await gatewayCount("graphql_raw_answers_total", operation);
    const [viaGateway, viaPlan] = await Promise.all([
      post(supergraph.stack.gateway.url, body, headers),
      post(planned.url, body, headers),
    ]);
    expect({ status: viaGateway.status, contentType: viaGateway.contentType }).toEqual({
      status: viaPlan.status,
      contentType: viaPlan.contentType,
    });
    expect(JSON.parse(viaGateway.text)).toEqual(JSON.parse(viaPlan.text));
    expect(await gatewayCount("graphql_raw_answers_total", operation)).toBe(before);
  });
});
