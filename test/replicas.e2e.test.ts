import { createClient, type Client } from "graphql-ws";
import WebSocket from "ws";
import { startGateway } from "../gateway/src/gateway";
import { startAnalyticsService } from "../subgraphs/analytics/src/service";
import { withDatabase } from "#kit/database/database-url";
import type { RunningService } from "#kit/server/graphql-service";
import { ensureRedisServer, startLocalRedis, type LocalRedis } from "./support/redis-server";
import { useSupergraph } from "./support/supergraph";
import { TEST_ENV } from "./support/test-database";

// Two analytics replicas and two gateways share one PostgreSQL and one Redis, as in a scaled-out
// deployment (docs/SCALING.md): every subscriber, whichever gateway and replica it is connected
// through, receives every event exactly once; and ingestion and queries spread over both give the
// same results as through one.
const redisBinary = ensureRedisServer();
const describeWithRedis = "path" in redisBinary ? describe : describe.skip;
if (!("path" in redisBinary))
  console.warn(`Skipping the multi-replica subscription test: ${redisBinary.missing}.`);

let redis: LocalRedis;
let analytics2: RunningService;
let gateway2: RunningService;
const clients: Client[] = [];

describeWithRedis("two gateways and two analytics replicas with Redis", () => {
  beforeAll(async () => {
    redis = await startLocalRedis((redisBinary as { path: string }).path);
  });

  const supergraph = useSupergraph({ env: { REDIS_URL: () => redis.url } });

  beforeAll(async () => {
    const { users, customers } = supergraph.stack.subgraphs;
    const usersBaseUrl = `http://localhost:${users.port}`;
    analytics2 = await startAnalyticsService({
      port: 0,
      databaseUrl: withDatabase(process.env[TEST_ENV.serverUrl]!, "analytics"),
      usersBaseUrl,
      customersUrl: customers.url,
    });
    gateway2 = await startGateway({
      port: 0,
      subgraphUrls: { users: users.url, customers: customers.url, analytics: analytics2.url },
      usersBaseUrl,
    });
  });

  afterAll(async () => {
    await Promise.all(clients.map((client) => client.dispose()));
    await gateway2?.stop();
    await analytics2?.stop();
    // Last: after-all hooks run in the order they are declared, the supergraph's before this one.
    await redis?.stop();
  });

  it("delivers each event once to every subscriber, whichever gateway and replica serve it", async () => {
    const owner = await supergraph.signUp();
    const received: string[][] = [[], [], [], []];
    const gateways = [
      supergraph.stack.gateway.url,
      gateway2.url,
      supergraph.stack.gateway.url,
      gateway2.url,
    ];
    gateways.forEach((url, i) => {
      const client = createClient({
        url: url.replace(/^http/, "ws"),
        webSocketImpl: WebSocket,
        connectionParams: { authorization: `Bearer ${owner.accessToken}` },
        retryAttempts: 0,
      });
      clients.push(client);
      // Different documents, so that no two subscribers share an upstream subscription.
      client.subscribe(
        { query: `subscription S${i} { eventTracked { id } }` },
        {
          next: (r: any) => received[i].push(r.data.eventTracked.id),
          error: () => undefined,
          complete: () => undefined,
        },
      );
    });
    await new Promise((resolve) => setTimeout(resolve, 1500));
    // Batches go in through both gateways, so through both analytics replicas.
    const ids: string[] = [];
    for (let batch = 0; batch < 10; batch++) {
      const events = Array.from({ length: 5 }, (_, i) => ({
        id: `r-${batch}-${i}`,
        type: "page_view",
        timestamp: new Date().toISOString(),
      }));
      ids.push(...events.map((event) => event.id));
      const url = batch % 2 === 0 ? supergraph.stack.gateway.url : gateway2.url;
      const { body } = await supergraph.request(
        `mutation($events: [EventInput!]!) { trackEvents(events: $events) { accepted } }`,
        { url, token: owner.accessToken, variables: { events } },
      );
      expect(body.data!.trackEvents.accepted).toBe(5);
    }
    // A replay through the other gateway delivers nothing.
    await supergraph.request(
      `mutation($events: [EventInput!]!) { trackEvents(events: $events) { accepted } }`,
      {
        url: gateway2.url,
        token: owner.accessToken,
        variables: {
          events: [{ id: "r-0-0", type: "page_view", timestamp: new Date().toISOString() }],
        },
      },
    );
    const deadline = Date.now() + 10_000;
    while (received.some((list) => list.length < ids.length) && Date.now() < deadline)
      await new Promise((resolve) => setTimeout(resolve, 100));
    await new Promise((resolve) => setTimeout(resolve, 500));
    for (const list of received) expect([...list].sort()).toEqual([...ids].sort());
  });

  it("fires an alert once, although both replicas evaluate the rule", async () => {
    const owner = await supergraph.signUp();
    const created = await supergraph.request(
      `mutation { createAlertRule(input: { metric: "orders", condition: ABOVE, threshold: 1, windowMinutes: 5 }) { id } }`,
      { token: owner.accessToken },
    );
    expect(created.body.errors).toBeUndefined();
    const alerts: unknown[][] = [[], []];
    [supergraph.stack.gateway.url, gateway2.url].forEach((url, i) => {
      const client = createClient({
        url: url.replace(/^http/, "ws"),
        webSocketImpl: WebSocket,
        connectionParams: { authorization: `Bearer ${owner.accessToken}` },
        retryAttempts: 0,
      });
      clients.push(client);
      client.subscribe(
        { query: `subscription { alertTriggered { value } }` },
        { next: (r) => alerts[i].push(r.data), error: () => undefined, complete: () => undefined },
      );
    });
    await new Promise((resolve) => setTimeout(resolve, 1500));
    const purchases = [1, 2].map((n) => ({
      id: `p-${n}`,
      type: "purchase",
      value: 5,
      timestamp: new Date().toISOString(),
    }));
    // One batch through each replica: both evaluate the rule.
    await supergraph.request(
      `mutation($events: [EventInput!]!) { trackEvents(events: $events) { accepted } }`,
      { token: owner.accessToken, variables: { events: purchases.slice(0, 1) } },
    );
    await supergraph.request(
      `mutation($events: [EventInput!]!) { trackEvents(events: $events) { accepted } }`,
      { url: gateway2.url, token: owner.accessToken, variables: { events: purchases.slice(1) } },
    );
    const deadline = Date.now() + 10_000;
    while (alerts.some((list) => list.length === 0) && Date.now() < deadline)
      await new Promise((resolve) => setTimeout(resolve, 100));
    await new Promise((resolve) => setTimeout(resolve, 1000));
    expect(alerts).toEqual([
      [{ alertTriggered: { value: 2 } }],
      [{ alertTriggered: { value: 2 } }],
    ]);
    const history = await supergraph.request(`{ alerts { value } }`, { token: owner.accessToken });
    expect(history.body.data!.alerts).toEqual([{ value: 2 }]);
  });

  it("stores and answers like one replica: concurrent replays through both count once, and each replica's result cache is retired by the other's writes", async () => {
    const TRACK = `mutation($events: [EventInput!]!) { trackEvents(events: $events) { accepted duplicates } }`;
    const QUERY = `query($from: DateTime!, $to: DateTime!) {
      timeseries(metric: "revenue", from: $from, to: $to, interval: HOUR) { total points { bucket value } }
      aggregate(metrics: ["orders", "events", "revenue"], from: $from, to: $to, groupBy: "type") { group values { metric value } }
    }`;
    const hour = Date.UTC(2026, 10, 2, 10);
    const window = {
      from: new Date(hour).toISOString(),
      to: new Date(hour + 4 * 3_600_000).toISOString(),
    };
    const events = Array.from({ length: 60 }, (_, i) => ({
      id: `eq-${i}`,
      type: i % 3 === 0 ? "purchase" : "page_view",
      value: i % 3 === 0 ? 10 + i : undefined,
      timestamp: new Date(hour + i * 3 * 60_000).toISOString(),
    }));
    const gateways = [supergraph.stack.gateway.url, gateway2.url];
    const [one, both] = [await supergraph.signUp(), await supergraph.signUp()];
    const ask = async (url: string, token: string) => {
      const { body } = await supergraph.request(QUERY, { url, token, variables: window });
      expect(body.errors).toBeUndefined();
      return body.data;
    };

    // One organization through one gateway and replica, in three batches.
    for (let start = 0; start < events.length; start += 20) {
      const { body } = await supergraph.request(TRACK, {
        token: one.accessToken,
        variables: { events: events.slice(start, start + 20) },
      });
      expect(body.data!.trackEvents).toEqual({ accepted: 20, duplicates: 0 });
    }
    const reference = await ask(gateways[0], one.accessToken);

    // The other: each replica has answered (and cached) the empty window first; then the same
    // batches go in through both gateways at once, each batch twice.
    expect((await ask(gateways[0], both.accessToken))!.timeseries.total).toBe(0);
    expect((await ask(gateways[1], both.accessToken))!.timeseries.total).toBe(0);
    const answers = await Promise.all(
      [0, 20, 40].flatMap((start) =>
        gateways.map((url) =>
          supergraph.request(TRACK, {
            url,
            token: both.accessToken,
            variables: { events: events.slice(start, start + 20) },
          }),
        ),
      ),
    );
    const stored = answers.map(({ body }) => body.data!.trackEvents);
    expect(stored.reduce((sum, r) => sum + r.accepted, 0)).toBe(60);
    expect(stored.reduce((sum, r) => sum + r.duplicates, 0)).toBe(60);
    expect(await ask(gateways[0], both.accessToken)).toEqual(reference);
    expect(await ask(gateways[1], both.accessToken)).toEqual(reference);
    const [{ count }] = await supergraph.sql<{ count: string }>(
      "analytics",
      "SELECT count(*) FROM events WHERE organization_id = $1",
      [both.organizationId],
    );
    expect(Number(count)).toBe(60);
  });
});
