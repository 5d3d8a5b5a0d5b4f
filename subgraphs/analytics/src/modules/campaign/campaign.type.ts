import { Directive, Field, Float, ID, Int, ObjectType } from "type-graphql";

/** The customers subgraph's `Campaign`, which analytics extends with its performance. */
@Directive('@key(fields: "id")')
@ObjectType()
export class Campaign {
  @Field(() => ID)
  id: string;
}

@ObjectType({
  description:
    "A campaign's results from its events; ratios are null where undefined (nothing to divide by).",
})
export class CampaignPerformance {
  @Field(() => Int, { description: "campaign_impression events." })
  impressions: number;

  @Field(() => Int, { description: "campaign_click events." })
  clicks: number;

  @Field(() => Int, { description: "purchase events carrying the campaign's id." })
  conversions: number;

  @Field(() => Float, { description: "Sum of those purchases' values." })
  revenue: number;

  @Field(() => Float, { description: "Sum of ad_spend events' values." })
  spend: number;

  @Field(() => Float, { nullable: true, description: "clicks / impressions." })
  ctr: number | null;

  @Field(() => Float, { nullable: true, description: "conversions / clicks." })
  conversionRate: number | null;

  @Field(() => Float, { nullable: true, description: "revenue / spend." })
  roas: number | null;

  @Field(() => Float, { nullable: true, description: "spend / conversions." })
  cpa: number | null;
}
