import {
  Arg,
  Ctx,
  FieldResolver,
  Float,
  ID,
  Int,
  Mutation,
  Query,
  Resolver,
  Root,
} from "type-graphql";
import { requireUser, requireViewer } from "#kit/auth/guards";
import { Role } from "#kit/auth/role";
import { badUserInput } from "#kit/errors";
import type { Page } from "#kit/pagination/connection";
import { decodeCursor, encodeCursor, pageSize } from "#kit/pagination/cursor";
import type { AnalyticsContext } from "../../context";
import { Customer } from "../customer-stats/customer.type";
import { startBackgroundJob, waitFor } from "../jobs/background-job";
import {
  ChurnModel,
  ChurnPrediction,
  ChurnPredictionConnection,
  ChurnRisk,
  ChurnTrainingInput,
} from "./churn.types";
import { latestChurnModelId, loadChurnModel, toRisk } from "./churn-store";
import { fetchCustomerProfiles, organizationRecordsChurn } from "../features/customer-profiles";
import {
  buildChurnDataset,
  prefetchFeatures,
  trainChurnModel,
  type ChurnDataset,
} from "./train-churn-model";

/**
 * How long the mutation waits for the training set (profiles read, features computed) so that
 * bad input is refused at once, whatever waitSeconds is: under the gateway's 10-second timeout.
 */
const DATASET_WAIT_MS = 5_000;

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, Math.max(0, ms)).unref());
}

@Resolver(() => ChurnModel)
export class ChurnResolver {
  @Mutation(() => ChurnModel, {
    description:
      "Trains a regularised logistic regression on your customers and scores them all; reports held-out ROC-AUC. Waits up to waitSeconds, then keeps training in the background: poll churnModel(id). ANALYST or ADMIN.",
  })
  async trainChurnModel(
    @Arg("input", () => ChurnTrainingInput) input: ChurnTrainingInput,
    @Ctx() ctx: AnalyticsContext,
  ): Promise<ChurnModel> {
    const user = requireUser(ctx.viewer, Role.ANALYST);
    const parameters = {
      horizonDays: input.horizonDays ?? 90,
      cutoff: input.cutoff ?? null,
      seed: input.seed ?? 42,
      l2: 1,
    };
    if (
      !Number.isInteger(parameters.horizonDays) ||
      parameters.horizonDays < 1 ||
      parameters.horizonDays > 730
    )
      throw badUserInput("horizonDays must be from 1 to 730.", "input.horizonDays");
    const waitSeconds = input.waitSeconds ?? 8;
    if (waitSeconds < 0 || waitSeconds > 60)
      throw badUserInput("waitSeconds must be from 0 to 60.", "input.waitSeconds");
    // Reading 100,000 profiles from the customers subgraph takes longer than the gateway waits for
    // an answer (10 s), so it is part of the background job. Its errors (bad input, the customers
    // service failing) are still the mutation's own when they come before DATASET_WAIT_MS.
    const startedAt = Date.now();
    const [{ id }] = await ctx.dataSource.query(
      `INSERT INTO churn_models (organization_id, cutoff, horizon_days, seed) VALUES ($1, $2, $3, $4) RETURNING id`,
      [
        user.organizationId,
        parameters.cutoff ?? new Date(),
        parameters.horizonDays,
        parameters.seed,
      ],
    );
    let datasetError: unknown;
    let datasetSettled!: () => void;
    const datasetDone = new Promise<void>((resolve) => (datasetSettled = resolve));
    const organizationId = user.organizationId;
    const job = startBackgroundJob(
      ctx.reads,
      "churn_models",
      organizationId,
      id,
      async (progress) => {
        let dataset: ChurnDataset;
        try {
          // The label source decides the cut-off: known from one small query, the event features are
          // computed while the profiles are read.
          const recordsChurn = await organizationRecordsChurn(ctx.customersUrl, ctx.accessToken!);
          // The features are read where the organization's latest events are (the read replica
          // once it has them).
          const reads = await ctx.readDataSource();
          const prefetched = prefetchFeatures(
            reads,
            user.organizationId,
            recordsChurn ? "RECORDED_STATUS" : "NO_PURCHASE_WITHIN_HORIZON",
            parameters,
          );
          const profiles = await fetchCustomerProfiles(ctx.customersUrl, ctx.accessToken!);
          dataset = await buildChurnDataset(
            reads,
            user.organizationId,
            profiles,
            parameters,
            prefetched,
          );
          await ctx.dataSource.query(
            `UPDATE churn_models SET cutoff = $3, label_source = $4 WHERE organization_id = $1 AND id = $2`,
            [organizationId, id, dataset.cutoff, dataset.labelSource],
          );
        } catch (error) {
          datasetError = error;
          throw error;
        } finally {
          datasetSettled();
        }
        await progress(0.05);
        await trainChurnModel(ctx.dataSource, organizationId, id, dataset, parameters, progress);
      },
    );
    await Promise.race([datasetDone, sleep(startedAt + DATASET_WAIT_MS - Date.now())]);
    if (datasetError !== undefined) {
      // Refused before the mutation answered: no model is left behind.
      await job;
      await ctx.dataSource.query(
        `DELETE FROM churn_models WHERE organization_id = $1 AND id = $2`,
        [organizationId, id],
      );
      throw datasetError;
    }
    await waitFor(job, Math.max(0, (startedAt + waitSeconds * 1000 - Date.now()) / 1000));
    return (await loadChurnModel(ctx.dataSource, user.organizationId, id))!;
  }

