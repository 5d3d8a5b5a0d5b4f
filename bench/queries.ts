import { performance } from "node:perf_hooks";
import { Pool } from "pg";
import type { BenchContext } from "./harness/context";
import { formatCpuShares, startCpuAccounting } from "./harness/cpu-usage";
import { postJson, parseGraphQL } from "./harness/http-client";
import { formatLatency, runLoad } from "./harness/load";
import { waitForIdleQueries, type IdleWait } from "./harness/database-idle";
import { login, signUpOrganization } from "./harness/organization";
import { formatMegabytes, PeakRssSampler } from "./harness/process-memory";
import {
  describeLoad,
  expect,
  fmt,
  MAX_REQUESTS,
  QUERY_CLIENTS,
  runSingleClient,
  type QueryCase,
} from "./harness/query-cases";
import type { BenchOutcome, ResultRow } from "./harness/report";
import { generateEvents } from "./generate-events";
import { compareInsightsWithSql, insightCases } from "./insight-queries";
import { comparePeopleWithSql, peopleCases } from "./people-queries";
import { cohortCases, compareCohortsWithSql } from "./cohort-queries";

/** The data set. */
export const QUERY_EVENTS = 10_000_000;
export const QUERY_DAYS = 180;
export const QUERY_CUSTOMERS = 50_000;
/** Anonymous visitors (a fifth of the page views; 30% of them identified as customers). */
export const QUERY_VISITORS = 100_000;
/** Seconds of load per query. */
export const QUERY_SECONDS = 20;
/** The data generation is abandoned after this long. */
const GENERATE_TIME_LIMIT_MS = 25 * 60_000;
/** Unmeasured requests first, so that plans, JIT and caches are warm. */
const WARMUP_REQUESTS = 20;
const HOUR_MS = 3_600_000;
const DAY_MS = 86_400_000;

/** Overrides for a quick trial run; `npm run bench` uses the defaults. */
export interface QueriesBenchmarkOptions {
  /** @default BENCH_QUERY_EVENTS or QUERY_EVENTS */
  events?: number;
  /** Seconds of load per query. @default BENCH_QUERY_SECONDS or QUERY_SECONDS */
  seconds?: number;
  /**
   * Only the queries whose name contains one of these (e.g. `funnel`, `retention`); the revenue
   * references run only with the revenue series. @default BENCH_QUERY_CASES (comma-separated) or all
   */
  only?: string[];
}

/**
 * The `queries` benchmark: generates 10,000,000 events over 180 days for a new organization
 * (bench/generate-events.ts), then measures, through the gateway with a user token and 10
 * concurrent clients for 20 s each: the 30-day daily revenue, the 7-day hourly event count, the
 * 30-day daily revenue grouped by the `category` property (raw events), the 30-day summary, a
 * 3-step funnel over 30 days and an 8-week weekly retention table (bench/people-queries.ts).
 * Every range ends on the current hour so the hourly rollups apply where they can. References:
 * the same daily revenue as plain SQL on the raw events table, and on the hourly rollups; the
 * funnel and the retention table in plain SQL, which must give the same answers. A fifth of the
 * page views are anonymous visitors' (100,000 of them, 30% identified as customers) and customers
 * arrive over the 180 days, so that first-time cohorts are not all in the first weeks.
 * `BENCH_QUERY_EVENTS`, `BENCH_QUERY_SECONDS` and `BENCH_QUERY_CASES` make a smaller trial run.
 */
