import { readFile } from "node:fs/promises";
import path from "node:path";
import {
  createClient,
  type Client,
  type FormattedExecutionResult as ExecutionResult,
} from "graphql-ws";
import { decodeJwt, importJWK, SignJWT } from "jose";
import WebSocket from "ws";
import { ACCESS_TOKEN_AUDIENCE, ACCESS_TOKEN_ISSUER } from "#kit/auth/access-token";
import { useSupergraph, type SignedUp } from "./support/supergraph";
import { TEST_ENV } from "./support/test-database";

const supergraph = useSupergraph({
  // Small limits, so that they can be reached here.
  env: {
    WS_MAX_SUBSCRIPTIONS_PER_CONNECTION: "3",
    WS_MAX_CONNECTIONS_PER_CALLER: "4",
    WS_CONNECTION_INIT_TIMEOUT_MS: "1000",
  },
});
let wsUrl: string;
const clients: Client[] = [];

beforeAll(async () => {
  wsUrl = supergraph.stack.gateway.url.replace(/^http/, "ws");
});

afterAll(async () => {
  await Promise.all(clients.map((client) => client.dispose()));
});

/** A graphql-ws client of the gateway, as `authorization`. */
function connect(authorization: string | undefined, url = wsUrl): Client {
  const client = createClient({
    url,
    webSocketImpl: WebSocket,
    connectionParams: authorization ? { authorization } : {},
    retryAttempts: 0,
    lazy: false,
    onNonLazyError: () => undefined,
  });
  clients.push(client);
  return client;
}

/** A running subscription: its results so far, and a way to wait for the next ones. */
interface Subscription {
  results: ExecutionResult<any>[];
  /** Resolves once `count` results arrived in all (rejects after `ms`). */
  waitFor(count: number, ms?: number): Promise<ExecutionResult<any>[]>;
  completed: Promise<unknown>;
  stop(): void;
}

