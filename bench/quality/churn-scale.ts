import { readdirSync, readFileSync } from "node:fs";
import { mkdir } from "node:fs/promises";
import path from "node:path";
import { performance } from "node:perf_hooks";
import { Client } from "pg";
import { startStack } from "../../stack/start-stack";
import {
  fetchCustomerProfiles,
  organizationRecordsChurn,
} from "../../subgraphs/analytics/src/modules/features/customer-profiles";
import {
  buildChurnDataset,
  prefetchFeatures,
  trainChurnModel,
  TRAINING_PHASES,
  type TrainingPhase,
} from "../../subgraphs/analytics/src/modules/churn/train-churn-model";
import { createAnalyticsDataSource } from "../../subgraphs/analytics/src/data-source";
import { withDatabase } from "#kit/database/database-url";
import { startEmbeddedPostgres } from "#dev/embedded-postgres";
import { SeededRandom } from "#kit/random";
import { freePort } from "#kit/http/ports";
import { cpuSeconds } from "./kmeans-check";
import { log } from "./tools";
import { graphql } from "../harness/http-client";
import { startLatencyProbe, type ProbeSample } from "../harness/latency-probe";
import { summarize } from "../harness/load";

/** The size of the end-to-end training measurement, and how its data is drawn. */
export const SCALE = {
  customers: 100_000,
  /** Seed of the synthetic customers and events. */
  dataSeed: 7,
  /** `trainChurnModel(input: { seed })`. */
  trainSeed: 1,
  /** Rows per upsertCustomers call (its maximum) and events per trackEvents call (its maximum). */
  customerBatch: 5_000,
  eventBatch: 10_000,
  /** Batches in flight at once while seeding. */
  concurrency: 2,
  /** A concurrent request to the analytics subgraph is due this often during the training. */
  probeIntervalMs: 50,
};

/**
 * A phase of the end-to-end run, timed in-process: wall seconds, the Node process's CPU seconds and
 * PostgreSQL's.
 */
export interface PhaseTime {
  phase: string;
  seconds: number;
  cpuSeconds: number;
  /**
   * CPU time of the embedded PostgreSQL's processes during the phase (null when /proc cannot be
   * read).
   */
  postgresCpuSeconds: number | null;
}

export interface ChurnScaleOutcome {
  customers: number;
  churned: number;
  events: number;
  purchases: number;
  seeding: { customersSeconds: number; eventsSeconds: number };
  gateway: {
    labelSource: string;
    trainingSize: number;
    positiveRate: number;
    auc: number;
    features: number;
    /**
     * From sending the mutation (waitSeconds: 0) to its answer: profiles read and the training set
     * built.
     */
    mutationSeconds: number;
    /**
     * The gateway's error when the mutation failed (the model was then found as the latest
     * completed one).
     */
    mutationError: string | null;
    /**
     * Polls of churnModel(id) the gateway gave up on (the analytics process busy for over 10 s).
     */
    pollTimeouts: number;
    /** From sending the mutation to seeing the model COMPLETED (polled every 100 ms). */
    endToEndSeconds: number;
    /**
     * CPU time of this Node process (gateway, subgraphs and the polling client) over the end-to-end
     * run.
     */
    cpuSeconds: number;
    /** CPU time of the embedded PostgreSQL's processes over the same run. */
    postgresCpuSeconds: number | null;
    /** Small requests to the analytics service while the training ran (see {@link ConcurrentRequests}). */
    concurrentRequests: ConcurrentRequests;
  };
  /** The same steps again in-process, timed one by one. */
  inProcess: {
    phases: PhaseTime[];
    totalSeconds: number;
    totalCpuSeconds: number;
    postgresCpuSeconds: number | null;
    auc: number;
    sameModel: boolean;
    maxWeightGap: number;
  };
}

/**
 * A small request to the analytics subgraph itself (a month of daily revenue), one due every
 * `SCALE.probeIntervalMs` from sending the mutation to seeing the model COMPLETED, each timed from
 * when it was due (see `startLatencyProbe`): how long another request to the same service waits
 * while a training runs.
 */
