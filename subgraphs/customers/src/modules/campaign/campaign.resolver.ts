import { Arg, Ctx, FieldResolver, Float, ID, Int, Query, Resolver, Root } from "type-graphql";
import { requireViewer } from "../../../../shared/src/auth/guards";
import { pageSize } from "../../../../shared/src/pagination/cursor";
import type { Page } from "../../../../shared/src/pagination/connection";
import { keysetPage } from "../../../../shared/src/pagination/keyset";
import type { CustomersContext } from "../../context";
import { User } from "../user/user.type";
import { CampaignEntity } from "./campaign.entity";
import { Campaign, CampaignConnection } from "./campaign.type";

@Resolver(() => Campaign)
export class CampaignResolver {
  @Query(() => Campaign, { nullable: true, description: "A campaign of your organization; null when there is none with this id." })
  async campaign(@Arg("id", () => ID) id: string, @Ctx() ctx: CustomersContext): Promise<CampaignEntity | null> {
    requireViewer(ctx.viewer);
    return ctx.loaders!.campaignById.load(id);
  }

  @Query(() => CampaignConnection, { description: "Your organization's campaigns, oldest first, a page at a time." })
  async campaigns(
    @Ctx() ctx: CustomersContext,
    @Arg("first", () => Int, { nullable: true, description: "Page size, 1 to 100. @default 20" }) first?: number,
    @Arg("after", () => String, { nullable: true, description: "The endCursor of the previous page." }) after?: string,
  ): Promise<Page<CampaignEntity>> {
    const viewer = requireViewer(ctx.viewer);
    const query = ctx.dataSource
      .getRepository(CampaignEntity)
      .createQueryBuilder("campaign")
      .where("campaign.organization_id = :organizationId", { organizationId: viewer.organizationId });
    return keysetPage(query, {
      first: pageSize(first),
      after,
      sort: { column: "campaign.created_at", direction: "ASC", valueOf: (row) => row.createdAt, cast: "timestamptz" },
      id: { column: "campaign.id", valueOf: (row) => row.id },
    });
  }

  @FieldResolver(() => Float)
  budget(@Root() campaign: CampaignEntity): number {
    return Number(campaign.budget);
  }

  @FieldResolver(() => User, { description: "The user who created the campaign, resolved by the users subgraph." })
  createdBy(@Root() campaign: CampaignEntity): User {
    return { id: campaign.createdByUserId };
  }
}
