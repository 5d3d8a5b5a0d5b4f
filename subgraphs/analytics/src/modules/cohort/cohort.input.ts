import { Field, Float, ID, InputType, Int, registerEnumType } from "type-graphql";
import { EventFilter } from "../timeseries/event-filter.input";

export enum CohortMatch {
  ALL = "ALL",
  ANY = "ANY",
}
registerEnumType(CohortMatch, {
  name: "CohortMatch",
  description: "Whether a cohort's members pass all of its rules or any of them.",
});

@InputType({
  description:
    "One rule of a cohort: exactly one of `event`, `segmentId` or `minChurnProbability`.",
})
export class CohortRuleInput {
  @Field(() => String, {
    nullable: true,
    description:
      "An event type: the customer has between minCount and maxCount such events (passing `filter`) in the last `withinDays` days.",
  })
  event?: string | null;

  @Field(() => EventFilter, {
    nullable: true,
    description: "Only events passing it count (an event rule only; no cohortId).",
  })
  filter?: EventFilter | null;

  @Field(() => Int, {
    defaultValue: 1,
    description: "At least this many events (0 or more). @default 1",
  })
  minCount?: number | null;

  @Field(() => Int, {
    nullable: true,
    description: "At most this many events; null: unbounded; 0 (with minCount 0): did not.",
  })
  maxCount?: number | null;

  @Field(() => Int, {
    nullable: true,
    description:
      "Count the events of the last this many days (of 24 hours) up to now, an event exactly that long ago included; null: all time. 1 to 3660.",
  })
  withinDays?: number | null;

  @Field(() => ID, {
    nullable: true,
    description: "A member of this segment (`<run id>:<index>`).",
  })
  segmentId?: string | null;

  @Field(() => Float, {
    nullable: true,
    description:
      "The latest completed churn model's probability for the customer is at least this (0 to 1).",
  })
  minChurnProbability?: number | null;
}

@InputType({ description: "A cohort: a named set of rules, ALL or ANY of which its members pass." })
export class CohortInput {
  @Field({ description: "1 to 100 characters (not blank)." })
  name: string;

  @Field(() => CohortMatch, { defaultValue: CohortMatch.ALL })
  match?: CohortMatch;

  @Field(() => [CohortRuleInput], { description: "1 to 20 rules." })
  rules: CohortRuleInput[];
}
