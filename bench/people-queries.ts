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

/**
 * The people queries of the `queries` benchmark (docs/BENCHMARKS.md): a 3-step funnel over 30
 * days and an 8-week weekly retention table, each measured through the gateway and next to the
 * same answer computed by plain SQL in the same run (window functions for the funnel, date_trunc
 * and joins for the retention table), which must be equal.
 */

const DAY_MS = 86_400_000;
const WEEK_MS = 7 * DAY_MS;
const FUNNEL_WINDOW_SECONDS = 14 * 86_400;

export const FUNNEL_CASE = "funnel page_view → signup → purchase, 30 days, 14-day window";
export const RETENTION_CASE = "retention signup → purchase, 8 weeks, WEEK, FIRST_TIME";

/** A funnel's steps as compared: counts and times to convert. */
interface FunnelAnswer {
  counts: number[];
  medians: (number | null)[];
  averages: (number | null)[];
}

/** A retention table as compared. */
interface RetentionAnswer {
  cohorts: { start: string; size: number; values: number[] }[];
}

/** The people cases and what their first answers were, for the comparison with SQL. */
export interface PeopleCases {
  cases: QueryCase[];
  answers: { funnel?: FunnelAnswer; retention?: RetentionAnswer };
  ranges: { funnel: { from: string; to: string }; retention: { from: string; to: string } };
}

/**
 * The two cases: the funnel over the 30 days to `to` (the current hour); the retention table
 * over the 8 whole UTC weeks (Monday to Monday) before the week of `to`.
 */
export function peopleCases(to: Date): PeopleCases {
  const funnelRange = {
    from: new Date(to.getTime() - 30 * DAY_MS).toISOString(),
    to: to.toISOString(),
  };
  // 1970-01-05 was a Monday.
  const monday = Math.floor((to.getTime() - 4 * DAY_MS) / WEEK_MS) * WEEK_MS + 4 * DAY_MS;
  const retentionRange = {
    from: new Date(monday - 8 * WEEK_MS).toISOString(),
    to: new Date(monday).toISOString(),
  };
  const people: PeopleCases = {
    cases: [],
    answers: {},
    ranges: { funnel: funnelRange, retention: retentionRange },
  };
  people.cases.push(
    {
      name: FUNNEL_CASE,
      targetP95Ms: 500,
      judgedAt: "1 client",
      query: `query Q($from: DateTime!, $to: DateTime!) { funnel(steps: [{ type: "page_view" }, { type: "signup" }, { type: "purchase" }], from: $from, to: $to) {
        steps { count conversionRate medianSecondsToConvert averageSecondsToConvert } } }`,
      variables: funnelRange,
      check: (data) => {
        const steps = data.funnel.steps;
        expect(steps.length === 3 && steps[2].count > 0, "three steps, purchasers at the third");
        people.answers.funnel = {
          counts: steps.map((s: { count: number }) => s.count),
          medians: steps.map(
            (s: { medianSecondsToConvert: number | null }) => s.medianSecondsToConvert,
          ),
          averages: steps.map(
            (s: { averageSecondsToConvert: number | null }) => s.averageSecondsToConvert,
          ),
        };
      },
    },
    {
      name: RETENTION_CASE,
      targetP95Ms: 500,
      judgedAt: "1 client",
      query: `query Q($from: DateTime!, $to: DateTime!) { retention(startEvent: "signup", returnEvent: "purchase", interval: WEEK, periods: 8, from: $from, to: $to) {
        cohorts { start size values } } }`,
      variables: retentionRange,
      check: (data) => {
        const cohorts = data.retention.cohorts;
        expect(cohorts.length === 8, `8 weekly cohorts, got ${cohorts.length}`);
        expect(
          cohorts.some((c: { size: number }) => c.size > 0),
          "some first-time signups in the 8 weeks",
        );
        people.answers.retention = { cohorts };
      },
    },
  );
  return people;
}

/**
 * The funnel of {@link FUNNEL_CASE} in plain SQL, written from product.md's rules for three steps
 * of different types and no filters: for each actor and each of its page views (an attempt), the
 * first signup at or after it, and the first purchase at or after that signup (window functions
 * over each actor's events in reverse time order; a "first purchase at or after" only grows with
 * time, so its minimum over the signups at or after a moment is the one of the first of them);
 * the attempt's level from the window; per actor the furthest attempt, the earliest among equals.
 */
