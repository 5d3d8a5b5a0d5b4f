import { randomUUID } from "node:crypto";
import { performance } from "node:perf_hooks";
import { Client } from "pg";
import {
  activityMarksSql,
  ANY_TYPE,
  NO_CAMPAIGN,
} from "../subgraphs/analytics/src/modules/rollups/rollup-keys";
import {
  CUSTOMER_TOTALS_COLUMNS,
  customerTotalsRowsSql,
} from "../subgraphs/analytics/src/modules/rollups/customer-totals";
import { serviceDatabaseUrl } from "#kit/config";
import { bulkLoadEvents, type BulkMethod } from "./harness/bulk-load";
import { EventMix, type BenchEvent } from "./harness/event-mix";

/** What to generate. */
export interface GenerateEventsOptions {
  /** The analytics database. */
  databaseUrl: string;
  organizationId: string;
  events: number;
  /** The events are spread evenly over this many days before `endMs`. */
  days: number;
  /** @default 50_000 */
  customers?: number;
  /** @default 20 */
  campaigns?: number;
  /**
   * Anonymous visitors the anonymous page views come from (a share of them identified as customers,
   * their links written to `identities`); 0: those page views have no actor. @default 0
   */
  visitors?: number;
  /**
   * Customers arrive one after another over the range, so each has a first event somewhere in it
   * (see EventMix). @default false
   */
  arrivals?: boolean;
  /** @default 7 */
  seed?: number;
  /** The newest possible event time. @default now */
  endMs?: number;
  /** Progress lines. @default to stderr */
  log?: (line: string) => void;
  /** Abandon the load (the COPY is rolled back) after this long. @default 3_600_000 // 1 hour */
  timeLimitMs?: number;
  /**
   * Concurrent COPY streams, each over its own part of the time range (so they append to
   * different ends of the indexes). @default 2 // ~20% faster than one on an idle 2-core machine
   */
  streams?: number;
}

/** How long each step took. */
export interface GenerateEventsResult {
  events: number;
  method: BulkMethod;
  loadMs: number;
  rollupMs: number;
  analyzeMs: number;
  totalMs: number;
  /** Bulk-load rows per second. */
  rowsPerSecond: number;
  rollupRows: { minute: number; hour: number; activity: number };
  /** Visitors identified as customers (rows of `identities`). */
  identities: number;
}

const DAY_MS = 86_400_000;

/**
 * Writes `events` events of one organization straight into the analytics database, bypassing the
 * API: COPY (or 10,000-row unnest INSERTs without pg-copy-streams) in time order with time-ordered
 * (UUIDv7-style) ids, the mix of {@link EventMix}, from `streams` connections that each load a part
 * of the time range in a transaction, all committed once all succeeded. Then rebuilds the
 * organization's `event_rollups_minute`, `event_rollups_hour` and `event_type_rollups_hour` rows
 * with one `INSERT ... SELECT ... GROUP BY` each, with the columns and semantics of the ingest path
 * (bucket = date_trunc(grain, timestamp, 'UTC'), campaign coalesced to the nil UUID, count,
 * value_count, value_sum, value_min, value_max): the minutes from the events, the hours from those
 * minutes, written in time order as live ingestion appends them; and the `customer_activity` rows
 * (days per customer, type and month), month by month; meanwhile, on a second connection, the
 * `event_ids` rows. Finally runs `VACUUM (ANALYZE)` on the three tables so that query plans and
 * index-only scans see a settled table (and autovacuum does not start in the middle of a
 * measurement).
 */
