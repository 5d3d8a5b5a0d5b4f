import { Arg, Ctx, Query, Resolver } from "type-graphql";
import { requireViewer } from "#kit/auth/guards";
import { badUserInput } from "#kit/errors";
import type { AnalyticsContext } from "../../context";
import { resolveMetrics } from "../metric/metric-catalog";
import { BUILT_IN_METRICS } from "../metric/metric-spec";
import { EventFilter } from "./event-filter.input";
import { Interval, INTERVAL_UNIT } from "./interval";
import { Aggregation } from "../metric/aggregation";
import type { MetricSpec } from "../metric/metric-spec";
import {
  OTHER_GROUP,
  queryMetrics,
  totalFitsScan,
  type MetricQuery,
  type MetricRow,
} from "./metric-query";
import { AnalyticsSummary, type Kpi } from "./summary.type";
import { AggregateRow, Timeseries, type MetricPoint } from "./timeseries.type";
import { assertBucketCount, previousPeriod, timeRange } from "./time-range";

/** Groups shown by name in a timeseries; the rest are folded into `other`. */
export const TIMESERIES_TOP_GROUPS = 10;
/** Groups shown by name in an aggregate table. */
export const AGGREGATE_TOP_GROUPS = 100;
const GROUP_BY = /^[A-Za-z0-9_.-]{1,64}$/;

@Resolver()
export class TimeseriesResolver {
  @Query(() => Timeseries, {
    description: "A metric per bucket over [from, to), buckets aligned in the time zone.",
  })
  async timeseries(
    @Ctx() ctx: AnalyticsContext,
    @Arg("metric") metric: string,
    @Arg("from") from: Date,
    @Arg("to") to: Date,
    @Arg("interval", () => Interval) interval: Interval,
    @Arg("timezone", { defaultValue: "UTC" }) timezone: string,
    @Arg("filter", () => EventFilter, { nullable: true }) filter: EventFilter | null,
    @Arg("groupBy", () => String, {
      nullable: true,
      description: "type, campaignId, or a property name: the top 10 groups, the rest as 'other'.",
    })
    groupBy: string | null,
    @Arg("fill", {
      defaultValue: true,
      description: "Return every bucket of the range, empty ones as 0.",
    })
    fill: boolean,
    @Arg("compare", {
      defaultValue: false,
      description: "Also compute previousTotal, over the previous period of the same length.",
    })
    compare: boolean,
  ): Promise<Timeseries> {
    const viewer = requireViewer(ctx.viewer);
    const range = timeRange(from, to, timezone);
    assertBucketCount(range, interval);
    assertGroupBy(groupBy);
    const [spec] = await resolveMetrics(ctx.dataSource, viewer.organizationId, [metric]);
    const base: MetricQuery = {
      specs: [spec],
      range,
      interval: null,
      filter: await ctx.loaders!.cohorts.resolveFilter(filter, "filter"),
      groupBy: null,
    };
    const fold = groupBy ? foldOf(spec) : null;
    const current = async (): Promise<{
      rows: MetricRow[];
      keepGroups?: string[];
      total: MetricRow;
    }> => {
      if (groupBy && fold) {
        // One scan by bucket and group; the top groups and `other` are folded here.
        const all = await cachedMetrics(ctx, viewer.organizationId, {
          ...base,
          interval,
          groupBy,
          withTotal: true,
        });
        return {
          ...foldGroups(
            all.filter((row) => row.bucket !== null),
            fold,
            TIMESERIES_TOP_GROUPS,
          ),
          total: all.find((row) => row.bucket === null && row.group === null)!,
        };
      }
      const keepGroups = groupBy
        ? await topGroups(ctx, viewer.organizationId, { ...base, groupBy }, TIMESERIES_TOP_GROUPS)
        : undefined;
      const query: MetricQuery = { ...base, interval, groupBy, keepGroups };
      if (totalFitsScan(query)) {
        // The buckets and the total in one scan.
        const all = await cachedMetrics(ctx, viewer.organizationId, { ...query, withTotal: true });
        return {
          rows: all.filter((row) => row.bucket !== null),
          keepGroups,
          total: all.find((row) => row.bucket === null && row.group === null)!,
        };
      }
      const [rows, [total]] = await Promise.all([
        cachedMetrics(ctx, viewer.organizationId, query),
        cachedMetrics(ctx, viewer.organizationId, base),
      ]);
      return { rows, keepGroups, total };
    };
    const [{ rows, keepGroups, total }, previous] = await Promise.all([
      current(),
      compare
        ? cachedMetrics(ctx, viewer.organizationId, { ...base, range: previousPeriod(range) })
        : Promise.resolve(null),
    ]);
    const points: MetricPoint[] = rows.map((row) => ({
      metric,
      bucket: row.bucket!,
      group: row.group,
      value: row.values[0] ?? 0,
    }));
    if (fill) {
      const seen = new Set(points.map((point) => `${point.bucket.toISOString()}|${point.group}`));
      const groups = groupBy
        ? [...new Set([...(keepGroups ?? []), ...points.map((point) => point.group!)])]
        : [null];
      for (const bucket of bucketStartsUtc(range, interval) ??
        (await bucketStarts(ctx, range, interval))) {
        for (const group of groups) {
          if (!seen.has(`${bucket.toISOString()}|${group}`))
            points.push({ metric, bucket, group, value: 0 });
        }
      }
    }
    points.sort(
      (a, b) =>
        a.bucket.getTime() - b.bucket.getTime() || String(a.group).localeCompare(String(b.group)),
    );
    return {
      metric,
      interval,
      timezone,
      points,
      total: total.values[0] ?? 0,
      previousTotal: previous ? (previous[0].values[0] ?? 0) : null,
    };
  }

