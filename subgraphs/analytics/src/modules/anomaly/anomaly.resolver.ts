import { Arg, Ctx, Float, Query, Resolver } from "type-graphql";
import { requireViewer } from "#kit/auth/guards";
import { badUserInput } from "#kit/errors";
import type { AnalyticsContext } from "../../context";
import { resolveMetrics } from "../metric/metric-catalog";
import { EventFilter } from "../timeseries/event-filter.input";
import { Interval } from "../timeseries/interval";
import { queryMetrics } from "../timeseries/metric-query";
import { assertBucketCount, timeRange } from "../timeseries/time-range";
import { anomalySeries } from "./anomaly-series";
import { AnomalyPoint } from "./anomaly-point.type";

@Resolver()
export class AnomalyResolver {
  @Query(() => [AnomalyPoint], {
    description:
      "The metric's buckets over [from, to) with the expected value, band and anomaly score of each, from the buckets before it only (the same answer live or replayed). COUNT and SUM metrics have every bucket (empty ones as 0); the others only buckets with events.",
  })
  async anomalies(
    @Ctx() ctx: AnalyticsContext,
    @Arg("metric") metric: string,
    @Arg("from") from: Date,
    @Arg("to") to: Date,
    @Arg("interval", () => Interval) interval: Interval,
    @Arg("timezone", { defaultValue: "UTC" }) timezone: string,
    @Arg("filter", () => EventFilter, { nullable: true }) filter: EventFilter | null,
    @Arg("sensitivity", () => Float, {
      defaultValue: 0.5,
      description: "0 to 1: higher narrows the band, so more buckets are anomalies.",
    })
    sensitivity: number,
  ): Promise<AnomalyPoint[]> {
    const viewer = requireViewer(ctx.viewer);
    const range = timeRange(from, to, timezone);
    assertBucketCount(range, interval);
    if (!Number.isFinite(sensitivity) || sensitivity < 0 || sensitivity > 1)
      throw badUserInput("sensitivity must be between 0 and 1.", "sensitivity");
    // The metric's definition from the primary (it may have just been defined); its values from
    // the read replica when it has the organization's writes (ctx.readDataSource), chosen per
    // query after the result cache took its version.
    const [spec] = await resolveMetrics(ctx.dataSource, viewer.organizationId, [metric]);
    const resolved = await ctx.loaders!.cohorts.resolveFilter(filter, "filter");
    return anomalySeries(
      await ctx.readDataSource(),
      viewer.organizationId,
      { spec, range, interval, filter: resolved, sensitivity },
      (query) =>
        ctx.realtime.queryCache.rows(viewer.organizationId, query, async () =>
          queryMetrics(await ctx.readDataSource(), viewer.organizationId, query),
        ),
    );
  }
}
