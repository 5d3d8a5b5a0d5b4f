import type { Pool } from "pg";
import { graphql } from "./harness/http-client";
import { formatLatency, runLoad } from "./harness/load";
import {
  describeLoad,
  expect,
  fmt,
  MAX_REQUESTS,
  QUERY_CLIENTS,
  runSingleClient,
  type QueryCase,
} from "./harness/query-cases";
import type { ResultRow } from "./harness/report";

/**
 * The cohort queries of the `queries` benchmark (docs/BENCHMARKS.md): `cohort(id) { size
 * members(first: 50) }` of two cohorts of the data set's 50,000 customers, measured through the
 * gateway and next to the same answer (size and first page) computed by plain SQL in the same run,
 * which must be equal:
 * - "did not sign up in the last day": nearly every customer the analytics subgraph knows of
 *   (the known customers, about all 50,000, less the few thousand with a signup that day): the
 *   issue's "cohort of 50,000 customers";
 * - "purchased at least 3 times in the last 30 days": a narrower event rule.
 * The data set has no churn model, so the known customers are those with an event or an identity
 * link. Membership depends on the time: the reference SQL is given the time of the GraphQL answer
 * it is compared with.
 */

export const BROAD_COHORT_CASE =
  "cohort: did not sign up in 1 day (about 48,000 of the 50,000 customers)";
export const NARROW_COHORT_CASE = "cohort: purchased 3+ times in 30 days";

const COHORT_QUERY = `query Q($id: ID!) { cohort(id: $id) { size members(first: 50) { totalCount edges { node { id } } pageInfo { hasNextPage } } } }`;

const DEFINITIONS = [
  {
    name: BROAD_COHORT_CASE,
    input: {
      name: "No signup in 1 day",
      rules: [{ event: "signup", minCount: 0, maxCount: 0, withinDays: 1 }],
    },
    // The known customers (an event, or an identity link) without a signup in the day to $2.
    sql: `
      WITH known AS (
        SELECT DISTINCT customer_id FROM customer_activity WHERE organization_id = $1 AND type = ''
        UNION
        SELECT customer_id FROM identities WHERE organization_id = $1
      ), members AS (
        SELECT k.customer_id FROM known k
         WHERE NOT EXISTS (SELECT 1 FROM events e
                            WHERE e.organization_id = $1 AND e.customer_id = k.customer_id AND e.type = 'signup'
                              AND e."timestamp" >= $2::timestamptz - interval '1 day' AND e."timestamp" <= $2::timestamptz)
      )
      SELECT (SELECT count(*)::int FROM members) AS size,
             ARRAY(SELECT customer_id::text FROM members ORDER BY customer_id LIMIT 50) AS first`,
  },
  {
    name: NARROW_COHORT_CASE,
    input: {
      name: "Frequent buyers",
      rules: [{ event: "purchase", minCount: 3, withinDays: 30 }],
    },
    sql: `
      WITH members AS (
        SELECT customer_id FROM events
         WHERE organization_id = $1 AND type = 'purchase' AND customer_id IS NOT NULL
           AND "timestamp" >= $2::timestamptz - interval '30 days' AND "timestamp" <= $2::timestamptz
         GROUP BY customer_id HAVING count(*) >= 3
      )
      SELECT (SELECT count(*)::int FROM members) AS size,
             ARRAY(SELECT customer_id::text FROM members ORDER BY customer_id LIMIT 50) AS first`,
  },
];

/** A cohort's answer as compared: its size and its first page of members. */
interface CohortAnswer {
  size: number;
  first: string[];
  /** When the answer arrived (it was computed a moment before). */
  at: Date;
}

/** The cohort cases, and what their first answers were, for the comparison with SQL. */
export interface CohortCases {
  cases: QueryCase[];
  answers: Map<string, CohortAnswer>;
  ids: Map<string, string>;
}

