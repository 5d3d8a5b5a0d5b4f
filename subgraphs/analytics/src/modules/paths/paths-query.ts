import type { DataSource } from "typeorm";
import { eventFilterSql, hasActorSql } from "../actors/actor-sql";
import type { PathsSpec } from "./paths-spec";
import type { PathEdge } from "./path-edge.type";

/**
 * The paths' edges in one SQL statement of window functions. Each actor's events of [from, to)
 * passing the filter, in time, then type, then id order (byte order, as the funnel orders ties);
 * an event starts a session when it is the actor's first or comes more than `sessionGapMinutes`
 * after the one before (exactly the gap does not split); an event of the same type as the one
 * before in its session is a repeat and left out. In each session the path starts at the first
 * `startEvent` (sessions without one have no path) or, without `startEvent`, at the first event,
 * and takes `depth` types from there. Each move between two types of a path is an edge at its
 * step (1 for the first). The `top` edges with the most paths: by count, largest first, then by
 * step, source and target in byte order.
 */
export async function queryPaths(
  dataSource: DataSource,
  organizationId: string,
  spec: PathsSpec,
): Promise<PathEdge[]> {
  const params: unknown[] = [organizationId];
  const p = (value: unknown) => `$${params.push(value)}`;
  const conditions = [
    "e.organization_id = $1",
    hasActorSql("e"),
    `e."timestamp" >= ${p(spec.range.from.toISOString())}::timestamptz`,
    `e."timestamp" < ${p(spec.range.to.toISOString())}::timestamptz`,
    ...eventFilterSql(spec.filter, p),
  ].join(" AND ");
  const gap = `make_interval(mins => ${p(spec.sessionGapMinutes)}::int)`;
  const start =
    spec.startEvent === null
      ? "1"
      : `min(pos) FILTER (WHERE type = ${p(spec.startEvent)}) OVER session`;
  const sql = `
    WITH actor_events AS (
      SELECT e.customer_id, CASE WHEN e.customer_id IS NULL THEN e.anonymous_id END COLLATE "C" AS anonymous_id,
             e."timestamp", e.type COLLATE "C" AS type, e.id COLLATE "C" AS id
        FROM events e WHERE ${conditions}
    ),
    marked AS (
      SELECT customer_id, anonymous_id, "timestamp", type, id,
             CASE WHEN lag("timestamp") OVER actor IS NULL OR "timestamp" - lag("timestamp") OVER actor > ${gap}
                  THEN 1 ELSE 0 END AS opens,
             lag(type) OVER actor AS previous_type
        FROM actor_events
      WINDOW actor AS (PARTITION BY customer_id, anonymous_id ORDER BY "timestamp", type, id)
    ),
    sessions AS (
      SELECT customer_id, anonymous_id, "timestamp", type, id, opens, previous_type,
             sum(opens) OVER (PARTITION BY customer_id, anonymous_id ORDER BY "timestamp", type, id
                              ROWS UNBOUNDED PRECEDING) AS session
        FROM marked
    ),
    steps AS (
      SELECT customer_id, anonymous_id, session, type,
             row_number() OVER (PARTITION BY customer_id, anonymous_id, session ORDER BY "timestamp", type, id) AS pos
        FROM sessions
       WHERE opens = 1 OR previous_type <> type
    ),
    paths AS (
      SELECT customer_id, anonymous_id, session, type, pos, ${start} AS start
        FROM steps
      WINDOW session AS (PARTITION BY customer_id, anonymous_id, session)
    ),
    moves AS (
      SELECT pos - start AS step, lag(type) OVER (PARTITION BY customer_id, anonymous_id, session ORDER BY pos) AS source,
             type AS target
        FROM paths
       WHERE pos >= start AND pos < start + ${p(spec.depth)}::int
    )
    SELECT step::int, source, target, count(*)::int AS count
      FROM moves WHERE step >= 1
     GROUP BY step, source, target
     ORDER BY count DESC, step, source, target
     LIMIT ${p(spec.top)}::int`;
  return dataSource.query(sql, params);
}
