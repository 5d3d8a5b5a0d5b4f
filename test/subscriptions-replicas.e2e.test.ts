import { createClient, type Client } from "graphql-ws";
import WebSocket from "ws";
import { startGateway } from "../gateway/src/gateway";
import { startAnalyticsService } from "../subgraphs/analytics/src/service";
import { withDatabase } from "../subgraphs/shared/src/database/database-url";
import type { RunningService } from "../subgraphs/shared/src/subgraph-server";
import { ensureRedisServer, startLocalRedis, type LocalRedis } from "./support/redis-server";
import { startTestSupergraph, type TestSupergraph } from "./support/supergraph";
import { TEST_ENV } from "./support/test-database";

// Two analytics replicas and two gateways share one PostgreSQL and one Redis: every subscriber,
// whichever gateway and replica it is connected through, receives every event exactly once.
const redisBinary = ensureRedisServer();
const describeWithRedis = "path" in redisBinary ? describe : describe.skip;
if (!("path" in redisBinary)) console.warn(`Skipping the multi-replica subscription test: ${redisBinary.missing}.`);

let redis: LocalRedis;
let supergraph: TestSupergraph;
let analytics2: RunningService;
let gateway2: RunningService;
const clients: Client[] = [];

describeWithRedis("subscriptions across replicas with Redis", () => {
  beforeAll(async () => {
    redis = await startLocalRedis((redisBinary as { path: string }).path);
    process.env.REDIS_URL = redis.url;
    supergraph = await startTestSupergraph();
    const { users, customers } = supergraph.stack.subgraphs;
    const usersBaseUrl = `http://localhost:${users.port}`;
    analytics2 = await startAnalyticsService({ port: 0, databaseUrl: withDatabase(process.env[TEST_ENV.serverUrl]!, "analytics"), usersBaseUrl, customersUrl: customers.url });
    gateway2 = await startGateway({ port: 0, subgraphUrls: { users: users.url, customers: customers.url, analytics: analytics2.url }, usersBaseUrl });
  });

  afterAll(async () => {
    await Promise.all(clients.map((client) => client.dispose()));
    await gateway2?.stop();
    await analytics2?.stop();
    await supergraph?.stop();
    delete process.env.REDIS_URL;
    await redis?.stop();
  });

  it("delivers each event once to every subscriber, whichever gateway and replica serve it", async () => {
    const owner = await supergraph.signUp();
    const received: string[][] = [[], [], [], []];
    const gateways = [supergraph.stack.gateway.url, gateway2.url, supergraph.stack.gateway.url, gateway2.url];
    gateways.forEach((url, i) => {
      const client = createClient({ url: url.replace(/^http/, "ws"), webSocketImpl: WebSocket, connectionParams: { authorization: `Bearer ${owner.accessToken}` }, retryAttempts: 0 });
      clients.push(client);
      // Different documents, so that no two subscribers share an upstream subscription.
      client.subscribe({ query: `subscription S${i} { eventTracked { id } }` }, { next: (r: any) => received[i].push(r.data.eventTracked.id), error: () => undefined, complete: () => undefined });
    });
    await new Promise((resolve) => setTimeout(resolve, 1500));
    // Batches go in through both gateways, so through both analytics replicas.
    const ids: string[] = [];
    for (let batch = 0; batch < 10; batch++) {
      const events = Array.from({ length: 5 }, (_, i) => ({ id: `r-${batch}-${i}`, type: "page_view", timestamp: new Date().toISOString() }));
      ids.push(...events.map((event) => event.id));
      const url = batch % 2 === 0 ? supergraph.stack.gateway.url : gateway2.url;
      const { body } = await supergraph.request(`mutation($events: [EventInput!]!) { trackEvents(events: $events) { accepted } }`, { url, token: owner.accessToken, variables: { events } });
      expect(body.data!.trackEvents.accepted).toBe(5);
    }
    // A replay through the other gateway delivers nothing.
    await supergraph.request(`mutation($events: [EventInput!]!) { trackEvents(events: $events) { accepted } }`, {
      url: gateway2.url,
      token: owner.accessToken,
      variables: { events: [{ id: "r-0-0", type: "page_view", timestamp: new Date().toISOString() }] },
    });
    const deadline = Date.now() + 10_000;
    while (received.some((list) => list.length < ids.length) && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 100));
    await new Promise((resolve) => setTimeout(resolve, 500));
    for (const list of received) expect([...list].sort()).toEqual([...ids].sort());
  });

  it("fires an alert once, although both replicas evaluate the rule", async () => {
    const owner = await supergraph.signUp();
    const created = await supergraph.request(`mutation { createAlertRule(input: { metric: "orders", condition: ABOVE, threshold: 1, windowMinutes: 5 }) { id } }`, { token: owner.accessToken });
    expect(created.body.errors).toBeUndefined();
    const alerts: unknown[][] = [[], []];
    [supergraph.stack.gateway.url, gateway2.url].forEach((url, i) => {
      const client = createClient({ url: url.replace(/^http/, "ws"), webSocketImpl: WebSocket, connectionParams: { authorization: `Bearer ${owner.accessToken}` }, retryAttempts: 0 });
      clients.push(client);
      client.subscribe({ query: `subscription { alertTriggered { value } }` }, { next: (r) => alerts[i].push(r.data), error: () => undefined, complete: () => undefined });
    });
    await new Promise((resolve) => setTimeout(resolve, 1500));
    const purchases = [1, 2].map((n) => ({ id: `p-${n}`, type: "purchase", value: 5, timestamp: new Date().toISOString() }));
    // One batch through each replica: both evaluate the rule.
    await supergraph.request(`mutation($events: [EventInput!]!) { trackEvents(events: $events) { accepted } }`, { token: owner.accessToken, variables: { events: purchases.slice(0, 1) } });
    await supergraph.request(`mutation($events: [EventInput!]!) { trackEvents(events: $events) { accepted } }`, { url: gateway2.url, token: owner.accessToken, variables: { events: purchases.slice(1) } });
    const deadline = Date.now() + 10_000;
    while (alerts.some((list) => list.length === 0) && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 100));
    await new Promise((resolve) => setTimeout(resolve, 1000));
    expect(alerts).toEqual([[{ alertTriggered: { value: 2 } }], [{ alertTriggered: { value: 2 } }]]);
    const history = await supergraph.request(`{ alerts { value } }`, { token: owner.accessToken });
    expect(history.body.data!.alerts).toEqual([{ value: 2 }]);
  });
});