export async function runQueriesBenchmark(
  ctx: BenchContext,
  options: QueriesBenchmarkOptions = {},
): Promise<BenchOutcome> {
  const events = options.events ?? (Number(process.env.BENCH_QUERY_EVENTS) || QUERY_EVENTS);
  const seconds = options.seconds ?? (Number(process.env.BENCH_QUERY_SECONDS) || QUERY_SECONDS);
  const only =
    options.only ??
    (process.env.BENCH_QUERY_CASES ?? "")
      .split(",")
      .map((name) => name.trim())
      .filter(Boolean);
  const notes: string[] = [];
  const rows: ResultRow[] = [];
  const organization = await signUpOrganization(ctx.gatewayUrl, "queries");
  const endMs = Date.now();
  ctx.log(`queries: generating ${events.toLocaleString("en")} events over ${QUERY_DAYS} days`);
  const generated = await generateEvents({
    databaseUrl: ctx.database.databaseUrl("analytics"),
    organizationId: organization.organizationId,
    events,
    days: QUERY_DAYS,
    customers: QUERY_CUSTOMERS,
    visitors: QUERY_VISITORS,
    arrivals: true,
    endMs,
    log: ctx.log,
    timeLimitMs: GENERATE_TIME_LIMIT_MS,
  });
  const generatorMinutes = generated.totalMs / 60_000;
  rows.push({
    benchmark: `generate-events: ${fmt(events)} events over ${QUERY_DAYS} days (${generated.method}, rollups, VACUUM ANALYZE)`,
    target: "minutes, not hours (~5 min)",
    measured:
      `${(generated.totalMs / 1000).toFixed(0)} s: load ${(generated.loadMs / 1000).toFixed(0)} s (${fmt(generated.rowsPerSecond)} rows/s), ` +
      `rollups ${(generated.rollupMs / 1000).toFixed(0)} s (${fmt(generated.rollupRows.minute)} minute + ${fmt(generated.rollupRows.hour)} hour rollup rows, ${fmt(generated.rollupRows.activity)} customer_activity rows, ${fmt(generated.identities)} identities), VACUUM ANALYZE ${(generated.analyzeMs / 1000).toFixed(0)} s`,
    reference: "—",
    met: generatorMinutes <= 5 ? "yes" : "no",
  });
  const rolledUp = await countRolledUp(ctx, organization.organizationId);
  if (rolledUp.minute !== events || rolledUp.hour !== events) {
    notes.push(
      `queries: the rollups count ${fmt(rolledUp.minute)} (minute) and ${fmt(rolledUp.hour)} (hour) events of the ${fmt(events)} generated.`,
    );
  }

  // A fresh token: generation may have taken longer than an access token lives (15 minutes).
  const token = await login(ctx.gatewayUrl, organization);
  const authorization = `Bearer ${token}`;
  const to = new Date(Math.floor(Date.now() / HOUR_MS) * HOUR_MS);
  const from30 = new Date(to.getTime() - 30 * DAY_MS);
  const from7 = new Date(to.getTime() - 7 * DAY_MS);
  const range30 = { from: from30.toISOString(), to: to.toISOString() };
  let graphqlRevenueTotal = NaN;
  const cases: QueryCase[] = [
    {
      name: "timeseries revenue, 30 days, DAY",
      targetP95Ms: 20,
      judgedAt: "10 clients",
      query: `query Q($from: DateTime!, $to: DateTime!) { timeseries(metric: "revenue", from: $from, to: $to, interval: DAY) { total points { bucket value } } }`,
      variables: range30,
      check: (data) => {
        // 30 days ending on an hour boundary touch 31 UTC days (30 when it is midnight).
        expect(
          [30, 31].includes(data.timeseries.points.length),
          `30 or 31 daily points, got ${data.timeseries.points.length}`,
        );
        expect(data.timeseries.total > 0, "a positive revenue total");
        graphqlRevenueTotal = data.timeseries.total;
      },
    },
    {
      name: "timeseries events, 7 days, HOUR",
      targetP95Ms: 20,
      judgedAt: "10 clients",
      query: `query Q($from: DateTime!, $to: DateTime!) { timeseries(metric: "events", from: $from, to: $to, interval: HOUR) { total points { bucket value } } }`,
      variables: { from: from7.toISOString(), to: to.toISOString() },
      check: (data) => {
        expect(
          data.timeseries.points.length === 168,
          `168 hourly points, got ${data.timeseries.points.length}`,
        );
        expect(data.timeseries.total > 0, "a positive event count");
      },
    },
    {
      name: "timeseries revenue, 30 days, DAY, groupBy category",
      targetP95Ms: 500,
      judgedAt: "1 client",
      query: `query Q($from: DateTime!, $to: DateTime!) { timeseries(metric: "revenue", from: $from, to: $to, interval: DAY, groupBy: "category") { total points { bucket group value } } }`,
      variables: range30,
      check: (data) => {
        const groups = new Set(data.timeseries.points.map((p: { group: string }) => p.group));
        expect(
          groups.size === 11 && groups.has("other"),
          `10 categories and 'other', got ${[...groups].join(", ")}`,
        );
        expect(
          [330, 341].includes(data.timeseries.points.length),
          `11 groups x 30 or 31 days of points, got ${data.timeseries.points.length}`,
        );
      },
    },
    {
      name: "summary, 30 days",
      targetP95Ms: 100,
      judgedAt: "1 client",
      query: `query Q($from: DateTime!, $to: DateTime!) { summary(from: $from, to: $to) {
        revenue { value previous change } orders { value previous change } activeCustomers { value previous change }
        newCustomers { value previous change } averageOrderValue { value previous change } conversionRate { value previous change } } }`,
      variables: range30,
      check: (data) => {
        expect(
          data.summary.revenue.value > 0 && data.summary.activeCustomers.value > 0,
          "positive revenue and active customers",
        );
      },
    },
  ];
  const people = peopleCases(to);
  const insights = insightCases(to);
  cases.push(...people.cases, ...insights.cases);
  const cohorts = await cohortCases(ctx.gatewayUrl, authorization);
  cases.push(...cohorts.cases);
  const chosen = (name: string) => only.length === 0 || only.some((part) => name.includes(part));
  const measuredCases = cases.filter((item) => chosen(item.name));

  let analyticsPeak = 0;
  for (const item of measuredCases) {
    try {
      analyticsPeak = Math.max(
        analyticsPeak,
        await measureQuery(ctx, item, authorization, seconds, rows, notes),
      );
    } catch (error) {
      // One query failing (a timeout, a crash) does not cost the measurements of the others.
      ctx.log(`queries: ${item.name} failed: ${(error as Error).message}`);
      rows.push({
        benchmark: `query via gateway: ${item.name}`,
        target: `p95 < ${item.targetP95Ms} ms`,
        measured: `failed: ${(error as Error).message.split("\n")[0]}`,
        reference: "—",
        met: "no",
      });
      ctx.services.assertAlive();
    }
  }

  // The references: the daily revenue in plain SQL, on the raw events and on the hourly rollups;
  // the people queries' answers in plain SQL.
  const pool = new Pool({
    connectionString: ctx.database.databaseUrl("analytics"),
    max: QUERY_CLIENTS,
    application_name: "bench-reference",
  });
  try {
    if (chosen(cases[0].name)) {
      const references = [
        {
          name: "raw events",
          sql: `SELECT date_trunc('day', "timestamp", 'UTC') AS day, sum(value) AS revenue FROM events
                 WHERE organization_id = $1 AND type = 'purchase' AND "timestamp" >= $2 AND "timestamp" < $3 GROUP BY 1 ORDER BY 1`,
        },
        {
          name: "event_rollups_hour",
          sql: `SELECT date_trunc('day', bucket, 'UTC') AS day, sum(value_sum) AS revenue FROM event_rollups_hour
                 WHERE organization_id = $1 AND type = 'purchase' AND bucket >= $2 AND bucket < $3 GROUP BY 1 ORDER BY 1`,
        },
      ];
      const measured: string[] = [];
      for (const reference of references) {
        const params = [organization.organizationId, range30.from, range30.to];
        const first = await pool.query<{ revenue: number }>(reference.sql, params);
        const sqlTotal = first.rows.reduce((sum, row) => sum + Number(row.revenue), 0);
        const agrees =
          Math.abs(sqlTotal - graphqlRevenueTotal) <= 1e-6 * Math.max(1, Math.abs(sqlTotal));
        notes.push(
          `queries: SQL on ${reference.name}: ${first.rows.length} days, revenue ${sqlTotal.toFixed(2)}; the GraphQL total is ${graphqlRevenueTotal.toFixed(2)} (${agrees ? "equal" : "DIFFERENT"}).`,
        );
        for (let i = 0; i < 5; i++) await pool.query(reference.sql, params);
        ctx.log(
          `queries: reference SQL on ${reference.name}: ${QUERY_CLIENTS} clients for ${seconds} s`,
        );
        const result = await runLoad({
          concurrency: QUERY_CLIENTS,
          durationMs: seconds * 1000,
          maxRequests: MAX_REQUESTS,
          request: async () => void (await pool.query(reference.sql, params)),
        });
        ctx.log(
          `queries: reference SQL on ${reference.name}: ${formatLatency(result.latency)}, ${result.perSecond.toFixed(0)} req/s`,
        );
        const single = await runSingleClient(() => pool.query(reference.sql, params));
        measured.push(
          `SQL on ${reference.name}: ${describeLoad(result)}; 1 client: ${describeLoad(single)}`,
        );
      }
      const revenueRow = rows.find((row) =>
        row.benchmark.includes("timeseries revenue, 30 days, DAY ("),
      );
      if (revenueRow) revenueRow.reference = measured.join("; ");
    }
  } catch (error) {
    notes.push(`queries: the reference SQL failed: ${(error as Error).message}`);
  }
  try {
    const measuredPeople = [...people.cases, ...insights.cases].filter((item) => chosen(item.name));
    if (measuredPeople.length > 0) {
      const names = new Set(measuredPeople.map((item) => item.name));
      for (const reference of [
        ...(await comparePeopleWithSql(
          pool,
          organization.organizationId,
          people,
          names,
          seconds,
          ctx.log,
        )),
        ...(await compareInsightsWithSql(
          pool,
          organization.organizationId,
          insights,
          names,
          seconds,
          ctx.log,
        )),
      ]) {
        notes.push(reference.note);
        const row = rows.find((r) => r.benchmark.includes(`${reference.name} (`));
        if (!row) continue;
        row.reference = reference.measured;
        if (!reference.equal) {
          row.measured = `DIFFERENT FROM PLAIN SQL; ${row.measured}`;
          row.met = "no";
        }
      }
    }
  } catch (error) {
    notes.push(`queries: the people queries' reference SQL failed: ${(error as Error).message}`);
  }
  try {
    await compareCohortsWithSql(
      pool,
      organization.organizationId,
      cohorts,
      chosen,
      seconds,
      ctx.gatewayUrl,
      authorization,
      rows,
      notes,
      ctx.log,
    );
  } catch (error) {
    notes.push(`queries: the cohort queries' reference SQL failed: ${(error as Error).message}`);
  } finally {
    await pool.end();
  }
  notes.push(`queries: analytics peak RSS while queried: ${formatMegabytes(analyticsPeak)}.`);
  notes.push(
    `queries: data set ${fmt(events)} events (${fmt(QUERY_CUSTOMERS)} customers arriving over the ${QUERY_DAYS} days, ${fmt(QUERY_VISITORS)} anonymous visitors, ${fmt(generated.identities)} of them identified; 60% page_view, a fifth of them anonymous, 10% purchase, 5% signup, 25% campaign events), ` +
      `ranges [${range30.from}, ${range30.to}) and 7 days to the same hour, time zone UTC; retention over [${people.ranges.retention.from}, ${people.ranges.retention.to}).${only.length ? ` Only the queries matching ${only.join(", ")} (BENCH_QUERY_CASES).` : ""}`,
  );
  return { rows, notes };
}

