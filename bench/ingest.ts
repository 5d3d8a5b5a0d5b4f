import os from "node:os";
import { performance } from "node:perf_hooks";
import { Client } from "pg";
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
/** Targets. */
export const INGEST_TARGET_EVENTS_PER_SECOND = 50_000;
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
 * The `ingest` benchmark: 1,000,000 events through the gateway's `trackEvents` in batches of
 * 1,000 with an EVENTS_WRITE API key, once with 4 and once with 8 concurrent senders (the events
 * tables are emptied and checkpointed before each run), each verified by SQL count; then the same
 * rows written with COPY into a scratch copy of the events table, as the reference.
 */
export async function runIngestBenchmark(ctx: BenchContext): Promise<BenchOutcome> {
  const organization = await signUpOrganization(ctx.gatewayUrl, "ingest");
  const secret = await createApiKey(ctx.gatewayUrl, organization.accessToken, "bench ingest", [
    "EVENTS_WRITE",
  ]);
  const endMs = Date.now() - 60_000;

  ctx.log(
    `ingest: serializing ${INGEST_EVENTS.toLocaleString("en")} events into ${INGEST_EVENTS / INGEST_BATCH} request bodies (before timing)`,
  );
  const t0 = performance.now();
  const bodies: Buffer[] = [];
  let batch: Record<string, unknown>[] = [];
  for (const event of ingestEvents(endMs)) {
    batch.push(toEventInput(event));
    if (batch.length === INGEST_BATCH) {
      bodies.push(
        Buffer.from(JSON.stringify({ query: TRACK_EVENTS, variables: { events: batch } })),
      );
      batch = [];
    }
  }
  const bodyBytes = bodies.reduce((sum, body) => sum + body.length, 0);
  ctx.log(
    `ingest: ${bodies.length} bodies, ${Math.round(bodyBytes / 1024 / 1024)} MB of JSON, in ${Math.round(performance.now() - t0)} ms`,
  );

  const sql = new Client({ connectionString: ctx.database.databaseUrl("analytics") });
  await sql.connect();
  const runs: IngestRun[] = [];
  const notes: string[] = [];
  let copy:
    { rowsPerSecond: number; elapsedMs: number; method: string; stored: number } | undefined;
  try {
    for (const senders of INGEST_SENDERS) {
      await sql.query(
        "TRUNCATE events, event_ids, event_rollups_minute, event_rollups_hour, event_type_rollups_hour, customer_activity",
      );
      await sql.query("CHECKPOINT");
      ctx.log(`ingest: ${senders} senders ...`);
      const run = await ingestRun(ctx, bodies, senders, `ApiKey ${secret}`);
      run.stored = Number(
        (
          await sql.query("SELECT count(*) AS n FROM events WHERE organization_id = $1", [
            organization.organizationId,
          ])
        ).rows[0].n,
      );
      run.rolledUp = Number(
        (
          await sql.query(
            "SELECT coalesce(sum(count), 0) AS n FROM event_rollups_hour WHERE organization_id = $1",
            [organization.organizationId],
          )
        ).rows[0].n,
      );
      ctx.log(
        `ingest: ${senders} senders: ${Math.round(run.eventsPerSecond).toLocaleString("en")} events/s, stored ${run.stored.toLocaleString("en")}, ` +
          `rejected ${run.rejected}, analytics peak RSS ${formatMegabytes(run.analyticsPeakRss)}; CPU ${run.cpu}`,
      );
      runs.push(run);
    }
    await sql.query(
      "TRUNCATE events, event_ids, event_rollups_minute, event_rollups_hour, event_type_rollups_hour, customer_activity",
    );

    ctx.log(
      `ingest: reference: ${bulkMethod()} of the same ${INGEST_EVENTS.toLocaleString("en")} rows into bench_events_copy`,
    );
    await sql.query("DROP TABLE IF EXISTS bench_events_copy");
    await sql.query("CREATE TABLE bench_events_copy (LIKE events INCLUDING ALL)");
    try {
      await sql.query("CHECKPOINT");
      const loaded = await bulkLoadEvents(
        sql,
        "bench_events_copy",
        organization.organizationId,
        ingestEvents(endMs),
      );
      const stored = Number(
        (await sql.query("SELECT count(*) AS n FROM bench_events_copy")).rows[0].n,
      );
      copy = {
        rowsPerSecond: (loaded.rows / loaded.elapsedMs) * 1000,
        elapsedMs: loaded.elapsedMs,
        method: loaded.method,
        stored,
      };
      ctx.log(
        `ingest: ${loaded.method}: ${Math.round(copy.rowsPerSecond).toLocaleString("en")} rows/s (${stored.toLocaleString("en")} rows in ${(loaded.elapsedMs / 1000).toFixed(1)} s)`,
      );
    } finally {
      await sql.query("DROP TABLE IF EXISTS bench_events_copy");
    }
  } finally {
    await sql.end();
  }

  const verified = (run: IngestRun) =>
    run.complete &&
    run.stored === INGEST_EVENTS &&
    run.rejected === 0 &&
    run.rolledUp === INGEST_EVENTS;
  const reference = copy
    ? `${copy.method} into an identical table (same indexes): ${fmt(copy.rowsPerSecond)} rows/s, ${(copy.elapsedMs / 1000).toFixed(1)} s${copy.method === "COPY" ? "" : " (pg-copy-streams not installed: 10,000-row unnest INSERTs)"}`
    : "—";
  const rows: ResultRow[] = runs.map((run) => ({
    benchmark: `ingest: 1M events via gateway trackEvents, ${INGEST_BATCH}/batch, ${run.senders} senders`,
    target: `>= ${fmt(INGEST_TARGET_EVENTS_PER_SECOND)} events/s, all stored`,
    measured:
      `${fmt(run.eventsPerSecond)} events/s (${(run.elapsedMs / 1000).toFixed(1)} s); batch ${formatLatency(run.batchLatency)}; ` +
      `stored ${fmt(run.stored)}, rejected ${run.rejected}, duplicates ${run.duplicates}, failed batches ${run.failedBatches}${run.complete ? "" : ", INCOMPLETE (time limit)"}`,
    reference,
    met: run.eventsPerSecond >= INGEST_TARGET_EVENTS_PER_SECOND && verified(run) ? "yes" : "no",
  }));
  const best = [...runs].sort((a, b) => b.eventsPerSecond - a.eventsPerSecond)[0];
  if (best) {
    rows.push({
      benchmark: `ingest: best of ${runs.map((r) => r.senders).join(" and ")} senders (${best.senders})`,
      target: `>= ${fmt(INGEST_TARGET_EVENTS_PER_SECOND)} events/s`,
      measured: `${fmt(best.eventsPerSecond)} events/s`,
      reference: copy
        ? `${copy.method}: ${fmt(copy.rowsPerSecond)} rows/s (API reaches ${Math.round((best.eventsPerSecond / copy.rowsPerSecond) * 100)}% of it)`
        : "—",
      met: best.eventsPerSecond >= INGEST_TARGET_EVENTS_PER_SECOND && verified(best) ? "yes" : "no",
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
    `ingest: request bodies (${Math.round(bodyBytes / bodies.length / 1024)} KB each, ~${Math.round(bodyBytes / INGEST_EVENTS)} bytes per event) are serialized before timing; ` +
      `timestamps are spread uniformly over the last 30 days, so each batch touches ~${INGEST_BATCH} minute and up to 720 hour rollup buckets.`,
  );
  return { rows, notes };
}

/**
 * The benchmark's events, in the same order every time: 1,000,000 over the 30 days before `endMs`.
 */
function* ingestEvents(endMs: number): Generator<BenchEvent> {
  const mix = new EventMix({ seed: SEED, customers: 50_000 });
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

function fmt(n: number): string {
  return Math.round(n).toLocaleString("en");
}
