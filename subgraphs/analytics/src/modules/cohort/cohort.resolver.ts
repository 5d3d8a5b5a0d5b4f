import { Arg, Ctx, FieldResolver, ID, Int, Mutation, Query, Resolver, Root } from "type-graphql";
import { requireUser, requireViewer } from "#kit/auth/guards";
import { Role } from "#kit/auth/role";
import type { Page } from "#kit/pagination/connection";
import { pageSize } from "#kit/pagination/cursor";
import type { AnalyticsContext } from "../../context";
import { customerPage } from "../actors/customer-page";
import { Customer, CustomerConnection } from "../customer-stats/customer.type";
import { CohortInput } from "./cohort.input";
import { validateCohortInput, type CohortDefinition } from "./cohort-rules";
import { deleteCohort, insertCohort, listCohorts, loadCohort } from "./cohort-store";
import { Cohort, CohortRule, toCohortRule } from "./cohort.type";

@Resolver(() => Cohort)
export class CohortResolver {
  @Mutation(() => Cohort, {
    description:
      "Defines a cohort (ANALYST or ADMIN). Its members are computed whenever it is read.",
  })
  async createCohort(
    @Ctx() ctx: AnalyticsContext,
    @Arg("input", () => CohortInput) input: CohortInput,
  ): Promise<CohortDefinition> {
    const user = requireUser(ctx.viewer, Role.ANALYST);
    const cohort = validateCohortInput(input);
    const created = await insertCohort(ctx.dataSource, user.organizationId, user.userId, cohort);
    await ctx.realtime.publishCohortsChanged(user.organizationId);
    return created;
  }

  @Mutation(() => Boolean, {
    description:
      "Deletes a cohort (ANALYST or ADMIN); false when the organization has no cohort with this id.",
  })
  async deleteCohort(
    @Ctx() ctx: AnalyticsContext,
    @Arg("id", () => ID) id: string,
  ): Promise<boolean> {
    const user = requireUser(ctx.viewer, Role.ANALYST);
    const deleted = await deleteCohort(ctx.dataSource, user.organizationId, id);
    if (deleted) await ctx.realtime.publishCohortsChanged(user.organizationId);
    return deleted;
  }

  @Query(() => [Cohort], { description: "The organization's cohorts, newest first." })
  async cohorts(@Ctx() ctx: AnalyticsContext): Promise<CohortDefinition[]> {
    const viewer = requireViewer(ctx.viewer);
    return listCohorts(ctx.dataSource, viewer.organizationId);
  }

  @Query(() => Cohort, {
    nullable: true,
    description: "One of the organization's cohorts; null when it has none with this id.",
  })
  async cohort(
    @Ctx() ctx: AnalyticsContext,
    @Arg("id", () => ID) id: string,
  ): Promise<CohortDefinition | null> {
    const viewer = requireViewer(ctx.viewer);
    return loadCohort(ctx.dataSource, viewer.organizationId, id);
  }

  @FieldResolver(() => [CohortRule])
  rules(@Root() cohort: CohortDefinition): CohortRule[] {
    return cohort.rules.map(toCohortRule);
  }

  @FieldResolver(() => Int, {
    description:
      "Its members now; computed with `members` in one SQL statement for all the request's cohorts.",
  })
  async size(@Root() cohort: CohortDefinition, @Ctx() ctx: AnalyticsContext): Promise<number> {
    return (await ctx.loaders!.cohorts.members.load(cohort)).length;
  }

  @FieldResolver(() => CustomerConnection, {
    description:
      "Its members now, by customer id, resolved by the customers subgraph: all pages of the request's cohorts come from one SQL statement.",
  })
  async members(
    @Root() cohort: CohortDefinition,
    @Ctx() ctx: AnalyticsContext,
    @Arg("first", () => Int, { nullable: true, description: "1 to 100. @default 20" })
    first: number | null,
    @Arg("after", () => String, { nullable: true }) after: string | null,
  ): Promise<Page<Customer>> {
    const size = pageSize(first);
    return customerPage(await ctx.loaders!.cohorts.members.load(cohort), size, after);
  }
}

@Resolver(() => Customer)
export class CustomerCohortsResolver {
  @FieldResolver(() => [Cohort], {
    description:
      "The organization's cohorts this customer is a member of now, newest first (batched: two SQL statements for all the request's customers).",
  })
  async cohorts(
    @Root() customer: Customer,
    @Ctx() ctx: AnalyticsContext,
  ): Promise<CohortDefinition[]> {
    requireViewer(ctx.viewer);
    return ctx.loaders!.cohorts.customerCohorts.load(customer.id);
  }
}
