import type { DataSource } from "typeorm";
import type { Statement } from "#kit/database/shared-snapshot";
import {
  actorPartSql,
  ALL_ACTORS,
  peopleQueryParts,
  queryByActorParts,
  type ActorPart,
} from "../actors/actor-parts";
import { actorColumnsSql, eventFilterSql, hasActorSql } from "../actors/actor-sql";
import { intervalBoundsSql } from "../timeseries/interval-bounds";
import type { RetentionSpec } from "./retention-spec";
import { RetentionType } from "./retention-type";

/** One cohort as the table statement returns it. */
export interface CohortRow {
  cohort: number;
  start: Date;
  size: number;
  /** Members that are customers (the count of `customers`). */
  identified: number;
  /** values[1..]: members back in each later period. */
  returned: number[];
}

/**
 * The CTEs every retention statement starts with: `bounds` (one row: `bounds`, the start of every
 * cohort's interval, aligned in the time zone by PostgreSQL's calendar, then `to`), and `members`
 * (customer_id, anonymous_id, cohort: the actors of each cohort; computed once however often the
 * statement reads it). An event's interval is its `width_bucket` in `bounds`, 1 for the first
 * cohort's ({@link intervalBoundsSql}). Only the actors of `part`.
 */
function membersSql(
  spec: RetentionSpec,
  p: (value: unknown) => string,
  part: ActorPart = ALL_ACTORS,
): string {
  const to = p(spec.range.to.toISOString());
  const filter = eventFilterSql(spec.filter, p);
  const start = p(spec.startEvent);
  const startEvents = [
    "e.organization_id = $1",
    `e.type = ${start}`,
    ...actorPartSql(part, p),
    hasActorSql("e"),
    ...filter,
  ].join(" AND ");
  const members =
    spec.type === RetentionType.FIRST_TIME
      ? // Each actor's first start event ever, before the range too; its interval when in range.
        `SELECT f.customer_id, f.anonymous_id, width_bucket(f.first, b.bounds) AS bucket
           FROM (SELECT ${actorColumnsSql("e")}, min(e."timestamp") AS first
                   FROM events e WHERE ${startEvents} GROUP BY 1, 2) f, bounds b
          WHERE f.first >= b.bounds[1] AND f.first < ${to}::timestamptz`
      : `SELECT DISTINCT ${actorColumnsSql("e")}, width_bucket(e."timestamp", b.bounds) AS bucket
           FROM events e, bounds b
          WHERE ${startEvents} AND e."timestamp" >= b.bounds[1] AND e."timestamp" < ${to}::timestamptz`;
  return `
    bounds AS (${intervalBoundsSql(spec.interval, spec.range, p)}),
    members AS MATERIALIZED (
      SELECT m.customer_id, m.anonymous_id, m.bucket - 1 AS cohort
        FROM (${members}) m
    )`;
}

/**
 * The cohort table, in one SQL statement per part of the actors ({@link queryByActorParts}:
 * `parts` statements at once on one snapshot, their counts added up): the cohorts' members ({@link membersSql}); each
 * member's return events, as the distinct intervals they fall in (events of [first cohort's start,
 * to), of the members' actors only: the others are in no cohort); per actor its cohorts and its intervals back, grouped (no join, so no plan that
 * compares every member with every return when the statistics are off); per cohort and period the
 * members back, for the periods whose interval starts before `to`. Each part is computed once
 * (MATERIALIZED), not again for every cohort that reads it.
 */
export async function queryRetention(
  dataSource: DataSource,
  organizationId: string,
  spec: RetentionSpec,
  parts = peopleQueryParts(),
): Promise<CohortRow[]> {
  const answers = await queryByActorParts<CohortRow>(dataSource, parts, (part) =>
    retentionSql(organizationId, spec, part),
  );
  return answers[0].map((cohort, i) => ({
    ...cohort,
    size: answers.reduce((sum, rows) => sum + rows[i].size, 0),
    identified: answers.reduce((sum, rows) => sum + rows[i].identified, 0),
    returned: cohort.returned.map((_, k) =>
      answers.reduce((sum, rows) => sum + rows[i].returned[k], 0),
    ),
  }));
}