  @Query(() => [AggregateRow], {
    description:
      "Metrics over the whole of [from, to), for tables; with groupBy, the top 100 groups by the first metric and 'other'.",
  })
  async aggregate(
    @Ctx() ctx: AnalyticsContext,
    @Arg("metrics", () => [String]) metrics: string[],
    @Arg("from") from: Date,
    @Arg("to") to: Date,
    @Arg("filter", () => EventFilter, { nullable: true }) filter: EventFilter | null,
    @Arg("groupBy", () => String, { nullable: true }) groupBy: string | null,
  ): Promise<AggregateRow[]> {
    const viewer = requireViewer(ctx.viewer);
    const range = timeRange(from, to);
    assertGroupBy(groupBy);
    if (metrics.length > 20) throw badUserInput("aggregate takes at most 20 metrics.", "metrics");
    const specs = await resolveMetrics(ctx.dataSource, viewer.organizationId, metrics, "metrics");
    const base: MetricQuery = {
      specs,
      range,
      interval: null,
      filter: await ctx.loaders!.cohorts.resolveFilter(filter, "filter"),
      groupBy,
    };
    const keepGroups = groupBy
      ? await topGroups(ctx, viewer.organizationId, base, AGGREGATE_TOP_GROUPS)
      : undefined;
    const rows = await cachedMetrics(ctx, viewer.organizationId, { ...base, keepGroups });
    rows.sort(
      (a, b) =>
        (b.values[0] ?? -Infinity) - (a.values[0] ?? -Infinity) ||
        String(a.group).localeCompare(String(b.group)),
    );
    return rows.map((row) => ({
      group: row.group,
      values: metrics.map((metric, i) => ({ metric, value: row.values[i] })),
    }));
  }

  @Query(() => AnalyticsSummary, {
    description:
      "Headline KPIs over [from, to), each with the previous period of the same length and the relative change.",
  })
  async summary(
    @Ctx() ctx: AnalyticsContext,
    @Arg("from") from: Date,
    @Arg("to") to: Date,
    @Arg("filter", () => EventFilter, {
      nullable: true,
      description: "Only events passing it count, in both periods.",
    })
    filter: EventFilter | null,
  ): Promise<AnalyticsSummary> {
    const viewer = requireViewer(ctx.viewer);
    const range = timeRange(from, to);
    const resolved = await ctx.loaders!.cohorts.resolveFilter(filter, "filter");
    const names = [
      "revenue",
      "orders",
      "unique_customers",
      "new_customers",
      "average_order_value",
      "conversion_rate",
    ];
    const specs = names.map(
      (name) => BUILT_IN_METRICS.find(({ spec }) => spec.name === name)!.spec,
    );
    const [[current], [previous]] = await Promise.all([
      cachedMetrics(ctx, viewer.organizationId, { specs, range, interval: null, filter: resolved }),
      cachedMetrics(ctx, viewer.organizationId, {
        specs,
        range: previousPeriod(range),
        interval: null,
        filter: resolved,
      }),
    ]);
    const kpi = (i: number): Kpi => {
      const value = current.values[i] ?? 0;
      const before = previous.values[i] ?? 0;
      return { value, previous: before, change: before === 0 ? null : (value - before) / before };
    };
    return {
      revenue: kpi(0),
      orders: kpi(1),
      activeCustomers: kpi(2),
      newCustomers: kpi(3),
      averageOrderValue: kpi(4),
      conversionRate: kpi(5),
    };
  }
}

function assertGroupBy(groupBy: string | null): void {
  if (groupBy !== null && !GROUP_BY.test(groupBy))
    throw badUserInput(
      "groupBy is 'type', 'campaignId' or a property name (letters, digits, '_', '.', '-').",
      "groupBy",
    );
}

/** The `limit` groups with the largest value of the first metric over the whole range. */
async function topGroups(
  ctx: AnalyticsContext,
  organizationId: string,
  query: MetricQuery,
  limit: number,
): Promise<string[]> {
  const rows = await cachedMetrics(ctx, organizationId, {
    ...query,
    interval: null,
    keepGroups: undefined,
  });
  return rows
    .sort(
      (a, b) =>
        (b.values[0] ?? -Infinity) - (a.values[0] ?? -Infinity) ||
        String(a.group).localeCompare(String(b.group)),
    )
    .slice(0, limit)
    .map((row) => row.group!);
}

