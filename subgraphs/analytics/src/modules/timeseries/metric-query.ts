import type { DataSource } from "typeorm";
import { isUuid } from "#kit/data/ids";
import { badUserInput } from "#kit/errors";
import { Aggregation } from "../metric/aggregation";
import { parts, type MetricSpec, type SimpleMetric } from "../metric/metric-spec";
import { NO_CAMPAIGN } from "../rollups/rollup-keys";
import { activityCanAnswer, queryActivity } from "./customer-activity";
import { cohortConditionSql, type EventFilter } from "./event-filter.input";
import { Interval, INTERVAL_UNIT } from "./interval";
import { offsetMinutes, type TimeRange } from "./time-range";

/**
 * What to compute: metrics over a range, per bucket or for the whole range, optionally per group.
 */
export interface MetricQuery {
  specs: MetricSpec[];
  range: TimeRange;
  /** null: one row for the whole range. */
  interval: Interval | null;
  filter?: EventFilter | null;
  /** `type`, `campaignId`, or a property name. */
  groupBy?: string | null;
  /** When set, groups not in this list are folded into one group named `other`. */
  keepGroups?: string[];
  /**
   * Also compute the metrics over the whole range (all buckets and groups together) in the same
   * scan (`GROUPING SETS`): the row with a null bucket and group. Only for queries with buckets or
   * groups.
   */
  withTotal?: boolean;
}

/**
 * One result row: a bucket (null for the whole range), a group (null when ungrouped), one value per
 * spec.
 */
export interface MetricRow {
  bucket: Date | null;
  group: string | null;
  values: (number | null)[];
}

/** Where a query reads: the per-minute or per-hour rollups, or the raw events. */
export type ReadPath = "minute" | "hour" | "raw";

/** The group label of events without the grouped property (or campaign). */
export const NO_GROUP = "(none)";
/** The group label of everything outside `keepGroups`. */
export const OTHER_GROUP = "other";

const ROLLUP_AGGREGATIONS = new Set([
  Aggregation.COUNT,
  Aggregation.SUM,
  Aggregation.AVG,
  Aggregation.MIN,
  Aggregation.MAX,
]);
const ZERO_WHEN_EMPTY = new Set([
  Aggregation.COUNT,
  Aggregation.SUM,
  Aggregation.DISTINCT_CUSTOMERS,
]);
const PERCENTILE: Partial<Record<Aggregation, number>> = {
  [Aggregation.P50]: 0.5,
  [Aggregation.P90]: 0.9,
  [Aggregation.P95]: 0.95,
  [Aggregation.P99]: 0.99,
};

/**
 * Computes metrics. Metrics the rollups can answer (counts, sums, averages, minima and maxima of
 * `value`, filtered by type or campaign, grouped by type or campaign) read the rollups when the
 * range aligns with them; the others (distinct customers, percentiles, properties, customer
 * filters) read the raw events. Both paths give the same numbers; `path` forces one (for tests).
 */