function subscribe(
  client: Client,
  query: string,
  variables: Record<string, unknown> = {},
): Subscription {
  const results: ExecutionResult<any>[] = [];
  const waiters: (() => void)[] = [];
  let finish!: (value: unknown) => void;
  const completed = new Promise((resolve) => (finish = resolve));
  const stop = client.subscribe(
    { query, variables },
    {
      next: (result) => {
        results.push(result as ExecutionResult<any>);
        for (const waiter of waiters.splice(0)) waiter();
      },
      error: (error) => finish({ error }),
      complete: () => finish({ complete: true }),
    },
  );
  return {
    results,
    completed,
    stop,
    waitFor: (count, ms = 10_000) =>
      new Promise((resolve, reject) => {
        const timer = setTimeout(
          () =>
            reject(
              new Error(
                `expected ${count} results within ${ms} ms, got ${results.length}: ${JSON.stringify(results)}`,
              ),
            ),
          ms,
        );
        const check = () => {
          if (results.length >= count) {
            clearTimeout(timer);
            resolve(results);
          } else waiters.push(check);
        };
        check();
      }),
  };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Waits until the subscription is in place upstream (no acknowledgement exists in the protocol).
 */
const settle = () => sleep(1000);

async function track(owner: SignedUp, events: Record<string, unknown>[]) {
  const { body } = await supergraph.request(
    `mutation($events: [EventInput!]!) { trackEvents(events: $events) { accepted duplicates } }`,
    {
      token: owner.accessToken,
      variables: { events },
    },
  );
  expect(body.errors).toBeUndefined();
  return body.data!.trackEvents;
}

/** Opens a raw socket with the protocol, and resolves with the close code and reason. */
function rawSocket(
  messages: (socket: WebSocket) => void,
): Promise<{ code: number; reason: string }> {
  return new Promise((resolve) => {
    const socket = new WebSocket(wsUrl, "graphql-transport-ws");
    socket.on("open", () => messages(socket));
    socket.on("close", (code, reason) => resolve({ code, reason: reason.toString() }));
  });
}

describe("eventTracked through the gateway", () => {
  let owner: SignedUp;
  let customer: { id: string; name: string };
  let campaign: { id: string; name: string };

  beforeAll(async () => {
    owner = await supergraph.signUp();
    const created = await supergraph.request(
      `mutation { createCustomer(input: { externalId: "ws-1", name: "Ada Subscriber", email: "ada@example.test" }) { id name } }`,
      { token: owner.accessToken },
    );
    customer = created.body.data!.createCustomer;
    const launched = await supergraph.request(
      `mutation { createCampaign(input: { name: "Live launch", channel: EMAIL, budget: 100, startDate: "2026-01-01T00:00:00Z" }) { id name } }`,
      { token: owner.accessToken },
    );
    campaign = launched.body.data!.createCampaign;
  });

  it("delivers each new event with the fields other subgraphs own, resolved through the gateway", async () => {
    const client = connect(`Bearer ${owner.accessToken}`);
    const subscription = subscribe(
      client,
      `subscription { eventTracked { id type value properties customer { id name segment { label } stats { orders } } campaign { name createdBy { email } } } }`,
    );
    await settle();
    const timestamp = new Date(Date.now() - 1000).toISOString();
    await track(owner, [
      {
        id: "ws-e1",
        type: "purchase",
        value: 42.5,
        customerId: customer.id,
        campaignId: campaign.id,
        timestamp,
        properties: { sku: "A-1" },
      },
    ]);
    const [result] = await subscription.waitFor(1);
    expect(result.errors).toBeUndefined();
    expect(result.data.eventTracked).toEqual({
      id: "ws-e1",
      type: "purchase",
      value: 42.5,
      properties: { sku: "A-1" },
      customer: { id: customer.id, name: "Ada Subscriber", segment: null, stats: { orders: 1 } },
      campaign: { name: "Live launch", createdBy: { email: owner.email } },
    });
    // A replayed batch stores nothing new, so nothing is delivered.
    await track(owner, [
      { id: "ws-e1", type: "purchase", value: 42.5, customerId: customer.id, timestamp },
    ]);
    await sleep(500);
    expect(subscription.results).toHaveLength(1);
    subscription.stop();
  });

  it("filters by type, and an event without customer or campaign has them null", async () => {
    const client = connect(`Bearer ${owner.accessToken}`);
    const subscription = subscribe(
      client,
      `subscription { eventTracked(types: ["signup"]) { id type customer { name } campaign { name } } }`,
    );
    await settle();
    const timestamp = new Date().toISOString();
    await track(owner, [
      { id: "ws-pv", type: "page_view", timestamp },
      { id: "ws-su", type: "signup", timestamp },
    ]);
    const [result] = await subscription.waitFor(1);
    expect(result.data.eventTracked).toEqual({
      id: "ws-su",
      type: "signup",
      customer: null,
      campaign: null,
    });
    await sleep(300);
    expect(subscription.results).toHaveLength(1);
    subscription.stop();
  });

  it("delivers a batch's events in the order they were sent", async () => {
    const sender = await supergraph.signUp();
    const subscription = subscribe(
      connect(`Bearer ${sender.accessToken}`),
      `subscription { eventTracked { id } }`,
    );
    await settle();
    const timestamp = new Date().toISOString();
    const ids = ["batch-c", "batch-a", "batch-10", "batch-2", "batch-b"];
    await track(
      sender,
      [...ids, "batch-a"].map((id) => ({ id, type: "page_view", timestamp })),
    );
    expect((await subscription.waitFor(ids.length)).map((r) => r.data.eventTracked.id)).toEqual(
      ids,
    );
    subscription.stop();
  });

  it("never delivers another organization's events", async () => {
    const other = await supergraph.signUp();
    const mine = subscribe(
      connect(`Bearer ${owner.accessToken}`),
      `subscription { eventTracked { id } }`,
    );
    const theirs = subscribe(
      connect(`Bearer ${other.accessToken}`),
      `subscription { eventTracked { id } }`,
    );
    await settle();
    await track(other, [
      { id: "theirs-1", type: "page_view", timestamp: new Date().toISOString() },
    ]);
    await track(owner, [{ id: "mine-1", type: "page_view", timestamp: new Date().toISOString() }]);
    expect((await mine.waitFor(1)).map((r) => r.data.eventTracked.id)).toEqual(["mine-1"]);
    expect((await theirs.waitFor(1)).map((r) => r.data.eventTracked.id)).toEqual(["theirs-1"]);
    await sleep(300);
    expect(mine.results).toHaveLength(1);
    expect(theirs.results).toHaveLength(1);
    mine.stop();
    theirs.stop();
  });

  it("validates the document against the supergraph and reports subgraph errors as GraphQL errors", async () => {
    const client = connect(`Bearer ${owner.accessToken}`);
    const invalid = subscribe(client, `subscription { eventTracked { nope } }`);
    expect(await invalid.completed).toMatchObject({
      error: [
        expect.objectContaining({
          message: expect.stringContaining("nope"),
          extensions: { code: "GRAPHQL_VALIDATION_FAILED" },
        }),
      ],
    });
    const unknown = subscribe(
      client,
      `subscription { metricUpdated(metric: "no_such_metric", interval: MINUTE) { value } }`,
    );
    await unknown.completed;
    expect(unknown.results[0].errors![0]).toMatchObject({
      message: expect.stringContaining("Unknown metric 'no_such_metric'"),
      extensions: { code: "BAD_USER_INPUT" },
    });
  });
});

describe("metricUpdated", () => {
  it("refuses a cohort filter: live updates follow each stored event alone", async () => {
    const owner = await supergraph.signUp();
    const cohort = subscribe(
      connect(`Bearer ${owner.accessToken}`),
      `subscription { metricUpdated(metric: "events", interval: MINUTE, filter: { cohortId: "00000000-0000-4000-8000-000000000000" }) { value } }`,
    );
    await cohort.completed;
    expect(cohort.results[0].errors![0]).toMatchObject({
      message: expect.stringContaining("filter.cohortId"),
      extensions: { code: "BAD_USER_INPUT", field: "filter.cohortId" },
    });
  });

  it("sends the current value, then coalesced updates that end with the bucket's final value", async () => {
    const owner = await supergraph.signUp();
    const subscription = subscribe(
      connect(`Bearer ${owner.accessToken}`),
      `subscription { metricUpdated(metric: "revenue", interval: HOUR) { metric bucket value } }`,
    );
    const [initial] = await subscription.waitFor(1);
    expect(initial.data.metricUpdated).toMatchObject({ metric: "revenue", value: 0 });
    // The bucket is this hour: stay clear of its end, so that all events land in it.
    const now = new Date();
    const timestamp = new Date(
      Math.max(now.getTime() - 1000, Date.parse(initial.data.metricUpdated.bucket)),
    ).toISOString();
    const batches = 20;
    for (let i = 0; i < batches; i++)
      await track(owner, [{ id: `rev-${i}`, type: "purchase", value: 1.5, timestamp }]);
    const deadline = Date.now() + 5000;
    while (subscription.results.at(-1)!.data.metricUpdated.value !== 30 && Date.now() < deadline)
      await sleep(100);
    const values = subscription.results.map((r) => r.data.metricUpdated.value);
    expect(values.at(-1)).toBe(30);
    // 20 batches, fewer updates: coalesced (at most one per 250 ms), never going backwards.
    expect(values.length).toBeLessThan(batches);
    expect([...values].sort((a, b) => a - b)).toEqual(values);
    subscription.stop();
  });
});

describe("alertTriggered", () => {
  it("fires once when a rule crosses, not again while it stays crossed, and again after it recovered", async () => {
    const owner = await supergraph.signUp();
    const created = await supergraph.request(
      `mutation { createAlertRule(input: { metric: "orders", condition: ABOVE, threshold: 2, windowMinutes: 1 }) { id name state } }`,
      { token: owner.accessToken },
    );
    expect(created.body.errors).toBeUndefined();
    const rule = created.body.data!.createAlertRule;
    expect(rule.state).toBe("OK");
    const alerts = subscribe(
      connect(`Bearer ${owner.accessToken}`),
      `subscription { alertTriggered { value threshold condition rule { id metric state } } }`,
    );
    await settle();
    // Purchases 55 s ago count in the 1-minute window for a few seconds, then slide out of it.
    const purchases = (prefix: string, n: number) =>
      Array.from({ length: n }, (_, i) => ({
        id: `${prefix}-${i}`,
        type: "purchase",
        value: 1,
        timestamp: new Date(Date.now() - 55_000).toISOString(),
      }));
    await track(owner, purchases("a", 3));
    const [first] = await alerts.waitFor(1);
    expect(first.data.alertTriggered).toEqual({
      value: 3,
      threshold: 2,
      condition: "ABOVE",
      rule: { id: rule.id, metric: "orders", state: "FIRING" },
    });
    // Still above: no second alert.
    await track(owner, purchases("b", 1));
    await sleep(1000);
    expect(alerts.results).toHaveLength(1);
    // The window slides past them: the next evaluation (any event) records the recovery.
    await sleep(6000);
    await track(owner, [{ id: "pv", type: "page_view", timestamp: new Date().toISOString() }]);
    await sleep(800);
    const rules = await supergraph.request(`{ alertRules { id state lastValue } }`, {
      token: owner.accessToken,
    });
    expect(rules.body.data!.alertRules).toEqual([{ id: rule.id, state: "OK", lastValue: 0 }]);
    await track(owner, purchases("c", 3));
    const [, second] = await alerts.waitFor(2);
    expect(second.data.alertTriggered.value).toBe(3);
    const history = await supergraph.request(`{ alerts { value rule { id } } }`, {
      token: owner.accessToken,
    });
    expect(history.body.data!.alerts).toHaveLength(2);
    alerts.stop();
  }, 30_000);

  it("refuses bad rules with BAD_USER_INPUT and keeps them to ANALYST or ADMIN", async () => {
    const owner = await supergraph.signUp();
    const bad = await supergraph.request(
      `mutation { createAlertRule(input: { metric: "nope", condition: ABOVE, threshold: 1 }) { id } }`,
      { token: owner.accessToken },
    );
    expect(bad.body.errors![0]).toMatchObject({
      extensions: { code: "BAD_USER_INPUT" },
      message: expect.stringContaining("Unknown metric 'nope'"),
    });
    const window = await supergraph.request(
      `mutation { createAlertRule(input: { metric: "orders", condition: ABOVE, threshold: 1, windowMinutes: 0 }) { id } }`,
      { token: owner.accessToken },
    );
    expect(window.body.errors![0].extensions!.code).toBe("BAD_USER_INPUT");
    const anonymous = await supergraph.request(
      `mutation { createAlertRule(input: { metric: "orders", condition: ABOVE, threshold: 1 }) { id } }`,
    );
    expect(anonymous.body.errors![0].extensions!.code).toBe("UNAUTHENTICATED");
  });
});

describe("connections", () => {
  let owner: SignedUp;
  beforeAll(async () => {
    owner = await supergraph.signUp();
  });

  it("closes with 4403 without a credential or with a bad one", async () => {
    const missing = await rawSocket((socket) =>
      socket.send(JSON.stringify({ type: "connection_init" })),
    );
    expect(missing.code).toBe(4403);
    const bad = await rawSocket((socket) =>
      socket.send(
        JSON.stringify({
          type: "connection_init",
          payload: { authorization: "Bearer not-a-token" },
        }),
      ),
    );
    expect(bad.code).toBe(4403);
  });

  it("closes with the protocol's codes on protocol violations", async () => {
    const init = JSON.stringify({
      type: "connection_init",
      payload: { authorization: `Bearer ${owner.accessToken}` },
    });
    const subscribeMessage = JSON.stringify({
      id: "1",
      type: "subscribe",
      payload: { query: "subscription { eventTracked { id } }" },
    });
    expect((await rawSocket((socket) => socket.send("{not json"))).code).toBe(4400);
    expect((await rawSocket((socket) => socket.send(subscribeMessage))).code).toBe(4401);
    expect((await rawSocket(() => undefined)).code).toBe(4408);
    const duplicate = await rawSocket((socket) => {
      socket.send(init);
      socket.on("message", (data) => {
        if (JSON.parse(String(data)).type !== "connection_ack") return;
        socket.send(subscribeMessage);
        socket.send(subscribeMessage);
      });
    });
    expect(duplicate.code).toBe(4409);
    const twice = await rawSocket((socket) => {
      socket.send(init);
      socket.send(init);
    });
    expect(twice.code).toBe(4429);
  });

  it("caps subscriptions per connection and connections per caller", async () => {
    const client = connect(`Bearer ${owner.accessToken}`);
    const running = [1, 2, 3].map(() => subscribe(client, `subscription { eventTracked { id } }`));
    const fourth = subscribe(client, `subscription { eventTracked { id } }`);
    expect(await fourth.completed).toMatchObject({
      error: [expect.objectContaining({ extensions: { code: "LIMIT_EXCEEDED" } })],
    });
    running.forEach((subscription) => subscription.stop());

    const { accessToken } = await supergraph.signUp();
    const sockets: WebSocket[] = [];
    const codes: number[] = [];
    for (let i = 0; i < 5; i++) {
      await new Promise<void>((resolve) => {
        const socket = new WebSocket(wsUrl, "graphql-transport-ws");
        sockets.push(socket);
        socket.on("open", () =>
          socket.send(
            JSON.stringify({
              type: "connection_init",
              payload: { authorization: `Bearer ${accessToken}` },
            }),
          ),
        );
        socket.on("message", () => resolve());
        socket.on("close", (code) => {
          codes.push(code);
          resolve();
        });
      });
    }
    expect(codes).toEqual([4029]);
    sockets.forEach((socket) => socket.close());
  });

  it("closes the socket with 4403 when the access token expires", async () => {
    const jwk = JSON.parse(
      await readFile(path.join(process.env[TEST_ENV.keysDir]!, "jwt-signing-key.json"), "utf8"),
    );
    const claims = decodeJwt(owner.accessToken);
    const now = Math.floor(Date.now() / 1000);
    const shortLived = await new SignJWT({ org: claims.org, role: claims.role })
      .setProtectedHeader({ alg: "EdDSA", kid: jwk.kid })
      .setIssuer(ACCESS_TOKEN_ISSUER)
      .setAudience(ACCESS_TOKEN_AUDIENCE)
      .setSubject(claims.sub!)
      .setIssuedAt(now)
      .setExpirationTime(now + 2)
      .sign(await importJWK(jwk, "EdDSA"));
    const closed = await rawSocket((socket) =>
      socket.send(
        JSON.stringify({
          type: "connection_init",
          payload: { authorization: `Bearer ${shortLived}` },
        }),
      ),
    );
    expect(closed.code).toBe(4403);
    expect(closed.reason).toMatch(/expired/);
  });

  it("runs queries sent over the socket like HTTP ones", async () => {
    const client = connect(`Bearer ${owner.accessToken}`);
    const result = await new Promise<ExecutionResult<any>>((resolve, reject) => {
      client.subscribe(
        { query: `{ me { email } }` },
        { next: resolve, error: reject, complete: () => undefined },
      );
    });
    expect(result.data).toEqual({ me: { email: owner.email } });
  });
});

describe("jobProgress", () => {
  it("reports a segmentation run's state and completes with its final state; other organizations cannot watch it", async () => {
    const analyst = await supergraph.login("analyst@acme.test");
    const run = await supergraph.request(
      `mutation { runSegmentation(input: { k: 3, seed: 1 }) { id status } }`,
      { token: analyst },
    );
    expect(run.body.errors).toBeUndefined();
    const { id } = run.body.data!.runSegmentation;
    const watch = subscribe(
      connect(`Bearer ${analyst}`),
      `subscription($id: ID!) { jobProgress(id: $id) { id kind status progress error } }`,
      { id },
    );
    expect(await watch.completed).toEqual({ complete: true });
    expect(watch.results.at(-1)!.data.jobProgress).toEqual({
      id,
      kind: "SEGMENTATION",
      status: "COMPLETED",
      progress: 1,
      error: null,
    });
    const stranger = await supergraph.signUp();
    const refused = subscribe(
      connect(`Bearer ${stranger.accessToken}`),
      `subscription($id: ID!) { jobProgress(id: $id) { status } }`,
      { id },
    );
    await refused.completed;
    expect(refused.results[0].errors![0].extensions!.code).toBe("NOT_FOUND");
  });
});

describe("direct subgraph access", () => {
  it("the analytics subgraph's own WebSocket also requires a credential and scopes to the caller's organization", async () => {
    const owner = await supergraph.signUp();
    const other = await supergraph.signUp();
    const analyticsWs = supergraph.stack.subgraphs.analytics.url.replace(/^http/, "ws");
    const closed = await new Promise<number>((resolve) => {
      const socket = new WebSocket(analyticsWs, "graphql-transport-ws");
      socket.on("open", () => socket.send(JSON.stringify({ type: "connection_init" })));
      socket.on("close", (code) => resolve(code));
    });
    expect(closed).toBe(4403);
    const subscription = subscribe(
      connect(`Bearer ${owner.accessToken}`, analyticsWs),
      `subscription { eventTracked { id } }`,
    );
    await settle();
    await track(other, [
      { id: "not-yours", type: "page_view", timestamp: new Date().toISOString() },
    ]);
    await track(owner, [{ id: "yours", type: "page_view", timestamp: new Date().toISOString() }]);
    expect((await subscription.waitFor(1)).map((r) => r.data.eventTracked.id)).toEqual(["yours"]);
    subscription.stop();
  });
});

describe("shutdown", () => {
  it("completes subscriptions and closes sockets with 1001 when the gateway stops", async () => {
    const owner = await supergraph.signUp();
    const closed = new Promise<number>((resolve) => {
      const socket = new WebSocket(wsUrl, "graphql-transport-ws");
      socket.on("open", () =>
        socket.send(
          JSON.stringify({
            type: "connection_init",
            payload: { authorization: `Bearer ${owner.accessToken}` },
          }),
        ),
      );
      socket.on("message", (data) => {
        if (JSON.parse(String(data)).type === "connection_ack") {
          socket.send(
            JSON.stringify({
              id: "1",
              type: "subscribe",
              payload: { query: "subscription { eventTracked { id } }" },
            }),
          );
          setTimeout(() => void supergraph.stack.gateway.stop(), 300);
        }
      });
      socket.on("close", (code) => resolve(code));
    });
    expect(await closed).toBe(1001);
  });
});
