import type { DataSource } from "typeorm";
import { Aggregation } from "../metric/aggregation";
import type { SimpleMetric } from "../metric/metric-spec";
import { ANY_TYPE, PREVIOUS_MONTH_BIT } from "../rollups/rollup-keys";
import type { EventFilter } from "./event-filter.input";
import type { TimeRange } from "./time-range";

/**
 * The `customer_activity` table (migrations 1763900003000 and 1763900010000): per organization,
 * event type ('' for every type), UTC month and customer, a 63-bit mask `days`: bit d - 1 set when
 * the customer had such an event on day d of the month, bit 32 + d - 1 on day d of the month
 * before. So one row answers any range within two consecutive months (a 30-day range reads one
 * small row per customer, no join), at the price of marking each event in two rows. Exact
 * distinct-customer counts over a range read these rows instead of every event; a customer seen
 * only on the range's partial first or last UTC day is checked on the events of those hours.
 */

const DAY_MS = 86_400_000;

/**
 * True when the table can answer distinct-customer counts for the query: one value for the whole
 * range (no buckets, no groups) and no filter other than event types.
 */
export function activityCanAnswer(
  interval: unknown,
  groupBy: string | null | undefined,
  filter: EventFilter | null | undefined,
): boolean {
  if (interval !== null || groupBy) return false;
  if (filter?.customerId || filter?.campaignId || filter?.cohortId) return false;
  return !(filter?.properties != null && Object.keys(filter.properties).length > 0);
}

/**
 * How a range covers UTC days: per touched month the masks of its whole and its partial days, and
 * the partial days' parts of the range.
 */
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
export function activityTypes(
  metric: SimpleMetric,
  filterTypes: string[] | null | undefined,
): string[] {
  const types = filterTypes?.length ? [...new Set(filterTypes)] : null;
  if (metric.eventType) return !types || types.includes(metric.eventType) ? [metric.eventType] : [];
  return types ?? [ANY_TYPE];
}

/**
 * Exact distinct-customer counts over the whole range, one per metric (each DISTINCT_CUSTOMERS),
 * from `customer_activity`. The caller checked {@link activityCanAnswer}. Metrics reading the same
 * event types are counted once. Per set of types, index-only scans (the primary key includes
 * `days`) of the rows of every second month of the range (each also covers the month before): a
 * customer active on a whole day of the range counts; one active only on its partial first or last
 * day counts when an event of those hours says so.
 */
export async function queryActivity(
  dataSource: DataSource,
  organizationId: string,
  range: TimeRange,
  filter: EventFilter | null | undefined,
  metrics: SimpleMetric[],
): Promise<number[]> {
  for (const metric of metrics)
    if (metric.aggregation !== Aggregation.DISTINCT_CUSTOMERS)
      throw new Error(`customer_activity answers distinct customers, not ${metric.aggregation}.`);
  const typesOf = metrics.map((metric) => activityTypes(metric, filter?.types));
  const cover = dayCover(range);
  const reads = rowReads(cover);
  const params: unknown[] = [organizationId];
  const p = (value: unknown) => `$${params.push(value)}`;
  const inEdges = cover.edges
    .map(
      ([start, end]) =>
        `(e."timestamp" >= ${p(start.toISOString())}::timestamptz AND e."timestamp" < ${p(end.toISOString())}::timestamptz)`,
    )
    .join(" OR ");
  const columns = new Map<string, string>();
  for (const types of typesOf) {
    const key = JSON.stringify(types);
    if (types.length === 0 || reads.length === 0 || columns.has(key)) continue;
    const typeParam = p(types.length === 1 ? types[0] : types);
    // Equality on one type keeps the index order (and lets PostgreSQL use it).
    const ofTypes =
      types.length === 1 ? `a.type = ${typeParam}` : `a.type = ANY(${typeParam}::text[])`;
    const customers = activeCustomersSql(
      types.length === 1,
      reads.map(
        (read) =>
          `SELECT a.customer_id, (a.days & ${read.whole}::bigint) <> 0 AS whole FROM customer_activity a
            WHERE a.organization_id = $1 AND ${ofTypes} AND a.month = ${p(read.month)}::date AND (a.days & ${read.any}::bigint) <> 0`,
      ),
    );
    const eventType = () => (types[0] === ANY_TYPE ? "" : ` AND e.type = ANY(${p(types)}::text[])`);
    const edge = inEdges
      ? `EXISTS (SELECT 1 FROM events e WHERE e.organization_id = $1 AND e.customer_id = c.customer_id AND (${inEdges})${eventType()})`
      : "false";
    columns.set(
      key,
      `(SELECT count(*) FILTER (WHERE CASE WHEN c.whole THEN true ELSE ${edge} END)
          FROM (${customers}) c)::float8 AS m${columns.size}`,
    );
  }
  if (columns.size === 0) return metrics.map(() => 0);
  const [row]: Record<string, number>[] = await dataSource.query(
    `SELECT ${[...columns.values()].join(", ")}`,
    params,
  );
  const index = [...columns.keys()];
  return typesOf.map((types) => {
    const at = index.indexOf(JSON.stringify(types));
    return at < 0 ? 0 : Number(row[`m${at}`] ?? 0);
  });
}

/**
 * The rows to read for a range: their month and the masks (as decimal literals) of the range's
 * whole days and of all its days in them.
 */
export interface RowRead {
  month: string;
  whole: string;
  any: string;
}

/**
 * Which months' rows cover the range's months, each row covering its month and the one before:
 * the second, fourth, ... month, and the last when their number is odd (a month may be covered
 * twice; a union does not mind). One month reads its own rows.
 */
export function rowReads(cover: DayCover): RowRead[] {
  const { months } = cover;
  const at =
    months.length === 1
      ? [0]
      : [...months.keys()].filter((i) => i % 2 === 1 || i === months.length - 1);
  return at.map((i) => {
    const own = months[i];
    const before = i > 0 ? months[i - 1] : { whole: 0, partial: 0 };
    const mask = (current: number, previous: number) =>
      ((BigInt(previous) << PREVIOUS_MONTH_BIT) | BigInt(current)).toString();
    return {
      month: own.month,
      whole: mask(own.whole, before.whole),
      any: mask(own.whole | own.partial, before.whole | before.partial),
    };
  });
}

/**
 * SQL of the customers active in any of the reads, one row each (customer_id, whole: active on a
 * whole day of the range), from one query per read giving (customer_id, whole) in customer order,
 * a row per customer when `oneType` (rows of several types repeat customers). One read of one type
 * needs no grouping (any range within two months); two are merged by a full join of their
 * index-ordered scans, about twice as fast as hashing; the rest are grouped.
 */
function activeCustomersSql(oneType: boolean, reads: string[]): string {
  if (oneType && reads.length === 1) return reads[0];
  if (oneType && reads.length === 2) {
    return `SELECT customer_id, coalesce(m0.whole, false) OR coalesce(m1.whole, false) AS whole
      FROM (${reads[0]}) m0 FULL JOIN (${reads[1]}) m1 USING (customer_id)`;
  }
  return `SELECT r.customer_id, bool_or(r.whole) AS whole FROM (${reads.join(" UNION ALL ")}) r GROUP BY r.customer_id`;
}
