import { Arg, Ctx, FieldResolver, Int, Query, Resolver, Root } from "type-graphql";
import { requireViewer } from "#kit/auth/guards";
import type { Page } from "#kit/pagination/connection";
import { pageSize } from "#kit/pagination/cursor";
import type { AnalyticsContext } from "../../context";
import { customerPage } from "../actors/customer-page";
import { CustomerConnection, type Customer } from "../customer-stats/customer.type";
import { EventFilter } from "../timeseries/event-filter.input";
import { FunnelExclusionInput, FunnelOrder, FunnelStepInput } from "./funnel.input";
import { queryFunnelOutcomes } from "./funnel-query";
import { funnelResult } from "./funnel-result";
import { DEFAULT_CONVERSION_WINDOW_SECONDS, funnelSpec } from "./funnel-spec";
import { Funnel, FunnelStep } from "./funnel.type";

@Resolver(() => Funnel)
export class FunnelResolver {
  @Query(() => Funnel, {
    description:
      "How many actors (customers and anonymous visitors) did the steps within the conversion window, over the events in [from, to): per step counts, conversion rates and times to convert, optionally broken down by a property of each counted attempt's first event. One SQL statement, including every step's customers.",
  })
  async funnel(
    @Ctx() ctx: AnalyticsContext,
    @Arg("steps", () => [FunnelStepInput], { description: "2 to 10 steps." })
    steps: FunnelStepInput[],
    @Arg("from") from: Date,
    @Arg("to") to: Date,
    @Arg("conversionWindowSeconds", () => Int, {
      defaultValue: DEFAULT_CONVERSION_WINDOW_SECONDS,
      description:
        "From an attempt's first step to its last: 1 second to 366 days. @default 14 days",
    })
    conversionWindowSeconds: number,
    @Arg("order", () => FunnelOrder, { defaultValue: FunnelOrder.ORDERED }) order: FunnelOrder,
    @Arg("exclusions", () => [FunnelExclusionInput], { nullable: true })
    exclusions: FunnelExclusionInput[] | null,
    @Arg("breakdown", () => String, {
      nullable: true,
      description: "A property of the first event of each counted attempt.",
    })
    breakdown: string | null,
    @Arg("filter", () => EventFilter, {
      nullable: true,
      description: "Only events passing it count, for every step and exclusion.",
    })
    filter: EventFilter | null,
  ): Promise<Funnel> {
    const viewer = requireViewer(ctx.viewer);
    const validated = funnelSpec({
      steps,
      from,
      to,
      conversionWindowSeconds,
      order,
      exclusions: exclusions ?? null,
      breakdown: breakdown ?? null,
      filter: filter ?? null,
    });
    const resolve = ctx.loaders!.cohorts.resolveFilter;
    const spec = {
      ...validated,
      steps: await Promise.all(
        validated.steps.map(async (step, i) => ({
          ...step,
          filter: await resolve(step.filter, `steps.${i}.filter`),
        })),
      ),
      exclusions: await Promise.all(
        validated.exclusions.map(async (exclusion, i) => ({
          ...exclusion,
          filter: await resolve(exclusion.filter, `exclusions.${i}.filter`),
        })),
      ),
      filter: await resolve(validated.filter, "filter"),
    };
    const outcomes = await queryFunnelOutcomes(
      await ctx.readDataSource(),
      viewer.organizationId,
      spec,
    );
    return funnelResult(spec, outcomes);
  }
}

@Resolver(() => FunnelStep)
export class FunnelStepResolver {
  @FieldResolver(() => CustomerConnection, {
    description:
      "The customers whose counted attempt reached this step (dropped: reached it and not the next), by id, resolved by the customers subgraph. Anonymous visitors count in `count` but are not listed. Computed with the funnel: no further query.",
  })
  customers(
    @Root() step: FunnelStep,
    @Arg("first", () => Int, { nullable: true, description: "1 to 100. @default 20" })
    first: number | null,
    @Arg("after", () => String, { nullable: true }) after: string | null,
    @Arg("dropped", { defaultValue: false }) dropped: boolean,
  ): Page<Customer> {
    return customerPage(step.members.customerIds(dropped), pageSize(first), after);
  }
}
