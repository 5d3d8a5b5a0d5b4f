import type { DataSource } from "typeorm";
import { Aggregation } from "../metric/aggregation";
import type { SimpleMetric } from "../metric/metric-spec";
import type { EventFilter } from "./event-filter.input";
import type { TimeRange } from "./time-range";

/**
 * The `customer_activity` table (migration 1763900003000): per organization, event type ('' for
 * every type), UTC month and customer, a 31-bit mask of the days of the month (bit day - 1) on
 * which the customer had such an event. Exact distinct-customer counts over a range read one
 * small row per customer and month instead of every event; a customer seen only on the range's
 * partial first or last UTC day is checked on the events of those hours.
 */

/** The type key of the rows that cover every event type (an event type is never empty). */
export const ANY_TYPE = "";

const DAY_MS = 86_400_000;

/** SQL of the day mask with only the UTC day of `ts` (a timestamptz expression) set. */
export function dayBitSql(ts: string): string {
  return `(1 << (extract(day FROM ${ts} AT TIME ZONE 'UTC')::int - 1))`;
}

/** SQL of the UTC month (a date) of `ts`. */
export function monthSql(ts: string): string {
  return `date_trunc('month', ${ts} AT TIME ZONE 'UTC')::date`;
}

/**
 * True when the table can answer distinct-customer counts for the query: one value for the whole
 * range (no buckets, no groups) and no filter other than event types.
 */
export function activityCanAnswer(interval: unknown, groupBy: string | null | undefined, filter: EventFilter | null | undefined): boolean {
  if (interval !== null || groupBy) return false;
  if (filter?.customerId || filter?.campaignId) return false;
  return !(filter?.properties != null && Object.keys(filter.properties).length > 0);
}

/** How a range covers UTC days: per touched month the masks of its whole and its partial days, and the partial days' parts of the range. */
export interface DayCover {
  months: { month: string; whole: number; partial: number }[];
  /** The parts of the range on partial days: at most two [from, to) intervals. */
  edges: [Date, Date][];
}

export function dayCover(range: { from: Date; to: Date }): DayCover {
  const from = range.from.getTime();
  const to = range.to.getTime();
  const months = new Map<string, { month: string; whole: number; partial: number }>();
  const edges: [Date, Date][] = [];
  for (let day = Math.floor(from / DAY_MS) * DAY_MS; day < to; day += DAY_MS) {
    const date = new Date(day);
    const key = `${date.toISOString().slice(0, 7)}-01`;
    let month = months.get(key);
    if (!month) months.set(key, (month = { month: key, whole: 0, partial: 0 }));
    const bit = 1 << (date.getUTCDate() - 1);
    if (from <= day && day + DAY_MS <= to) {
      month.whole |= bit;
    } else {
      month.partial |= bit;
      edges.push([new Date(Math.max(from, day)), new Date(Math.min(to, day + DAY_MS))]);
    }
  }
  return { months: [...months.values()], edges };
}

/**
 * The event types whose rows a distinct-customer metric reads under a types filter: [''] for
 * every type, [] when the metric's type is filtered out (the count is 0).
 */
export function activityTypes(metric: SimpleMetric, filterTypes: string[] | null | undefined): string[] {
  const types = filterTypes?.length ? [...new Set(filterTypes)] : null;
  if (metric.eventType) return !types || types.includes(metric.eventType) ? [metric.eventType] : [];
  return types ?? [ANY_TYPE];
}

/**
 * Exact distinct-customer counts over the whole range, one per metric (each DISTINCT_CUSTOMERS),
 * from `customer_activity`. The caller checked {@link activityCanAnswer}.
 */
export async function queryActivity(dataSource: DataSource, organizationId: string, range: TimeRange, filter: EventFilter | null | undefined, metrics: SimpleMetric[]): Promise<number[]> {
  for (const metric of metrics) if (metric.aggregation !== Aggregation.DISTINCT_CUSTOMERS) throw new Error(`customer_activity answers distinct customers, not ${metric.aggregation}.`);
  const typesOf = metrics.map((metric) => activityTypes(metric, filter?.types));
  const allTypes = [...new Set(typesOf.flat())];
  const cover = dayCover(range);
  if (allTypes.length === 0 || cover.months.length === 0) return metrics.map(() => 0);
  const params: unknown[] = [organizationId];
  const p = (value: unknown) => `$${params.push(value)}`;
  const months = p(cover.months.map((m) => m.month));
  const inEdges = cover.edges.map(([start, end]) => `(e."timestamp" >= ${p(start.toISOString())}::timestamptz AND e."timestamp" < ${p(end.toISOString())}::timestamptz)`).join(" OR ");
  const flags: string[] = [];
  const counts: string[] = [];
  typesOf.forEach((types, i) => {
    if (types.length === 0) {
      counts.push(`0::float8 AS m${i}`);
      return;
    }
    const typeParam = allTypes.length === 1 ? null : p(types);
    const ofType = typeParam ? `a.type = ANY(${typeParam}::text[]) AND ` : "";
    flags.push(`bool_or(${ofType}(a.days & r.whole) <> 0) AS w${i}`, `bool_or(${ofType}(a.days & r.partial) <> 0) AS p${i}`);
    // Seen on a whole day of the range; or else on a partial one, when an event of the range says so.
    const eventType = () => (types[0] === ANY_TYPE ? "" : ` AND e.type = ANY(${p(types)}::text[])`);
    const edge = inEdges
      ? `WHEN c.p${i} THEN EXISTS (SELECT 1 FROM events e WHERE e.organization_id = $1 AND e.customer_id = c.customer_id AND (${inEdges})${eventType()})`
      : "";
    counts.push(`count(*) FILTER (WHERE CASE WHEN c.w${i} THEN true ${edge} ELSE false END)::float8 AS m${i}`);
  });
  const sql = `
    SELECT ${counts.join(", ")}
      FROM (SELECT a.customer_id, ${flags.join(", ")}
              FROM customer_activity a
              JOIN unnest(${months}::date[], ${p(cover.months.map((m) => m.whole))}::int[], ${p(cover.months.map((m) => m.partial))}::int[]) AS r(month, whole, partial) ON r.month = a.month
             WHERE a.organization_id = $1 AND a.type = ANY(${p(allTypes)}::text[]) AND a.month = ANY(${months}::date[])
               AND (a.days & (r.whole | r.partial)) <> 0
             GROUP BY a.customer_id) c`;
  const [row]: Record<string, number>[] = await dataSource.query(sql, params);
  return metrics.map((_, i) => Number(row[`m${i}`] ?? 0));
}
