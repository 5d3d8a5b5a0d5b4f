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
ReactDOM.createRoot(document.getElementById("graphiql")).render(
  React.createElement(GraphiQL, {
    fetcher,
    defaultQuery,
    defaultHeaders: JSON.stringify(token ? { Authorization: `Bearer ${token}` } : {}, null, 2),
    defaultEditorToolsVisibility: "headers",
  }),
);