export async function queryMetrics(
  dataSource: DataSource,
  organizationId: string,
  query: MetricQuery,
  path?: ReadPath,
): Promise<MetricRow[]> {
  validateFilter(query.filter);
  const simple = query.specs.flatMap(parts);
  const rollupPath = path ?? rollupPathFor(query);
  const byRollup = simple.map((metric) => rollupPath !== "raw" && rollupCanAnswer(metric, query));
  // Distinct customers over a whole hour-aligned range: the customer_activity table.
  const byActivity = simple.map(
    (metric, i) =>
      !byRollup[i] &&
      path !== "raw" &&
      metric.aggregation === Aggregation.DISTINCT_CUSTOMERS &&
      activityCanAnswer(query.interval, query.groupBy, query.filter),
  );
  const groups: { path: ReadPath | "activity"; metrics: SimpleMetric[]; indexes: number[] }[] = [];
  const rollupIndexes = simple.map((_, i) => i).filter((i) => byRollup[i]);
  const activityIndexes = simple.map((_, i) => i).filter((i) => byActivity[i]);
  const rawIndexes = simple.map((_, i) => i).filter((i) => !byRollup[i] && !byActivity[i]);
  if (rollupIndexes.length > 0)
    groups.push({
      path: rollupPath,
      metrics: rollupIndexes.map((i) => simple[i]),
      indexes: rollupIndexes,
    });
  if (activityIndexes.length > 0)
    groups.push({
      path: "activity",
      metrics: activityIndexes.map((i) => simple[i]),
      indexes: activityIndexes,
    });
  if (rawIndexes.length > 0)
    groups.push({ path: "raw", metrics: rawIndexes.map((i) => simple[i]), indexes: rawIndexes });

  const merged = new Map<
    string,
    { bucket: Date | null; group: string | null; simple: (number | null)[] }
  >();
  const results = await Promise.all(
    groups.map(async (part) =>
      part.path === "activity"
        ? [
            {
              bucket: null,
              group: null,
              values: await queryActivity(
                dataSource,
                organizationId,
                query.range,
                query.filter,
                part.metrics,
              ),
            },
          ]
        : runQuery(dataSource, organizationId, query, part.path, part.metrics),
    ),
  );
  for (const [g, part] of groups.entries()) {
    const rows: MetricRow[] = results[g];
    for (const row of rows) {
      const key = `${row.bucket?.toISOString() ?? ""}|${row.group ?? ""}`;
      let entry = merged.get(key);
      if (!entry)
        merged.set(
          key,
          (entry = {
            bucket: row.bucket,
            group: row.group,
            simple: simple.map((m) => (ZERO_WHEN_EMPTY.has(m.aggregation) ? 0 : null)),
          }),
        );
      part.indexes.forEach((index, k) => (entry!.simple[index] = row.values[k]));
    }
  }
  if (query.interval === null && !query.groupBy && merged.size === 0) {
    merged.set("|", {
      bucket: null,
      group: null,
      simple: simple.map((m) => (ZERO_WHEN_EMPTY.has(m.aggregation) ? 0 : null)),
    });
  }
  return [...merged.values()].map((entry) => {
    let offset = 0;
    const values = query.specs.map((spec) => {
      if (spec.kind === "simple") return entry.simple[offset++];
      const numerator = entry.simple[offset++];
      const denominator = entry.simple[offset++];
      return denominator ? (numerator ?? 0) / denominator : null;
    });
    return { bucket: entry.bucket, group: entry.group, values };
  });
}

/**
 * True when the metrics over the whole range can come from the same scan as `query`'s buckets
 * and groups ({@link MetricQuery.withTotal}) without reading a slower source than a query of
 * their own would: the same rollup grain (or both raw), and no distinct counts (which a query of
 * their own answers from customer_activity).
 */
export function totalFitsScan(query: MetricQuery): boolean {
  const whole: MetricQuery = { ...query, interval: null, groupBy: null, keepGroups: undefined };
  if (rollupPathFor(query) !== rollupPathFor(whole)) return false;
  return query.specs
    .flatMap(parts)
    .every((metric) => metric.aggregation !== Aggregation.DISTINCT_CUSTOMERS);
}

/** The rollup grain a query's range and time zone allow, or `raw`. */
export function rollupPathFor(query: MetricQuery): ReadPath {
  const groupable = !query.groupBy || query.groupBy === "type" || query.groupBy === "campaignId";
  // The rollups have no actor: a cohort filter reads the raw events.
  if (!groupable || query.filter?.customerId || query.filter?.cohortId) return "raw";
  if (hasPropertyFilter(query.filter)) return "raw";
  const from = query.range.from.getTime();
  const to = query.range.to.getTime();
  const aligned = (ms: number) => from % ms === 0 && to % ms === 0;
  if (query.interval !== Interval.MINUTE && aligned(3_600_000) && wholeHourOffsets(query.range))
    return "hour";
  if (aligned(60_000)) return "minute";
  return "raw";
}

function rollupCanAnswer(metric: SimpleMetric, query: MetricQuery): boolean {
  return (
    metric.property === null &&
    ROLLUP_AGGREGATIONS.has(metric.aggregation) &&
    rollupPathFor(query) !== "raw"
  );
}

/**
 * True when the zone is a whole number of hours from UTC throughout the range (sampled every 30
 * days and at both ends).
 */
