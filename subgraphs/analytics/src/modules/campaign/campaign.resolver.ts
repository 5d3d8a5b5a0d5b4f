import { Arg, Ctx, FieldResolver, ID, Query, Resolver, Root } from "type-graphql";
import { requireViewer } from "#kit/auth/guards";
import { isUuid } from "#kit/data/ids";
import { badUserInput } from "#kit/errors";
import type { AnalyticsContext } from "../../context";
import { Campaign, CampaignPerformance } from "./campaign.type";
import { recommendForCampaign } from "./recommend";
import { CampaignObjective, CampaignOptimization } from "./recommendation.types";

@Resolver(() => Campaign)
export class CampaignPerformanceResolver {
  @FieldResolver(() => CampaignPerformance, {
    description:
      "Results over [from, to) (all time when omitted), from the campaign's events. Batched per request.",
  })
  async performance(
    @Root() campaign: Campaign,
    @Ctx() { loaders }: AnalyticsContext,
    @Arg("from", () => Date, { nullable: true }) from?: Date | null,
    @Arg("to", () => Date, { nullable: true }) to?: Date | null,
  ): Promise<CampaignPerformance> {
    if (from && to && from >= to) throw badUserInput("from must be before to.", "from");
    return loaders!.campaignPerformance.load({
      campaignId: campaign.id,
      from: from ?? null,
      to: to ?? null,
    });
  }
}

@Resolver()
export class CampaignRecommendationResolver {
  @Query(() => CampaignOptimization, {
    description:
      "What to do with a campaign, from its last 90 days against your other campaigns and your segments.",
  })
  async campaignRecommendations(
    @Arg("campaignId", () => ID) campaignId: string,
    @Arg("objective", () => CampaignObjective) objective: CampaignObjective,
    @Ctx() ctx: AnalyticsContext,
  ): Promise<CampaignOptimization> {
    const viewer = requireViewer(ctx.viewer);
    if (!isUuid(campaignId) || !(await campaignExists(ctx, campaignId)))
      throw badUserInput(`Unknown campaign '${campaignId}'.`, "campaignId");
    return recommendForCampaign(
      await ctx.readDataSource(),
      viewer.organizationId,
      campaignId.toLowerCase(),
      objective,
    );
  }
}

/**
 * Asks the customers subgraph, as the caller, whether the campaign exists in their organization.
 */
async function campaignExists(ctx: AnalyticsContext, id: string): Promise<boolean> {
  const response = await fetch(ctx.customersUrl, {
    method: "POST",
    headers: { "content-type": "application/json", authorization: `Bearer ${ctx.accessToken}` },
    body: JSON.stringify({
      query: "query($id: ID!) { campaign(id: $id) { id } }",
      variables: { id },
    }),
    signal: AbortSignal.timeout(5_000),
  });
  const body = (await response.json()) as { data?: { campaign: { id: string } | null } };
  return Boolean(body.data?.campaign);
}
