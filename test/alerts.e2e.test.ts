import { createHmac, randomUUID } from "node:crypto";
import { SMTPServer } from "smtp-server";
import type { AddressInfo } from "node:net";
import { sqlQueryCount } from "#kit/database/query-counter";
import { useSupergraph, type SignedUp } from "./support/supergraph";
import { startWebhookReceiver, type WebhookReceiver } from "./support/webhook-receiver";

import { startAnalyticsService } from "../subgraphs/analytics/src/service";
import { createLogger } from "#kit/logger";
import { withDatabase } from "#kit/database/database-url";
import type { RunningService } from "#kit/server/graphql-service";
import {
  escalateDueAlerts,
  recordEvaluation,
} from "../subgraphs/analytics/src/modules/alerts/alert-firing";
import { moveAlert } from "../subgraphs/analytics/src/modules/alerts/alert-store";
import {
  AlertCondition,
  AlertRuleState,
  AlertStatus,
  type AlertRule,
} from "../subgraphs/analytics/src/modules/alerts/alert.types";
import { NotificationDispatcher } from "../subgraphs/analytics/src/modules/notifications/outbox";
import { SecretBox } from "../subgraphs/analytics/src/modules/notifications/secret-box";
import {
  createScratchAnalyticsDatabase,
  type ScratchAnalyticsDatabase,
} from "./support/scratch-analytics-database";
import { CreateNotificationChannels1763900060000 } from "../subgraphs/analytics/migrations/1763900060000-CreateNotificationChannels";
import { TEST_ENV } from "./support/test-database";

// Alerts that reach people, through the gateway: channels, signed webhooks, Slack and e-mail
// messages, retries recorded as deliveries, the alert's life and tenant isolation; then the
// delivery queue's guarantees: every attempt made once with two replicas on one database, a retry
// that outlives the replica that failed the first attempt (last: it stops the stack's analytics),
// and escalation, silences and the flapping limit timed by an injected clock. One file, as every
// replica on the database sends whatever is due: the other test files turn delivery off.
const supergraph = useSupergraph({
  env: {
    ALERT_WEBHOOK_ALLOW_PRIVATE: "true",
    ALERT_RETRY_BASE_SECONDS: "0.3",
    ALERT_DELIVERY_ENABLED: "true",
  },
});
const receivers: WebhookReceiver[] = [];
const services: RunningService[] = [];
afterAll(async () => {
  for (const service of services) await service.stop().catch(() => undefined);
  await Promise.all(receivers.map((receiver) => receiver.close()));
});

async function gql(
  owner: SignedUp,
  query: string,
  variables?: Record<string, unknown>,
  url?: string,
) {
  const { body } = await supergraph.request(query, { token: owner.accessToken, variables, url });
  if (body.errors) throw new Error(JSON.stringify(body.errors));
  return body.data!;
}

function replica(): Promise<RunningService> {
  const { users, customers } = supergraph.stack.subgraphs;
  return startAnalyticsService({
    port: 0,
    databaseUrl: withDatabase(process.env[TEST_ENV.serverUrl]!, "analytics"),
    usersBaseUrl: `http://localhost:${users.port}`,
    customersUrl: customers.url,
    keysDir: process.env[TEST_ENV.keysDir],
    delivery: { pollMs: 50 },
  }).then((service) => {
    services.push(service);
    return service;
  });
}

async function webhookRule(owner: SignedUp, url: string, rules = 1): Promise<void> {
  const channel = await gql(
    owner,
    `mutation($url: String!) { createNotificationChannel(input: { kind: WEBHOOK, name: "w", url: $url }) { channel { id } } }`,
    { url },
  );
  for (let i = 0; i < rules; i++)
    await gql(
      owner,
      `mutation($input: AlertRuleInput!) { createAlertRule(input: $input) { id } }`,
      {
        input: {
          name: `r${i}`,
          metric: "events",
          condition: "ABOVE",
          threshold: 0,
          windowMinutes: 5,
          channelIds: [channel.createNotificationChannel.channel.id],
        },
      },
    );
}

async function track(owner: SignedUp): Promise<void> {
  await gql(owner, `mutation($e: [EventInput!]!) { trackEvents(events: $e) { accepted } }`, {
    e: [{ type: "page_view", timestamp: new Date().toISOString() }],
  });
}

async function attempts(
  organizationId: string,
): Promise<{ notification_id: string; attempt: number }[]> {
  return supergraph.sql(
    "analytics",
    `SELECT notification_id, attempt FROM alert_deliveries WHERE organization_id = $1 ORDER BY notification_id, attempt`,
    [organizationId],
  );
}

async function receiver(status?: (index: number) => number): Promise<WebhookReceiver> {
  const started = await startWebhookReceiver(status);
  receivers.push(started);
  return started;
}

