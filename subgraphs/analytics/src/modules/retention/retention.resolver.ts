import { Arg, Ctx, FieldResolver, Int, Query, Resolver, Root } from "type-graphql";
import { requireViewer } from "#kit/auth/guards";
import type { Page } from "#kit/pagination/connection";
import { encodeCursor, pageSize } from "#kit/pagination/cursor";
import type { AnalyticsContext } from "../../context";
import { afterCustomerId } from "../actors/customer-page";
import { CustomerConnection, type Customer } from "../customer-stats/customer.type";
import { EventFilter } from "../timeseries/event-filter.input";
import { Interval } from "../timeseries/interval";
import { createRetentionMembersLoader, RetentionMembers } from "./retention-members";
import { queryRetention } from "./retention-query";
import { retentionSpec } from "./retention-spec";
import { RetentionType } from "./retention-type";
import { Retention, RetentionCohort } from "./retention.type";

@Resolver(() => Retention)
export class RetentionResolver {
  @Query(() => Retention, {
    description:
      "A cohort table: the actors who did startEvent in each interval of [from, to), and how many did returnEvent in each of the `periods` intervals after. Intervals align in the time zone (weeks from Monday 00:00 local). One SQL statement; the cohorts' customers one more per page request.",
  })
  async retention(
    @Ctx() ctx: AnalyticsContext,
    @Arg("startEvent", { description: "The event type that puts an actor in a cohort." })
    startEvent: string,
    @Arg("returnEvent", () => String, {
      nullable: true,
      description: "The event type that counts as coming back. @default startEvent",
    })
    returnEvent: string | null,
    @Arg("interval", () => Interval, { description: "DAY, WEEK or MONTH." }) interval: Interval,
    @Arg("periods", () => Int, {
      defaultValue: 8,
      description: "1 to 100 periods after each cohort.",
    })
    periods: number,
    @Arg("from") from: Date,
    @Arg("to") to: Date,
    @Arg("timezone", { defaultValue: "UTC" }) timezone: string,
    @Arg("type", () => RetentionType, { defaultValue: RetentionType.FIRST_TIME })
    type: RetentionType,
    @Arg("filter", () => EventFilter, {
      nullable: true,
      description: "Only events passing it count, start and return events alike.",
    })
    filter: EventFilter | null,
  ): Promise<Retention> {
    const viewer = requireViewer(ctx.viewer);
    const validated = retentionSpec({
      startEvent,
      returnEvent: returnEvent ?? null,
      interval,
      periods,
      from,
      to,
      timezone,
      type,
      filter: filter ?? null,
    });
    const spec = {
      ...validated,
      filter: await ctx.loaders!.cohorts.resolveFilter(validated.filter, "filter"),
    };
    const rows = await queryRetention(await ctx.readDataSource(), viewer.organizationId, spec);
    const loader = createRetentionMembersLoader(ctx.readDataSource, viewer.organizationId, spec);
    return {
      interval,
      timezone,
      cohorts: rows.map((row): RetentionCohort => {
        const values = [row.size, ...row.returned];
        return {
          start: row.start,
          size: row.size,
          values,
          rates: values.map((value) => (row.size === 0 ? 0 : value / row.size)),
          index: row.cohort,
          members: new RetentionMembers(loader, row.cohort, row.identified),
        };
      }),
    };
  }
}

@Resolver(() => RetentionCohort)
export class RetentionCohortResolver {
  @FieldResolver(() => CustomerConnection, {
    description:
      "The cohort's members that are customers, by id, resolved by the customers subgraph (anonymous visitors count in size but are not listed). The pages of every cohort asked for in one request take one SQL statement.",
  })
  async customers(
    @Root() cohort: RetentionCohort,
    @Arg("first", () => Int, { nullable: true, description: "1 to 100. @default 20" })
    first: number | null,
    @Arg("after", () => String, { nullable: true }) after: string | null,
  ): Promise<Page<Customer>> {
    const size = pageSize(first);
    const ids = await cohort.members.page(size, afterCustomerId(after));
    const edges = ids.slice(0, size).map((id) => ({ cursor: encodeCursor([id]), node: { id } }));
    return {
      edges,
      pageInfo: { hasNextPage: ids.length > size, endCursor: edges.at(-1)?.cursor ?? null },
      totalCount: cohort.members.identified,
    };
  }
}
