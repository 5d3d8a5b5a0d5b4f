import { spawn, type ChildProcess } from "node:child_process";
import { mkdir, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { Client } from "pg";
import { REPLICATED_POSTGRES_READY_LINE } from "#dev/replicated-postgres-main";
import { withDatabase } from "#kit/database/database-url";
import { freePort } from "#kit/http/ports";
import { startStack, type RunningStack } from "../stack/start-stack";
import { uniqueSuffix } from "./support/supergraph";
import { TEST_ENV } from "./support/test-database";
import { addCustomerTotalsSql } from "../subgraphs/analytics/src/modules/rollups/customer-totals";

/**
 * The analytics reads on a real PostgreSQL streaming replica (ANALYTICS_READ_DATABASE_URL): this
 * file starts a primary configured for replication and a hot standby made from a base backup of
 * it (dev/replicated-postgres-main.ts, a process of its own, built by `npm test`), on free ports
 * in a folder of its own, and the supergraph in process on them. Replica lag is made visible by
 * pausing the standby's replay (`pg_wal_replay_pause()`).
 */
const MAX_WAIT_MS = 3_000;

let dir: string;
let servers: ChildProcess;
let primary: { url: string };
let replica: { url: string; name: string };
let stack: RunningStack;
const saved = new Map<string, string | undefined>();

async function sql<T = Record<string, any>>(
  server: { url: string },
  database: string,
  text: string,
  params: unknown[] = [],
): Promise<T[]> {
  const client = new Client({ connectionString: withDatabase(server.url, database) });
  await client.connect();
  try {
    return (await client.query(text, params)).rows as T[];
  } finally {
    await client.end();
  }
}

async function gql<T = any>(query: string, variables: Record<string, unknown>, token?: string) {
  const response = await fetch(stack.gateway.url, {
    method: "POST",
    headers: {
      "content-type": "application/json",
      ...(token ? { authorization: `Bearer ${token}` } : {}),
    },
    body: JSON.stringify({ query, variables }),
  });
  const body = (await response.json()) as { data?: T; errors?: { message: string }[] };
  if (body.errors) throw new Error(JSON.stringify(body.errors));
  return body.data!;
}

/** The analytics service's reads by route so far (its /metrics). */
async function routes(): Promise<Record<string, number>> {
  const text = await (
    await fetch(stack.subgraphs.analytics.url.replace(/\/graphql$/, "/metrics"))
  ).text();
  const counts: Record<string, number> = {};
  for (const match of text.matchAll(
    /^database_reads_routed_total\{route="([^"]+)"[^}]*\} (\S+)$/gm,
  ))
    counts[match[1]] = Number(match[2]);
  return counts;
}

const increase = (before: Record<string, number>, after: Record<string, number>) =>
  Object.fromEntries(
    Object.keys(after)
      .map((route) => [route, after[route] - (before[route] ?? 0)])
      .filter(([, n]) => n !== 0),
  );