function wholeHourOffsets(range: TimeRange): boolean {
  if (range.timezone === "UTC") return true;
  const step = 30 * 86_400_000;
  for (let t = range.from.getTime(); ; t = Math.min(t + step, range.to.getTime())) {
    if (offsetMinutes(range.timezone, new Date(t)) % 60 !== 0) return false;
    if (t >= range.to.getTime()) return true;
  }
}

/** True when the filter constrains properties (`{}` constrains nothing). */
function hasPropertyFilter(filter: EventFilter | null | undefined): boolean {
  return filter?.properties != null && Object.keys(filter.properties).length > 0;
}

function validateFilter(filter: EventFilter | null | undefined): void {
  if (!filter) return;
  if (filter.customerId && !isUuid(filter.customerId))
    throw badUserInput(
      `filter.customerId '${filter.customerId}' is not a UUID.`,
      "filter.customerId",
    );
  if (filter.campaignId && !isUuid(filter.campaignId))
    throw badUserInput(
      `filter.campaignId '${filter.campaignId}' is not a UUID.`,
      "filter.campaignId",
    );
  if (
    filter.properties != null &&
    (typeof filter.properties !== "object" || Array.isArray(filter.properties))
  ) {
    throw badUserInput(
      "filter.properties must be a JSON object of property values.",
      "filter.properties",
    );
  }
}

async function runQuery(
  dataSource: DataSource,
  organizationId: string,
  query: MetricQuery,
  path: ReadPath,
  metrics: SimpleMetric[],
): Promise<MetricRow[]> {
  const params: unknown[] = [organizationId];
  const p = (value: unknown) => `$${params.push(value)}`;
  const raw = path === "raw";
  const t = raw ? "e" : "r";
  const time = raw ? `e."timestamp"` : "r.bucket";
  const where = [
    `${t}.organization_id = $1`,
    `${time} >= ${p(query.range.from.toISOString())}::timestamptz`,
    `${time} < ${p(query.range.to.toISOString())}::timestamptz`,
  ];
  const filter = query.filter;
  if (filter?.types?.length) where.push(`${t}.type = ANY(${p(filter.types)}::text[])`);
  if (filter?.campaignId)
    where.push(`${t}.campaign_id = ${p(filter.campaignId.toLowerCase())}::uuid`);
  if (filter?.customerId) where.push(`e.customer_id = ${p(filter.customerId.toLowerCase())}::uuid`);
  if (hasPropertyFilter(filter))
    where.push(`e.properties @> ${p(JSON.stringify(filter!.properties))}::jsonb`);
  const cohort = raw ? cohortConditionSql(filter, p) : null;
  if (cohort) where.push(cohort);
  // When every metric is about one type or another, only those types are read.
  if (metrics.every((m) => m.eventType))
    where.push(`${t}.type = ANY(${p([...new Set(metrics.map((m) => m.eventType))])}::text[])`);

  const select: string[] = [];
  const groupBy: string[] = [];
  if (query.interval) {
    select.push(
      `date_trunc(${p(INTERVAL_UNIT[query.interval])}, ${time}, ${p(query.range.timezone)}) AS bucket`,
    );
    // By position: "bucket" alone would mean the rollup's own column.
    groupBy.push(String(select.length));
  }
  if (query.groupBy) {
    let group = groupExpression(query.groupBy, raw, p);
    if (query.keepGroups)
      group = `CASE WHEN ${group} = ANY(${p(query.keepGroups)}::text[]) THEN ${group} ELSE '${OTHER_GROUP}' END`;
    select.push(`${group} AS grp`);
    groupBy.push(String(select.length));
  }
  metrics.forEach((metric, i) =>
    select.push(`(${raw ? rawAggregate(metric, p) : rollupAggregate(metric, p)})::float8 AS m${i}`),
  );
  const table = raw ? "events e" : `${rollupTable(path as "minute" | "hour", query)} r`;
  // The whole-range row of withTotal: the empty grouping set. Buckets and groups are never null
  // otherwise (a bucket of a non-null time, a coalesced group).
  const grouping =
    groupBy.length === 0
      ? ""
      : query.withTotal
        ? ` GROUP BY GROUPING SETS ((${groupBy.join(", ")}), ())`
        : ` GROUP BY ${groupBy.join(", ")}`;
  const sql = `SELECT ${select.join(", ")} FROM ${table} WHERE ${where.join(" AND ")}${grouping}`;
  const rows: Record<string, unknown>[] = raw
    ? await queryWithParallelScans(dataSource, sql, params)
    : await dataSource.query(sql, params);
  return rows.map((row) => ({
    bucket: (row.bucket as Date | undefined) ?? null,
    group: (row.grp as string | undefined) ?? null,
    values: metrics.map(
      (metric, i) =>
        (row[`m${i}`] as number | null) ?? (ZERO_WHEN_EMPTY.has(metric.aggregation) ? 0 : null),
    ),
  }));
}