/** The statement of one part of {@link queryRetention}: the table of that part's actors. */
function retentionSql(organizationId: string, spec: RetentionSpec, part: ActorPart): Statement {
  const params: unknown[] = [organizationId];
  const p = (value: unknown) => `$${params.push(value)}`;
  const members = membersSql(spec, p, part);
  const periods = p(spec.periods);
  const returns = [
    "e.organization_id = $1",
    `e.type = ${p(spec.returnEvent)}`,
    ...actorPartSql(part, p),
    hasActorSql("e"),
    `e."timestamp" >= b.bounds[1]`,
    `e."timestamp" < b.bounds[array_length(b.bounds, 1)]`,
    ...eventFilterSql(spec.filter, p),
  ].join(" AND ");
  const sql = `
    WITH ${members},
    returns AS MATERIALIZED (
      SELECT DISTINCT ${actorColumnsSql("e")}, width_bucket(e."timestamp", b.bounds) - 1 AS bucket
        FROM events e, bounds b
       WHERE ${returns}
         AND (e.customer_id IN (SELECT customer_id FROM members)
              OR e.customer_id IS NULL AND e.anonymous_id IN (SELECT anonymous_id FROM members))
    ),
    visits AS (
      SELECT array_agg(u.bucket) FILTER (WHERE NOT u.returning) AS cohorts,
             array_agg(u.bucket) FILTER (WHERE u.returning) AS buckets
        FROM (SELECT customer_id, anonymous_id, cohort AS bucket, false AS returning FROM members
              UNION ALL SELECT customer_id, anonymous_id, bucket, true FROM returns) u
       GROUP BY u.customer_id, u.anonymous_id
    ),
    counts AS MATERIALIZED (
      SELECT c.cohort, b.bucket - c.cohort AS period, count(*)::int AS count
        FROM visits v CROSS JOIN LATERAL unnest(v.cohorts) AS c(cohort) CROSS JOIN LATERAL unnest(v.buckets) AS b(bucket)
       WHERE b.bucket > c.cohort AND b.bucket <= c.cohort + ${periods}::int
       GROUP BY 1, 2
    ),
    sizes AS (
      SELECT cohort, count(*)::int AS size, count(customer_id)::int AS identified FROM members GROUP BY cohort
    ),
    cohorts AS (
      SELECT i AS cohort, b.bounds[i + 1] AS start, array_length(b.bounds, 1) - 1 AS total
        FROM bounds b, generate_series(0, array_length(b.bounds, 1) - 2) AS i
    )
    SELECT c.cohort, c.start, coalesce(s.size, 0) AS size, coalesce(s.identified, 0) AS identified,
           ARRAY(SELECT coalesce(v.count, 0)
                   FROM generate_series(1, least(${periods}::int, c.total - 1 - c.cohort)) AS k
                   LEFT JOIN counts v ON v.cohort = c.cohort AND v.period = k
                  ORDER BY k) AS returned
      FROM cohorts c LEFT JOIN sizes s ON s.cohort = c.cohort
     ORDER BY c.cohort`;
  return { sql, params };
}

/** One page request of a cohort's customers. */
export interface MembersPageRequest {
  cohort: number;
  /** Customers after this id. */
  after: string | null;
  first: number;
}

/**
 * Pages of customers of several cohorts in one SQL statement: for each request, the cohort's
 * members that are customers, by id, after `after`, at most `first` + 1 (the extra one says there
 * is a next page). Resolves the ids per request, in request order.
 */
export async function queryRetentionMembers(
  dataSource: DataSource,
  organizationId: string,
  spec: RetentionSpec,
  requests: readonly MembersPageRequest[],
): Promise<string[][]> {
  const params: unknown[] = [organizationId];
  const p = (value: unknown) => `$${params.push(value)}`;
  const members = membersSql(spec, p);
  const sql = `
    WITH ${members}
    SELECT r.request, m.customer_id
      FROM unnest(${p(requests.map((r) => r.cohort))}::int[], ${p(requests.map((r) => r.after))}::uuid[],
                  ${p(requests.map((r) => r.first + 1))}::int[]) WITH ORDINALITY AS r(cohort, after, size, request)
     CROSS JOIN LATERAL (
       SELECT customer_id FROM members
        WHERE cohort = r.cohort AND customer_id IS NOT NULL AND (r.after IS NULL OR customer_id > r.after)
        ORDER BY customer_id LIMIT r.size) m
     ORDER BY r.request, m.customer_id`;
  const rows: { request: string; customer_id: string }[] = await dataSource.query(sql, params);
  const pages = requests.map((): string[] => []);
  for (const row of rows) pages[Number(row.request) - 1].push(row.customer_id);
  return pages;
}
