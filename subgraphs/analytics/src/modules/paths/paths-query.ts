import type { DataSource } from "typeorm";
import { eventFilterSql, hasActorSql } from "../actors/actor-sql";
import type { PathsSpec } from "./paths-spec";
import type { PathEdge } from "./path-edge.type";

/**
 * The paths' edges in one SQL statement of window functions. Each actor's events of [from, to)
 * passing the filter, in time, then type order (byte order, as the funnel orders ties; events of
 * the same actor, time and type are interchangeable, all but the first being repeats, so no id
 * is read); an event starts a session when it is the actor's first or comes more than
 * `sessionGapMinutes` after the one before (exactly the gap does not split); an event of the same
 * type as the one before in its session is a repeat and left out. In each session the path starts
 * at the first `startEvent` (sessions without one have no path) or, without `startEvent`, at the
 * first event, and takes `depth` types from there. Each move between two types of a path is an
 * edge at its step (1 for the first). The `top` edges with the most paths: by count, largest
 * first, then by step, source and target in byte order.
 *
 * Every window runs over the same actor order, so the events are sorted once: the steps (events
 * that are not repeats) are numbered per actor (`k`), leaving out the sessions of a single event
 * (they have no edge, and leaving out whole sessions changes no difference of `k` within
 * another); a step's session is known by the number of its opening step (`session_k`, the latest
 * opening so far) and its path by the number of the path's first step (`start_k`); a step after
 * `start_k` and fewer than `depth` steps from it is an edge from the step before it (whose type is
 * `previous_type`, a repeat having the same type).
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
  const depth = `${p(spec.depth)}::int`;
  const ordered = `PARTITION BY customer_id, anonymous_id ORDER BY "timestamp", type`;
  // Without startEvent a path starts where its session opens; with it, at the session's first
  // step of that type (`first`: a step of the type after no earlier one in its session).
  let starts: string;
  if (spec.startEvent === null) {
    starts = `SELECT *, session_k AS start_k FROM sessions`;
  } else {
    const startEvent = p(spec.startEvent);
    starts = `
      SELECT *, max(CASE WHEN type = ${startEvent} AND (earlier_start_k IS NULL OR earlier_start_k < session_k)
                         THEN k END) OVER (${ordered} ROWS UNBOUNDED PRECEDING) AS start_k
        FROM sessions`;
  }
  const earlierStart =
    spec.startEvent === null
      ? ""
      : `, max(CASE WHEN type = ${p(spec.startEvent)} THEN k END)
               OVER (ordered ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING) AS earlier_start_k`;
  const sql = `
    WITH actor_events AS (
      SELECT e.customer_id, CASE WHEN e.customer_id IS NULL THEN e.anonymous_id END COLLATE "C" AS anonymous_id,
             e."timestamp", e.type COLLATE "C" AS type
        FROM events e WHERE ${conditions}
    ),
    marked AS (
      SELECT customer_id, anonymous_id, "timestamp", type,
             CASE WHEN lag("timestamp") OVER actor IS NULL OR "timestamp" - lag("timestamp") OVER actor > ${gap}
                  THEN 1 ELSE 0 END AS opens,
             lead("timestamp") OVER actor IS NULL OR lead("timestamp") OVER actor - "timestamp" > ${gap} AS closes,
             lag(type) OVER actor AS previous_type
        FROM actor_events
      WINDOW actor AS (PARTITION BY customer_id, anonymous_id ORDER BY "timestamp", type)
    ),
    steps AS (
      SELECT customer_id, anonymous_id, "timestamp", type, opens, previous_type,
             row_number() OVER (PARTITION BY customer_id, anonymous_id ORDER BY "timestamp", type) AS k
        FROM marked
       WHERE (opens = 1 OR previous_type <> type) AND NOT (opens = 1 AND closes)
    ),
    sessions AS (
      SELECT customer_id, anonymous_id, "timestamp", type, opens, previous_type, k,
             max(CASE WHEN opens = 1 THEN k END) OVER (ordered ROWS UNBOUNDED PRECEDING) AS session_k${earlierStart}
        FROM steps
      WINDOW ordered AS (${ordered})
    ),
    starts AS (${starts})
    SELECT (k - start_k)::int AS step, previous_type AS source, type AS target, count(*)::int AS count
      FROM starts
     WHERE start_k >= session_k AND k > start_k AND k < start_k + ${depth}
     GROUP BY 1, 2, 3
     ORDER BY count DESC, step, source, target
     LIMIT ${p(spec.top)}::int`;
  return dataSource.query(sql, params);
}