async function pauseReplay(): Promise<void> {
  await sql(replica, "postgres", "SELECT pg_wal_replay_pause()");
  for (let i = 0; i < 500; i++) {
    const [{ state }] = await sql(
      replica,
      "postgres",
      "SELECT pg_get_wal_replay_pause_state() AS state",
    );
    if (state === "paused") return;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  throw new Error("The standby's replay did not pause.");
}

const resumeReplay = () => sql(replica, "postgres", "SELECT pg_wal_replay_resume()");

/** Waits until the standby has replayed everything the primary has written so far. */
async function caughtUp(): Promise<void> {
  const [{ lsn }] = await sql(
    primary,
    "postgres",
    "SELECT pg_current_wal_insert_lsn()::text AS lsn",
  );
  for (let i = 0; i < 1000; i++) {
    const [{ done }] = await sql(
      replica,
      "postgres",
      "SELECT pg_last_wal_replay_lsn() >= $1::pg_lsn AS done",
      [lsn],
    );
    if (done) return;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  throw new Error("The standby did not catch up.");
}

/** An organization of its own with one customer. */
async function organizationWithCustomer(): Promise<{
  token: string;
  organizationId: string;
  customerId: string;
}> {
  const signed = await gql<{
    signUp: { accessToken: string; user: { organization: { id: string } } };
  }>(
    `mutation($input: SignUpInput!) { signUp(input: $input) { accessToken user { organization { id } } } }`,
    {
      input: {
        organizationName: `Replica ${uniqueSuffix()}`,
        name: "Reader",
        email: `replica-${uniqueSuffix()}@example.test`,
        password: "a-long-enough-password",
      },
    },
  );
  const token = signed.signUp.accessToken;
  const created = await gql<{ createCustomer: { id: string } }>(
    `mutation { createCustomer(input: { name: "Ada" }) { id } }`,
    {},
    token,
  );
  return {
    token,
    organizationId: signed.signUp.user.organization.id,
    customerId: created.createCustomer.id,
  };
}

const purchase = (customerId: string, value: number) => ({
  type: "purchase",
  customerId,
  value,
  timestamp: new Date(Date.now() - 60_000).toISOString(),
});

const track = (token: string, events: unknown[]) =>
  gql<{ trackEvents: { accepted: number } }>(
    `mutation($events: [EventInput!]!) { trackEvents(events: $events) { accepted } }`,
    { events },
    token,
  );

/** The customer's stats as the gateway answers them (Customer.stats, from the analytics reads). */
async function stats(token: string): Promise<{ orders: number; totalSpent: number }> {
  const data = await gql<{
    customers: { edges: { node: { stats: { orders: number; totalSpent: number } } }[] };
  }>(`{ customers(first: 1) { edges { node { stats { orders totalSpent } } } } }`, {}, token);
  return data.customers.edges[0].node.stats;
}

beforeAll(async () => {
  // Not mkdtemp: its 0700 folder is closed to the postgres user that runs the servers as root.
  dir = path.join(
    os.tmpdir(),
    `federated-analytics-replica-${process.pid}-${Date.now().toString(36)}`,
  );
  await mkdir(dir, { recursive: true });
  servers = spawn(
    process.execPath,
    [
      path.join(__dirname, "..", "dist", "dev", "replicated-postgres-main.js"),
      dir,
      String(await freePort()),
      String(await freePort()),
    ],
    { stdio: ["ignore", "pipe", "pipe", "ipc"] },
  );
  const ready = await new Promise<{ primary: string; standby: string; standbyName: string }>(
    (resolve, reject) => {
      let output = "";
      const read = (chunk: Buffer) => {
        output += chunk.toString("utf8");
        const match = REPLICATED_POSTGRES_READY_LINE.exec(output);
        if (match) resolve(JSON.parse(match[1]));
      };
      servers.stdout!.on("data", read);
      servers.stderr!.on("data", read);
      servers.once("exit", (code) =>
        reject(new Error(`The primary and standby did not start (exit ${code}): ${output}`)),
      );
    },
  );
  primary = { url: ready.primary };
  replica = { url: ready.standby, name: ready.standbyName };
  const env = {
    ANALYTICS_READ_DATABASE_URL: withDatabase(replica.url, "analytics"),
    ANALYTICS_READ_REPLICA_MAX_WAIT_MS: String(MAX_WAIT_MS),
    // Every query computed, none answered from the result cache.
    ANALYTICS_CACHE_TTL_MS: "0",
    // People queries in 2 parts of the actors: on the standby too, one snapshot exported there.
    ANALYTICS_PEOPLE_QUERY_PARTS: "2",
  };
  for (const [name, value] of Object.entries(env)) {
    saved.set(name, process.env[name]);
    process.env[name] = value;
  }
  stack = await startStack({
    serverUrl: primary.url,
    keysDir: process.env[TEST_ENV.keysDir],
    demoData: false,
    ports: { gateway: 0, users: 0, customers: 0, analytics: 0 },
  });
}, 180_000);

afterAll(async () => {
  if (replica) await resumeReplay().catch(() => undefined);
  await stack?.stop();
  if (servers && servers.exitCode === null) {
    const exited = new Promise((resolve) => servers.once("exit", resolve));
    servers.kill("SIGTERM");
    await exited;
  }
  for (const [name, value] of saved) {
    if (value === undefined) delete process.env[name];
    else process.env[name] = value;
  }
  if (dir) await rm(dir, { recursive: true, force: true });
}, 60_000);

describe("analytics reads on a streaming replica", () => {
  it("connects to the standby for reads, and to the primary for the rest", async () => {
    // Some traffic, so that both pools hold connections.
    const { token } = await organizationWithCustomer();
    expect(await stats(token)).toEqual({ orders: 0, totalSpent: 0 });
    const [{ standby }] = await sql(replica, "analytics", "SELECT pg_is_in_recovery() AS standby");
    expect(standby).toBe(true);
    const [{ streaming }] = await sql(
      primary,
      "postgres",
      "SELECT count(*)::int AS streaming FROM pg_stat_replication WHERE application_name = $1 AND state = 'streaming'",
      [replica.name],
    );
    expect(streaming).toBe(1);
    const sessions = (server: { url: string }) =>
      sql<{ application_name: string; n: number }>(
        server,
        "postgres",
        `SELECT application_name, count(*)::int AS n FROM pg_stat_activity
          WHERE datname = 'analytics' AND application_name LIKE 'analytics%' GROUP BY 1 ORDER BY 1`,
      );
    expect((await sessions(replica)).map((row) => row.application_name)).toEqual([
      "analytics-read",
    ]);
    expect((await sessions(primary)).map((row) => row.application_name)).toEqual(["analytics"]);
  });

  it("serves an organization's reads from the replica, as of the replica's replay", async () => {
    const { token, organizationId, customerId } = await organizationWithCustomer();
    await track(token, [purchase(customerId, 10)]);
    expect(await stats(token)).toEqual({ orders: 1, totalSpent: 10 });
    await caughtUp();

    // A purchase (and its customer totals) written straight into the primary, past the service (so
    // it knows of no write): while the standby does not replay, the answer is the standby's.
    await pauseReplay();
    const at = new Date(Date.now() - 30_000).toISOString();
    await sql(primary, "analytics", "SELECT ensure_event_partition($1::timestamptz)", [at]);
    await sql(
      primary,
      "analytics",
      `WITH ids AS (INSERT INTO event_ids (organization_id, id, "timestamp") VALUES ($1, 'direct-1', $3) RETURNING id),
       stored AS (INSERT INTO events (organization_id, id, type, customer_id, "timestamp", value) SELECT $1, id, 'purchase', $2, $3, 5 FROM ids
                  RETURNING type, customer_id, "timestamp", value),
       ${addCustomerTotalsSql("stored e", "e.customer_id")}
       SELECT 1`,
      [organizationId, customerId, at],
    );
    const before = await routes();
    expect(await stats(token)).toEqual({ orders: 1, totalSpent: 10 });
    expect(increase(before, await routes())).toEqual({ replica: 1 });

    await resumeReplay();
    await caughtUp();
    expect(await stats(token)).toEqual({ orders: 2, totalSpent: 15 });
  }, 60_000);

  it("reads the metric of anomalies from the replica, as of the replica's replay", async () => {
    const { token, organizationId, customerId } = await organizationWithCustomer();
    await track(token, [purchase(customerId, 10)]);
    await caughtUp();
    const hour = Math.floor(Date.now() / 3_600_000) * 3_600_000;
    // A customer filter: the raw events answer (not the rollups the direct insert below skips).
    const revenue = async () => {
      const data = await gql<{ anomalies: { value: number }[] }>(
        `query($from: DateTime!, $to: DateTime!, $filter: EventFilter) {
           anomalies(metric: "revenue", from: $from, to: $to, interval: HOUR, filter: $filter) { value } }`,
        {
          from: new Date(hour - 3_600_000).toISOString(),
          to: new Date(hour + 3_600_000).toISOString(),
          filter: { customerId },
        },
        token,
      );
      return data.anomalies.reduce((sum, point) => sum + point.value, 0);
    };
    expect(await revenue()).toBe(10);

    await pauseReplay();
    try {
      const at = new Date(Date.now() - 30_000).toISOString();
      await sql(primary, "analytics", "SELECT ensure_event_partition($1::timestamptz)", [at]);
      await sql(
        primary,
        "analytics",
        `WITH ids AS (INSERT INTO event_ids (organization_id, id, "timestamp") VALUES ($1, 'direct-anomaly', $3) RETURNING id)
         INSERT INTO events (organization_id, id, type, customer_id, "timestamp", value) SELECT $1, id, 'purchase', $2, $3, 5 FROM ids`,
        [organizationId, customerId, at],
      );
      const before = await routes();
      expect(await revenue()).toBe(10);
      expect(Object.keys(increase(before, await routes()))).toEqual(["replica"]);
    } finally {
      await resumeReplay();
    }
    await caughtUp();
    expect(await revenue()).toBe(15);
  }, 60_000);

  it("serves timeseries, aggregate and summary from the replica, as of the replica's replay", async () => {
    const { token, organizationId, customerId } = await organizationWithCustomer();
    await track(token, [purchase(customerId, 10)]);
    await caughtUp();
    const day = Math.floor(Date.now() / 86_400_000) * 86_400_000;
    const variables = {
      from: new Date(day - 86_400_000).toISOString(),
      to: new Date(day + 86_400_000).toISOString(),
      filter: { customerId },
    };
    // A customer filter: the raw events answer (not the rollups the direct insert below skips).
    const answers = async () => {
      const data = await gql<{
        timeseries: { total: number };
        aggregate: { values: { value: number }[] }[];
        summary: { revenue: { value: number } };
      }>(
        `query($from: DateTime!, $to: DateTime!, $filter: EventFilter) {
           timeseries(metric: "revenue", from: $from, to: $to, interval: HOUR, filter: $filter) { total }
           aggregate(metrics: ["revenue"], from: $from, to: $to, filter: $filter) { values { value } }
           summary(from: $from, to: $to) { revenue { value } } }`,
        variables,
        token,
      );
      return [data.timeseries.total, data.aggregate[0].values[0].value, data.summary.revenue.value];
    };
    expect(await answers()).toEqual([10, 10, 10]);

    await pauseReplay();
    try {
      const at = new Date(Date.now() - 30_000).toISOString();
      await sql(primary, "analytics", "SELECT ensure_event_partition($1::timestamptz)", [at]);
      await sql(
        primary,
        "analytics",
        `WITH ids AS (INSERT INTO event_ids (organization_id, id, "timestamp") VALUES ($1, 'direct-series', $3) RETURNING id)
         INSERT INTO events (organization_id, id, type, customer_id, "timestamp", value) SELECT $1, id, 'purchase', $2, $3, 5 FROM ids`,
        [organizationId, customerId, at],
      );
      const before = await routes();
      expect((await answers()).slice(0, 2)).toEqual([10, 10]);
      expect(Object.keys(increase(before, await routes()))).toEqual(["replica"]);
    } finally {
      await resumeReplay();
    }
    await caughtUp();
    expect((await answers()).slice(0, 2)).toEqual([15, 15]);
  }, 60_000);

  it("answers a query right after ingest from the primary when the replica stays behind, and others' reads from the replica meanwhile", async () => {
    const writer = await organizationWithCustomer();
    const other = await organizationWithCustomer();
    await track(other.token, [purchase(other.customerId, 7)]);
    await caughtUp();
    await pauseReplay();
    try {
      await track(writer.token, [purchase(writer.customerId, 20), purchase(writer.customerId, 22)]);
      const before = await routes();
      const started = Date.now();
      // The writer sees its own batch although the standby has not replayed it ...
      expect(await stats(writer.token)).toEqual({ orders: 2, totalSpent: 42 });
      expect(Date.now() - started).toBeGreaterThanOrEqual(MAX_WAIT_MS);
      expect(increase(before, await routes())).toEqual({ "primary-replica-behind": 1 });
      const [{ n }] = await sql(
        replica,
        "analytics",
        "SELECT count(*)::int AS n FROM events WHERE organization_id = $1",
        [writer.organizationId],
      );
      expect(n).toBe(0);
      // ... and another organization is answered by the standby at once.
      const meanwhile = await routes();
      expect(await stats(other.token)).toEqual({ orders: 1, totalSpent: 7 });
      expect(increase(meanwhile, await routes())).toEqual({ replica: 1 });
    } finally {
      await resumeReplay();
    }
  }, 60_000);

  it("waits for the replica when it replays the batch within ANALYTICS_READ_REPLICA_MAX_WAIT_MS", async () => {
    const writer = await organizationWithCustomer();
    await caughtUp();
    await pauseReplay();
    let resumed: Promise<unknown> = Promise.resolve();
    try {
      await track(writer.token, [purchase(writer.customerId, 12)]);
      const before = await routes();
      resumed = new Promise((resolve) => setTimeout(resolve, 300)).then(resumeReplay);
      expect(await stats(writer.token)).toEqual({ orders: 1, totalSpent: 12 });
      expect(increase(before, await routes())).toEqual({ "replica-after-wait": 1 });
    } finally {
      await resumed;
      await resumeReplay();
    }
  }, 60_000);

  it("answers people queries from the replica, and sees an identify at once", async () => {
    const writer = await organizationWithCustomer();
    const visit = {
      type: "purchase",
      anonymousId: "replica-visitor",
      value: 9,
      timestamp: new Date(Date.now() - 60_000).toISOString(),
    };
    await track(writer.token, [visit]);
    await caughtUp();
    const funnel = `{ funnel(steps: [{ type: "purchase" }, { type: "signup" }], from: "${new Date(Date.now() - 3_600_000).toISOString()}", to: "${new Date(Date.now() + 60_000).toISOString()}") { steps { count } } }`;
    const before = await routes();
    const counted = await gql<{ funnel: { steps: { count: number }[] } }>(funnel, {}, writer.token);
    expect(counted.funnel.steps[0].count).toBe(1);
    // From the standby (at once, or once it replayed the batch this process knows of).
    expect(Object.entries(increase(before, await routes()))).toEqual([
      [expect.stringMatching(/^replica/), 1],
    ]);
    await pauseReplay();
    try {
      await gql(
        `mutation($c: ID!) { identify(anonymousId: "replica-visitor", customerId: $c) { linkedEvents } }`,
        { c: writer.customerId },
        writer.token,
      );
      // The visitor's purchase is now the customer's, although the standby has not replayed it.
      expect(await stats(writer.token)).toEqual({ orders: 1, totalSpent: 9 });
    } finally {
      await resumeReplay();
    }
  }, 60_000);
});
