import { Arg, Ctx, Query, Resolver } from "type-graphql";
import { requireViewer } from "../../../../shared/src/auth/guards";
import { badUserInput } from "../../../../shared/src/errors";
import type { AnalyticsContext } from "../../context";
import { resolveMetrics } from "../metric/metric-catalog";
import { BUILT_IN_METRICS } from "../metric/metric-spec";
import { EventFilter } from "./event-filter.input";
import { Interval, INTERVAL_UNIT } from "./interval";
import { queryMetrics, type MetricQuery } from "./metric-query";
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
  @Query(() => Timeseries, { description: "A metric per bucket over [from, to), buckets aligned in the time zone." })
  async timeseries(
    @Ctx() ctx: AnalyticsContext,
    @Arg("metric") metric: string,
    @Arg("from") from: Date,
    @Arg("to") to: Date,
    @Arg("interval", () => Interval) interval: Interval,
    @Arg("timezone", { defaultValue: "UTC" }) timezone: string,
    @Arg("filter", () => EventFilter, { nullable: true }) filter: EventFilter | null,
    @Arg("groupBy", () => String, { nullable: true, description: "type, campaignId, or a property name: the top 10 groups, the rest as 'other'." }) groupBy: string | null,
    @Arg("fill", { defaultValue: true, description: "Return every bucket of the range, empty ones as 0." }) fill: boolean,
    @Arg("compare", { defaultValue: false, description: "Also compute previousTotal, over the previous period of the same length." }) compare: boolean,
  ): Promise<Timeseries> {
    const viewer = requireViewer(ctx.viewer);
    const range = timeRange(from, to, timezone);
    assertBucketCount(range, interval);
    assertGroupBy(groupBy);
    const [spec] = await resolveMetrics(ctx.dataSource, viewer.organizationId, [metric]);
    const base: MetricQuery = { specs: [spec], range, interval: null, filter, groupBy: null };
    const keepGroups = groupBy ? await topGroups(ctx, viewer.organizationId, { ...base, groupBy }, TIMESERIES_TOP_GROUPS) : undefined;
    const [rows, [total], previous] = await Promise.all([
      queryMetrics(ctx.dataSource, viewer.organizationId, { ...base, interval, groupBy, keepGroups }),
      queryMetrics(ctx.dataSource, viewer.organizationId, base),
      compare ? queryMetrics(ctx.dataSource, viewer.organizationId, { ...base, range: previousPeriod(range) }) : Promise.resolve(null),
    ]);
    const points: MetricPoint[] = rows.map((row) => ({ metric, bucket: row.bucket!, group: row.group, value: row.values[0] ?? 0 }));
    if (fill) {
      const seen = new Set(points.map((point) => `${point.bucket.toISOString()}|${point.group}`));
      const groups = groupBy ? [...new Set([...(keepGroups ?? []), ...points.map((point) => point.group!)])] : [null];
      for (const bucket of await bucketStarts(ctx, range, interval)) {
        for (const group of groups) {
          if (!seen.has(`${bucket.toISOString()}|${group}`)) points.push({ metric, bucket, group, value: 0 });
        }
      }
    }
    points.sort((a, b) => a.bucket.getTime() - b.bucket.getTime() || String(a.group).localeCompare(String(b.group)));
    return { metric, interval, timezone, points, total: total.values[0] ?? 0, previousTotal: previous ? previous[0].values[0] ?? 0 : null };
  }

  @Query(() => [AggregateRow], { description: "Metrics over the whole of [from, to), for tables; with groupBy, the top 100 groups by the first metric and 'other'." })
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
    const base: MetricQuery = { specs, range, interval: null, filter, groupBy };
    const keepGroups = groupBy ? await topGroups(ctx, viewer.organizationId, base, AGGREGATE_TOP_GROUPS) : undefined;
    const rows = await queryMetrics(ctx.dataSource, viewer.organizationId, { ...base, keepGroups });
    rows.sort((a, b) => (b.values[0] ?? -Infinity) - (a.values[0] ?? -Infinity) || String(a.group).localeCompare(String(b.group)));
    return rows.map((row) => ({ group: row.group, values: metrics.map((metric, i) => ({ metric, value: row.values[i] })) }));
  }

  @Query(() => AnalyticsSummary, { description: "Headline KPIs over [from, to), each with the previous period of the same length and the relative change." })
  async summary(@Ctx() ctx: AnalyticsContext, @Arg("from") from: Date, @Arg("to") to: Date): Promise<AnalyticsSummary> {
    const viewer = requireViewer(ctx.viewer);
    const range = timeRange(from, to);
    const names = ["revenue", "orders", "unique_customers", "new_customers", "average_order_value", "conversion_rate"];
    const specs = names.map((name) => BUILT_IN_METRICS.find(({ spec }) => spec.name === name)!.spec);
    const [[current], [previous]] = await Promise.all([
      queryMetrics(ctx.dataSource, viewer.organizationId, { specs, range, interval: null }),
      queryMetrics(ctx.dataSource, viewer.organizationId, { specs, range: previousPeriod(range), interval: null }),
    ]);
    const kpi = (i: number): Kpi => {
      const value = current.values[i] ?? 0;
      const before = previous.values[i] ?? 0;
      return { value, previous: before, change: before === 0 ? null : (value - before) / before };
    };
    return { revenue: kpi(0), orders: kpi(1), activeCustomers: kpi(2), newCustomers: kpi(3), averageOrderValue: kpi(4), conversionRate: kpi(5) };
  }
}

function assertGroupBy(groupBy: string | null): void {
  if (groupBy !== null && !GROUP_BY.test(groupBy)) throw badUserInput("groupBy is 'type', 'campaignId' or a property name (letters, digits, '_', '.', '-').", "groupBy");
}

/** The `limit` groups with the largest value of the first metric over the whole range. */
async function topGroups(ctx: AnalyticsContext, organizationId: string, query: MetricQuery, limit: number): Promise<string[]> {
  const rows = await queryMetrics(ctx.dataSource, organizationId, { ...query, interval: null, keepGroups: undefined });
  return rows
    .sort((a, b) => (b.values[0] ?? -Infinity) - (a.values[0] ?? -Infinity) || String(a.group).localeCompare(String(b.group)))
    .slice(0, limit)
    .map((row) => row.group!);
}

/** Every bucket start of the range, aligned in its time zone (PostgreSQL does the calendar). */
async function bucketStarts(ctx: AnalyticsContext, range: { from: Date; to: Date; timezone: string }, interval: Interval): Promise<Date[]> {
  const unit = INTERVAL_UNIT[interval];
  const rows: { bucket: Date }[] = await ctx.dataSource.query(
    `SELECT generate_series(date_trunc($1, $2::timestamptz, $4), $3::timestamptz - interval '1 microsecond', ('1 ' || $1)::interval, $4) AS bucket`,
    [unit, range.from.toISOString(), range.to.toISOString(), range.timezone],
  );
  return rows.map((row) => row.bucket);
}
