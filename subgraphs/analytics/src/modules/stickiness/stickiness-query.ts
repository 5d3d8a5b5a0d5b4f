import type { DataSource } from "typeorm";
import type { Statement } from "#kit/database/shared-snapshot";
import {
  actorPartSql,
  peopleQueryParts,
  queryByActorParts,
  type ActorPart,
} from "../actors/actor-parts";
import { actorColumnsSql, eventFilterSql, hasActorSql } from "../actors/actor-sql";
import { intervalBoundsSql } from "../timeseries/interval-bounds";
import type { IntervalQuerySpec } from "../actors/people-interval";
import type { StickinessBucket } from "./stickiness.type";

/**
 * Stickiness, in one SQL statement per part of the actors ({@link queryByActorParts}: `parts`
 * statements at once on one snapshot, their counts added up). The intervals of the range
 * ({@link intervalBoundsSql}: `from` rounded down to its interval, as retention's cohorts); per
 * actor the number of distinct intervals with the event (events of [first interval's start, to)
 * passing the filter); per n = 1..N the actors with exactly n, zeros included, in order of n. The
 * distinct actors of each interval are found one interval at a time (`days`: a small hash per
 * interval, read from the index in time order), then counted per actor: no sort of every event.
 */
export async function queryStickiness(
  dataSource: DataSource,
  organizationId: string,
  spec: IntervalQuerySpec,
  parts = peopleQueryParts(),
): Promise<StickinessBucket[]> {
  const answers = await queryByActorParts<StickinessBucket>(dataSource, parts, (part) =>
    stickinessSql(organizationId, spec, part),
  );
  return answers[0].map((bucket, i) => ({
    intervals: bucket.intervals,
    actors: answers.reduce((sum, rows) => sum + rows[i].actors, 0),
  }));
}

/** The statement of one part of {@link queryStickiness}: the buckets of that part's actors. */
function stickinessSql(
  organizationId: string,
  spec: IntervalQuerySpec,
  part: ActorPart,
): Statement {
  const params: unknown[] = [organizationId];
  const p = (value: unknown) => `$${params.push(value)}`;
  const bounds = intervalBoundsSql(spec.interval, spec.range, p);
  const conditions = [
    "e.organization_id = $1",
    `e.type = ${p(spec.event)}`,
    ...actorPartSql(part, p),
    hasActorSql("e"),
    `e."timestamp" >= b.bounds[i]`,
    `e."timestamp" < b.bounds[i + 1]`,
    ...eventFilterSql(spec.filter, p),
  ].join(" AND ");
  const sql = `
    WITH bounds AS (${bounds}),
    days AS (
      SELECT d.customer_id, d.anonymous_id
        FROM bounds b CROSS JOIN LATERAL generate_series(1, array_length(b.bounds, 1) - 1) AS i
       CROSS JOIN LATERAL (SELECT DISTINCT ${actorColumnsSql("e")} FROM events e WHERE ${conditions}) d
    ),
    actors AS (SELECT count(*)::int AS intervals FROM days GROUP BY customer_id, anonymous_id),
    counts AS (SELECT intervals, count(*)::int AS actors FROM actors GROUP BY intervals)
    SELECT n AS intervals, coalesce(c.actors, 0) AS actors
      FROM bounds b CROSS JOIN LATERAL generate_series(1, array_length(b.bounds, 1) - 1) AS n
      LEFT JOIN counts c ON c.intervals = n
     ORDER BY n`;
  return { sql, params };
}
