import type { Pool } from "pg";
import { formatLatency, runLoad } from "./harness/load";
import {
  describeLoad,
  expect,
  MAX_REQUESTS,
  QUERY_CLIENTS,
  runSingleClient,
  type QueryCase,
} from "./harness/query-cases";
import type { PeopleReference } from "./people-queries";

/**
 * The stickiness, lifecycle and paths queries of the `queries` benchmark (docs/BENCHMARKS.md):
 * stickiness of page views and the lifecycle of purchases over the 30 days to `to` by UTC day, and
 * the paths of depth 4 over the 7 days to `to`; each measured through the gateway and next to the
 * same answer computed by plain SQL in the same run (window functions), which must be equal.
 */

const DAY_MS = 86_400_000;

export const STICKINESS_CASE = "stickiness page_view, 30 days, DAY";
export const LIFECYCLE_CASE = "lifecycle purchase, 30 days, DAY";
export const PATHS_CASE = "paths depth 4, 7 days, 30-minute sessions, top 50";

/** The insight cases, their plain SQL, and what their first GraphQL answers were. */
export interface InsightCases {
  cases: QueryCase[];
  /** The first GraphQL answer of each case, by name, as compared (JSON). */
  answers: Map<string, string>;
  /** Each case's plain SQL and its parameters after the organization id. */
  references: Map<string, { sql: string; params: unknown[] }>;
}

/**
 * Stickiness in plain SQL: each actor's distinct UTC days with a page view since `from`'s day;
 * per n the actors with n days, for every n from 1 to the days of the range.
 */
const STICKINESS_SQL = `
  WITH days AS (
    SELECT DISTINCT coalesce(customer_id::text, 'a:' || anonymous_id) AS actor, date_trunc('day', "timestamp", 'UTC') AS day
      FROM events
     WHERE organization_id = $1 AND type = 'page_view' AND (customer_id IS NOT NULL OR anonymous_id IS NOT NULL)
       AND "timestamp" >= date_trunc('day', $2::timestamptz, 'UTC') AND "timestamp" < $3
  ),
  ranked AS (SELECT actor, row_number() OVER (PARTITION BY actor ORDER BY day) AS n FROM days),
  actors AS (SELECT actor, max(n) AS n FROM ranked GROUP BY actor)
  SELECT k::int AS intervals, count(a.actor)::int AS actors
    FROM generate_series(1, (SELECT count(*) FROM generate_series(date_trunc('day', $2::timestamptz, 'UTC'),
                                                                $3::timestamptz - interval '1 microsecond', interval '1 day'))::int) AS k
    LEFT JOIN actors a ON a.n = k
   GROUP BY k ORDER BY k`;

/**
 * The lifecycle in plain SQL: each actor's distinct UTC days with a purchase before `to` (before
 * `from` too), with the actor's first day and the days before and after it (lag, lead); an active
 * day of the range is new on the first day, returning after the day before, else resurrecting;
 * a day after an active one that is not active is dormant.
 */
const LIFECYCLE_SQL = `
  WITH days AS (
    SELECT DISTINCT coalesce(customer_id::text, 'a:' || anonymous_id) AS actor, date_trunc('day', "timestamp", 'UTC') AS day
      FROM events
     WHERE organization_id = $1 AND type = 'purchase' AND (customer_id IS NOT NULL OR anonymous_id IS NOT NULL)
       AND "timestamp" < $3
  ),
  around AS (
    SELECT day, min(day) OVER (PARTITION BY actor) AS first, lag(day) OVER w AS before, lead(day) OVER w AS after
      FROM days WINDOW w AS (PARTITION BY actor ORDER BY day)
  ),
  buckets AS (
    SELECT d AS bucket FROM generate_series(date_trunc('day', $2::timestamptz, 'UTC'), $3::timestamptz - interval '1 microsecond', interval '1 day') AS d
  ),
  marks AS (
    SELECT day AS bucket, CASE WHEN day = first THEN 'new' WHEN before = day - interval '1 day' THEN 'returning' ELSE 'resurrecting' END AS kind
      FROM around
    UNION ALL
    SELECT day + interval '1 day', 'dormant' FROM around WHERE after IS DISTINCT FROM day + interval '1 day'
  )
  SELECT b.bucket, count(m.kind) FILTER (WHERE m.kind = 'new')::int AS new,
         count(m.kind) FILTER (WHERE m.kind = 'returning')::int AS returning,
         count(m.kind) FILTER (WHERE m.kind = 'resurrecting')::int AS resurrecting,
         count(m.kind) FILTER (WHERE m.kind = 'dormant')::int AS dormant
    FROM buckets b LEFT JOIN marks m ON m.bucket = b.bucket
   GROUP BY b.bucket ORDER BY b.bucket`;

