import { randomUUID } from "node:crypto";
import { startAnalyticsService } from "../subgraphs/analytics/src/service";
import { createLogger } from "#kit/logger";
import { withDatabase } from "#kit/database/database-url";
import type { RunningService } from "#kit/server/graphql-service";
import {
  escalateDueAlerts,
  recordEvaluation,
} from "../subgraphs/analytics/src/modules/alerts/alert-firing";
import {
  AlertCondition,
  AlertRuleState,
  type AlertRule,
} from "../subgraphs/analytics/src/modules/alerts/alert.types";
import { NotificationDispatcher } from "../subgraphs/analytics/src/modules/notifications/outbox";
import { SecretBox } from "../subgraphs/analytics/src/modules/notifications/secret-box";
import {
  createScratchAnalyticsDatabase,
  type ScratchAnalyticsDatabase,
} from "./support/scratch-analytics-database";
import { useSupergraph, type SignedUp } from "./support/supergraph";
import { CreateNotificationChannels1763900060000 } from "../subgraphs/analytics/migrations/1763900060000-CreateNotificationChannels";
import { TEST_ENV } from "./support/test-database";
import { startWebhookReceiver, type WebhookReceiver } from "./support/webhook-receiver";

// The delivery queue's guarantees: every attempt made once with two replicas on one database, a
// retry that outlives the replica that failed the first attempt, and escalation, silences and the
// flapping limit timed by an injected clock.
const supergraph = useSupergraph({
  env: { ALERT_WEBHOOK_ALLOW_PRIVATE: "true", ALERT_RETRY_BASE_SECONDS: "0.3" },
});
const receivers: WebhookReceiver[] = [];
const services: RunningService[] = [];
afterAll(async () => {
  for (const service of services) await service.stop().catch(() => undefined);
  await Promise.all(receivers.map((receiver) => receiver.close()));
});

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

  it("sends one notification per window for a flapping rule", async () => {
    hook.received.length = 0;
    const r = await rule({ windowMinutes: 10 });
    await fire(r, now);
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