/**
 * Checks one query's answer, warms it up (at most 20 requests or 10 s), then loads it from 10
 * clients and from 1, and adds its row and CPU note. Resolves with the analytics peak RSS
 * meanwhile.
 */
async function measureQuery(
  ctx: BenchContext,
  item: QueryCase,
  authorization: string,
  seconds: number,
  rows: ResultRow[],
  notes: string[],
): Promise<number> {
  const body = JSON.stringify({ query: item.query, variables: item.variables });
  const send = async () => {
    const t0 = performance.now();
    try {
      return parseGraphQL<any>(await postJson(ctx.gatewayUrl, body, { authorization }, 30_000));
    } catch (error) {
      throw new Error(
        `${(error as Error).message} (after ${Math.round(performance.now() - t0)} ms)`,
      );
    }
  };
  // A wrong answer is reported, and the query measured all the same.
  let wrongAnswer: string | undefined;
  try {
    item.check(await send());
  } catch (error) {
    wrongAnswer = (error as Error).message;
    notes.push(`queries, ${item.name}: ${wrongAnswer}`);
  }
  const warmup = await runLoad({
    concurrency: 1,
    durationMs: 10_000,
    maxRequests: WARMUP_REQUESTS,
    maxErrors: 2,
    request: async () => void (await send()),
  });
  if (warmup.errors)
    notes.push(
      `queries, ${item.name}: ${warmup.errors} of ${warmup.requests + warmup.errors} warm-up requests failed: ${warmup.firstError}`,
    );
  const rss = new PeakRssSampler(ctx.services.services.analytics.pid).start();
  const cpu = startCpuAccounting({
    gateway: { pid: ctx.services.services.gateway.pid },
    analytics: { pid: ctx.services.services.analytics.pid },
    postgres: { pid: ctx.database.postmasterPid, tree: true },
  });
  ctx.log(`queries: ${item.name}: ${QUERY_CLIENTS} clients for ${seconds} s`);
  const result = await runLoad({
    concurrency: QUERY_CLIENTS,
    durationMs: seconds * 1000,
    maxRequests: MAX_REQUESTS,
    request: async () => void (await send()),
  });
  const usage = cpu.finish();
  const peak = rss.stop();
  ctx.services.assertAlive();
  ctx.log(
    `queries: ${item.name}: ${formatLatency(result.latency)}, ${result.perSecond.toFixed(1)} req/s, ${result.errors} errors; CPU ${formatCpuShares(usage)}`,
  );
  noteLeftovers(
    item.name,
    "10-client load",
    await waitForIdleQueries(ctx.database.databaseUrl("analytics"), "analytics"),
    notes,
  );
  // The same query from one client: its latency without queueing behind nine others.
  const single = await runSingleClient(() => send());
  noteLeftovers(
    item.name,
    "1-client run",
    await waitForIdleQueries(ctx.database.databaseUrl("analytics"), "analytics"),
    notes,
  );
  const judged = item.judgedAt === "1 client" ? single : result;
  rows.push({
    benchmark: `query via gateway: ${item.name} (${QUERY_CLIENTS} clients, ${seconds} s)`,
    target: `p95 < ${item.targetP95Ms} ms at ${item.judgedAt}`,
    measured: `${wrongAnswer ? "WRONG ANSWER; " : ""}${describeLoad(result)}; 1 client: ${describeLoad(single)}`,
    reference: "—",
    met:
      !wrongAnswer &&
      judged.errors === 0 &&
      judged.requests > 0 &&
      judged.latency.p95 < item.targetP95Ms
        ? "yes"
        : "no",
  });
  notes.push(
    `queries, ${item.name}: CPU as a share of one core during the 10-client load: ${formatCpuShares(usage)}.`,
  );
  return peak;
}

