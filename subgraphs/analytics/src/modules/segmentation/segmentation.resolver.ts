import { Arg, Ctx, FieldResolver, ID, Int, Mutation, Query, Resolver, Root } from "type-graphql";
import { requireUser, requireViewer } from "#kit/auth/guards";
import { Role } from "#kit/auth/role";
import { badUserInput } from "#kit/errors";
import type { Page } from "#kit/pagination/connection";
import { decodeCursor, encodeCursor, pageSize } from "#kit/pagination/cursor";
import type { AnalyticsContext } from "../../context";
import { Customer, CustomerConnection } from "../customer-stats/customer.type";
import { startBackgroundJob, waitFor } from "../jobs/background-job";
import { fetchCustomerProfiles } from "../features/customer-profiles";
import {
  DEFAULT_FEATURES,
  isProfileFeature,
  runSegmentation,
  segmentationPopulation,
  validateSegmentation,
} from "./run-segmentation";
import { loadSegmentationRun } from "./segmentation-store";
import { Segment, SegmentationInput, SegmentationRun } from "./segmentation.types";

@Resolver(() => SegmentationRun)
export class SegmentationResolver {
  @Mutation(() => SegmentationRun, {
    description:
      "Segments the customers who purchased before asOf with k-means. Waits up to waitSeconds for the result; a longer run keeps going in the background: poll segmentation(id). ANALYST or ADMIN.",
  })
  async runSegmentation(
    @Arg("input", () => SegmentationInput) input: SegmentationInput,
    @Ctx() ctx: AnalyticsContext,
  ): Promise<SegmentationRun> {
    const user = requireUser(ctx.viewer, Role.ANALYST);
    const parameters = {
      features: input.features ?? DEFAULT_FEATURES,
      k: input.k ?? null,
      asOf: input.asOf ?? new Date(),
      seed: input.seed ?? 42,
    };
    validateSegmentation(parameters);
    const waitSeconds = input.waitSeconds ?? 8;
    if (waitSeconds < 0 || waitSeconds > 60)
      throw badUserInput("waitSeconds must be from 0 to 60.", "input.waitSeconds");
    const rows = await segmentationPopulation(
      await ctx.readDataSource(),
      user.organizationId,
      parameters,
    );
    const profiles = parameters.features.some(isProfileFeature)
      ? await profileFeatures(ctx, parameters.features.filter(isProfileFeature))
      : undefined;
    for (const name of parameters.features.filter(isProfileFeature)) {
      if (!rows.some((row) => typeof profiles?.get(row.customerId)?.[name] === "number")) {
        throw badUserInput(`No segmented customer has a numeric '${name}'.`, "input.features");
      }
    }
    const [{ id }] = await ctx.dataSource.query(
      `INSERT INTO segmentation_runs (organization_id, as_of, seed, features) VALUES ($1, $2, $3, $4) RETURNING id`,
      [user.organizationId, parameters.asOf, parameters.seed, parameters.features],
    );
    const job = startBackgroundJob(
      ctx.reads,
      "segmentation_runs",
      user.organizationId,
      id,
      (progress) =>
        runSegmentation(
          ctx.dataSource,
          user.organizationId,
          id,
          rows,
          parameters,
          progress,
          profiles,
        ),
    );
    await waitFor(job, waitSeconds);
    return (await loadSegmentationRun(ctx.dataSource, user.organizationId, id))!;
  }

  @Query(() => SegmentationRun, {
    nullable: true,
    description: "A segmentation run; the latest completed one when id is omitted.",
  })
  async segmentation(
    @Arg("id", () => ID, { nullable: true }) id: string | null,
    @Ctx() ctx: AnalyticsContext,
  ): Promise<SegmentationRun | null> {
    const viewer = requireViewer(ctx.viewer);
    return loadSegmentationRun(ctx.dataSource, viewer.organizationId, id);
  }
}

/**
 * The named profile features (`age`, `attributes.x`) of every customer, read through the customers
 * API as the caller.
 */
async function profileFeatures(
  ctx: AnalyticsContext,
  names: string[],
): Promise<Map<string, Record<string, number | null>>> {
  const profiles = await fetchCustomerProfiles(ctx.customersUrl, ctx.accessToken!);
  return new Map(
    profiles.map((profile) => [
      profile.id,
      Object.fromEntries(
        names.map((name) => {
          const value =
            name === "age" ? profile.age : profile.attributes?.[name.slice("attributes.".length)];
          return [name, typeof value === "number" ? value : null];
        }),
      ),
    ]),
  );
}

@Resolver(() => Segment)
export class SegmentResolver {
  @FieldResolver(() => CustomerConnection, {
    description: "The segment's customers, resolved by the customers subgraph, a page at a time.",
  })
  async members(
    @Root() segment: Segment,
    @Ctx() ctx: AnalyticsContext,
    @Arg("first", () => Int, { nullable: true }) first?: number,
    @Arg("after", () => String, { nullable: true }) after?: string,
  ): Promise<Page<Customer>> {
    const viewer = requireViewer(ctx.viewer);
    const size = pageSize(first);
    const afterId = after ? String(decodeCursor(after, 1)[0]) : null;
    const [rows, [{ count }]] = await Promise.all([
      ctx.dataSource.query(
        `SELECT customer_id FROM segment_members
          WHERE organization_id = $2 AND run_id = $1 AND segment_index = $3 AND ($4::uuid IS NULL OR customer_id > $4::uuid)
          ORDER BY customer_id LIMIT $5`,
        [segment.runId, viewer.organizationId, segment.index, afterId, size + 1],
      ),
      ctx.dataSource.query(
        `SELECT count(*)::int AS count FROM segment_members WHERE organization_id = $1 AND run_id = $2 AND segment_index = $3`,
        [viewer.organizationId, segment.runId, segment.index],
      ),
    ]);
    const edges = (rows as { customer_id: string }[])
      .slice(0, size)
      .map((row) => ({ cursor: encodeCursor([row.customer_id]), node: { id: row.customer_id } }));
    return {
      edges,
      pageInfo: { hasNextPage: rows.length > size, endCursor: edges.at(-1)?.cursor ?? null },
      totalCount: count,
    };
  }
}

@Resolver(() => Customer)
export class CustomerSegmentResolver {
  @FieldResolver(() => Segment, {
    nullable: true,
    description:
      "The customer's segment in the latest segmentation; null when not segmented. Batched per request.",
  })
  async segment(
    @Root() customer: Customer,
    @Ctx() { loaders }: AnalyticsContext,
  ): Promise<Segment | null> {
    return loaders!.customerSegment.load(customer.id);
  }
}