async function createChannel(
  owner: SignedUp,
  input: Record<string, unknown>,
): Promise<{ id: string; signingSecret: string | null }> {
  const data = await gql(
    owner,
    `mutation($input: NotificationChannelInput!) { createNotificationChannel(input: $input) { channel { id kind name } signingSecret } }`,
    { input },
  );
  return { id: data.createNotificationChannel.channel.id, ...data.createNotificationChannel };
}

/** A rule that fires on the next event, sending to the channels. */
async function fireAlert(
  owner: SignedUp,
  channelIds: string[],
  extra: Record<string, unknown> = {},
) {
  const data = await gql(
    owner,
    `mutation($input: AlertRuleInput!) { createAlertRule(input: $input) { id channels { id } } }`,
    {
      input: {
        metric: "events",
        condition: "ABOVE",
        threshold: 0,
        windowMinutes: 5,
        channelIds,
        ...extra,
      },
    },
  );
  await gql(owner, `mutation($e: [EventInput!]!) { trackEvents(events: $e) { accepted } }`, {
    e: [{ type: "page_view", timestamp: new Date().toISOString() }],
  });
  return data.createAlertRule;
}

async function waitForAlert(owner: SignedUp): Promise<any> {
  const deadline = Date.now() + 10_000;
  while (Date.now() < deadline) {
    const data = await gql(
      owner,
      `{ alerts { id status value deliveries { channel { id kind } attempt at ok httpStatus error reason } } }`,
    );
    if (data.alerts.length) return data.alerts[0];
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error("No alert fired.");
}

async function deliveriesOf(owner: SignedUp, count: number): Promise<any[]> {
  const deadline = Date.now() + 15_000;
  for (;;) {
    const alert = await waitForAlert(owner);
    if (alert.deliveries.length >= count || Date.now() > deadline) return alert.deliveries;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

describe("webhook channels", () => {
  it("POSTs the alert signed with the secret shown once, which a receiver verifies", async () => {
    const owner = await supergraph.signUp();
    const hook = await receiver();
    const channel = await createChannel(owner, { kind: "WEBHOOK", name: "ops", url: hook.url });
    expect(channel.signingSecret).toMatch(/^whsec_[A-Za-z0-9_-]{43}$/);
    const listed = await gql(owner, `{ notificationChannels { id kind name createdAt } }`);
    expect(listed.notificationChannels).toEqual([
      { id: channel.id, kind: "WEBHOOK", name: "ops", createdAt: expect.any(String) },
    ]);
    // Stored encrypted, not as the secret itself.
    const [row] = await supergraph.sql(
      "analytics",
      `SELECT secret_ciphertext FROM notification_channels WHERE id = $1`,
      [channel.id],
    );
    expect(row.secret_ciphertext).toMatch(/^v1\./);
    expect(row.secret_ciphertext).not.toContain(channel.signingSecret!.slice(6));

    const rule = await fireAlert(owner, [channel.id]);
    expect(rule.channels).toEqual([{ id: channel.id }]);
    const [request] = await hook.waitFor(1);
    const timestamp = request.headers["x-timestamp"] as string;
    expect(Math.abs(Number(timestamp) - Date.now() / 1000)).toBeLessThan(30);
    const expected = createHmac("sha256", channel.signingSecret!)
      .update(`${timestamp}.${request.body}`)
      .digest("hex");
    expect(request.headers["x-signature"]).toBe(`sha256=${expected}`);
    const payload = JSON.parse(request.body);
    expect(payload).toMatchObject({
      event: "alert.firing",
      status: "FIRING",
      value: 1,
      threshold: 0,
      condition: "ABOVE",
      rule: { id: rule.id, metric: "events" },
    });
    const deliveries = await deliveriesOf(owner, 1);
    expect(deliveries).toEqual([
      {
        channel: { id: channel.id, kind: "WEBHOOK" },
        attempt: 1,
        at: expect.any(String),
        ok: true,
        httpStatus: 200,
        error: null,
        reason: "FIRING",
      },
    ]);
  });

  it("retries a failing receiver with growing delays until it answers, recording every attempt", async () => {
    const owner = await supergraph.signUp();
    const hook = await receiver((index) => (index < 2 ? 503 : 204));
    const channel = await createChannel(owner, { kind: "WEBHOOK", name: "flaky", url: hook.url });
    await fireAlert(owner, [channel.id]);
    const requests = await hook.waitFor(3);
    const deliveries = await deliveriesOf(owner, 3);
    expect(deliveries.map((d) => [d.attempt, d.ok, d.httpStatus])).toEqual([
      [1, false, 503],
      [2, false, 503],
      [3, true, 204],
    ]);
    expect(deliveries[0].error).toBe("HTTP 503");
    // 0.3 s then 0.6 s at least (ALERT_RETRY_BASE_SECONDS=0.3, doubling).
    expect(requests[1].at - requests[0].at).toBeGreaterThanOrEqual(290);
    expect(requests[2].at - requests[1].at).toBeGreaterThanOrEqual(590);
    // The same body each time.
    expect(new Set(requests.map((r) => r.body)).size).toBe(1);
    await new Promise((resolve) => setTimeout(resolve, 1500));
    expect(hook.received).toHaveLength(3);
  });
});

describe("Slack and e-mail channels", () => {
  it("sends Slack's format: text and blocks", async () => {
    const owner = await supergraph.signUp();
    const slack = await receiver();
    const channel = await createChannel(owner, { kind: "SLACK", name: "#alerts", url: slack.url });
    expect(channel.signingSecret).toBeNull();
    await fireAlert(owner, [channel.id], { name: "Traffic" });
    const [request] = await slack.waitFor(1);
    const body = JSON.parse(request.body);
    expect(body.text).toBe("Traffic: events 1 is above 0");
    expect(body.blocks[0]).toEqual({
      type: "header",
      text: { type: "plain_text", text: "Traffic: events 1 is above 0" },
    });
    expect(body.blocks[1].type).toBe("section");
    expect(body.blocks[1].text.type).toBe("mrkdwn");
    expect(body.blocks[1].text.text).toContain("• Metric: events");
    expect(request.headers["x-signature"]).toBeUndefined();
  });

  it("sends an e-mail through SMTP_URL to a local SMTP server", async () => {
    const mails: { to: string[]; from: string; data: string }[] = [];
    const smtp = new SMTPServer({
      authOptional: true,
      disabledCommands: ["STARTTLS", "AUTH"],
      onData(stream, session, callback) {
        let data = "";
        stream.on("data", (chunk: Buffer) => (data += chunk.toString("utf8")));
        stream.on("end", () => {
          mails.push({
            from: (session.envelope.mailFrom as { address: string }).address,
            to: session.envelope.rcptTo.map((r) => r.address),
            data,
          });
          callback();
        });
      },
    });
    await new Promise<void>((resolve) => smtp.listen(0, "127.0.0.1", resolve));
    const port = (smtp.server.address() as AddressInfo).port;
    process.env.SMTP_URL = `smtp://127.0.0.1:${port}`;
    process.env.ALERT_EMAIL_FROM = "alerts@example.test";
    try {
      const owner = await supergraph.signUp();
      const channel = await createChannel(owner, {
        kind: "EMAIL",
        name: "on-call",
        email: "oncall@example.test",
      });
      await fireAlert(owner, [channel.id], { name: "Mail me" });
      const deliveries = await deliveriesOf(owner, 1);
      expect(deliveries[0]).toMatchObject({ attempt: 1, ok: true, httpStatus: null, error: null });
      expect(mails).toHaveLength(1);
      expect(mails[0].from).toBe("alerts@example.test");
      expect(mails[0].to).toEqual(["oncall@example.test"]);
      expect(mails[0].data).toContain("Subject: Mail me: events 1 is above 0");
      expect(mails[0].data).toContain("Metric: events");
    } finally {
      delete process.env.SMTP_URL;
      delete process.env.ALERT_EMAIL_FROM;
      await new Promise<void>((resolve) => smtp.close(() => resolve()));
    }
  });

  it("records a failed attempt when SMTP_URL is not set", async () => {
    const owner = await supergraph.signUp();
    const channel = await createChannel(owner, {
      kind: "EMAIL",
      name: "x",
      email: "x@example.test",
    });
    await fireAlert(owner, [channel.id]);
    const [first] = await deliveriesOf(owner, 1);
    expect(first).toMatchObject({
      attempt: 1,
      ok: false,
      error: "SMTP_URL is not set: e-mail cannot be sent.",
    });
  });
});

describe("the alert's life", () => {
  it("goes FIRING -> ACKNOWLEDGED (by whom) -> RESOLVED", async () => {
    const owner = await supergraph.signUp();
    await fireAlert(owner, []);
    const alert = await waitForAlert(owner);
    expect(alert.status).toBe("FIRING");
    const acked = await gql(
      owner,
      `mutation($id: ID!) { acknowledgeAlert(id: $id) { status acknowledgedAt acknowledgedBy { id name email } } }`,
      { id: alert.id },
    );
    expect(acked.acknowledgeAlert).toEqual({
      status: "ACKNOWLEDGED",
      acknowledgedAt: expect.any(String),
      acknowledgedBy: { id: owner.userId, name: "Test Admin", email: owner.email },
    });
    // Again: unchanged.
    const again = await gql(owner, `mutation($id: ID!) { acknowledgeAlert(id: $id) { status } }`, {
      id: alert.id,
    });
    expect(again.acknowledgeAlert.status).toBe("ACKNOWLEDGED");
    const resolved = await gql(
      owner,
      `mutation($id: ID!) { resolveAlert(id: $id) { status resolvedAt } }`,
      { id: alert.id },
    );
    expect(resolved.resolveAlert).toEqual({ status: "RESOLVED", resolvedAt: expect.any(String) });
    const refused = await supergraph.request(
      `mutation($id: ID!) { acknowledgeAlert(id: $id) { status } }`,
      { token: owner.accessToken, variables: { id: alert.id } },
    );
    expect(refused.body.errors![0].extensions).toMatchObject({
      code: "BAD_USER_INPUT",
      field: "id",
    });
    const open = await gql(owner, `{ alerts(status: [FIRING, ACKNOWLEDGED]) { id } }`);
    expect(open.alerts).toEqual([]);
  });

  it("silences a rule until a time", async () => {
    const owner = await supergraph.signUp();
    const hook = await receiver();
    const channel = await createChannel(owner, { kind: "WEBHOOK", name: "s", url: hook.url });
    const rules = await gql(
      owner,
      `mutation($input: AlertRuleInput!) { createAlertRule(input: $input) { id } }`,
      {
        input: {
          metric: "events",
          condition: "ABOVE",
          threshold: 0,
          windowMinutes: 5,
          channelIds: [channel.id],
        },
      },
    );
    const until = new Date(Date.now() + 3_600_000).toISOString();
    const silenced = await gql(
      owner,
      `mutation($id: ID!, $until: DateTime!) { silenceAlertRule(id: $id, until: $until) { id silencedUntil } }`,
      { id: rules.createAlertRule.id, until },
    );
    expect(silenced.silenceAlertRule.silencedUntil).toBe(until);
    await gql(owner, `mutation($e: [EventInput!]!) { trackEvents(events: $e) { accepted } }`, {
      e: [{ type: "page_view", timestamp: new Date().toISOString() }],
    });
    const alert = await waitForAlert(owner);
    expect(alert.status).toBe("FIRING");
    await new Promise((resolve) => setTimeout(resolve, 1500));
    expect(hook.received).toHaveLength(0);
    expect((await waitForAlert(owner)).deliveries).toEqual([]);
  });

  it("refuses bad rule input with the field named", async () => {
    const owner = await supergraph.signUp();
    const cases: [Record<string, unknown>, string][] = [
      [{ metric: "events", condition: "ABOVE", windowMinutes: 5 }, "input.threshold"],
      [{ metric: "events", condition: "ANOMALY", sensitivity: 2 }, "input.sensitivity"],
      [
        { metric: "events", condition: "ABOVE", threshold: 1, escalateAfterMinutes: 0 },
        "input.escalateAfterMinutes",
      ],
      [
        { metric: "events", condition: "ABOVE", threshold: 1, channelIds: ["nope"] },
        "input.channelIds",
      ],
      [
        {
          metric: "events",
          condition: "ABOVE",
          threshold: 1,
          channelIds: ["00000000-0000-4000-8000-000000000000"],
        },
        "input.channelIds",
      ],
    ];
    for (const [input, field] of cases) {
      const { body } = await supergraph.request(
        `mutation($input: AlertRuleInput!) { createAlertRule(input: $input) { id } }`,
        { token: owner.accessToken, variables: { input } },
      );
      expect(body.errors![0].extensions).toMatchObject({ code: "BAD_USER_INPUT", field });
    }
  });
});

describe("channel targets", () => {
  it("refuses private targets at creation and at delivery unless ALERT_WEBHOOK_ALLOW_PRIVATE=true", async () => {
    const owner = await supergraph.signUp();
    const hook = await receiver();
    const allowed = await createChannel(owner, { kind: "WEBHOOK", name: "local", url: hook.url });
    process.env.ALERT_WEBHOOK_ALLOW_PRIVATE = "false";
    try {
      for (const url of [
        hook.url,
        "http://localhost:9/x",
        "http://10.1.2.3/x",
        "http://[::1]:9/x",
        "http://169.254.169.254/latest/meta-data",
        "ftp://example.com/x",
      ]) {
        const { body } = await supergraph.request(
          `mutation($input: NotificationChannelInput!) { createNotificationChannel(input: $input) { signingSecret } }`,
          { token: owner.accessToken, variables: { input: { kind: "WEBHOOK", name: "x", url } } },
        );
        expect(body.errors![0].extensions).toMatchObject({
          code: "BAD_USER_INPUT",
          field: "input.url",
        });
      }
      // Created while allowed, delivered while not: refused when connecting.
      await fireAlert(owner, [allowed.id]);
      const [first] = await deliveriesOf(owner, 1);
      expect(first.ok).toBe(false);
      expect(first.error).toContain("private, loopback or link-local");
      expect(hook.received).toHaveLength(0);
    } finally {
      process.env.ALERT_WEBHOOK_ALLOW_PRIVATE = "true";
    }
  });

  it("needs ADMIN to create a channel, and a url or an e-mail address", async () => {
    const owner = await supergraph.signUp();
    const { body } = await supergraph.request(
      `mutation { createNotificationChannel(input: { kind: EMAIL, name: "x", email: "not-an-address" }) { signingSecret } }`,
      { token: owner.accessToken },
    );
    expect(body.errors![0].extensions).toMatchObject({
      code: "BAD_USER_INPUT",
      field: "input.email",
    });
    const analyst = await gql(
      owner,
      `mutation { createUser(input: { email: "an-${Date.now()}@example.test", name: "An", password: "a-long-enough-password", role: ANALYST }) { email } }`,
    );
    const login = await supergraph.request(
      `mutation($e: String!) { login(email: $e, password: "a-long-enough-password") { accessToken } }`,
      { variables: { e: analyst.createUser.email } },
    );
    const denied = await supergraph.request(
      `mutation { createNotificationChannel(input: { kind: SLACK, name: "x", url: "https://hooks.example.com/x" }) { signingSecret } }`,
      { token: login.body.data!.login.accessToken },
    );
    expect(denied.body.errors![0].extensions!.code).toBe("FORBIDDEN");
  });
});

describe("tenant isolation", () => {
  it("keeps channels, alerts and deliveries to their organization, through the gateway and at the subgraph", async () => {
    const a = await supergraph.signUp();
    const b = await supergraph.signUp();
    const hook = await receiver();
    const channel = await createChannel(a, { kind: "WEBHOOK", name: "a", url: hook.url });
    await fireAlert(a, [channel.id]);
    const alert = await waitForAlert(a);
    await deliveriesOf(a, 1);
    for (const url of [undefined, supergraph.stack.subgraphs.analytics.url]) {
      const as = (query: string, variables?: Record<string, unknown>) =>
        supergraph.request(query, { token: b.accessToken, url, variables });
      expect((await as(`{ notificationChannels { id } }`)).body.data!.notificationChannels).toEqual(
        [],
      );
      expect((await as(`{ alerts { id deliveries { attempt } } }`)).body.data!.alerts).toEqual([]);
      for (const mutation of [
        `mutation($id: ID!) { acknowledgeAlert(id: $id) { id } }`,
        `mutation($id: ID!) { resolveAlert(id: $id) { id } }`,
      ]) {
        const { body } = await as(mutation, { id: alert.id });
        expect(body.errors![0].extensions!.code).toBe("NOT_FOUND");
      }
      const deleted = await as(`mutation($id: ID!) { deleteNotificationChannel(id: $id) }`, {
        id: channel.id,
      });
      expect(deleted.body.errors![0].extensions!.code).toBe("NOT_FOUND");
      const borrowed = await as(
        `mutation($input: AlertRuleInput!) { createAlertRule(input: $input) { id } }`,
        { input: { metric: "events", condition: "ABOVE", threshold: 1, channelIds: [channel.id] } },
      );
      expect(borrowed.body.errors![0].extensions).toMatchObject({
        code: "BAD_USER_INPUT",
        field: "input.channelIds",
      });
    }
    // A's channel is still there and A's alert untouched.
    const still = await gql(
      a,
      `{ notificationChannels { id } alerts { status deliveries { ok } } }`,
    );
    expect(still.notificationChannels).toEqual([{ id: channel.id }]);
    expect(still.alerts).toEqual([{ status: "FIRING", deliveries: [{ ok: true }] }]);
  });

  it("deletes a channel: rules stop sending to it, past deliveries still show it", async () => {
    const owner = await supergraph.signUp();
    const hook = await receiver();
    const channel = await createChannel(owner, { kind: "WEBHOOK", name: "gone", url: hook.url });
    await fireAlert(owner, [channel.id]);
    await deliveriesOf(owner, 1);
    expect(
      await gql(owner, `mutation($id: ID!) { deleteNotificationChannel(id: $id) }`, {
        id: channel.id,
      }),
    ).toEqual({ deleteNotificationChannel: true });
    const after = await gql(
      owner,
      `{ notificationChannels { id } alertRules { channels { id } } alerts { deliveries { channel { name } } } }`,
    );
    expect(after).toEqual({
      notificationChannels: [],
      alertRules: [{ channels: [] }],
      alerts: [{ deliveries: [{ channel: { name: "gone" } }] }],
    });
  });
});

describe("loading", () => {
  it("reads alerts, their deliveries and channels in one query each, whatever their number", async () => {
    const owner = await supergraph.signUp();
    const hook = await receiver();
    const channels = [
      await createChannel(owner, { kind: "WEBHOOK", name: "one", url: hook.url }),
      await createChannel(owner, { kind: "SLACK", name: "two", url: hook.url }),
    ];
    for (let i = 0; i < 3; i++)
      await gql(
        owner,
        `mutation($input: AlertRuleInput!) { createAlertRule(input: $input) { id } }`,
        {
          input: {
            name: `r${i}`,
            metric: "events",
            condition: "ABOVE",
            threshold: 0,
            windowMinutes: 5,
            channelIds: channels.map((channel) => channel.id),
          },
        },
      );
    await gql(owner, `mutation($e: [EventInput!]!) { trackEvents(events: $e) { accepted } }`, {
      e: [{ type: "page_view", timestamp: new Date().toISOString() }],
    });
    await hook.waitFor(6);
    await new Promise((resolve) => setTimeout(resolve, 300));
    const query = `query($n: Int!) { alerts(first: $n) { id deliveries { attempt channel { name } } } alertRules { channels { name } } }`;
    // The dispatcher polls in this process too: the fewest statements over a few tries.
    const measure = async (n: number) => {
      let fewest = Infinity;
      for (let i = 0; i < 5; i++) {
        const before = sqlQueryCount("analytics");
        const data = await gql(owner, query, { n });
        fewest = Math.min(fewest, sqlQueryCount("analytics") - before);
        expect(data.alerts).toHaveLength(n);
        for (const alert of data.alerts) expect(alert.deliveries).toHaveLength(2);
      }
      return fewest;
    };
    // The alerts, the rules, the deliveries, the channels.
    expect(await measure(1)).toBe(4);
    expect(await measure(3)).toBe(4);
  });
});

describe("two analytics replicas on one database", () => {
  it("make each attempt exactly once", async () => {
    await replica();
    const owner = await supergraph.signUp();
    // Each of the 4 messages fails twice, then succeeds.
    const seen = new Map<string, number>();
    const hook = await startWebhookReceiver(() => 200);
    receivers.push(hook);
    const flaky = await startWebhookReceiver((index) => {
      const body = flakyBodies[index];
      const count = (seen.get(body) ?? 0) + 1;
      seen.set(body, count);
      return count <= 2 ? 500 : 200;
    });
    receivers.push(flaky);
    const flakyBodies: string[] = [];
    const originalPush = flaky.received.push.bind(flaky.received);
    flaky.received.push = (...items) => {
      for (const item of items) flakyBodies.push(item.body);
      return originalPush(...items);
    };
    await webhookRule(owner, flaky.url, 4);
    await track(owner);
    await flaky.waitFor(12, 20_000);
    await new Promise((resolve) => setTimeout(resolve, 1500));
    expect(flaky.received).toHaveLength(12);
    expect([...seen.values()]).toEqual([3, 3, 3, 3]);
    // The last attempts may still be committing.
    let rows = await attempts(owner.organizationId);
    for (let tries = 0; tries < 20 && rows.length < 12; tries++) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      rows = await attempts(owner.organizationId);
    }
    expect(rows).toHaveLength(12);
    const byMessage = new Map<string, number[]>();
    for (const row of rows)
      byMessage.set(row.notification_id, [
        ...(byMessage.get(row.notification_id) ?? []),
        row.attempt,
      ]);
    expect([...byMessage.values()]).toEqual([
      [1, 2, 3],
      [1, 2, 3],
      [1, 2, 3],
      [1, 2, 3],
    ]);
  }, 40_000);
});

describe("escalation, silences and flapping with an injected clock", () => {
  let scratch: ScratchAnalyticsDatabase;
  let hook: WebhookReceiver;
  let dispatcher: NotificationDispatcher;
  let now = new Date("2026-03-01T12:00:00Z");
  const organizationId = randomUUID();
  const minutes = (n: number) => new Date(now.getTime() + n * 60_000);
  beforeAll(async () => {
    scratch = await createScratchAnalyticsDatabase("escalation");
    hook = await startWebhookReceiver();
    receivers.push(hook);
    const secrets = await SecretBox.load(process.env[TEST_ENV.keysDir]!);
    dispatcher = new NotificationDispatcher(
      scratch.dataSource,
      secrets,
      createLogger("analytics"),
      {
        clock: () => now,
        retryBaseMs: 30_000,
        beforeRound: async (at) => {
          await escalateDueAlerts(scratch.dataSource, at);
        },
      },
    );
    await scratch.dataSource.query(
      `INSERT INTO notification_channels (organization_id, id, kind, name, url, secret_ciphertext, created_by)
       VALUES ($1, $2, 'WEBHOOK', 'w', $3, $4, $1)`,
      [organizationId, CHANNEL, hook.url, secrets.encrypt("whsec_test")],
    );
  });
  afterAll(() => scratch?.drop());
  const CHANNEL = randomUUID();

  async function rule(extra: Partial<AlertRule> = {}): Promise<AlertRule> {
    const id = randomUUID();
    const [row] = await scratch.dataSource.query(
      `INSERT INTO alert_rules (organization_id, id, name, metric, condition, threshold, window_minutes, created_by, channel_ids, escalate_after_minutes)
       VALUES ($1, $2, 'r', 'events', 'ABOVE', 0, $3, $1, $4, $5)
       RETURNING id, name, metric, condition, threshold, window_minutes AS "windowMinutes", state, channel_ids AS "channelIds"`,
      [
        organizationId,
        id,
        extra.windowMinutes ?? 10,
        [CHANNEL],
        extra.escalateAfterMinutes ?? null,
      ],
    );
    return { ...row, silencedUntil: null, lastNotifiedAt: null };
  }
  const fire = (r: AlertRule, at: Date) =>
    recordEvaluation(scratch.dataSource, organizationId, r, 5, true, randomUUID(), at);
  const recover = (r: AlertRule, at: Date) =>
    recordEvaluation(
      scratch.dataSource,
      organizationId,
      { ...r, state: AlertRuleState.FIRING },
      0,
      false,
      randomUUID(),
      at,
    );
  const events = () => hook.received.map((request) => JSON.parse(request.body).event);

  it("sends an alert again to every channel when it is not acknowledged in time", async () => {
    hook.received.length = 0;
    const r = await rule({ escalateAfterMinutes: 30 });
    const fired = await fire(r, now);
    expect(fired?.condition).toBe(AlertCondition.ABOVE);
    await dispatcher.runRound();
    expect(events()).toEqual(["alert.firing"]);
    now = minutes(29);
    await dispatcher.runRound();
    expect(events()).toEqual(["alert.firing"]);
    now = minutes(1);
    await dispatcher.runRound();
    expect(events()).toEqual(["alert.firing", "alert.escalated"]);
    // Once only.
    now = minutes(60);
    await dispatcher.runRound();
    expect(events()).toHaveLength(2);
  });

  it("does not escalate an acknowledged alert", async () => {
    hook.received.length = 0;
    const r = await rule({ escalateAfterMinutes: 5 });
    const fired = await fire(r, now);
    await scratch.dataSource.query(
      `UPDATE alerts SET status = 'ACKNOWLEDGED', acknowledged_by = $1 WHERE organization_id = $1 AND id = $2`,
      [organizationId, fired!.id],
    );
    await dispatcher.runRound();
    now = minutes(10);
    await dispatcher.runRound();
    expect(events()).toEqual(["alert.firing"]);
  });

  it("sends nothing for a silenced rule until the silence ends, then the due escalation", async () => {
    hook.received.length = 0;
    const r = await rule({ escalateAfterMinutes: 15 });
    await scratch.dataSource.query(
      `UPDATE alert_rules SET silenced_until = $3 WHERE organization_id = $1 AND id = $2`,
      [organizationId, r.id, minutes(60)],
    );
    await fire({ ...r, silencedUntil: minutes(60) }, now);
    await dispatcher.runRound();
    now = minutes(30);
    await dispatcher.runRound();
    now = minutes(29);
    await dispatcher.runRound();
    expect(events()).toEqual([]);
    now = minutes(1);
    await dispatcher.runRound();
    expect(events()).toEqual(["alert.escalated"]);
  });

  it("holds a pending retry of a rule silenced meanwhile until the silence ends", async () => {
    hook.received.length = 0;
    const r = await rule();
    await fire(r, now);
    await scratch.dataSource.query(
      `UPDATE alert_rules SET silenced_until = $3 WHERE organization_id = $1 AND id = $2`,
      [organizationId, r.id, minutes(20)],
    );
    await dispatcher.runRound();
    now = minutes(19);
    await dispatcher.runRound();
    expect(events()).toEqual([]);
    now = minutes(1);
    await dispatcher.runRound();
    expect(events()).toEqual(["alert.firing"]);
  });

  it("does not send what is left of an alert once it is resolved", async () => {
    hook.received.length = 0;
    const r = await rule({ escalateAfterMinutes: 5 });
    const fired = await fire(r, now);
    const moved = await moveAlert(
      scratch.dataSource,
      organizationId,
      fired!.id,
      AlertStatus.RESOLVED,
      organizationId,
      now,
    );
    expect(moved!.alert.status).toBe(AlertStatus.RESOLVED);
    await dispatcher.runRound();
    now = minutes(10);
    await dispatcher.runRound();
    expect(events()).toEqual([]);
    const states = await scratch.dataSource.query(
      `SELECT state FROM alert_notifications WHERE organization_id = $1 AND alert_id = $2`,
      [organizationId, fired!.id],
    );
    expect(states).toEqual([{ state: "CANCELLED" }]);
  });

  it("sends one notification per window for a flapping rule", async () => {
    hook.received.length = 0;
    const r = await rule({ windowMinutes: 10 });
    await fire(r, now);
    await dispatcher.runRound();
    expect(events()).toEqual(["alert.firing"]);
    // Fires again twice within the 10 minutes: recorded, not sent.
    await recover(r, minutes(1));
    await fire(r, minutes(2));
    await recover(r, minutes(3));
    await fire(r, minutes(4));
    now = minutes(5);
    await dispatcher.runRound();
    expect(events()).toEqual(["alert.firing"]);
    const [{ count }] = await scratch.dataSource.query(
      `SELECT count(*)::int AS count FROM alerts WHERE organization_id = $1 AND rule_id = $2`,
      [organizationId, r.id],
    );
    expect(count).toBe(3);
    // 10 minutes after the one sent: sent again.
    await recover(r, minutes(1));
    await fire(r, minutes(6));
    now = minutes(6);
    await dispatcher.runRound();
    expect(events()).toEqual(["alert.firing", "alert.firing"]);
  });
});

describe("the notification channels migration", () => {
  it("is undone by its down() and done again by up()", async () => {
    const database = await createScratchAnalyticsDatabase("channels_migration");
    try {
      const db = database.dataSource;
      const organizationId = randomUUID();
      for (const condition of ["ABOVE", "ANOMALY"])
        await db.query(
          `INSERT INTO alert_rules (organization_id, id, name, metric, condition, threshold, window_minutes, created_by)
           VALUES ($1, $2, $3, 'events', $3, 0, 5, $1)`,
          [organizationId, randomUUID(), condition],
        );
      const runner = db.createQueryRunner();
      const migration = new CreateNotificationChannels1763900060000();
      await migration.down(runner);
      expect(
        await db.query(`SELECT condition::text FROM alert_rules WHERE organization_id = $1`, [
          organizationId,
        ]),
      ).toEqual([{ condition: "ABOVE" }]);
      expect((await db.query(`SELECT to_regclass('alert_notifications') AS t`))[0].t).toBeNull();
      expect((await db.query(`SELECT to_regtype('alert_condition') AS t`))[0].t).toBe(
        "alert_condition",
      );
      await migration.up(runner);
      const [rule] = await db.query(
        `SELECT condition, channel_ids, silenced_until FROM alert_rules WHERE organization_id = $1`,
        [organizationId],
      );
      expect(rule).toEqual({ condition: "ABOVE", channel_ids: [], silenced_until: null });
      await runner.release();
    } finally {
      await database.drop();
    }
  });
});

describe("a restart mid-retry", () => {
  it("delivers the retry from the database after every replica stopped and one started again", async () => {
    // Every dispatcher of the stack is stopped: its analytics service, and the replicas.
    for (const service of services.splice(0)) await service.stop();
    await supergraph.stack.subgraphs.analytics.stop();
    const first = await replica();
    const owner = await supergraph.signUp();
    const hook = await startWebhookReceiver((index) => (index === 0 ? 503 : 200));
    receivers.push(hook);
    const url = first.url;
    const channel = await gql(
      owner,
      `mutation($url: String!) { createNotificationChannel(input: { kind: WEBHOOK, name: "w", url: $url }) { channel { id } } }`,
      { url: hook.url },
      url,
    );
    await gql(
      owner,
      `mutation($input: AlertRuleInput!) { createAlertRule(input: $input) { id } }`,
      {
        input: {
          metric: "events",
          condition: "ABOVE",
          threshold: 0,
          windowMinutes: 5,
          channelIds: [channel.createNotificationChannel.channel.id],
        },
      },
      url,
    );
    await gql(
      owner,
      `mutation($e: [EventInput!]!) { trackEvents(events: $e) { accepted } }`,
      {
        e: [{ type: "page_view", timestamp: new Date().toISOString() }],
      },
      url,
    );
    await hook.waitFor(1);
    // The first attempt failed; the service goes before its retry is due.
    await first.stop();
    services.splice(services.indexOf(first), 1);
    await new Promise((resolve) => setTimeout(resolve, 800));
    expect(hook.received).toHaveLength(1);
    const second = await replica();
    await hook.waitFor(2);
    let deliveries: unknown[] = [];
    for (let tries = 0; tries < 50 && deliveries.length < 2; tries++) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      const alerts = await gql(
        owner,
        `{ alerts { deliveries { attempt ok httpStatus } } }`,
        undefined,
        second.url,
      );
      deliveries = alerts.alerts[0].deliveries;
    }
    expect(deliveries).toEqual([
      { attempt: 1, ok: false, httpStatus: 503 },
      { attempt: 2, ok: true, httpStatus: 200 },
    ]);
  }, 40_000);
});
