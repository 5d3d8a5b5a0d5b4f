import os from "node:os";
import { performance } from "node:perf_hooks";
import { Client } from "pg";
import { ingestStatement } from "../subgraphs/analytics/src/modules/ingest/ingest-events";
import type { EventRow } from "../subgraphs/analytics/src/modules/ingest/event-validation";
import { generateEvents } from "./generate-events";
import { bulkLoadEvents, bulkMethod } from "./harness/bulk-load";
import type { BenchContext } from "./harness/context";
import { formatCpuShares, startCpuAccounting } from "./harness/cpu-usage";
import { EventMix, type BenchEvent } from "./harness/event-mix";
import { postJson, parseGraphQL } from "./harness/http-client";
import { formatLatency, summarize } from "./harness/load";
import { createApiKey, signUpOrganization } from "./harness/organization";
import { formatMegabytes, PeakRssSampler } from "./harness/process-memory";
import type { BenchOutcome, ResultRow } from "./harness/report";

/** Events per run. */
export const INGEST_EVENTS = 1_000_000;
/** Events per trackEvents call. */
export const INGEST_BATCH = 1_000;
/** Concurrent senders tried, one run each. */
export const INGEST_SENDERS = [4, 8];
/** Events of the organization in the database before the runs. */
export const INGEST_BASE_EVENTS = 10_000_000;
/** Days the base events span, ending when the benchmark starts. */
const BASE_DAYS = 180;
/** Customers the events belong to (the base's and the runs'). */
const INGEST_CUSTOMERS = 50_000;
/** Targets: events/s through the gateway against COPY's rows/s in the same run, and memory. */
export const INGEST_TARGET_COPY_RATIO = 0.5;
export const INGEST_TARGET_RSS_BYTES = 500 * 1024 * 1024;

/** Longest one run may send for; a slower service is reported as incomplete, not waited for. */
const RUN_TIME_LIMIT_MS = 300_000;
/** Attempts per batch (a retry resends the same event ids, so it cannot double-count). */
const ATTEMPTS = 3;
const SEED = 20_240_601;
const DAY_MS = 86_400_000;

const TRACK_EVENTS = `mutation Track($events: [EventInput!]!) { trackEvents(events: $events) { accepted duplicates rejected { index reason } } }`;

interface TrackResult {
  trackEvents: {
    accepted: number;
    duplicates: number;
    rejected: { index: number; reason: string }[];
  };
}

/** The figures of one run with a given number of senders. */
interface IngestRun {
  senders: number;
  accepted: number;
  duplicates: number;
  rejected: number;
  firstRejection?: string;
  failedBatches: number;
  retries: number;
  firstError?: string;
  elapsedMs: number;
  eventsPerSecond: number;
  stored: number;
  rolledUp: number;
  analyticsPeakRss: number;
  gatewayPeakRss: number;
  batchLatency: ReturnType<typeof summarize>;
  cpu: string;
  complete: boolean;
}

/**
 * The `ingest` benchmark, on the 10M-event database: {@link INGEST_BASE_EVENTS} events of the
 * organization are generated first (bench/generate-events.ts, as for the queries benchmark; a
 * trial run sets `BENCH_INGEST_BASE_EVENTS`). The reference comes first: a copy of the events
 * table with the same rows and indexes (`LIKE events INCLUDING ALL`, filled untimed), into which
 * the first run's 1,000,000 rows are written with COPY. Then 1,000,000 new events go through the
 * gateway's `trackEvents` in batches of 1,000 with an EVENTS_WRITE API key, once with 4 and once
 * with 8 concurrent senders (other events each time, a checkpoint before each), each verified by
 * SQL counts; the WAL each writes (pg_stat_wal) and the buffers it had to read are reported per
 * event. Last, one more batch's statement is EXPLAINed (ANALYZE, BUFFERS, WAL; rolled back) to say
 * where its time goes, beside the sizes of the largest tables and indexes against shared_buffers.
 */
