// The offline GraphiQL: queries and mutations over HTTP, subscriptions over graphql-ws on the same
// URL, with the Authorization header from the headers editor (prefilled for the demo admin).
import { createClient } from "/graphiql/assets/graphql-ws/client.js";

const url = new URL("/graphql", location.href).href;
const wsUrl = url.replace(/^http/, "ws");

/** A token of the demo admin of `npm start`'s demo data, or null when there is no such user. */
async function demoToken() {
  try {
    const response = await fetch(url, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({
        query:
          'mutation DemoLogin { login(email: "admin@acme.test", password: "demo-password") { accessToken } }',
      }),
    });
    return (await response.json()).data?.login?.accessToken ?? null;
  } catch {
    return null;
  }
}

const httpFetcher = GraphiQL.createFetcher({ url });
const wsClients = new Map();

/** One graphql-ws client per Authorization value (the header editor may change it). */
function wsClient(authorization) {
  const key = authorization ?? "";
  if (!wsClients.has(key))
    wsClients.set(
      key,
      createClient({
        url: wsUrl,
        lazy: true,
        connectionParams: authorization ? { authorization } : {},
      }),
    );
  return wsClients.get(key);
}

function isSubscription(params, options) {
  const document = options?.documentAST;
  const operations = document?.definitions.filter((d) => d.kind === "OperationDefinition") ?? [];
  const operation =
    operations.find((d) => !params.operationName || d.name?.value === params.operationName) ??
    operations[0];
  return operation
    ? operation.operation === "subscription"
    : /^\s*subscription\b/.test(params.query);
}

function fetcher(params, options) {
  if (!isSubscription(params, options)) return httpFetcher(params, options);
  const headers = options?.headers ?? {};
  const authorization = headers.Authorization ?? headers.authorization;
  return wsClient(authorization).iterate({
    query: params.query,
    variables: params.variables,
    operationName: params.operationName,
  });
}

const token = await demoToken();
const defaultQuery = `# Federated Analytics: the headers tab holds the demo admin's token.
query Overview {
  me { email role organization { name } }
  customers(first: 5) { totalCount edges { node { name stats { orders totalSpent } segment { label } } } }
}

# Run this one, then track an event (another tab): it arrives here.
subscription Live {
  eventTracked { type value timestamp customer { name } }
}
`;
// One tab more for each people insight, over the demo data (docs/examples.graphql has them too).
const insightTabs = [
  `# For n = 1, 2, ...: the actors who viewed pages on exactly n of the 30 Berlin days of November.
query DailyStickiness {
  stickiness(event: "page_view", from: "2026-10-31T23:00:00Z", to: "2026-11-30T23:00:00Z", interval: DAY, timezone: "Europe/Berlin") {
    intervals actors
  }
}
`,
  `# Each week's buyers: new, returning, resurrecting; and the week before's buyers who did not buy (dormant).
query WeeklyLifecycle {
  lifecycle(event: "purchase", from: "2026-10-05T00:00:00Z", to: "2026-11-30T00:00:00Z", interval: WEEK) {
    bucket new returning resurrecting dormant
  }
}
`,
  `# What visitors do after a page view, in sessions split at 30 minutes of quiet.
query PathsFromPageView {
  paths(from: "2026-11-01T00:00:00Z", to: "2026-11-15T00:00:00Z", startEvent: "page_view", depth: 4, top: 20) {
    step source target count
  }
}
`,
];
const defaultHeaders = JSON.stringify(token ? { Authorization: `Bearer ${token}` } : {}, null, 2);
ReactDOM.createRoot(document.getElementById("graphiql")).render(
  React.createElement(GraphiQL, {
    fetcher,
    defaultQuery,
    defaultHeaders,
    defaultTabs: [defaultQuery, ...insightTabs].map((query) => ({
      query,
      headers: defaultHeaders,
    })),
    defaultEditorToolsVisibility: "headers",
  }),
);