export interface ConcurrentRequests {
  intervalMs: number;
  /** Requests answered (errors included). */
  count: number;
  errors: number;
  firstError: string | null;
  p50Ms: number;
  p95Ms: number;
  maxMs: number;
}

/** A GraphQL call through the bench harness's client, as a user (`token`). */
function gql<T>(
  url: string,
  query: string,
  variables: Record<string, unknown> = {},
  token?: string,
): Promise<T> {
  return graphql<T>(url, query, variables, token ? `Bearer ${token}` : undefined, 300_000);
}

function loopback(url: string): string {
  return url.replace("//localhost:", "//127.0.0.1:");
}

/** Runs `work` over `items` with at most `limit` in flight, in order of start. */
async function pool<T>(items: T[], limit: number, work: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(limit, items.length) }, async () => {
      while (next < items.length) await work(items[next++]);
    }),
  );
}

/**
 * CPU seconds (user + system) of the PostgreSQL server whose data folder is `dataDir`, and of its
 * backends.
 */
function postgresCpu(dataDir: string): number | null {
  try {
    const stats = new Map<number, { ppid: number; ticks: number; childTicks: number }>();
    let postmaster: number | undefined;
    for (const entry of readdirSync("/proc")) {
      if (!/^\d+$/.test(entry)) continue;
      const pid = Number(entry);
      try {
        const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
        const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
        // After "pid (comm) ": state ppid ... utime(14) stime(15) cutime(16) cstime(17), numbered
        // from 1 with pid.
        stats.set(pid, {
          ppid: Number(fields[1]),
          ticks: Number(fields[11]) + Number(fields[12]),
          childTicks: Number(fields[13]) + Number(fields[14]),
        });
        if (
          postmaster === undefined &&
          readFileSync(`/proc/${pid}/cmdline`, "utf8").includes(dataDir) &&
          stat.includes("(postgres)")
        )
          postmaster = pid;
      } catch {
        // the process ended
      }
    }
    if (postmaster === undefined) return null;
    let ticks = stats.get(postmaster)!.ticks + stats.get(postmaster)!.childTicks;
    for (const s of stats.values()) if (s.ppid === postmaster) ticks += s.ticks;
    return ticks / 100;
  } catch {
    return null;
  }
}

const CITIES = [
  "London",
  "Paris",
  "Berlin",
  "Madrid",
  "Rome",
  "Lisbon",
  "Dublin",
  "Vienna",
  "Prague",
  "Warsaw",
  "Oslo",
  "Helsinki",
  "Athens",
  "Zurich",
  "Brussels",
];
const INCOMES = ["<25k", "25-50k", "50-75k", "75-100k", ">100k"];
const CATEGORIES = [
  "books",
  "electronics",
  "fashion",
  "home",
  "sports",
  "beauty",
  "toys",
  "grocery",
];
const PLANS = ["basic", "plus", "pro"];
const DAY = 86_400_000;

interface SyntheticCustomer {
  input: Record<string, unknown>;
  /** Events happen from `from` to `until` (ms). */
  from: number;
  until: number;
  purchaseRate: number;
  viewRate: number;
  orderValue: number;
}

/**
 * 100,000 customers, seeded: profile fields (some missing), a plan, support tickets and a
 * newsletter flag as attributes; churn drawn from a latent propensity (tickets, plan, activity);
 * a churned customer's events stop at churnedAt. Activity spans up to the past year.
 */
