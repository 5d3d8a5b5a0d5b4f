import type { DataSource } from "typeorm";
import { actorColumnsSql, eventFilterSql, hasActorSql } from "../actors/actor-sql";
import type { IntervalQuerySpec } from "../actors/people-interval";
import { intervalBoundsSql } from "../timeseries/interval-bounds";
import type { LifecyclePoint } from "./lifecycle.type";

/**
 * The lifecycle in one SQL statement. `bounds` ({@link intervalBoundsSql}) holds the start of the
 * interval before the first, then the starts of the range's intervals (`from` rounded down), then
 * `to`: the events of [bounds[i], bounds[i + 1]) are in interval i - 2 (-1 for the interval before
 * the first), those before bounds[1] in -2. The events of the type before `to` (passing the
 * filter, before `from` too) are first reduced to each interval's distinct actors, one interval at
 * a time (`days`: a small hash per interval; an actor's history before the range is one row);
 * then per actor: the interval of its first ever (the smallest) and the sorted distinct intervals
 * it was active in from -1 on. Per active interval the actor is `new` when its first ever falls in
 * it, else `returning` when the previous element of its intervals is the previous interval, else
 * `resurrecting` (it has an earlier event, its first); it is `dormant` in the interval after an
 * active one unless the next element is that interval (up to the range's last interval).
 */
export async function queryLifecycle(
  dataSource: DataSource,
  organizationId: string,
  spec: IntervalQuerySpec,
): Promise<LifecyclePoint[]> {
  const params: unknown[] = [organizationId];
  const p = (value: unknown) => `$${params.push(value)}`;
  const bounds = intervalBoundsSql(spec.interval, spec.range, p, 1);
  const conditions = [
    "e.organization_id = $1",
    `e.type = ${p(spec.event)}`,
    hasActorSql("e"),
    `e."timestamp" >= coalesce(b.bounds[i], '-infinity'::timestamptz)`,
    `e."timestamp" < b.bounds[i + 1]`,
    ...eventFilterSql(spec.filter, p),
  ].join(" AND ");
  const sql = `
    WITH bounds AS (${bounds}),
    days AS (
      SELECT d.customer_id, d.anonymous_id, i - 2 AS bucket
        FROM bounds b CROSS JOIN LATERAL generate_series(0, array_length(b.bounds, 1) - 1) AS i
       CROSS JOIN LATERAL (SELECT DISTINCT ${actorColumnsSql("e")} FROM events e WHERE ${conditions}) d
    ),
    actors AS MATERIALIZED (
      SELECT array_agg(bucket ORDER BY bucket) FILTER (WHERE bucket >= -1) AS buckets,
             min(bucket) AS first_bucket
        FROM days GROUP BY customer_id, anonymous_id
      HAVING count(*) FILTER (WHERE bucket >= -1) > 0
    ),
    marks AS (
      SELECT u.bucket,
             CASE WHEN a.first_bucket = u.bucket THEN 'new'
                  WHEN a.buckets[u.k - 1] = u.bucket - 1 THEN 'returning'
                  ELSE 'resurrecting' END AS kind
        FROM actors a CROSS JOIN LATERAL unnest(a.buckets) WITH ORDINALITY AS u(bucket, k)
       WHERE u.bucket >= 0
      UNION ALL
      SELECT u.bucket + 1, 'dormant'
        FROM actors a CROSS JOIN bounds b CROSS JOIN LATERAL unnest(a.buckets) WITH ORDINALITY AS u(bucket, k)
       WHERE u.bucket + 1 <= array_length(b.bounds, 1) - 3
         AND a.buckets[u.k + 1] IS DISTINCT FROM u.bucket + 1
    ),
    counts AS (
      SELECT bucket,
             count(*) FILTER (WHERE kind = 'new')::int AS new,
             count(*) FILTER (WHERE kind = 'returning')::int AS returning,
             count(*) FILTER (WHERE kind = 'resurrecting')::int AS resurrecting,
             count(*) FILTER (WHERE kind = 'dormant')::int AS dormant
        FROM marks GROUP BY bucket
    )
    SELECT b.bounds[i + 2] AS bucket, coalesce(c.new, 0) AS new,
           coalesce(c.returning, 0) AS returning, coalesce(c.resurrecting, 0) AS resurrecting,
           coalesce(c.dormant, 0) AS dormant
      FROM bounds b CROSS JOIN LATERAL generate_series(0, array_length(b.bounds, 1) - 3) AS i
      LEFT JOIN counts c ON c.bucket = i
     ORDER BY i`;
  return dataSource.query(sql, params);
}