/** Creates the two cohorts in the organization (through the gateway) and returns their cases. */
export async function cohortCases(gatewayUrl: string, authorization: string): Promise<CohortCases> {
  const cohorts: CohortCases = { cases: [], answers: new Map(), ids: new Map() };
  for (const definition of DEFINITIONS) {
    const data = await graphql<{ createCohort: { id: string } }>(
      gatewayUrl,
      `
        mutation ($input: CohortInput!) {
          createCohort(input: $input) {
            id
          }
        }
      `,
      { input: definition.input },
      authorization,
    );
    const id = data.createCohort.id;
    cohorts.ids.set(definition.name, id);
    cohorts.cases.push({
      name: definition.name,
      targetP95Ms: 500,
      judgedAt: "1 client",
      query: COHORT_QUERY,
      variables: { id },
      check: (data) => {
        const cohort = data.cohort;
        expect(cohort !== null && cohort.size > 0, "a cohort with members");
        expect(cohort.members.totalCount === cohort.size, "totalCount equal to size");
        expect(
          cohort.members.edges.length === Math.min(50, cohort.size),
          `a first page of ${Math.min(50, cohort.size)} members, got ${cohort.members.edges.length}`,
        );
        cohorts.answers.set(definition.name, {
          size: cohort.size,
          first: cohort.members.edges.map((edge: { node: { id: string } }) => edge.node.id),
          at: new Date(),
        });
      },
    });
  }
  return cohorts;
}

/**
 * Compares each measured cohort case with its plain SQL (at the time of the GraphQL answer, then
 * again with a fresh GraphQL answer if they differ: an event may have crossed a window's start
 * between the two), writes the outcome in its results row (DIFFERENT when they disagree) and the
 * notes, and loads the SQL like the GraphQL query: 10 clients for `seconds`, then 1 client.
 */
export async function compareCohortsWithSql(
  pool: Pool,
  organizationId: string,
  cohorts: CohortCases,
  measured: (name: string) => boolean,
  seconds: number,
  gatewayUrl: string,
  authorization: string,
  rows: ResultRow[],
  notes: string[],
  log: (line: string) => void,
): Promise<void> {
  for (const definition of DEFINITIONS) {
    if (!measured(definition.name)) continue;
    const sqlAnswer = async (at: Date) => {
      const [row] = (await pool.query(definition.sql, [organizationId, at.toISOString()])).rows;
      return { size: row.size as number, first: row.first as string[] };
    };
    const same = (a: { size: number; first: string[] }, b: { size: number; first: string[] }) =>
      a.size === b.size && JSON.stringify(a.first) === JSON.stringify(b.first);
    let gql = cohorts.answers.get(definition.name);
    let sql = gql ? await sqlAnswer(gql.at) : null;
    if (gql && sql && !same(gql, sql)) {
      const before = Date.now();
      const data = await graphql<any>(
        gatewayUrl,
        COHORT_QUERY,
        { id: cohorts.ids.get(definition.name) },
        authorization,
      );
      const at = new Date((before + Date.now()) / 2);
      gql = {
        size: data.cohort.size,
        first: data.cohort.members.edges.map((edge: { node: { id: string } }) => edge.node.id),
        at,
      };
      sql = await sqlAnswer(at);
    }
    const equal = gql !== undefined && sql !== null && same(gql, sql);
    notes.push(
      `queries, ${definition.name}: plain SQL size ${sql ? fmt(sql.size) : "—"}, GraphQL ${gql ? fmt(gql.size) : "gave no answer"}; the first 50 members ${equal ? "equal" : "DIFFERENT"}.`,
    );
    const params = [organizationId, new Date().toISOString()];
    for (let i = 0; i < 3; i++) await pool.query(definition.sql, params);
    log(`queries: ${definition.name}: plain SQL, ${QUERY_CLIENTS} clients for ${seconds} s`);
    const load = await runLoad({
      concurrency: QUERY_CLIENTS,
      durationMs: seconds * 1000,
      maxRequests: MAX_REQUESTS,
      request: async () => void (await pool.query(definition.sql, params)),
    });
    log(`queries: plain SQL: ${formatLatency(load.latency)}, ${load.perSecond.toFixed(1)} req/s`);
    const single = await runSingleClient(() => pool.query(definition.sql, params));
    const row = rows.find((r) => r.benchmark.includes(`${definition.name} (`));
    if (!row) continue;
    row.reference = `plain SQL in the same run: ${describeLoad(load)}; 1 client: ${describeLoad(single)}`;
    if (!equal) {
      row.measured = `DIFFERENT FROM PLAIN SQL; ${row.measured}`;
      row.met = "no";
    }
  }
}