/**
 * The paths in plain SQL: each actor's events of the range in time, type, id order; a session
 * starts after a gap over 30 minutes (lag); repeats of a type in a row dropped (lag in the
 * session); each session's types as an array, its first 4 the path; an edge per adjacent pair;
 * the 50 commonest by count, then step, source, target (byte order).
 */
const PATHS_SQL = `
  WITH ev AS (
    SELECT coalesce(customer_id::text, 'a:' || anonymous_id) AS actor, "timestamp" AS ts, type COLLATE "C" AS type, id COLLATE "C" AS id
      FROM events
     WHERE organization_id = $1 AND (customer_id IS NOT NULL OR anonymous_id IS NOT NULL) AND "timestamp" >= $2 AND "timestamp" < $3
  ),
  gaps AS (
    SELECT actor, ts, type, id,
           CASE WHEN ts - lag(ts) OVER (PARTITION BY actor ORDER BY ts, type, id) <= interval '30 minutes' THEN 0 ELSE 1 END AS opens
      FROM ev
  ),
  sessions AS (
    SELECT actor, ts, type, id, sum(opens) OVER (PARTITION BY actor ORDER BY ts, type, id) AS session FROM gaps
  ),
  collapsed AS (
    SELECT actor, session, ts, type, id, lag(type) OVER (PARTITION BY actor, session ORDER BY ts, type, id) AS previous
      FROM sessions
  ),
  paths AS (
    SELECT (array_agg(type ORDER BY ts, type, id))[1:4] AS path
      FROM collapsed WHERE previous IS NULL OR previous <> type
     GROUP BY actor, session
  )
  SELECT i::int AS step, path[i] AS source, path[i + 1] AS target, count(*)::int AS count
    FROM paths CROSS JOIN LATERAL generate_series(1, array_length(path, 1) - 1) AS i
   GROUP BY 1, 2, 3
   ORDER BY count DESC, step, source, target
   LIMIT 50`;