export async function runIngestBenchmark(ctx: BenchContext): Promise<BenchOutcome> {
  const organization = await signUpOrganization(ctx.gatewayUrl, "ingest");
  const secret = await createApiKey(ctx.gatewayUrl, organization.accessToken, "bench ingest", [
    "EVENTS_WRITE",
  ]);
  const endMs = Date.now() - 60_000;
  const baseEvents = Number(process.env.BENCH_INGEST_BASE_EVENTS ?? INGEST_BASE_EVENTS);
  const notes: string[] = [];
  const rows: ResultRow[] = [];
  if (baseEvents > 0) {
    ctx.log(`ingest: generating the ${fmt(baseEvents)} events already in the database`);
    const generated = await generateEvents({
      databaseUrl: ctx.database.databaseUrl("analytics"),
      organizationId: organization.organizationId,
      events: baseEvents,
      days: BASE_DAYS,
      customers: INGEST_CUSTOMERS,
      endMs,
      log: ctx.log,
    });
    notes.push(
      `ingest: the database held ${fmt(baseEvents)} events of the organization over ${BASE_DAYS} days before the runs (generated in ${(generated.totalMs / 1000).toFixed(0)} s, with their rollups and customer_activity); the runs add theirs on top.`,
    );
  }
  const runBodies = (run: number) => {
    const t0 = performance.now();
    const bodies: Buffer[] = [];
    let batch: Record<string, unknown>[] = [];
    for (const event of ingestEvents(endMs, run)) {
      batch.push(toEventInput(event));
      if (batch.length === INGEST_BATCH) {
        bodies.push(
          Buffer.from(JSON.stringify({ query: TRACK_EVENTS, variables: { events: batch } })),
        );
        batch = [];
      }
    }
    const bytes = bodies.reduce((sum, body) => sum + body.length, 0);
    ctx.log(
      `ingest: ${bodies.length} bodies, ${Math.round(bytes / 1024 / 1024)} MB of JSON, in ${Math.round(performance.now() - t0)} ms`,
    );
    return { bodies, bytes };
  };

  const sql = new Client({ connectionString: ctx.database.databaseUrl("analytics") });
  await sql.connect();
  const runs: IngestRun[] = [];
  let copy:
    { rowsPerSecond: number; elapsedMs: number; method: string; stored: number } | undefined;
  let bodyBytes = 0;
  try {
    copy = await copyReference(ctx, sql, organization.organizationId, endMs);
    for (const [index, senders] of INGEST_SENDERS.entries()) {
      const { bodies, bytes } = runBodies(index);
      bodyBytes = bytes;
      await sql.query("CHECKPOINT");
      const before = await databaseCounters(sql, organization.organizationId);
      ctx.log(`ingest: ${senders} senders ...`);
      const run = await ingestRun(ctx, bodies, senders, `ApiKey ${secret}`);
      const after = await databaseCounters(sql, organization.organizationId);
      run.stored = after.events - before.events;
      run.rolledUp = after.rolledUp - before.rolledUp;
      notes.push(
        `ingest, ${senders} senders: PostgreSQL wrote ${fmtBytes((after.walBytes - before.walBytes) / run.stored)} of WAL per event (${((after.walFpi - before.walFpi) / run.stored).toFixed(2)} full-page images, ${((after.walRecords - before.walRecords) / run.stored).toFixed(1)} records) and read ${((after.blocksRead - before.blocksRead) / run.stored).toFixed(2)} blocks per event from outside shared_buffers (${fmt(after.blocksHit - before.blocksHit)} hits).`,
      );
      ctx.log(
        `ingest: ${senders} senders: ${Math.round(run.eventsPerSecond).toLocaleString("en")} events/s, stored ${run.stored.toLocaleString("en")}, ` +
          `rejected ${run.rejected}, analytics peak RSS ${formatMegabytes(run.analyticsPeakRss)}; CPU ${run.cpu}`,
      );
      runs.push(run);
    }
    notes.push(...(await explainBatch(sql, organization.organizationId, endMs)));
    notes.push(await largestRelations(sql));
  } finally {
    await sql.end();
  }

  const verified = (run: IngestRun) =>
    run.complete &&
    run.stored === INGEST_EVENTS &&
    run.rejected === 0 &&
    run.rolledUp === INGEST_EVENTS;
  const reference = copy
    ? `${copy.method} into an identical table (same rows and indexes): ${fmt(copy.rowsPerSecond)} rows/s, ${(copy.elapsedMs / 1000).toFixed(1)} s${copy.method === "COPY" ? "" : " (pg-copy-streams not installed: 10,000-row unnest INSERTs)"}`
    : "—";
  const base = baseEvents > 0 ? ` on ${fmt(baseEvents / 1_000_000)}M events` : "";
  rows.push(
    ...runs.map((run) => ({
      benchmark: `ingest: 1M events via gateway trackEvents${base}, ${INGEST_BATCH}/batch, ${run.senders} senders`,
      target: `all stored`,
      measured:
        `${fmt(run.eventsPerSecond)} events/s (${(run.elapsedMs / 1000).toFixed(1)} s); batch ${formatLatency(run.batchLatency)}; ` +
        `stored ${fmt(run.stored)}, rejected ${run.rejected}, duplicates ${run.duplicates}, failed batches ${run.failedBatches}${run.complete ? "" : ", INCOMPLETE (time limit)"}`,
      reference,
      met: (verified(run) ? "yes" : "no") as ResultRow["met"],
    })),
  );
  const best = [...runs].sort((a, b) => b.eventsPerSecond - a.eventsPerSecond)[0];
  if (best) {
    rows.push({
      benchmark: `ingest${base}: best of ${runs.map((r) => r.senders).join(" and ")} senders (${best.senders})`,
      target: `>= ${INGEST_TARGET_COPY_RATIO}× COPY in the same run`,
      measured: copy
        ? `${fmt(best.eventsPerSecond)} events/s, ${(best.eventsPerSecond / copy.rowsPerSecond).toFixed(2)}× ${copy.method}`
        : `${fmt(best.eventsPerSecond)} events/s`,
      reference: copy ? `${copy.method}: ${fmt(copy.rowsPerSecond)} rows/s` : "—",
      met:
        copy &&
        best.eventsPerSecond >= INGEST_TARGET_COPY_RATIO * copy.rowsPerSecond &&
        verified(best)
          ? "yes"
          : "no",
    });
    const peak = Math.max(...runs.map((r) => r.analyticsPeakRss));
    rows.push({
      benchmark: "ingest: analytics process peak RSS (VmRSS, 250 ms samples)",
      target: "< 500 MB",
      measured: runs
        .map((r) => `${formatMegabytes(r.analyticsPeakRss)} (${r.senders} senders)`)
        .join(", "),
      reference: `gateway peak: ${runs.map((r) => `${formatMegabytes(r.gatewayPeakRss)} (${r.senders})`).join(", ")}`,
      met: peak < INGEST_TARGET_RSS_BYTES ? "yes" : "no",
    });
  }
  for (const run of runs) {
    notes.push(
      `ingest, ${run.senders} senders: CPU as a share of one core over the run: ${run.cpu} (the machine has ${os.cpus().length} cores).`,
    );
    if (run.retries || run.failedBatches)
      notes.push(
        `ingest, ${run.senders} senders: ${run.retries} retried requests, ${run.failedBatches} batches failed every attempt; first error: ${run.firstError}`,
      );
    if (run.rejected)
      notes.push(
        `ingest, ${run.senders} senders: ${run.rejected} events rejected, e.g. "${run.firstRejection}".`,
      );
    if (run.rolledUp !== run.stored)
      notes.push(
        `ingest, ${run.senders} senders: the hourly rollups count ${fmt(run.rolledUp)} events but ${fmt(run.stored)} are stored.`,
      );
  }
  notes.push(
    `ingest: request bodies (${Math.round(bodyBytes / INGEST_EVENTS)} bytes per event, ${INGEST_BATCH} events each) are serialized before timing; ` +
      `timestamps are spread uniformly over the last 30 days, so each batch touches ~${INGEST_BATCH} minute and up to 720 hour rollup buckets.`,
  );
  return { rows, notes };
}

