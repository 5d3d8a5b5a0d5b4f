import type { DataSource } from "typeorm";
import type { Statement } from "#kit/database/shared-snapshot";
import {
  actorPartSql,
  peopleQueryParts,
  queryByActorParts,
  type ActorPart,
} from "../actors/actor-parts";
import { actorColumnsSql, eventFilterSql, hasActorSql } from "../actors/actor-sql";
import type { IntervalQuerySpec } from "../actors/people-interval";
import { intervalBoundsSql } from "../timeseries/interval-bounds";
import type { LifecyclePoint } from "./lifecycle.type";

/**
 * The lifecycle, in one SQL statement per part of the actors ({@link queryByActorParts}: `parts`
 * statements at once on one snapshot, their counts added up). `bounds` ({@link intervalBoundsSql}) holds the start of the
 * interval before the first, then the starts of the range's intervals (`from` rounded down), then
 * `to`: the events of [bounds[i], bounds[i + 1]) are in interval i - 2 (-1 for the interval before
 * the first), those before bounds[1] in -2. The events of the type before `to` (passing the
 * filter, before `from` too) are first reduced to each interval's distinct actors, one interval at
 * a time (`days`: a small hash per interval; an actor's history before the range is one row);
 * then each actor's intervals in order (`around`): its first ever (the smallest), and the
 * intervals before and after each one it was active in. Per active interval of the range the
 * actor is `new` when its first ever is that interval, else `returning` when the one before is the
 * previous interval, else `resurrecting` (it has an earlier event, its first); it is `dormant` in
 * the interval after an active one (from -1 on) unless the next one is that interval (up to the
 * range's last interval).
 */
export async function queryLifecycle(
  dataSource: DataSource,
  organizationId: string,
  spec: IntervalQuerySpec,
  parts = peopleQueryParts(),
): Promise<LifecyclePoint[]> {
  const answers = await queryByActorParts<LifecyclePoint>(dataSource, parts, (part) =>
    lifecycleSql(organizationId, spec, part),
  );
  const sum = (i: number, kind: "new" | "returning" | "resurrecting" | "dormant") =>
    answers.reduce((total, rows) => total + rows[i][kind], 0);
  return answers[0].map((point, i) => ({
    bucket: point.bucket,
    new: sum(i, "new"),
    returning: sum(i, "returning"),
    resurrecting: sum(i, "resurrecting"),
    dormant: sum(i, "dormant"),
  }));
}

/** The statement of one part of {@link queryLifecycle}: the counts of that part's actors. */
function lifecycleSql(organizationId: string, spec: IntervalQuerySpec, part: ActorPart): Statement {
  const params: unknown[] = [organizationId];
  const p = (value: unknown) => `$${params.push(value)}`;
  const bounds = intervalBoundsSql(spec.interval, spec.range, p, 1);
  const conditions = [
    "e.organization_id = $1",
    `e.type = ${p(spec.event)}`,
    ...actorPartSql(part, p),
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
    around AS MATERIALIZED (
      SELECT bucket, first_value(bucket) OVER actor AS first, lag(bucket) OVER actor AS before,
             lead(bucket) OVER actor AS after
        FROM days
      WINDOW actor AS (PARTITION BY customer_id, anonymous_id ORDER BY bucket)
    ),
    marks AS (
      SELECT bucket,
             CASE WHEN first = bucket THEN 'new' WHEN before = bucket - 1 THEN 'returning'
                  ELSE 'resurrecting' END AS kind
        FROM around
       WHERE bucket >= 0
      UNION ALL
      SELECT a.bucket + 1, 'dormant'
        FROM around a CROSS JOIN bounds b
       WHERE a.bucket >= -1 AND a.bucket + 1 <= array_length(b.bounds, 1) - 3
         AND a.after IS DISTINCT FROM a.bucket + 1
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
  return { sql, params };
}