  @Query(() => ChurnModel, {
    nullable: true,
    description: "A churn model; the latest completed one when id is omitted.",
  })
  async churnModel(
    @Arg("id", () => ID, { nullable: true }) id: string | null,
    @Ctx() ctx: AnalyticsContext,
  ): Promise<ChurnModel | null> {
    const viewer = requireViewer(ctx.viewer);
    return loadChurnModel(ctx.dataSource, viewer.organizationId, id);
  }

  @Query(() => ChurnPredictionConnection, {
    description: "Customers by churn risk under the latest model, highest first.",
  })
  async churnPredictions(
    @Ctx() ctx: AnalyticsContext,
    @Arg("minProbability", () => Float, { nullable: true }) minProbability?: number,
    @Arg("first", () => Int, { nullable: true }) first?: number,
    @Arg("after", () => String, { nullable: true }) after?: string,
  ): Promise<Page<ChurnPrediction>> {
    const viewer = requireViewer(ctx.viewer);
    if (minProbability != null && (minProbability < 0 || minProbability > 1))
      throw badUserInput("minProbability must be from 0 to 1.", "minProbability");
    const size = pageSize(first);
    const modelId = await latestChurnModelId(ctx.dataSource, viewer.organizationId);
    if (!modelId)
      return { edges: [], pageInfo: { hasNextPage: false, endCursor: null }, totalCount: 0 };
    const [afterProbability, afterId] = after ? decodeCursor(after, 2) : [null, null];
    const [rows, [{ count }]] = await Promise.all([
      ctx.dataSource.query(
        `SELECT * FROM churn_predictions WHERE organization_id = $6 AND model_id = $1 AND probability >= $2
            AND ($3::float8 IS NULL OR (probability, customer_id) < ($3::float8, $4::uuid))
          ORDER BY probability DESC, customer_id DESC LIMIT $5`,
        [modelId, minProbability ?? 0, afterProbability, afterId, size + 1, viewer.organizationId],
      ),
      ctx.dataSource.query(
        `SELECT count(*)::int AS count FROM churn_predictions WHERE organization_id = $3 AND model_id = $1 AND probability >= $2`,
        [modelId, minProbability ?? 0, viewer.organizationId],
      ),
    ]);
    const edges = (rows as any[]).slice(0, size).map((row) => ({
      cursor: encodeCursor([row.probability, row.customer_id]),
      node: { ...toRisk(row), customer: { id: row.customer_id } },
    }));
    return {
      edges,
      pageInfo: { hasNextPage: rows.length > size, endCursor: edges.at(-1)?.cursor ?? null },
      totalCount: count,
    };
  }
}

@Resolver(() => Customer)
export class CustomerChurnRiskResolver {
  @FieldResolver(() => ChurnRisk, {
    nullable: true,
    description:
      "The customer's churn risk under the latest model; null before any model. Batched per request.",
  })
  async churnRisk(
    @Root() customer: Customer,
    @Ctx() { loaders }: AnalyticsContext,
  ): Promise<ChurnRisk | null> {
    return loaders!.churnRisk.load(customer.id);
  }
}