const FUNNEL_SQL = `
  WITH ev AS (
    SELECT coalesce(customer_id::text, 'a:' || anonymous_id) AS actor, "timestamp" AS ts, type
      FROM events
     WHERE organization_id = $1 AND "timestamp" >= $2 AND "timestamp" < $3
       AND type IN ('page_view', 'signup', 'purchase') AND (customer_id IS NOT NULL OR anonymous_id IS NOT NULL)
  ),
  next_purchase AS (
    SELECT actor, ts, type,
           min(ts) FILTER (WHERE type = 'purchase') OVER (PARTITION BY actor ORDER BY ts DESC) AS purchase_after
      FROM ev
  ),
  chains AS (
    SELECT actor, ts, type,
           min(ts) FILTER (WHERE type = 'signup') OVER w AS signup_at,
           min(purchase_after) FILTER (WHERE type = 'signup') OVER w AS purchase_at
      FROM next_purchase
    WINDOW w AS (PARTITION BY actor ORDER BY ts DESC)
  ),
  attempts AS (
    SELECT actor, ts, signup_at, purchase_at,
           CASE WHEN signup_at <= ts + $4 * interval '1 second'
                THEN CASE WHEN purchase_at <= ts + $4 * interval '1 second' THEN 3 ELSE 2 END
                ELSE 1 END AS level
      FROM chains WHERE type = 'page_view'
  ),
  counted AS (
    SELECT DISTINCT ON (actor) actor, level, ts, signup_at, purchase_at FROM attempts ORDER BY actor, level DESC, ts
  )
  SELECT count(*)::int AS s1, count(*) FILTER (WHERE level >= 2)::int AS s2, count(*) FILTER (WHERE level = 3)::int AS s3,
         percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM signup_at - ts)) FILTER (WHERE level >= 2) AS median2,
         avg(extract(epoch FROM signup_at - ts)) FILTER (WHERE level >= 2) AS average2,
         percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM purchase_at - signup_at)) FILTER (WHERE level = 3) AS median3,
         avg(extract(epoch FROM purchase_at - signup_at)) FILTER (WHERE level = 3) AS average3
    FROM counted`;

/**
 * The retention table of {@link RETENTION_CASE} in plain SQL: each actor's first signup ever, its
 * UTC week (date_trunc) when in the range; the distinct weeks of purchases in the range; members
 * back per cohort and week.
 */
const RETENTION_SQL = `
  WITH firsts AS (
    SELECT coalesce(customer_id::text, 'a:' || anonymous_id) AS actor, min("timestamp") AS first
      FROM events WHERE organization_id = $1 AND type = 'signup' AND (customer_id IS NOT NULL OR anonymous_id IS NOT NULL)
     GROUP BY 1
  ),
  members AS (
    SELECT actor, date_trunc('week', first, 'UTC') AS week FROM firsts WHERE first >= $2 AND first < $3
  ),
  purchases AS (
    SELECT DISTINCT coalesce(customer_id::text, 'a:' || anonymous_id) AS actor, date_trunc('week', "timestamp", 'UTC') AS week
      FROM events
     WHERE organization_id = $1 AND type = 'purchase' AND "timestamp" >= $2 AND "timestamp" < $3
       AND (customer_id IS NOT NULL OR anonymous_id IS NOT NULL)
  )
  SELECT m.week AS cohort, 0 AS period, count(*)::int AS n FROM members m GROUP BY 1
  UNION ALL
  SELECT m.week, ((p.week::date - m.week::date) / 7)::int, count(*)::int
    FROM members m JOIN purchases p ON p.actor = m.actor AND p.week > m.week
   GROUP BY 1, 2`;

/** What the comparison found and measured, for the table and the notes. */
export interface PeopleReference {
  name: string;
  equal: boolean;
  /** The plain SQL's latency at 10 clients and at 1. */
  measured: string;
  note: string;
}

/**
 * Computes the two answers in plain SQL, compares them with the GraphQL answers (counts and
 * cohorts exactly, times to convert to 1e-6 s), then loads each statement like the GraphQL query:
 * 10 clients for `seconds`, then 1 client. Only the cases named in `measured`.
 */