function syntheticCustomers(n: number, seed: number, now: number): SyntheticCustomer[] {
  const random = new SeededRandom(seed);
  const out: SyntheticCustomer[] = [];
  for (let i = 0; i < n; i++) {
    const plan = random.pick(PLANS);
    const tickets = Math.floor(random.logNormal(1.5, 0.9));
    const activity = random.logNormal(1, 0.6);
    const logit =
      -1.6 +
      0.35 * Math.min(tickets, 8) -
      (plan === "pro" ? 0.8 : plan === "plus" ? 0.3 : 0) -
      0.7 * Math.log(activity) +
      0.6 * (random.next() - 0.5);
    const churned = random.next() < 1 / (1 + Math.exp(-logit));
    const registeredAt = now - random.int(30, 720) * DAY - random.int(0, DAY - 1);
    const from = Math.max(registeredAt, now - 365 * DAY);
    const churnedAt = churned ? from + random.next() * (now - from) : null;
    const input: Record<string, unknown> = {
      externalId: `scale-${String(i).padStart(6, "0")}`,
      name: `Scale Customer ${i}`,
      age: random.chance(0.08) ? null : random.int(18, 80),
      gender: random.chance(0.1) ? null : random.pick(["female", "male", "other"]),
      location: random.pick(CITIES),
      incomeRange: random.chance(0.15) ? null : random.pick(INCOMES),
      preferredCategory: random.pick(CATEGORIES),
      status: churned ? "CHURNED" : "ACTIVE",
      churnedAt: churnedAt === null ? null : new Date(churnedAt).toISOString(),
      registeredAt: new Date(registeredAt).toISOString(),
      attributes: { plan, support_tickets: tickets, newsletter: random.chance(0.4) },
    };
    out.push({
      input,
      from,
      until: churnedAt ?? now - 60_000,
      purchaseRate: (2.2 * activity) / 365,
      viewRate: (3.5 * activity) / 365,
      orderValue: random.logNormal(45, 0.5),
    });
  }
  return out;
}

/**
 * Purchases and page views of one customer between `from` and `until` (Poisson counts, uniform
 * times), seeded per customer.
 */
function eventsOf(
  c: SyntheticCustomer,
  customerId: string,
  index: number,
  seed: number,
): Record<string, unknown>[] {
  const random = new SeededRandom(seed * 1_000_003 + index);
  const days = Math.max(0, (c.until - c.from) / DAY);
  const poisson = (mean: number) => {
    // Knuth's method; the means are small.
    const limit = Math.exp(-mean);
    let k = 0;
    for (let p = random.next(); p > limit; p *= random.next()) k++;
    return k;
  };
  const events: Record<string, unknown>[] = [];
  const purchases = Math.max(1, poisson(c.purchaseRate * days));
  const views = poisson(c.viewRate * days);
  for (let j = 0; j < purchases + views; j++) {
    const purchase = j < purchases;
    events.push({
      id: `scale-${index}-${j}`,
      type: purchase ? "purchase" : "page_view",
      customerId,
      timestamp: new Date(c.from + random.next() * (c.until - c.from)).toISOString(),
      ...(purchase
        ? { value: Math.round(c.orderValue * random.logNormal(1, 0.3) * 100) / 100 }
        : {}),
    });
  }
  return events;
}

const MODEL_FIELDS =
  "id status error progress labelSource trainingSize positiveRate auc features { feature weight }";
interface GatewayModel {
  id: string;
  status: "RUNNING" | "COMPLETED" | "FAILED";
  error: string | null;
  progress: number;
  labelSource: string;
  trainingSize: number;
  positiveRate: number;
  auc: number;
  features: { feature: string; weight: number }[];
}

/**
 * `trainChurnModel` end to end on 100,000 customers: an embedded PostgreSQL in `dir`, the
 * supergraph in-process, a new organization whose customers are created with `upsertCustomers` and
 * whose purchases and page views are sent with `trackEvents` (both through the gateway, in their
 * largest batches), churn recorded as the customers' status. Then `trainChurnModel` is timed from
 * the mutation to the model COMPLETED, and the same steps are timed one by one in-process.
 */
export async function churnScale(dir: string): Promise<ChurnScaleOutcome> {
  // For working on the training code: QUALITY_SCALE_DIR keeps the database (and the seeded
  // organization) between runs.
  if (process.env.QUALITY_SCALE_DIR) dir = process.env.QUALITY_SCALE_DIR;
  await mkdir(dir, { recursive: true, mode: 0o755 });
  const pgPort = await freePort();
  const dataDir = path.join(dir, "postgres");
  log(`churn at scale: starting an embedded PostgreSQL on 127.0.0.1:${pgPort} in ${dir}...`);
  const server = await startEmbeddedPostgres({ dataDir, port: pgPort });
  try {
    log("churn at scale: starting the supergraph in-process...");
    const stack = await startStack({
      serverUrl: server.url,
      keysDir: path.join(dir, "keys"),
      demoData: false,
      ports: { gateway: 0, users: 0, customers: 0, analytics: 0 },
    });
    try {
      return await againstStack(
        server.url,
        dataDir,
        loopback(stack.gateway.url),
        loopback(stack.subgraphs.customers.url),
        loopback(stack.subgraphs.analytics.url),
      );
    } finally {
      await stack.stop();
    }
  } finally {
    await server.stop();
  }
}