export async function generateEvents(
  options: GenerateEventsOptions,
): Promise<GenerateEventsResult> {
  const log = options.log ?? ((line: string) => process.stderr.write(`${line}\n`));
  const endMs = options.endMs ?? Date.now();
  const startMs = endMs - options.days * DAY_MS;
  const total = options.events;
  const streams = Math.max(1, Math.min(options.streams ?? 2, 8, total));
  const timeLimitMs = options.timeLimitMs ?? 3_600_000;
  const deadline = performance.now() + timeLimitMs;
  /**
   * Events [first, end) of the whole sequence, in time order; each stream has a random stream of
   * its own.
   */
  const mixOf = (stream: number) =>
    new EventMix({
      seed: options.seed ?? 7,
      stream,
      customers: options.customers ?? 50_000,
      campaigns: options.campaigns ?? 20,
      visitors: options.visitors ?? 0,
      arrivals: options.arrivals ? { startMs, endMs } : undefined,
    });
  function* events(first: number, end: number, stream: number): Generator<BenchEvent> {
    const mix = mixOf(stream);
    const span = endMs - startMs;
    for (let i = first; i < end; i++) {
      if (i % 10_000 === 0 && performance.now() > deadline) {
        throw new Error(
          `generate-events: stopped after ${timeLimitMs / 60_000} minutes (nothing was kept).`,
        );
      }
      const timestampMs = Math.min(
        endMs - 1,
        Math.floor(startMs + (span * (i + mix.uniform())) / total),
      );
      yield mix.next(timestampMs, mix.uuidV7(timestampMs));
    }
  }

  const connect = async (name: string) => {
    const client = new Client({ connectionString: options.databaseUrl, application_name: name });
    await client.connect();
    // Session settings of this loader only: the loads need no synchronous commit, and the GROUP
    // BYs over millions of rows want memory rather than temporary files.
    await client.query("SET synchronous_commit = off");
    await client.query("SET work_mem = '256MB'");
    await client.query("SET maintenance_work_mem = '512MB'");
    return client;
  };
  const clients: Client[] = [];
  const started = performance.now();
  try {
    for (let s = 0; s < streams; s++) clients.push(await connect(`bench-generate-events-${s}`));
    const client = clients[0];

    // Every stream loads inside a transaction, committed only once all of them succeeded.
    const written = new Array<number>(streams).fill(0);
    let lastLog = started;
    const progress = () => {
      const now = performance.now();
      if (now - lastLog < 2_000) return;
      lastLog = now;
      const rows = written.reduce((sum, n) => sum + n, 0);
      const rate = (rows / (now - started)) * 1000;
      log(
        `generate: ${rows.toLocaleString("en")} / ${total.toLocaleString("en")} rows (${((rows / total) * 100).toFixed(1)}%), ${Math.round(rate).toLocaleString("en")} rows/s`,
      );
    };
    // The monthly partitions of the range exist before the load (as ingestion makes them).
    await client.query(
      `SELECT ensure_event_partition(month) FROM generate_series(date_trunc('month', $1::timestamptz, 'UTC'), $2::timestamptz, interval '1 month') AS month`,
      [new Date(startMs).toISOString(), new Date(endMs).toISOString()],
    );
    const loadStarted = performance.now();
    let method: BulkMethod = "COPY";
    await Promise.all(clients.map((c) => c.query("BEGIN")));
    try {
      const results = await Promise.all(
        clients.map((c, s) =>
          bulkLoadEvents(
            c,
            "events",
            options.organizationId,
            events(Math.floor((total * s) / streams), Math.floor((total * (s + 1)) / streams), s),
            {
              onProgress: (rows) => {
                written[s] = rows;
                progress();
              },
            },
          ),
        ),
      );
      method = results[0].method;
      await Promise.all(clients.map((c) => c.query("COMMIT")));
    } catch (error) {
      await Promise.all(clients.map((c) => c.query("ROLLBACK").catch(() => undefined)));
      throw error;
    }
    const loadMs = performance.now() - loadStarted;
    const loaded = { rows: written.reduce((sum, n) => sum + n, 0), elapsedMs: loadMs, method };
    log(
      `generate: ${loaded.method} done (${streams} streams): ${loaded.rows.toLocaleString("en")} rows in ${(loaded.elapsedMs / 1000).toFixed(1)} s`,
    );

    const rollupStarted = performance.now();
    const rollupRows = { minute: 0, hour: 0, activity: 0 };
    let identityRows = 0;
    // The ids (the largest index to build) on a second connection meanwhile, when there is one;
    // both transactions commit once both succeeded.
    const idsClient = clients[1] ?? client;
    const fillIds = async () => {
      await idsClient.query(`DELETE FROM event_ids WHERE organization_id = $1`, [
        options.organizationId,
      ]);
      await idsClient.query(
        `INSERT INTO event_ids (organization_id, id, "timestamp") SELECT organization_id, id, "timestamp" FROM events WHERE organization_id = $1`,
        [options.organizationId],
      );
      log(
        `generate: event_ids filled (${((performance.now() - rollupStarted) / 1000).toFixed(1)} s)`,
      );
    };
    await client.query("BEGIN");
    if (idsClient !== client) await idsClient.query("BEGIN");
    const ids = idsClient !== client ? fillIds() : null;
    // Not left unobserved while the rollups run (it is awaited below).
    ids?.catch(() => undefined);
    try {
      await client.query(`DELETE FROM event_rollups_minute WHERE organization_id = $1`, [
        options.organizationId,
      ]);
      await client.query(`DELETE FROM event_rollups_hour WHERE organization_id = $1`, [
        options.organizationId,
      ]);
      await client.query(`DELETE FROM event_type_rollups_hour WHERE organization_id = $1`, [
        options.organizationId,
      ]);
      const minute = await client.query(
        `INSERT INTO event_rollups_minute (organization_id, type, campaign_id, bucket, count, value_count, value_sum, value_min, value_max)
         SELECT organization_id, type, coalesce(campaign_id, '${NO_CAMPAIGN}'::uuid), date_trunc('minute', "timestamp", 'UTC'),
                count(*), count(value), coalesce(sum(value), 0), min(value), max(value)
           FROM events
          WHERE organization_id = $1
          GROUP BY 1, 2, 3, 4
          ORDER BY 4, 2, 3`,
        [options.organizationId],
      );
      rollupRows.minute = minute.rowCount ?? 0;
      log(
        `generate: event_rollups_minute: ${rollupRows.minute.toLocaleString("en")} rows (${((performance.now() - rollupStarted) / 1000).toFixed(1)} s)`,
      );
      // The hours from the minutes just written: the same numbers as grouping the events by hour
      // (sums of counts and sums, least minimum, greatest maximum), from a table a few times
      // smaller.
      const hour = await client.query(
        `INSERT INTO event_rollups_hour (organization_id, type, campaign_id, bucket, count, value_count, value_sum, value_min, value_max)
         SELECT organization_id, type, campaign_id, date_trunc('hour', bucket, 'UTC'),
                sum(count), sum(value_count), sum(value_sum), min(value_min), max(value_max)
           FROM event_rollups_minute
          WHERE organization_id = $1
          GROUP BY 1, 2, 3, 4
          ORDER BY 4, 2, 3`,
        [options.organizationId],
      );
      rollupRows.hour = hour.rowCount ?? 0;
      log(
        `generate: event_rollups_hour: ${rollupRows.hour.toLocaleString("en")} rows (${((performance.now() - rollupStarted) / 1000).toFixed(1)} s)`,
      );
      const typeHour = await client.query(
        `INSERT INTO event_type_rollups_hour (organization_id, type, bucket, count, value_count, value_sum, value_min, value_max)
         SELECT organization_id, type, bucket, sum(count), sum(value_count), sum(value_sum), min(value_min), max(value_max)
           FROM event_rollups_hour
          WHERE organization_id = $1
          GROUP BY 1, 2, 3
          ORDER BY 1, 2, 3`,
        [options.organizationId],
      );
      log(
        `generate: event_type_rollups_hour: ${(typeHour.rowCount ?? 0).toLocaleString("en")} rows (${((performance.now() - rollupStarted) / 1000).toFixed(1)} s)`,
      );
      // Each customer's active days per type and UTC month (and the month before), as the ingest
      // path marks them.
      const marks = activityMarksSql('e."timestamp"');
      await client.query(`DELETE FROM customer_activity WHERE organization_id = $1`, [
        options.organizationId,
      ]);
      const activity = await client.query(
        `INSERT INTO customer_activity (organization_id, type, month, customer_id, days)
         SELECT e.organization_id, k.type, ${marks.month}, e.customer_id, bit_or(${marks.bit})
           FROM events e CROSS JOIN LATERAL (VALUES (e.type), ('${ANY_TYPE}')) AS k(type) ${marks.join}
          WHERE e.organization_id = $1 AND e.customer_id IS NOT NULL
          GROUP BY 1, 2, 3, 4
          ORDER BY 3, 4, 2`,
        [options.organizationId],
      );
      rollupRows.activity = activity.rowCount ?? 0;
      log(
        `generate: customer_activity: ${rollupRows.activity.toLocaleString("en")} rows (${((performance.now() - rollupStarted) / 1000).toFixed(1)} s)`,
      );
      // Each customer's totals, as the ingest path adds them up.
      await client.query(`DELETE FROM customer_totals WHERE organization_id = $1`, [
        options.organizationId,
      ]);
      const totals = await client.query(
        `INSERT INTO customer_totals (${CUSTOMER_TOTALS_COLUMNS})
         ${customerTotalsRowsSql("events e", "e.customer_id", "e.organization_id", "e.organization_id = $1")}
          ORDER BY 2`,
        [options.organizationId],
      );
      log(
        `generate: customer_totals: ${(totals.rowCount ?? 0).toLocaleString("en")} rows (${((performance.now() - rollupStarted) / 1000).toFixed(1)} s)`,
      );
      // The visitors' links, as identify writes them (their events already carry the customer).
      const identities = mixOf(0).identities();
      await client.query(`DELETE FROM identities WHERE organization_id = $1`, [
        options.organizationId,
      ]);
      await client.query(
        `INSERT INTO identities (organization_id, anonymous_id, customer_id)
         SELECT $1, a, c FROM unnest($2::text[], $3::uuid[]) AS l(a, c)`,
        [
          options.organizationId,
          identities.map((link) => link.anonymousId),
          identities.map((link) => link.customerId),
        ],
      );
      identityRows = identities.length;
      if (ids) await ids;
      else await fillIds();
      await client.query("COMMIT");
      if (idsClient !== client) await idsClient.query("COMMIT");
    } catch (error) {
      await client.query("ROLLBACK").catch(() => undefined);
      if (idsClient !== client) await idsClient.query("ROLLBACK").catch(() => undefined);
      throw error;
    }
    const rollupMs = performance.now() - rollupStarted;

    const analyzeStarted = performance.now();
    await client.query(
      "VACUUM (ANALYZE) events, event_ids, event_rollups_minute, event_rollups_hour, event_type_rollups_hour, customer_activity, customer_totals, identities",
    );
    const analyzeMs = performance.now() - analyzeStarted;
    log(`generate: VACUUM (ANALYZE) in ${(analyzeMs / 1000).toFixed(1)} s`);
    const totalMs = performance.now() - started;
    return {
      events: loaded.rows,
      method: loaded.method,
      loadMs: loaded.elapsedMs,
      rollupMs,
      analyzeMs,
      totalMs,
      rowsPerSecond: (loaded.rows / loaded.elapsedMs) * 1000,
      rollupRows,
      identities: identityRows,
    };
  } finally {
    await Promise.all(clients.map((c) => c.end().catch(() => undefined)));
  }
}