export async function comparePeopleWithSql(
  pool: Pool,
  organizationId: string,
  people: PeopleCases,
  measured: ReadonlySet<string>,
  seconds: number,
  log: (line: string) => void,
): Promise<PeopleReference[]> {
  const out: PeopleReference[] = [];
  const measure = async (sql: string, params: unknown[]) => {
    for (let i = 0; i < 3; i++) await pool.query(sql, params);
    const load = await runLoad({
      concurrency: QUERY_CLIENTS,
      durationMs: seconds * 1000,
      maxRequests: MAX_REQUESTS,
      request: async () => void (await pool.query(sql, params)),
    });
    log(`queries: plain SQL: ${formatLatency(load.latency)}, ${load.perSecond.toFixed(1)} req/s`);
    const single = await runSingleClient(() => pool.query(sql, params));
    return `plain SQL in the same run: ${describeLoad(load)}; 1 client: ${describeLoad(single)}`;
  };

  if (measured.has(FUNNEL_CASE)) out.push(await compareFunnel());
  if (measured.has(RETENTION_CASE)) out.push(await compareRetention());
  return out;

  async function compareFunnel(): Promise<PeopleReference> {
    const funnelParams = [
      organizationId,
      people.ranges.funnel.from,
      people.ranges.funnel.to,
      FUNNEL_WINDOW_SECONDS,
    ];
    const [f] = (await pool.query(FUNNEL_SQL, funnelParams)).rows;
    const sqlFunnel: FunnelAnswer = {
      counts: [f.s1, f.s2, f.s3],
      medians: [null, num(f.median2), num(f.median3)],
      averages: [null, num(f.average2), num(f.average3)],
    };
    const gql = people.answers.funnel;
    const funnelEqual =
      gql !== undefined &&
      JSON.stringify(gql.counts) === JSON.stringify(sqlFunnel.counts) &&
      [...gql.medians, ...gql.averages].every((value, i) =>
        close(value, [...sqlFunnel.medians, ...sqlFunnel.averages][i]),
      );
    log(`queries: ${FUNNEL_CASE}: plain SQL, ${QUERY_CLIENTS} clients for ${seconds} s`);
    return {
      name: FUNNEL_CASE,
      equal: funnelEqual,
      measured: await measure(FUNNEL_SQL, funnelParams),
      note: `queries, ${FUNNEL_CASE}: plain SQL counts ${sqlFunnel.counts.join(" / ")}, median seconds ${sqlFunnel.medians.slice(1).map(round).join(" / ")}, average ${sqlFunnel.averages.slice(1).map(round).join(" / ")}; GraphQL ${gql ? `${gql.counts.join(" / ")}, ${gql.medians.slice(1).map(round).join(" / ")}, ${gql.averages.slice(1).map(round).join(" / ")}` : "gave no answer"} (${funnelEqual ? "equal" : "DIFFERENT"}).`,
    };
  }

  async function compareRetention(): Promise<PeopleReference> {
    const retentionParams = [
      organizationId,
      people.ranges.retention.from,
      people.ranges.retention.to,
    ];
    const rows: { cohort: Date; period: number; n: number }[] = (
      await pool.query(RETENTION_SQL, retentionParams)
    ).rows;
    const sqlCohorts = new Map<string, number[]>();
    const gqlCohorts = people.answers.retention?.cohorts ?? [];
    for (const cohort of gqlCohorts)
      sqlCohorts.set(new Date(cohort.start).toISOString(), new Array(cohort.values.length).fill(0));
    let outside = 0;
    for (const row of rows) {
      const values = sqlCohorts.get(new Date(row.cohort).toISOString());
      if (values && row.period < values.length) values[row.period] = row.n;
      else if (!values || row.period <= 8) outside++;
    }
    const retentionEqual =
      gqlCohorts.length === 8 &&
      outside === 0 &&
      gqlCohorts.every(
        (cohort) =>
          cohort.size === cohort.values[0] &&
          JSON.stringify(cohort.values) ===
            JSON.stringify(sqlCohorts.get(new Date(cohort.start).toISOString())),
      );
    log(`queries: ${RETENTION_CASE}: plain SQL, ${QUERY_CLIENTS} clients for ${seconds} s`);
    return {
      name: RETENTION_CASE,
      equal: retentionEqual,
      measured: await measure(RETENTION_SQL, retentionParams),
      note: `queries, ${RETENTION_CASE}: plain SQL cohort sizes ${[...sqlCohorts.values()].map((v) => v[0]).join(" / ")}; GraphQL ${gqlCohorts.map((c) => c.size).join(" / ") || "gave no answer"}; every value ${retentionEqual ? "equal" : "NOT equal"}.`,
    };
  }
}

function num(value: unknown): number | null {
  return value === null || value === undefined ? null : Number(value);
}

function close(a: number | null, b: number | null): boolean {
  if (a === null || b === null) return a === b;
  return Math.abs(a - b) <= 1e-6 * Math.max(1, Math.abs(b));
}

function round(value: number | null): string {
  return value === null ? "null" : value.toFixed(1);
}