/** The three cases over the 30 and 7 days to `to` (the current hour), by UTC day. */
export function insightCases(to: Date): InsightCases {
  const range30 = {
    from: new Date(to.getTime() - 30 * DAY_MS).toISOString(),
    to: to.toISOString(),
  };
  const range7 = { from: new Date(to.getTime() - 7 * DAY_MS).toISOString(), to: to.toISOString() };
  const insights: InsightCases = { cases: [], answers: new Map(), references: new Map() };
  const add = (
    item: Omit<QueryCase, "check">,
    sql: string,
    answer: (data: any) => unknown,
    check: (data: any) => void,
  ) => {
    insights.references.set(item.name, { sql, params: [item.variables.from, item.variables.to] });
    insights.cases.push({
      ...item,
      check: (data) => {
        check(data);
        insights.answers.set(item.name, JSON.stringify(answer(data)));
      },
    });
  };
  add(
    {
      name: STICKINESS_CASE,
      targetP95Ms: 500,
      judgedAt: "1 client",
      query: `query Q($from: DateTime!, $to: DateTime!) { stickiness(event: "page_view", from: $from, to: $to, interval: DAY) { intervals actors } }`,
      variables: range30,
    },
    STICKINESS_SQL,
    (data) => data.stickiness,
    (data) => {
      const buckets = data.stickiness;
      expect([30, 31].includes(buckets.length), `30 or 31 buckets, got ${buckets.length}`);
      expect(buckets[0].actors > 0, "actors with page views on one day only");
    },
  );
  add(
    {
      name: LIFECYCLE_CASE,
      targetP95Ms: 500,
      judgedAt: "1 client",
      query: `query Q($from: DateTime!, $to: DateTime!) { lifecycle(event: "purchase", from: $from, to: $to, interval: DAY) { bucket new returning resurrecting dormant } }`,
      variables: range30,
    },
    LIFECYCLE_SQL,
    (data) =>
      data.lifecycle.map((p: { bucket: string }) => ({
        ...p,
        bucket: new Date(p.bucket).toISOString(),
      })),
    (data) => {
      const points = data.lifecycle;
      expect([30, 31].includes(points.length), `30 or 31 days, got ${points.length}`);
      expect(
        points.some((p: { resurrecting: number }) => p.resurrecting > 0),
        "resurrecting purchasers",
      );
    },
  );
  add(
    {
      name: PATHS_CASE,
      targetP95Ms: 1000,
      judgedAt: "1 client",
      query: `query Q($from: DateTime!, $to: DateTime!) { paths(from: $from, to: $to, depth: 4) { step source target count } }`,
      variables: range7,
    },
    PATHS_SQL,
    (data) => data.paths,
    (data) => expect(data.paths.length > 0, "some edges"),
  );
  return insights;
}

/**
 * Computes each measured case's answer in plain SQL, compares it with the first GraphQL answer
 * (exactly), then loads the statement like the GraphQL query: 10 clients for `seconds`, then 1.
 */
export async function compareInsightsWithSql(
  pool: Pool,
  organizationId: string,
  insights: InsightCases,
  measured: ReadonlySet<string>,
  seconds: number,
  log: (line: string) => void,
): Promise<PeopleReference[]> {
  const out: PeopleReference[] = [];
  for (const [name, { sql, params }] of insights.references) {
    if (!measured.has(name)) continue;
    const all = [organizationId, ...params];
    const rows = (await pool.query(sql, all)).rows.map((row) =>
      row.bucket instanceof Date ? { ...row, bucket: row.bucket.toISOString() } : row,
    );
    const plain = JSON.stringify(rows);
    const graphql = insights.answers.get(name);
    const equal = graphql === plain;
    for (let i = 0; i < 3; i++) await pool.query(sql, all);
    log(`queries: ${name}: plain SQL, ${QUERY_CLIENTS} clients for ${seconds} s`);
    const load = await runLoad({
      concurrency: QUERY_CLIENTS,
      durationMs: seconds * 1000,
      maxRequests: MAX_REQUESTS,
      request: async () => void (await pool.query(sql, all)),
    });
    log(`queries: plain SQL: ${formatLatency(load.latency)}, ${load.perSecond.toFixed(1)} req/s`);
    const single = await runSingleClient(() => pool.query(sql, all));
    out.push({
      name,
      equal,
      measured: `plain SQL in the same run: ${describeLoad(load)}; 1 client: ${describeLoad(single)}`,
      note: `queries, ${name}: plain SQL ${summary(rows)}; GraphQL ${graphql ? summary(JSON.parse(graphql)) : "gave no answer"} (${equal ? "equal" : "DIFFERENT"}).`,
    });
  }
  return out;
}

/** A short account of an answer for the notes: its rows and the sum of its counts. */
function summary(rows: Record<string, unknown>[]): string {
  const total = rows.reduce(
    (sum, row) =>
      sum +
      Object.entries(row)
        .filter(
          ([key, value]) => typeof value === "number" && key !== "intervals" && key !== "step",
        )
        .reduce((s, [, value]) => s + (value as number), 0),
    0,
  );
  return `${rows.length} rows, counts summing to ${total}`;
}
