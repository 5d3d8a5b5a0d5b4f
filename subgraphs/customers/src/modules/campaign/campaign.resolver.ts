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
import { isUuid } from "#kit/data/ids";
import { badUserInput, notFound } from "#kit/errors";
import type { Page } from "#kit/pagination/connection";
import { pageSize } from "#kit/pagination/cursor";
import { keysetPage } from "#kit/pagination/keyset";
import type { CustomersContext } from "../../context";
import { User } from "../user/user.type";
import { CampaignEntity, CampaignStatus } from "./campaign.entity";
import { CampaignFilter, CampaignInput, CampaignPatch } from "./campaign.input";
import { CAMPAIGN_TRANSITIONS, canTransition } from "./campaign-status";
import { Campaign, CampaignConnection } from "./campaign.type";
import { validateCampaign } from "./campaign-validation";

@Resolver(() => Campaign)
export class CampaignResolver {
  @Query(() => Campaign, {
    nullable: true,
    description: "A campaign of your organization; null when there is none with this id.",
  })
  async campaign(
    @Arg("id", () => ID) id: string,
    @Ctx() ctx: CustomersContext,
  ): Promise<CampaignEntity | null> {
    requireViewer(ctx.viewer);
    return ctx.loaders!.campaignById.load(id);
  }

  @Query(() => CampaignConnection, {
    description: "Your organization's campaigns, oldest first, filtered, a page at a time.",
  })
  async campaigns(
    @Ctx() ctx: CustomersContext,
    @Arg("filter", () => CampaignFilter, { nullable: true }) filter?: CampaignFilter,
    @Arg("first", () => Int, { nullable: true, description: "Page size, 1 to 100. @default 20" })
    first?: number,
    @Arg("after", () => String, {
      nullable: true,
      description: "The endCursor of the previous page.",
    })
    after?: string,
  ): Promise<Page<CampaignEntity>> {
    const viewer = requireViewer(ctx.viewer);
    const query = ctx.dataSource
      .getRepository(CampaignEntity)
      .createQueryBuilder("campaign")
      .where("campaign.organization_id = :organizationId", {
        organizationId: viewer.organizationId,
      });
    if (filter?.status) query.andWhere("campaign.status = :status", { status: filter.status });
    if (filter?.channel) query.andWhere("campaign.channel = :channel", { channel: filter.channel });
    if (filter?.activeFrom)
      query.andWhere("(campaign.end_date IS NULL OR campaign.end_date >= :activeFrom)", {
        activeFrom: filter.activeFrom,
      });
    if (filter?.activeTo)
      query.andWhere("campaign.start_date < :activeTo", { activeTo: filter.activeTo });
    return keysetPage(query, {
      first: pageSize(first),
      after,
      sort: { column: "campaign.created_at", direction: "ASC", cast: "timestamptz" },
      id: { column: "campaign.id", valueOf: (row) => row.id },
    });
  }

  @Mutation(() => Campaign, {
    description: "Creates a DRAFT campaign created by you. ANALYST or ADMIN.",
  })
  async createCampaign(
    @Arg("input", () => CampaignInput) input: CampaignInput,
    @Ctx() ctx: CustomersContext,
  ): Promise<CampaignEntity> {
    const user = requireUser(ctx.viewer, Role.ANALYST);
    const fields = validateCampaign({
      ...input,
      endDate: input.endDate ?? null,
      targetSegment: input.targetSegment ?? null,
    });
    const repository = ctx.dataSource.getRepository(CampaignEntity);
    return repository.save(
      repository.create({
        ...fields,
        status: CampaignStatus.DRAFT,
        organizationId: user.organizationId,
        createdByUserId: user.userId,
      }),
    );
  }

  @Mutation(() => Campaign, {
    description: "Changes a campaign's fields. A COMPLETED campaign is final. ANALYST or ADMIN.",
  })
  async updateCampaign(
    @Arg("id", () => ID) id: string,
    @Arg("input", () => CampaignPatch) patch: CampaignPatch,
    @Ctx() ctx: CustomersContext,
  ): Promise<CampaignEntity> {
    const user = requireUser(ctx.viewer, Role.ANALYST);
    return this.changeCampaign(ctx, user.organizationId, id, (campaign) => {
      if (campaign.status === CampaignStatus.COMPLETED)
        throw badUserInput("A COMPLETED campaign cannot be changed.", "id");
      const fields = validateCampaign({
        name: patch.name ?? campaign.name,
        channel: patch.channel ?? campaign.channel,
        budget: patch.budget ?? campaign.budget,
        startDate: patch.startDate ?? campaign.startDate,
        endDate: patch.endDate === undefined ? campaign.endDate : patch.endDate,
        targetSegment:
          patch.targetSegment === undefined ? campaign.targetSegment : patch.targetSegment,
      });
      Object.assign(campaign, fields);
    });
  }

  @Mutation(() => Campaign, {
    description:
      "Moves a campaign through its life cycle: DRAFT -> ACTIVE -> PAUSED <-> ACTIVE -> COMPLETED. Setting the current status again changes nothing. ANALYST or ADMIN.",
  })
  async setCampaignStatus(
    @Arg("id", () => ID) id: string,
    @Arg("status", () => CampaignStatus) status: CampaignStatus,
    @Ctx() ctx: CustomersContext,
  ): Promise<CampaignEntity> {
    const user = requireUser(ctx.viewer, Role.ANALYST);
    return this.changeCampaign(ctx, user.organizationId, id, (campaign) => {
      if (campaign.status === status) return;
      if (!canTransition(campaign.status, status)) {
        const allowed = CAMPAIGN_TRANSITIONS[campaign.status];
        throw badUserInput(
          `A ${campaign.status} campaign cannot become ${status}; ${allowed.length ? `it can become ${allowed.join(" or ")}` : "it is final"}.`,
          "status",
        );
      }
      campaign.status = status;
      if (status === CampaignStatus.COMPLETED && !campaign.endDate)
        campaign.endDate = new Date(Math.max(Date.now(), campaign.startDate.getTime()));
    });
  }

  @FieldResolver(() => Float)
  budget(@Root() campaign: CampaignEntity): number {
    return Number(campaign.budget);
  }

  @FieldResolver(() => User, {
    description: "The user who created the campaign, resolved by the users subgraph.",
  })
  createdBy(@Root() campaign: CampaignEntity): User {
    return { id: campaign.createdByUserId };
  }

  /**
   * Locks the caller's campaign, applies `change`, and saves it, in one transaction; `NOT_FOUND`
   * for any other id.
   */
  private changeCampaign(
    ctx: CustomersContext,
    organizationId: string,
    id: string,
    change: (campaign: CampaignEntity) => void,
  ): Promise<CampaignEntity> {
    return ctx.dataSource.transaction(async (manager) => {
      const repository = manager.getRepository(CampaignEntity);
      const campaign = isUuid(id)
        ? await repository.findOne({
            where: { id, organizationId },
            lock: { mode: "pessimistic_write" },
          })
        : null;
      if (!campaign) throw notFound("Campaign", id);
      change(campaign);
      return repository.save(campaign);
    });
  }
}
