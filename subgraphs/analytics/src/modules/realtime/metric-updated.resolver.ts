import { Args, ArgsType, Field, Resolver, Root, Subscription } from "type-graphql";
import { requireViewer } from "#kit/auth/guards";
import { badUserInput } from "#kit/errors";
import { EventQueue } from "#kit/subscriptions/event-queue";
import type { AnalyticsContext } from "../../context";
import { resolveMetrics } from "../metric/metric-catalog";
import { EventFilter } from "../timeseries/event-filter.input";
import { Interval } from "../timeseries/interval";
import { timeRange } from "../timeseries/time-range";
import { MetricPoint } from "../timeseries/timeseries.type";

@ArgsType()
class MetricUpdatedArgs {
  @Field({ description: "A metric name, as in timeseries." })
  metric: string;

  @Field(() => Interval)
  interval: Interval;

  @Field(() => EventFilter, { nullable: true })
  filter?: EventFilter | null;

  @Field({ defaultValue: "UTC", description: "IANA time zone the buckets align to." })
  timezone?: string;
}

@Resolver()
export class MetricUpdatedResolver {
  @Subscription(() => MetricPoint, {
    description:
      "The current bucket of a metric: its value when subscribing, then each new value as events change it (at most a few updates per second however fast events arrive; the last value of every bucket is always delivered), and the first value of each new bucket. A late event that changes the previous bucket sends that bucket again.",
    subscribe: ({ args, context }) =>
      subscribeToMetric(context as AnalyticsContext, args as MetricUpdatedArgs),
  })
  metricUpdated(@Root() point: MetricPoint, @Args() _args: MetricUpdatedArgs): MetricPoint {
    return point;
  }
}

async function subscribeToMetric(
  ctx: AnalyticsContext,
  args: MetricUpdatedArgs,
): Promise<AsyncIterable<MetricPoint>> {
  const viewer = requireViewer(ctx.viewer);
  const timezone = args.timezone ?? "UTC";
  timeRange(new Date(0), new Date(1), timezone); // validates the time zone (BAD_USER_INPUT)
  // Live updates match each stored event alone; a cohort's membership is a query of its own.
  if (args.filter?.cohortId)
    throw badUserInput(
      "filter.cohortId is not supported by metricUpdated: query timeseries with the cohort instead.",
      "filter.cohortId",
    );
  const [spec] = await resolveMetrics(ctx.dataSource, viewer.organizationId, [args.metric]);
  let stop = () => {};
  // Only the newest values matter: a slow subscriber keeps the last 100.
  const queue = new EventQueue<MetricPoint>({ capacity: 100, onClose: () => stop() });
  stop = ctx.realtime.metricWatches.watch(
    {
      organizationId: viewer.organizationId,
      spec,
      interval: args.interval,
      timezone,
      filter: args.filter ?? null,
    },
    (point) => queue.push(point),
  );
  return queue;
}
