import { Field, ID, ObjectType, registerEnumType } from "type-graphql";
import { FeatureValue } from "../features/feature-value.type";
import { CampaignPerformance } from "./campaign.type";

export enum CampaignObjective {
  CONVERSIONS = "CONVERSIONS",
  REVENUE = "REVENUE",
  RETENTION = "RETENTION",
}

export enum RecommendationAction {
  INCREASE_BUDGET = "INCREASE_BUDGET",
  DECREASE_BUDGET = "DECREASE_BUDGET",
  PAUSE = "PAUSE",
  TARGET_SEGMENT = "TARGET_SEGMENT",
  EXCLUDE_SEGMENT = "EXCLUDE_SEGMENT",
  KEEP = "KEEP",
}

registerEnumType(CampaignObjective, { name: "CampaignObjective" });
registerEnumType(RecommendationAction, { name: "RecommendationAction" });

@ObjectType({ description: "One thing to do with a campaign, with the figures that justify it." })
export class Recommendation {
  @Field(() => RecommendationAction)
  action: RecommendationAction;

  @Field(() => String, {
    nullable: true,
    description: "The segment, for TARGET_SEGMENT and EXCLUDE_SEGMENT.",
  })
  segment: string | null;

  @Field({ description: "Why, in a sentence with the numbers." })
  rationale: string;

  @Field(() => String, {
    nullable: true,
    description: "What to expect if it is done, when it can be estimated.",
  })
  expectedEffect: string | null;

  @Field(() => [FeatureValue])
  figures: FeatureValue[];
}

@ObjectType({
  description:
    "A campaign's performance against the organization's other campaigns, and what to do.",
})
export class CampaignOptimization {
  @Field(() => ID)
  campaignId: string;

  @Field(() => CampaignObjective)
  objective: CampaignObjective;

  @Field(() => CampaignPerformance, { description: "Over the last 90 days." })
  performance: CampaignPerformance;

  @Field(() => [FeatureValue], {
    description:
      "Medians over the organization's campaigns with spend in the same period: ctr, conversionRate, roas, cpa.",
  })
  benchmarks: FeatureValue[];

  @Field(() => [Recommendation], { description: "Most important first." })
  recommendations: Recommendation[];
}
