import { startGateway } from "../gateway/src/gateway";
import type { RunningService } from "#kit/server/graphql-service";
import { gatewayCount, postJson } from "./support/raw-answers";
import { useSupergraph } from "./support/supergraph";

/**
 * A signed-in user's federated query runs on the gateway's own execution of its query plan
 * (gateway/src/execution/): its answer is `@apollo/gateway`'s, byte for byte, on the same
 * subgraphs; whatever it does not answer cleanly goes to Apollo Server with the same result.
 */
const supergraph = useSupergraph();
/** The same subgraphs behind `@apollo/gateway` alone (no passthrough, no own execution). */
let apolloOnly: RunningService;
let token: string;

beforeAll(async () => {
  const { users, customers, analytics } = supergraph.stack.subgraphs;
  apolloOnly = await startGateway({
    port: 0,
    subgraphUrls: { users: users.url, customers: customers.url, analytics: analytics.url },
    usersBaseUrl: users.url.replace(/\/graphql$/, ""),
    singleSubgraphPassthrough: false,
    ownPlanExecution: false,
  });
  token = await supergraph.login("admin@acme.test");
});

afterAll(async () => {
  await apolloOnly?.stop();
});

const rawAnswers = (operation: string) =>
  gatewayCount(supergraph.stack.gateway.url, "graphql_raw_answers_total", operation);

/** The answers of ours and of `@apollo/gateway` alone, and whether ours answered it itself. */
async function both(body: Record<string, unknown>) {
  const operation = /query (\w+)/.exec(String(body.query))![1];
  const before = await rawAnswers(operation);
  const ours = await postJson(supergraph.stack.gateway.url, token, body);
  const answeredItself = (await rawAnswers(operation)) === before + 1;
  const apollo = await postJson(apolloOnly.url, token, body);
  return { ours, apollo, answeredItself };
}

const CUSTOMER_PAGE = `query PlannedPage($first: Int!, $orderBy: CustomerOrder) {
  customers(first: $first, orderBy: $orderBy) {
    totalCount
    edges { cursor node { id name stats { orders totalSpent averageOrderValue firstSeenAt lastSeenAt } segment { label index } churnRisk { probability band } } }
    pageInfo { hasNextPage endCursor }
  }
}`;

const answered: [string, Record<string, unknown>][] = [
  [
    "a customer page with its analytics",
    {
      query: CUSTOMER_PAGE,
      variables: { first: 25, orderBy: { field: "NAME", direction: "DESC" } },
    },
  ],
  [
    "campaigns with their creators' organizations and performance",
    {
      query: `query PlannedDeep($first: Int!, $from: DateTime) { campaigns(first: $first) { edges { node { name budget status createdBy { email role organization { name } } performance(from: $from) { revenue conversions spend roas ctr } } } } }`,
      variables: { first: 10, from: "2020-01-01T00:00:00Z" },
      operationName: "PlannedDeep",
    },
  ],
  [
    "aliases, __typename, a named fragment and an inline one, the same field twice",
    {
      query: `query PlannedShapes {
        page: customers(first: 5) {
          __typename
          edges { node { ...Spend id kind: __typename ... on Customer { stats { orders } name } stats { lastSeenAt } } }
        }
      }
      fragment Spend on Customer { spent: stats { totalSpent orders } stats { averageOrderValue } }`,
    },
  ],
  [
    "@skip and @include on federated fields, with variables and their defaults",
    {
      query: `query PlannedConditions($withStats: Boolean!, $noRisk: Boolean = true) {
        customers(first: 5) { edges { node { id stats @include(if: $withStats) { orders } churnRisk @skip(if: $noRisk) { band } segment @include(if: false) { label } } } }
      }`,
      variables: { withStats: true },
    },
  ],
  [
    "@skip and @include, the other way round",
    {
      query: `query PlannedConditionsOff($withStats: Boolean!, $noRisk: Boolean = true) {
        customers(first: 5) { edges { node { id stats @include(if: $withStats) { orders } churnRisk @skip(if: $noRisk) { band } } } }
      }`,
      variables: { withStats: false, noRisk: false },
    },
  ],
  [
    "a page without customers",
    {
      query: `query PlannedEmpty { customers(first: 5, filter: { search: "no customer is called this" }) { totalCount edges { node { id stats { orders } } } } }`,
    },
  ],
];

describe("answers itself, as @apollo/gateway answers", () => {
  it.each(answered)("%s", async (_name, body) => {
    const { ours, apollo, answeredItself } = await both(body);
    expect(apollo.status).toBe(200);
    expect(JSON.parse(apollo.text).errors).toBeUndefined();
    expect(ours.status).toBe(200);
    expect(ours.contentType).toBe(apollo.contentType);
    // Byte for byte: the same fields in the same order.
    expect(ours.text.trimEnd()).toBe(apollo.text.trimEnd());
    expect(answeredItself).toBe(true);
  });

  it("answers each user with their own organization's data", async () => {
    const other = await supergraph.signUp();
    const query = `query PlannedOwn { customers(first: 3) { totalCount edges { node { id stats { orders } } } } }`;
    const mine = JSON.parse((await both({ query })).ours.text);
    const theirs = JSON.parse(
      (await postJson(supergraph.stack.gateway.url, other.accessToken, { query })).text,
    );
    expect(mine.data.customers.totalCount).toBeGreaterThan(0);
    expect(theirs).toEqual({ data: { customers: { totalCount: 0, edges: [] } } });
  });
});

const leftToApollo: [string, Record<string, unknown>, number][] = [
  [
    "a subgraph's error in a federated field",
    {
      query: `query PlannedFieldError { campaigns(first: 2) { edges { node { name performance(from: "2026-02-01T00:00:00Z", to: "2026-01-01T00:00:00Z") { revenue } } } } }`,
    },
    200,
  ],
  ["variables of the wrong type", { query: CUSTOMER_PAGE, variables: { first: "many" } }, 400],
  ["a missing variable", { query: CUSTOMER_PAGE, variables: {} }, 400],
];

describe("leaves to Apollo Server, with the same answer", () => {
  it.each(leftToApollo)("%s", async (_name, body, status) => {
    const operation = /query (\w+)/.exec(String(body.query))![1];
    const analytics = supergraph.stack.subgraphs.analytics.url;
    const asked = () =>
      gatewayCount(analytics, "graphql_requests_total", `${operation}__analytics`, true);
    const askedBefore = await asked();
    const { ours, apollo, answeredItself } = await both(body);
    // The subgraph was asked once by ours (Apollo Server took the answer it had) and once by
    // @apollo/gateway alone; never when the variables are refused first.
    expect((await asked()) - askedBefore).toBe(status === 200 ? 2 : 0);
    expect(apollo.status).toBe(status);
    expect(ours.status).toBe(apollo.status);
    expect(JSON.parse(ours.text)).toEqual(JSON.parse(apollo.text));
    expect(JSON.parse(ours.text).errors?.length).toBeGreaterThan(0);
    expect(answeredItself).toBe(false);
  });
});