/**
 * COPY of run 0's rows into `bench_events_copy`, a table `LIKE events INCLUDING ALL` holding the
 * events already stored (copied before timing, then vacuumed and checkpointed); dropped after.
 */
async function copyReference(
  ctx: BenchContext,
  sql: Client,
  organizationId: string,
  endMs: number,
): Promise<{ rowsPerSecond: number; elapsedMs: number; method: string; stored: number }> {
  ctx.log(`ingest: reference: a copy of the events table with its rows, then ${bulkMethod()}`);
  await sql.query("DROP TABLE IF EXISTS bench_events_copy");
  await sql.query("CREATE TABLE bench_events_copy (LIKE events INCLUDING ALL)");
  try {
    await sql.query("SET maintenance_work_mem = '512MB'");
    await sql.query("INSERT INTO bench_events_copy SELECT * FROM events");
    await sql.query("VACUUM (ANALYZE) bench_events_copy");
    await sql.query("CHECKPOINT");
    const before = Number(
      (await sql.query("SELECT count(*) AS n FROM bench_events_copy")).rows[0].n,
    );
    const loaded = await bulkLoadEvents(
      sql,
      "bench_events_copy",
      organizationId,
      ingestEvents(endMs, 0),
    );
    const stored =
      Number((await sql.query("SELECT count(*) AS n FROM bench_events_copy")).rows[0].n) - before;
    const copy = {
      rowsPerSecond: (loaded.rows / loaded.elapsedMs) * 1000,
      elapsedMs: loaded.elapsedMs,
      method: loaded.method,
      stored,
    };
    ctx.log(
      `ingest: ${loaded.method}: ${Math.round(copy.rowsPerSecond).toLocaleString("en")} rows/s (${stored.toLocaleString("en")} rows in ${(loaded.elapsedMs / 1000).toFixed(1)} s)`,
    );
    return copy;
  } finally {
    await sql.query("DROP TABLE IF EXISTS bench_events_copy");
  }
}