/** Every bucket start of the range, aligned in its time zone (PostgreSQL does the calendar). */
async function bucketStarts(
  ctx: AnalyticsContext,
  range: { from: Date; to: Date; timezone: string },
  interval: Interval,
): Promise<Date[]> {
  const unit = INTERVAL_UNIT[interval];
  const rows: { bucket: Date }[] = await (
    await ctx.readDataSource()
  ).query(
    `SELECT generate_series(date_trunc($1, $2::timestamptz, $4), $3::timestamptz - interval '1 microsecond', ('1 ' || $1)::interval, $4) AS bucket`,
    [unit, range.from.toISOString(), range.to.toISOString(), range.timezone],
  );
  return rows.map((row) => row.bucket);
}

type Fold = (a: number, b: number) => number;

/**
 * How values of one metric over parts combine into the value over their union, when they do
 * (counts, sums, minima, maxima).
 */
function foldOf(spec: MetricSpec): Fold | null {
  if (spec.kind !== "simple") return null;
  switch (spec.aggregation) {
    case Aggregation.COUNT:
    case Aggregation.SUM:
      return (a, b) => a + b;
    case Aggregation.MIN:
      return Math.min;
    case Aggregation.MAX:
      return Math.max;
    default:
      return null;
  }
}

/**
 * The `limit` groups with the largest value over the whole range (as {@link topGroups} ranks
 * them), and the rows with every other group folded into `other` per bucket.
 */
function foldGroups(
  rows: MetricRow[],
  fold: Fold,
  limit: number,
): { rows: MetricRow[]; keepGroups: string[] } {
  const combine = (a: number | null, b: number | null) =>
    a === null ? b : b === null ? a : fold(a, b);
  const totals = new Map<string, number | null>();
  for (const row of rows)
    totals.set(
      row.group!,
      combine(totals.has(row.group!) ? totals.get(row.group!)! : null, row.values[0]),
    );
  const keepGroups = [...totals.entries()]
    .sort(([ga, a], [gb, b]) => (b ?? -Infinity) - (a ?? -Infinity) || ga.localeCompare(gb))
    .slice(0, limit)
    .map(([group]) => group);
  const keep = new Set(keepGroups);
  const out: MetricRow[] = [];
  const other = new Map<number, MetricRow>();
  for (const row of rows) {
    if (keep.has(row.group!)) {
      out.push(row);
      continue;
    }
    const at = row.bucket!.getTime();
    const folded = other.get(at);
    if (folded) folded.values = [combine(folded.values[0], row.values[0])];
    else other.set(at, { bucket: row.bucket, group: OTHER_GROUP, values: [row.values[0]] });
  }
  return { rows: [...out, ...other.values()], keepGroups };
}

const FIXED_MS: Partial<Record<Interval, number>> = {
  [Interval.MINUTE]: 60_000,
  [Interval.HOUR]: 3_600_000,
  [Interval.DAY]: 86_400_000,
  [Interval.WEEK]: 7 * 86_400_000,
};

/**
 * The bucket starts of a UTC range, as {@link bucketStarts} computes them in PostgreSQL
 * (`date_trunc` in UTC, weeks from Monday, calendar months), without the round trip; null for
 * other time zones.
 */
export function bucketStartsUtc(
  range: { from: Date; to: Date; timezone: string },
  interval: Interval,
): Date[] | null {
  if (range.timezone !== "UTC") return null;
  const from = range.from.getTime();
  const to = range.to.getTime();
  const starts: Date[] = [];
  const step = FIXED_MS[interval];
  if (step !== undefined) {
    // 1970-01-05 was a Monday.
    const origin = interval === Interval.WEEK ? 4 * 86_400_000 : 0;
    for (let t = Math.floor((from - origin) / step) * step + origin; t < to; t += step)
      starts.push(new Date(t));
    return starts;
  }
  const first = new Date(from);
  for (
    let month = first.getUTCMonth(), t = Date.UTC(first.getUTCFullYear(), month, 1);
    t < to;
    t = Date.UTC(first.getUTCFullYear(), ++month, 1)
  )
    starts.push(new Date(t));
  return starts;
}

/**
 * queryMetrics through the organization's result cache (see MetricQueryCache), on the read
 * replica when it has the organization's writes (ctx.readDataSource), chosen once the cache has
 * missed.
 */
function cachedMetrics(
  ctx: AnalyticsContext,
  organizationId: string,
  query: MetricQuery,
): Promise<MetricRow[]> {
  return ctx.realtime.queryCache.rows(organizationId, query, async () =>
    queryMetrics(await ctx.readDataSource(), organizationId, query),
  );
}