async function againstStack(
  serverUrl: string,
  dataDir: string,
  gatewayUrl: string,
  customersUrl: string,
  analyticsUrl: string,
): Promise<ChurnScaleOutcome> {
  const reuse = Boolean(process.env.QUALITY_SCALE_DIR);
  const email = reuse
    ? "scale@example.test"
    : `scale-${Date.now().toString(36)}${process.pid}@example.test`;
  const password = "quality-bench-password";
  type Auth = { accessToken: string; user: { organization: { id: string } } };
  let auth: Auth | undefined;
  if (reuse) {
    auth = await gql<{ login: Auth }>(
      gatewayUrl,
      `mutation($email: String!, $password: String!) { login(email: $email, password: $password) { accessToken user { organization { id } } } }`,
      { email, password },
    ).then(
      (data) => data.login,
      () => undefined,
    );
  }
  const seeded = auth !== undefined;
  auth ??= (
    await gql<{ signUp: Auth }>(
      gatewayUrl,
      `mutation($input: SignUpInput!) { signUp(input: $input) { accessToken user { organization { id } } } }`,
      {
        input: { organizationName: `Churn scale ${email}`, name: "Scale Bench", email, password },
      },
    )
  ).signUp;
  const token = auth.accessToken;
  const organizationId = auth.user.organization.id;
  // The data is relative to now, as the model's cut-off is.
  const now = Date.now();
  const customers = syntheticCustomers(SCALE.customers, SCALE.dataSeed, now);
  let customersSeconds = NaN;
  let eventsSeconds = NaN;
  let events = 0;
  let purchases = 0;
  if (!seeded) {
    log(
      `churn at scale: creating ${SCALE.customers.toLocaleString("en-US")} customers (upsertCustomers, ${SCALE.customerBatch} per call)...`,
    );
    let started = performance.now();
    const batches: SyntheticCustomer[][] = [];
    for (let i = 0; i < customers.length; i += SCALE.customerBatch)
      batches.push(customers.slice(i, i + SCALE.customerBatch));
    await pool(batches, SCALE.concurrency, async (batch) => {
      const { upsertCustomers } = await gql<{
        upsertCustomers: { created: number; rejected: { index: number; reason: string }[] };
      }>(
        gatewayUrl,
        `mutation($input: [CustomerInput!]!) { upsertCustomers(input: $input) { created rejected { index reason } } }`,
        { input: batch.map((c) => c.input) },
        token,
      );
      if (upsertCustomers.rejected.length)
        throw new Error(
          `upsertCustomers rejected ${upsertCustomers.rejected.length}: ${JSON.stringify(upsertCustomers.rejected.slice(0, 3))}`,
        );
    });
    customersSeconds = (performance.now() - started) / 1000;

    // Their ids, read back through the gateway.
    const idByExternalId = new Map<string, string>();
    type ExportPage = {
      customersExport: {
        edges: { node: { id: string; externalId: string } }[];
        pageInfo: { hasNextPage: boolean; endCursor: string | null };
      };
    };
    for (let after: string | null = null, more = true; more;) {
      const { customersExport }: ExportPage = await gql<ExportPage>(
        gatewayUrl,
        `query($after: String) { customersExport(first: 2500, after: $after) { edges { node { id externalId } } pageInfo { hasNextPage endCursor } } }`,
        { after },
        token,
      );
      for (const { node } of customersExport.edges) idByExternalId.set(node.externalId, node.id);
      more = customersExport.pageInfo.hasNextPage;
      after = customersExport.pageInfo.endCursor;
    }
    if (idByExternalId.size !== SCALE.customers)
      throw new Error(`read back ${idByExternalId.size} customers, expected ${SCALE.customers}`);
    log(
      `churn at scale: ${SCALE.customers} customers created in ${customersSeconds.toFixed(1)} s; sending their events (trackEvents, ${SCALE.eventBatch} per call)...`,
    );

    started = performance.now();
    const eventBatches: Record<string, unknown>[][] = [];
    let current: Record<string, unknown>[] = [];
    customers.forEach((c, index) => {
      for (const event of eventsOf(
        c,
        idByExternalId.get(c.input.externalId as string)!,
        index,
        SCALE.dataSeed,
      )) {
        current.push(event);
        events++;
        if (event.type === "purchase") purchases++;
        if (current.length === SCALE.eventBatch) {
          eventBatches.push(current);
          current = [];
        }
      }
    });
    if (current.length) eventBatches.push(current);
    await pool(eventBatches, SCALE.concurrency, async (batch) => {
      const { trackEvents } = await gql<{
        trackEvents: {
          accepted: number;
          duplicates: number;
          rejected: { index: number; reason: string }[];
        };
      }>(
        gatewayUrl,
        `mutation($events: [EventInput!]!) { trackEvents(events: $events) { accepted duplicates rejected { index reason } } }`,
        { events: batch },
        token,
      );
      if (trackEvents.rejected.length || trackEvents.accepted !== batch.length)
        throw new Error(
          `trackEvents stored ${trackEvents.accepted} of ${batch.length}: ${JSON.stringify(trackEvents.rejected.slice(0, 3))}`,
        );
    });
    eventsSeconds = (performance.now() - started) / 1000;
    log(
      `churn at scale: ${events.toLocaleString("en-US")} events (${purchases.toLocaleString("en-US")} purchases) stored in ${eventsSeconds.toFixed(1)} s`,
    );

    // Let the ingest settle before timing: the maintenance autovacuum would otherwise start on the
    // 600,000 rows just written (and compete with the training for the CPU) is done here, once.
    const settleStarted = performance.now();
    for (const database of ["customers", "analytics"] as const) {
      const client = new Client({ connectionString: withDatabase(serverUrl, database) });
      await client.connect();
      await client.query("VACUUM (ANALYZE)").finally(() => client.end());
    }
    log(
      `churn at scale: VACUUM (ANALYZE) of the customers and analytics databases took ${((performance.now() - settleStarted) / 1000).toFixed(1)} s`,
    );
    await new Promise((resolve) => setTimeout(resolve, 2_000));
  } else log("churn at scale: reusing the organization seeded in QUALITY_SCALE_DIR");

  log(
    "churn at scale: trainChurnModel(input: { seed: 1, cutoff, waitSeconds: 0 }) through the gateway...",
  );
  const probeTo = new Date();
  const probeFrom = new Date(probeTo.getTime() - 30 * DAY);
  const probe = startLatencyProbe(
    () =>
      gql<unknown>(
        analyticsUrl,
        `query($from: DateTime!, $to: DateTime!) { timeseries(metric: "revenue", from: $from, to: $to, interval: DAY) { total } }`,
        { from: probeFrom.toISOString(), to: probeTo.toISOString() },
        token,
      ),
    SCALE.probeIntervalMs,
  );
  const cpuBefore = process.cpuUsage();
  const pgBefore = postgresCpu(dataDir);
  const trainStarted = performance.now();
  const startedAt = new Date();
  // The same cut-off for the gateway's model and the in-process one (with recorded churn it is
  // otherwise "now"), so both see the same features.
  const cutoff = new Date(Math.floor(startedAt.getTime() / 1000) * 1000);
  let mutationError: string | null = null;
  let pollTimeouts = 0;
  let model: GatewayModel | null = null;
  let mutationSeconds = NaN;
  let endToEndSeconds = NaN;
  // The probe runs until the model is seen COMPLETED (or the run fails).
  let samples: ProbeSample<unknown>[];
  try {
    try {
      model = (
        await gql<{ trainChurnModel: GatewayModel }>(
          gatewayUrl,
          `mutation($input: ChurnTrainingInput!) { trainChurnModel(input: $input) { ${MODEL_FIELDS} } }`,
          { input: { seed: SCALE.trainSeed, cutoff: cutoff.toISOString(), waitSeconds: 0 } },
          token,
        )
      ).trainChurnModel;
    } catch (error) {
      // E.g. the gateway gave up on the subgraph (SUBGRAPH_TIMEOUT_MS) while it was still reading
      // profiles: the subgraph goes on, so the model may still appear. Watch for the latest completed
      // model.
      mutationError = (error as Error).message.slice(0, 300);
      log(
        `churn at scale: the mutation failed after ${((performance.now() - trainStarted) / 1000).toFixed(2)} s: ${mutationError}`,
      );
    }
    mutationSeconds = (performance.now() - trainStarted) / 1000;
    for (let poll = 0; (model === null || model.status === "RUNNING") && poll < 3_000; poll++) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      try {
        if (model)
          model = (
            await gql<{ churnModel: GatewayModel }>(
              gatewayUrl,
              `query($id: ID!) { churnModel(id: $id) { ${MODEL_FIELDS} } }`,
              { id: model.id },
              token,
            )
          ).churnModel;
        else {
          const latest = (
            await gql<{ churnModel: (GatewayModel & { trainedAt: string }) | null }>(
              gatewayUrl,
              `{ churnModel { trainedAt ${MODEL_FIELDS} } }`,
              {},
              token,
            )
          ).churnModel;
          if (latest && new Date(latest.trainedAt) >= new Date(startedAt.getTime() - 1_000))
            model = latest;
        }
      } catch (error) {
        // A poll the gateway gave up on: the analytics process was busy for longer than
        // SUBGRAPH_TIMEOUT_MS.
        if (!/did not answer/.test((error as Error).message)) throw error;
        pollTimeouts++;
        log(
          `churn at scale: a poll timed out at the gateway after ${((performance.now() - trainStarted) / 1000).toFixed(1)} s`,
        );
      }
    }
    endToEndSeconds = (performance.now() - trainStarted) / 1000;
  } finally {
    samples = await probe.stop();
  }
  const cpu = cpuSeconds(process.cpuUsage(cpuBefore));
  const pgAfter = postgresCpu(dataDir);
  const failed = samples.filter((sample) => sample.error !== undefined);
  const latency = summarize(samples.map((sample) => sample.latencyMs));
  const concurrentRequests: ConcurrentRequests = {
    intervalMs: SCALE.probeIntervalMs,
    count: samples.length,
    errors: failed.length,
    firstError: failed[0]?.error?.slice(0, 300) ?? null,
    p50Ms: latency.p50,
    p95Ms: latency.p95,
    maxMs: latency.max,
  };
  if (model?.status !== "COMPLETED")
    throw new Error(
      `trainChurnModel ended ${model?.status ?? "unseen"}: ${model?.error ?? mutationError}`,
    );
  log(
    `churn at scale: COMPLETED in ${endToEndSeconds.toFixed(2)} s (mutation answered after ${mutationSeconds.toFixed(2)} s; CPU ${cpu.toFixed(2)} s here, PostgreSQL ${pgBefore !== null && pgAfter !== null ? (pgAfter - pgBefore).toFixed(2) : "?"} s), auc ${model.auc}, ${model.trainingSize} train rows, ${model.features.length} features`,
  );
  log(
    `churn at scale: ${samples.length} concurrent analytics requests meanwhile (${failed.length} failed): p50 ${latency.p50.toFixed(1)} ms, p95 ${latency.p95.toFixed(1)} ms, max ${latency.max.toFixed(1)} ms`,
  );

  // The same steps in-process, one by one: profiles from the customers subgraph, the training set,
  // then trainChurnModel's phases. A data source of its own on the analytics database, as the
  // analytics service has.
  const dataSource = createAnalyticsDataSource(withDatabase(serverUrl, "analytics"));
  await dataSource.initialize();
  const phases: PhaseTime[] = [];
  let inProcessAuc = NaN;
  let sameModel = false;
  let maxWeightGap = NaN;
  const inPgBefore = postgresCpu(dataDir);
  const wallStart = performance.now();
  const cpuStart = process.cpuUsage();
  let mark = { wall: wallStart, cpu: cpuStart, pg: inPgBefore };
  const phaseDone = (phase: string) => {
    const wall = performance.now();
    const usage = process.cpuUsage();
    const pg = postgresCpu(dataDir);
    phases.push({
      phase,
      seconds: (wall - mark.wall) / 1000,
      cpuSeconds: (usage.user + usage.system - mark.cpu.user - mark.cpu.system) / 1e6,
      postgresCpuSeconds: pg !== null && mark.pg !== null ? pg - mark.pg : null,
    });
    mark = { wall, cpu: usage, pg };
  };
  try {
    const query = (text: string, params?: unknown[]) => dataSource.query(text, params);
    // As the resolver does: the label source first (one small query), then the event features
    // alongside the profiles.
    const parameters = { horizonDays: 90, cutoff, seed: SCALE.trainSeed, l2: 1 };
    const recordsChurn = await organizationRecordsChurn(customersUrl, token);
    const prefetched = prefetchFeatures(
      dataSource,
      organizationId,
      recordsChurn ? "RECORDED_STATUS" : "NO_PURCHASE_WITHIN_HORIZON",
      parameters,
    );
    const profiles = await fetchCustomerProfiles(customersUrl, token);
    phaseDone("profiles");
    const dataset = await buildChurnDataset(
      dataSource,
      organizationId,
      profiles,
      parameters,
      prefetched,
    );
    phaseDone("dataset");
    const [{ id }] = await query(
      `INSERT INTO churn_models (organization_id, cutoff, horizon_days, seed, label_source) VALUES ($1, $2, $3, $4, $5) RETURNING id`,
      [organizationId, dataset.cutoff, 90, SCALE.trainSeed, dataset.labelSource],
    );
    try {
      await trainChurnModel(
        dataSource,
        organizationId,
        id,
        dataset,
        parameters,
        async () => undefined,
        (phase: TrainingPhase) => phaseDone(phase),
      );
      const [row] = await query(`SELECT auc, model FROM churn_models WHERE id = $1`, [id]);
      inProcessAuc = row.auc;
      const weights = new Map(
        (row.model.coefficients as { feature: string; weight: number }[]).map((c) => [
          c.feature,
          c.weight,
        ]),
      );
      maxWeightGap = Math.max(
        ...model.features.map((f) => Math.abs((weights.get(f.feature) ?? NaN) - f.weight)),
      );
      sameModel = model.features.length === weights.size && maxWeightGap <= 1e-12;
    } finally {
      await query(`DELETE FROM churn_models WHERE id = $1`, [id]);
    }
  } finally {
    await dataSource.destroy();
  }
  const inPgAfter = postgresCpu(dataDir);
  const totalSeconds = (performance.now() - wallStart) / 1000;
  const totalCpuSeconds = cpuSeconds(process.cpuUsage(cpuStart));
  log(
    `churn at scale: in-process ${totalSeconds.toFixed(2)} s (CPU ${totalCpuSeconds.toFixed(2)} s): ${phases.map((p) => `${p.phase} ${p.seconds.toFixed(2)} s (CPU ${p.cpuSeconds.toFixed(2)}, PostgreSQL ${p.postgresCpuSeconds?.toFixed(2) ?? "?"})`).join(", ")}; same model: ${sameModel} (max |weight diff| ${maxWeightGap})`,
  );
  if (phases.map((p) => p.phase).join() !== ["profiles", "dataset", ...TRAINING_PHASES].join())
    throw new Error(`unexpected phases ${phases.map((p) => p.phase).join()}`);

  return {
    customers: SCALE.customers,
    churned: customers.filter((c) => c.input.status === "CHURNED").length,
    events,
    purchases,
    seeding: { customersSeconds, eventsSeconds },
    gateway: {
      labelSource: model.labelSource,
      trainingSize: model.trainingSize,
      positiveRate: model.positiveRate,
      auc: model.auc,
      features: model.features.length,
      mutationSeconds,
      mutationError,
      pollTimeouts,
      endToEndSeconds,
      cpuSeconds: cpu,
      postgresCpuSeconds: pgBefore !== null && pgAfter !== null ? pgAfter - pgBefore : null,
      concurrentRequests,
    },
    inProcess: {
      phases,
      totalSeconds,
      totalCpuSeconds,
      postgresCpuSeconds: inPgBefore !== null && inPgAfter !== null ? inPgAfter - inPgBefore : null,
      auc: inProcessAuc,
      sameModel,
      maxWeightGap,
    },
  };
}