/** Notes statements the analytics service left running in PostgreSQL after a load had stopped. */
function noteLeftovers(name: string, phase: string, wait: IdleWait, notes: string[]): void {
  if (wait.activeAtStart === 0) return;
  notes.push(
    `queries, ${name}: after the ${phase} stopped, ${wait.activeAtStart} analytics statements were still running in PostgreSQL; ` +
      (wait.idle
        ? `it was idle ${(wait.waitedMs / 1000).toFixed(1)} s later (waited before measuring on).`
        : `still busy after ${(wait.waitedMs / 1000).toFixed(0)} s.`),
  );
}

/** Events counted by the organization's minute and hour rollups. */
async function countRolledUp(
  ctx: BenchContext,
  organizationId: string,
): Promise<{ minute: number; hour: number }> {
  const pool = new Pool({ connectionString: ctx.database.databaseUrl("analytics"), max: 1 });
  try {
    const count = async (table: string) =>
      Number(
        (
          await pool.query(
            `SELECT coalesce(sum(count), 0) AS n FROM ${table} WHERE organization_id = $1`,
            [organizationId],
          )
        ).rows[0].n,
      );
    return { minute: await count("event_rollups_minute"), hour: await count("event_rollups_hour") };
  } finally {
    await pool.end();
  }
}
