import { Field, Float, InputType } from "type-graphql";
import { CampaignChannel, CampaignStatus } from "./campaign.entity";

@InputType({ description: "A new campaign; it starts as a DRAFT." })
export class CampaignInput {
  @Field()
  name: string;

  @Field(() => CampaignChannel)
  channel: CampaignChannel;

  @Field(() => Float, { description: "Zero or more, at most two decimals; stored exactly." })
  budget: number;

  @Field()
  startDate: Date;

  @Field(() => Date, { nullable: true, description: "Not before startDate." })
  endDate?: Date | null;

  @Field(() => String, { nullable: true })
  targetSegment?: string | null;
}

@InputType({
  description:
    "Fields to change; omitted fields keep their value. A COMPLETED campaign cannot be changed.",
})
export class CampaignPatch {
  @Field(() => String, { nullable: true })
  name?: string | null;

  @Field(() => CampaignChannel, { nullable: true })
  channel?: CampaignChannel | null;

  @Field(() => Float, { nullable: true })
  budget?: number | null;

  @Field(() => Date, { nullable: true })
  startDate?: Date | null;

  @Field(() => Date, { nullable: true })
  endDate?: Date | null;

  @Field(() => String, { nullable: true })
  targetSegment?: string | null;
}

@InputType({ description: "Every given condition must hold." })
export class CampaignFilter {
  @Field(() => CampaignStatus, { nullable: true })
  status?: CampaignStatus | null;

  @Field(() => CampaignChannel, { nullable: true })
  channel?: CampaignChannel | null;

  @Field(() => Date, {
    nullable: true,
    description: "Running at some time at or after this: ends then or later, or has no end.",
  })
  activeFrom?: Date | null;

  @Field(() => Date, {
    nullable: true,
    description: "Running at some time before this: starts before it.",
  })
  activeTo?: Date | null;
}
