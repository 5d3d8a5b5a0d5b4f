import { Directive, Field, Float, ID, ObjectType, registerEnumType } from "type-graphql";
import { connectionType } from "#kit/pagination/connection";
import { CampaignChannel, CampaignStatus } from "./campaign.entity";

registerEnumType(CampaignChannel, { name: "CampaignChannel" });
registerEnumType(CampaignStatus, {
  name: "CampaignStatus",
  description: "DRAFT -> ACTIVE -> PAUSED <-> ACTIVE -> COMPLETED; COMPLETED is final.",
});

@Directive('@key(fields: "id")')
@ObjectType({ description: "A marketing campaign." })
export class Campaign {
  @Field(() => ID)
  id: string;

  @Field()
  name: string;

  @Field(() => CampaignChannel)
  channel: CampaignChannel;

  @Field(() => CampaignStatus)
  status: CampaignStatus;

  @Field(() => String, { nullable: true })
  targetSegment: string | null;

  @Field(() => Float, { description: "Stored as an exact decimal with two places." })
  budget: number;

  @Field()
  startDate: Date;

  @Field(() => Date, { nullable: true })
  endDate: Date | null;
}

export const CampaignConnection = connectionType("Campaign", Campaign);
export type CampaignConnection = InstanceType<typeof CampaignConnection>;
