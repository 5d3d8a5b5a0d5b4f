import { createClient } from "graphql-ws";
import WebSocket from "ws";
import { useSupergraph } from "./support/supergraph";

const file = useSupergraph({ owner: true });

/** A service's /metrics, as text. */
async function scrape(graphqlUrl: string): Promise<string> {
  const response = await fetch(graphqlUrl.replace(/\/graphql$/, "/metrics"));
  expect(response.status).toBe(200);
  expect(response.headers.get("content-type")).toContain("text/plain");
  return response.text();
}

/** The value of the series `name` whose labels include all of `labels` (0 when absent). */
function value(text: string, name: string, labels: Record<string, string> = {}): number {
  for (const line of text.split("\n")) {
    const match = /^([a-z_]+)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!match || match[1] !== name) continue;
    const pairs = Object.fromEntries(
      [...(match[2] ?? "").matchAll(/(\w+)="([^"]*)"/g)].map((m) => [m[1], m[2]]),
    );
    if (Object.entries(labels).every(([key, expected]) => pairs[key] === expected))
      return Number(match[3]);
  }
  return 0;
}

describe("/metrics (Prometheus)", () => {
  it("counts operations by name and outcome, subgraph fetches, SQL, ingested events and WebSockets", async () => {
    const gatewayBefore = await scrape(file.stack.gateway.url);
    const me = await file.request(`query WhoAmI { me { email organization { name } } }`, {
      token: file.owner.accessToken,
    });
    expect(me.body.errors).toBeUndefined();
    const failed = await file.request(
      `query Broken { aggregate(metrics: ["nope"], from: "2026-01-01T00:00:00Z", to: "2026-01-02T00:00:00Z") { group } }`,
      { token: file.owner.accessToken },
    );
    expect(failed.body.errors).toBeDefined();
    const tracked = await file.request(
      `mutation Track($events: [EventInput!]!) { trackEvents(events: $events) { accepted } }`,
      {
        token: file.owner.accessToken,
        variables: {
          events: [1, 2, 3].map((i) => ({
            id: `m-${i}`,
            type: "page_view",
            timestamp: new Date().toISOString(),
          })),
        },
      },
    );
    expect(tracked.body.data!.trackEvents.accepted).toBe(3);
    const client = createClient({
      url: file.stack.gateway.url.replace(/^http/, "ws"),
      webSocketImpl: WebSocket,
      connectionParams: { authorization: `Bearer ${file.owner.accessToken}` },
      retryAttempts: 0,
    });
    const stop = client.subscribe(
      { query: "subscription { eventTracked { id } }" },
      { next: () => undefined, error: () => undefined, complete: () => undefined },
    );
    await new Promise((resolve) => setTimeout(resolve, 500));

    const gateway = await scrape(file.stack.gateway.url);
    const delta = (name: string, labels: Record<string, string>) =>
      value(gateway, name, labels) - value(gatewayBefore, name, labels);
    expect(
      delta("graphql_requests_total", { operation: "WhoAmI", outcome: "ok", service: "gateway" }),
    ).toBe(1);
    expect(delta("graphql_requests_total", { operation: "Broken", outcome: "error" })).toBe(1);
    expect(delta("graphql_request_duration_seconds_count", { operation: "Track" })).toBe(1);
    expect(
      delta("subgraph_fetch_duration_seconds_count", { subgraph: "users", outcome: "ok" }),
    ).toBeGreaterThanOrEqual(1);
    expect(
      delta("subgraph_fetch_duration_seconds_count", { subgraph: "analytics", outcome: "ok" }),
    ).toBeGreaterThanOrEqual(1);
    expect(value(gateway, "websocket_connections", { service: "gateway" })).toBe(1);
    expect(value(gateway, "websocket_subscriptions", { service: "gateway" })).toBe(1);
    expect(
      value(gateway, "process_cpu_user_seconds_total", { service: "gateway" }),
    ).toBeGreaterThan(0);

    const analytics = await scrape(file.stack.subgraphs.analytics.url);
    expect(
      value(analytics, "events_ingested_total", { service: "analytics" }),
    ).toBeGreaterThanOrEqual(3);
    expect(
      value(analytics, "sql_statements_total", { service: "analytics", outcome: "ok" }),
    ).toBeGreaterThan(0);
    expect(
      value(analytics, "sql_statement_duration_seconds_count", { service: "analytics" }),
    ).toBeGreaterThan(0);
    expect(value(analytics, "websocket_subscriptions", { service: "analytics" })).toBe(1);
    const users = await scrape(file.stack.subgraphs.users.url);
    expect(
      value(users, "graphql_requests_total", { service: "users", outcome: "ok" }),
    ).toBeGreaterThan(0);
    stop();
    await client.dispose();
  });
});