/** Counters read before and after a run. */
interface DatabaseCounters {
  events: number;
  rolledUp: number;
  walBytes: number;
  walFpi: number;
  walRecords: number;
  blocksRead: number;
  blocksHit: number;
}

async function databaseCounters(sql: Client, organizationId: string): Promise<DatabaseCounters> {
  const { rows } = await sql.query(
    `SELECT (SELECT count(*) FROM events WHERE organization_id = $1) AS events,
            (SELECT coalesce(sum(count), 0) FROM event_rollups_hour WHERE organization_id = $1) AS rolled_up,
            w.wal_bytes, w.wal_fpi, w.wal_records, d.blks_read, d.blks_hit
       FROM pg_stat_wal w, pg_stat_database d WHERE d.datname = current_database()`,
    [organizationId],
  );
  const row = rows[0];
  return {
    events: Number(row.events),
    rolledUp: Number(row.rolled_up),
    walBytes: Number(row.wal_bytes),
    walFpi: Number(row.wal_fpi),
    walRecords: Number(row.wal_records),
    blocksRead: Number(row.blks_read),
    blocksHit: Number(row.blks_hit),
  };
}

interface PlanNode {
  "Node Type": string;
  "Relation Name"?: string;
  "Subplan Name"?: string;
  "Actual Total Time"?: number;
  "WAL Bytes"?: number;
  "WAL FPI"?: number;
  "Shared Dirtied Blocks"?: number;
  "Shared Read Blocks"?: number;
  Plans?: PlanNode[];
}

/**
 * Notes on one more 1,000-event batch's statement, EXPLAINed with ANALYZE, BUFFERS and WAL and
 * rolled back: the whole statement's time and WAL, and each table it writes (ModifyTable nodes,
 * whose times include what feeds them).
 */
