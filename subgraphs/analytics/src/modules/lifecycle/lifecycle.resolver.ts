import { Arg, Ctx, Query, Resolver } from "type-graphql";
import { requireViewer } from "#kit/auth/guards";
import type { AnalyticsContext } from "../../context";
import { intervalQuerySpec } from "../actors/people-interval";
import { EventFilter } from "../timeseries/event-filter.input";
import { Interval } from "../timeseries/interval";
import { queryLifecycle } from "./lifecycle-query";
import { LifecyclePoint } from "./lifecycle.type";

@Resolver(() => LifecyclePoint)
export class LifecycleResolver {
  @Query(() => [LifecyclePoint], {
    description:
      "Per interval of the range (`from` rounded down to its interval), the actors with the event: new (their first such event ever is in it), returning (also active in the previous interval), resurrecting (not in the previous one, but some time before), and dormant (active in the previous interval, not in this one). Events before `from` count for first ever, previous and some time before. One SQL statement.",
  })
  async lifecycle(
    @Ctx() ctx: AnalyticsContext,
    @Arg("event", { description: "The event type counted." }) event: string,
    @Arg("from") from: Date,
    @Arg("to") to: Date,
    @Arg("interval", () => Interval, { description: "DAY, WEEK or MONTH; at most 400 intervals." })
    interval: Interval,
    @Arg("timezone", { defaultValue: "UTC" }) timezone: string,
    @Arg("filter", () => EventFilter, {
      nullable: true,
      description: "Only events passing it count, those before `from` too.",
    })
    filter: EventFilter | null,
  ): Promise<LifecyclePoint[]> {
    const viewer = requireViewer(ctx.viewer);
    const spec = intervalQuerySpec({ event, from, to, interval, timezone, filter: filter ?? null });
    const resolved = {
      ...spec,
      filter: await ctx.loaders!.cohorts.resolveFilter(spec.filter, "filter"),
    };
    return queryLifecycle(await ctx.readDataSource(), viewer.organizationId, resolved);
  }
}
