import { Field, Float, Int, ObjectType } from "type-graphql";
import type { FunnelMembers } from "./funnel-members";

@ObjectType({ description: "One step of a funnel: the actors who reached it and how fast." })
export class FunnelStep {
  @Field(() => Int, { description: "1-based." })
  index: number;

  @Field()
  label: string;

  @Field(() => Int, {
    description:
      "Actors (customers and anonymous visitors) whose counted attempt reached this step.",
  })
  count: number;

  @Field(() => Float, { description: "count / step 1's count (0 when step 1 has none)." })
  conversionRate: number;

  @Field(() => Float, {
    description: "count / the previous step's count; 1 for step 1 (0 when the previous has none).",
  })
  stepConversionRate: number;

  @Field(() => Float, {
    nullable: true,
    description:
      "Median seconds from the previous step's event to this step's, over the counted attempts; null for step 1, for UNORDERED funnels and when nobody reached the step.",
  })
  medianSecondsToConvert: number | null;

  @Field(() => Float, { nullable: true, description: "The average of the same." })
  averageSecondsToConvert: number | null;

  /** Not a field: the step's members, for `customers`. */
  members: FunnelMembers;
}

@ObjectType({
  description:
    "The funnel of the actors whose counted attempt's first event had one value of the breakdown property.",
})
export class FunnelBreakdown {
  @Field(() => String, {
    nullable: true,
    description:
      "The property's value (JSON values as text); null for attempts whose first event has no such property; 'other' for every value outside the 10 largest.",
  })
  value: string | null;

  @Field(() => [FunnelStep])
  steps: FunnelStep[];
}

@ObjectType({ description: "How many actors went through the steps, in the order asked." })
export class Funnel {
  @Field(() => [FunnelStep])
  steps: FunnelStep[];

  @Field(() => [FunnelBreakdown], {
    nullable: true,
    description:
      "With breakdown: the 10 values with the most actors at step 1, largest first, then 'other'; null without.",
  })
  breakdowns: FunnelBreakdown[] | null;
}