async function explainBatch(sql: Client, organizationId: string, endMs: number): Promise<string[]> {
  const rows: EventRow[] = [];
  for (const event of ingestEvents(endMs, INGEST_SENDERS.length)) {
    rows.push({
      id: event.id,
      type: event.type,
      customerId: event.customerId,
      anonymousId: null,
      campaignId: event.campaignId,
      timestamp: new Date(event.timestampMs),
      value: event.value,
      properties: event.properties ? JSON.stringify(event.properties) : null,
    });
    if (rows.length === INGEST_BATCH) break;
  }
  const statement = ingestStatement(organizationId, rows);
  await sql.query("BEGIN");
  let plan: { Plan: PlanNode; "Execution Time": number; "Planning Time": number };
  try {
    const { rows: explained } = await sql.query(
      `EXPLAIN (ANALYZE, BUFFERS, WAL, FORMAT JSON) ${statement.text}`,
      statement.values,
    );
    plan = (explained[0]["QUERY PLAN"] as (typeof plan)[])[0];
  } finally {
    await sql.query("ROLLBACK");
  }
  const writes: string[] = [];
  const visit = (node: PlanNode) => {
    if (node["Node Type"] === "ModifyTable" && node["Relation Name"]) {
      writes.push(
        `${node["Relation Name"]} ${(node["Actual Total Time"] ?? 0).toFixed(0)} ms, ${fmtBytes(node["WAL Bytes"] ?? 0)} WAL (${node["WAL FPI"] ?? 0} full pages), ${node["Shared Dirtied Blocks"] ?? 0} blocks dirtied, ${node["Shared Read Blocks"] ?? 0} read`,
      );
    }
    for (const child of node.Plans ?? []) visit(child);
  };
  visit(plan.Plan);
  return [
    `ingest: EXPLAIN (ANALYZE, BUFFERS, WAL) of one more ${INGEST_BATCH}-event batch after the runs (rolled back): planning ${plan["Planning Time"].toFixed(1)} ms, execution ${plan["Execution Time"].toFixed(0)} ms, ${fmtBytes(plan.Plan["WAL Bytes"] ?? 0)} of WAL (${plan.Plan["WAL FPI"] ?? 0} full-page images); by table written (times include their input): ${writes.join("; ")}.`,
  ];
}

/** A note with the largest tables and indexes of the analytics database, against shared_buffers. */
async function largestRelations(sql: Client): Promise<string> {
  const { rows } = await sql.query(
    `WITH sizes AS (
       SELECT coalesce(parent.relname, c.relname) AS name, c.relkind, sum(pg_relation_size(c.oid))::bigint AS bytes
         FROM pg_class c
         JOIN pg_namespace n ON n.oid = c.relnamespace AND n.nspname = 'public'
         LEFT JOIN pg_inherits i ON i.inhrelid = c.oid
         LEFT JOIN pg_class parent ON parent.oid = i.inhparent
        WHERE c.relkind IN ('r', 'i')
        GROUP BY 1, 2)
     SELECT name, relkind, bytes, (SELECT setting::bigint * 8192 FROM pg_settings WHERE name = 'shared_buffers') AS shared_buffers,
            sum(bytes) OVER () AS total
       FROM sizes ORDER BY bytes DESC LIMIT 12`,
  );
  const listed = rows
    .map((r) => `${r.name}${r.relkind === "i" ? " (index)" : ""} ${fmtBytes(Number(r.bytes))}`)
    .join(", ");
  return `ingest: after the runs, tables and indexes take ${fmtBytes(Number(rows[0]?.total ?? 0))} in all against shared_buffers of ${fmtBytes(Number(rows[0]?.shared_buffers ?? 0))}; the largest (partitions summed): ${listed}.`;
}

/**
 * The events of run `run` (another 1,000,000 each), in the same order every time, over the 30
 * days before `endMs`, with random (UUIDv4) ids as clients make them.
 */
function* ingestEvents(endMs: number, run: number): Generator<BenchEvent> {
  const mix = new EventMix({ seed: SEED + run, customers: INGEST_CUSTOMERS });
  for (let i = 0; i < INGEST_EVENTS; i++) {
    const timestampMs = Math.floor(endMs - mix.uniform() * 30 * DAY_MS);
    yield mix.next(timestampMs, mix.uuid());
  }
}

