import { Arg, Ctx, Query, Resolver } from "type-graphql";
import { requireViewer } from "#kit/auth/guards";
import type { AnalyticsContext } from "../../context";
import { intervalQuerySpec } from "../actors/people-interval";
import { EventFilter } from "../timeseries/event-filter.input";
import { Interval } from "../timeseries/interval";
import { queryStickiness } from "./stickiness-query";
import { StickinessBucket } from "./stickiness.type";

@Resolver(() => StickinessBucket)
export class StickinessResolver {
  @Query(() => [StickinessBucket], {
    description:
      "For n = 1..N (N = the intervals of the range, `from` rounded down to its interval): the actors with the event in exactly n distinct intervals. Intervals align in the time zone. One SQL statement.",
  })
  async stickiness(
    @Ctx() ctx: AnalyticsContext,
    @Arg("event", { description: "The event type counted." }) event: string,
    @Arg("from") from: Date,
    @Arg("to") to: Date,
    @Arg("interval", () => Interval, {
      defaultValue: Interval.DAY,
      description: "DAY, WEEK or MONTH; at most 400 intervals.",
    })
    interval: Interval,
    @Arg("timezone", { defaultValue: "UTC" }) timezone: string,
    @Arg("filter", () => EventFilter, {
      nullable: true,
      description: "Only events passing it count.",
    })
    filter: EventFilter | null,
  ): Promise<StickinessBucket[]> {
    const viewer = requireViewer(ctx.viewer);
    const spec = intervalQuerySpec({ event, from, to, interval, timezone, filter: filter ?? null });
    const resolved = {
      ...spec,
      filter: await ctx.loaders!.cohorts.resolveFilter(spec.filter, "filter"),
    };
    return queryStickiness(await ctx.readDataSource(), viewer.organizationId, resolved);
  }
}
