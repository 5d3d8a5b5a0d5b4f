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
 * from `customer_activity`. The caller checked {@link activityCanAnswer}. Metrics reading the same
 * event types are counted once. Per set of types, one pass over per-month index-only scans (the
 * primary key includes `days`) groups the rows by customer: a customer active on a whole day of the
 * range counts; one active only on its partial first or last day counts when an event of those
 * hours says so.
 */
export async function queryActivity(dataSource: DataSource, organizationId: string, range: TimeRange, filter: EventFilter | null | undefined, metrics: SimpleMetric[]): Promise<number[]> {
  for (const metric of metrics) if (metric.aggregation !== Aggregation.DISTINCT_CUSTOMERS) throw new Error(`customer_activity answers distinct customers, not ${metric.aggregation}.`);
  const typesOf = metrics.map((metric) => activityTypes(metric, filter?.types));
  const cover = dayCover(range);
  const params: unknown[] = [organizationId];
  const p = (value: unknown) => `$${params.push(value)}`;
  const inEdges = cover.edges.map(([start, end]) => `(e."timestamp" >= ${p(start.toISOString())}::timestamptz AND e."timestamp" < ${p(end.toISOString())}::timestamptz)`).join(" OR ");
  const columns = new Map<string, string>();
  for (const types of typesOf) {
    const key = JSON.stringify(types);
    if (types.length === 0 || cover.months.length === 0 || columns.has(key)) continue;
    const typeParam = p(types.length === 1 ? types[0] : types);
    // Equality on one type keeps the index order (and lets PostgreSQL use it).
    const ofTypes = types.length === 1 ? `a.type = ${typeParam}` : `a.type = ANY(${typeParam}::text[])`;
    const rows = cover.months
      .map(
        (month) =>
          `SELECT a.customer_id, (a.days & ${month.whole}) <> 0 AS whole FROM customer_activity a
            WHERE a.organization_id = $1 AND ${ofTypes} AND a.month = ${p(month.month)}::date AND (a.days & ${month.whole | month.partial}) <> 0`,
      )
      .join(" UNION ALL ");
    const eventType = () => (types[0] === ANY_TYPE ? "" : ` AND e.type = ANY(${p(types)}::text[])`);
    const edge = inEdges ? `EXISTS (SELECT 1 FROM events e WHERE e.organization_id = $1 AND e.customer_id = c.customer_id AND (${inEdges})${eventType()})` : "false";
    columns.set(
      key,
      `(SELECT count(*) FILTER (WHERE CASE WHEN c.whole THEN true ELSE ${edge} END)
          FROM (SELECT r.customer_id, bool_or(r.whole) AS whole FROM (${rows}) r GROUP BY r.customer_id) c)::float8 AS m${columns.size}`,
    );
  }
  if (columns.size === 0) return metrics.map(() => 0);
  const [row]: Record<string, number>[] = await dataSource.query(`SELECT ${[...columns.values()].join(", ")}`, params);
  const index = [...columns.keys()];
  return typesOf.map((types) => {
    const at = index.indexOf(JSON.stringify(types));
    return at < 0 ? 0 : Number(row[`m${at}`] ?? 0);
  });
}