/**
 * The rollup table a query reads at a grain: hours without a campaign filter or grouping read the
 * per-type hours (`event_type_rollups_hour`, several times fewer rows); the rest the per-campaign
 * rollups.
 */
function rollupTable(grain: "minute" | "hour", query: MetricQuery): string {
  const byCampaign = Boolean(query.filter?.campaignId) || query.groupBy === "campaignId";
  return grain === "hour" && !byCampaign ? "event_type_rollups_hour" : `event_rollups_${grain}`;
}

/**
 * Runs a query over the raw events letting PostgreSQL split the scan over parallel workers, which
 * its default costs would not do for a month of one event type. Only for these large scans; the
 * rollup queries are too small to gain (docs/BENCHMARKS.md has the figures).
 */
async function queryWithParallelScans(
  dataSource: DataSource,
  sql: string,
  params: unknown[],
): Promise<Record<string, unknown>[]> {
  return dataSource.transaction(async (manager) => {
    await manager.query("SET LOCAL parallel_setup_cost = 10");
    await manager.query("SET LOCAL parallel_tuple_cost = 0.001");
    return manager.query(sql, params);
  });
}

function groupExpression(groupBy: string, raw: boolean, p: (value: unknown) => string): string {
  if (groupBy === "type") return raw ? "e.type" : "r.type";
  if (groupBy === "campaignId")
    return raw
      ? `coalesce(e.campaign_id::text, '${NO_GROUP}')`
      : `coalesce(nullif(r.campaign_id, '${NO_CAMPAIGN}'::uuid)::text, '${NO_GROUP}')`;
  return `coalesce(e.properties->>${p(groupBy)}, '${NO_GROUP}')`;
}

function rawAggregate(metric: SimpleMetric, p: (value: unknown) => string): string {
  const source = metric.property
    ? `(CASE WHEN jsonb_typeof(e.properties->${p(metric.property)}) = 'number' THEN (e.properties->>${p(metric.property)})::float8 END)`
    : "e.value";
  const filter = metric.eventType ? ` FILTER (WHERE e.type = ${p(metric.eventType)})` : "";
  const percentile = PERCENTILE[metric.aggregation];
  if (percentile !== undefined)
    return `percentile_cont(${percentile}) WITHIN GROUP (ORDER BY ${source})${filter}`;
  switch (metric.aggregation) {
    case Aggregation.COUNT:
      return `count(*)${filter}`;
    case Aggregation.DISTINCT_CUSTOMERS:
      return `count(DISTINCT e.customer_id)${filter}`;
    case Aggregation.SUM:
      return `sum(${source})${filter}`;
    case Aggregation.AVG:
      return `avg(${source})${filter}`;
    case Aggregation.MIN:
      return `min(${source})${filter}`;
    default:
      return `max(${source})${filter}`;
  }
}

function rollupAggregate(metric: SimpleMetric, p: (value: unknown) => string): string {
  const type = metric.eventType ? p(metric.eventType) : null;
  const filter = type ? ` FILTER (WHERE r.type = ${type})` : "";
  switch (metric.aggregation) {
    case Aggregation.COUNT:
      return `sum(r.count)${filter}`;
    case Aggregation.SUM:
      // Null, like the raw sum, when no event had a value.
      return `sum(r.value_sum) FILTER (WHERE r.value_count > 0${type ? ` AND r.type = ${type}` : ""})`;
    case Aggregation.AVG:
      return `sum(r.value_sum)${filter} / nullif(sum(r.value_count)${filter}, 0)`;
    case Aggregation.MIN:
      return `min(r.value_min)${filter}`;
    default:
      return `max(r.value_max)${filter}`;
  }
}