const USAGE = `Usage: node dist/bench/generate-events.js [--events 10000000] [--days 180] [--customers 50000]
         [--visitors 0] [--arrivals false] [--organization <uuid>] [--database-url <url>] [--seed 7] [--streams 2]

Writes events for one organization straight into the analytics database (COPY), then fills its
minute and hour rollups, customer_activity and identities (with --visitors, the anonymous page
views are visitors', some identified; --arrivals true spreads the customers' first events over the
range) and analyzes the tables. The database defaults to ANALYTICS_DATABASE_URL,
DATABASE_URL's analytics database, or the embedded server's (port EMBEDDED_POSTGRES_PORT, 5433);
the organization to a new random id, printed at the end.`;

/** The command line: parses options, generates, prints a one-line JSON summary on stdout. */
async function main(argv: string[]): Promise<void> {
  const args = new Map<string, string>();
  for (let i = 0; i < argv.length; i++) {
    const name = argv[i];
    if (name === "--help" || name === "-h") {
      console.log(USAGE);
      return;
    }
    const value = argv[i + 1];
    if (!name.startsWith("--") || value === undefined)
      throw new Error(`Unexpected argument '${name}'.\n${USAGE}`);
    args.set(name.slice(2), value);
    i++;
  }
  const known = new Set([
    "events",
    "days",
    "customers",
    "organization",
    "database-url",
    "seed",
    "streams",
    "visitors",
    "arrivals",
  ]);
  for (const name of args.keys())
    if (!known.has(name)) throw new Error(`Unknown option --${name}.\n${USAGE}`);
  const number = (name: string, fallback: number, max: number) => {
    const value = Number(args.get(name) ?? fallback);
    if (!Number.isInteger(value) || value < 1 || value > max)
      throw new Error(`--${name} must be a whole number from 1 to ${max}.`);
    return value;
  };
  const organizationId = args.get("organization") ?? randomUUID();
  if (!/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(organizationId))
    throw new Error("--organization must be a UUID.");
  const result = await generateEvents({
    databaseUrl: args.get("database-url") ?? serviceDatabaseUrl("analytics"),
    organizationId: organizationId.toLowerCase(),
    events: number("events", 10_000_000, 1_000_000_000),
    days: number("days", 180, 3650),
    customers: number("customers", 50_000, 10_000_000),
    seed: number("seed", 7, 2 ** 31 - 1),
    streams: number("streams", 2, 8),
    visitors: args.has("visitors") ? number("visitors", 0, 100_000_000) : 0,
    arrivals: args.get("arrivals") === "true",
  });
  console.log(JSON.stringify({ organizationId, ...result }));
}

if (require.main === module) {
  main(process.argv.slice(2)).catch((error: Error) => {
    console.error(error.message);
    process.exit(1);
  });
}