/** An event as `EventInput` JSON. */
function toEventInput(event: BenchEvent): Record<string, unknown> {
  const input: Record<string, unknown> = {
    id: event.id,
    type: event.type,
    timestamp: new Date(event.timestampMs).toISOString(),
    properties: event.properties,
  };
  if (event.customerId) input.customerId = event.customerId;
  if (event.campaignId) input.campaignId = event.campaignId;
  if (event.value !== null) input.value = event.value;
  return input;
}

/** Sends every body from `senders` concurrent loops, each taking the next unsent batch. */
async function ingestRun(
  ctx: BenchContext,
  bodies: Buffer[],
  senders: number,
  authorization: string,
): Promise<IngestRun> {
  const analytics = new PeakRssSampler(ctx.services.services.analytics.pid).start();
  const gateway = new PeakRssSampler(ctx.services.services.gateway.pid).start();
  const cpu = startCpuAccounting({
    gateway: { pid: ctx.services.services.gateway.pid },
    users: { pid: ctx.services.services.users.pid },
    analytics: { pid: ctx.services.services.analytics.pid },
    postgres: { pid: ctx.database.postmasterPid, tree: true },
  });
  const run: IngestRun = {
    senders,
    accepted: 0,
    duplicates: 0,
    rejected: 0,
    failedBatches: 0,
    retries: 0,
    elapsedMs: 0,
    eventsPerSecond: 0,
    stored: 0,
    rolledUp: 0,
    analyticsPeakRss: 0,
    gatewayPeakRss: 0,
    batchLatency: summarize([]),
    cpu: "",
    complete: true,
  };
  const latencies: number[] = [];
  let next = 0;
  const started = performance.now();
  const deadline = started + RUN_TIME_LIMIT_MS;
  let lastLog = started;
  const sender = async () => {
    while (next < bodies.length) {
      if (performance.now() > deadline) {
        run.complete = false;
        return;
      }
      const body = bodies[next++];
      for (let attempt = 1; attempt <= ATTEMPTS; attempt++) {
        const t0 = performance.now();
        try {
          const result = parseGraphQL<TrackResult>(
            await postJson(ctx.gatewayUrl, body, { authorization }, 60_000),
          ).trackEvents;
          latencies.push(performance.now() - t0);
          run.accepted += result.accepted;
          run.duplicates += result.duplicates;
          run.rejected += result.rejected.length;
          if (result.rejected.length) run.firstRejection ??= result.rejected[0].reason;
          break;
        } catch (error) {
          run.firstError ??= (error as Error).message;
          if (attempt === ATTEMPTS) run.failedBatches++;
          else run.retries++;
        }
      }
      if (performance.now() - lastLog > 5_000) {
        lastLog = performance.now();
        ctx.log(
          `ingest: ${senders} senders: ${fmt(run.accepted)} events, ${fmt((run.accepted / (lastLog - started)) * 1000)} events/s, analytics RSS peak ${formatMegabytes(analytics.peakBytes)}`,
        );
      }
    }
  };
  await Promise.all(Array.from({ length: senders }, sender));
  run.elapsedMs = performance.now() - started;
  run.cpu = formatCpuShares(cpu.finish());
  run.analyticsPeakRss = analytics.stop();
  run.gatewayPeakRss = gateway.stop();
  run.eventsPerSecond = (run.accepted / run.elapsedMs) * 1000;
  run.batchLatency = summarize(latencies);
  ctx.services.assertAlive();
  return run;
}

function fmtBytes(bytes: number): string {
  if (bytes >= 1024 ** 3) return `${(bytes / 1024 ** 3).toFixed(1)} GB`;
  if (bytes >= 1024 ** 2) return `${(bytes / 1024 ** 2).toFixed(1)} MB`;
  if (bytes >= 1024) return `${(bytes / 1024).toFixed(1)} KB`;
  return `${Math.round(bytes)} B`;
}

function fmt(n: number): string {
  return Math.round(n).toLocaleString("en");
}
