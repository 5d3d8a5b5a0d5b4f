import { Field, Float, ID, Int, ObjectType } from "type-graphql";
import { JSONScalar } from "#kit/schema/scalars";
import type { EventFilter } from "../timeseries/event-filter.input";
import { CohortMatch } from "./cohort.input";
import type { CohortRule as StoredRule } from "./cohort-rules";

@ObjectType("CohortEventFilter", { description: "An event rule's filter, as given." })
export class EventFilterValue {
  @Field(() => [String], { nullable: true })
  types: string[] | null;

  @Field(() => ID, { nullable: true })
  customerId: string | null;

  @Field(() => ID, { nullable: true })
  campaignId: string | null;

  @Field(() => JSONScalar, { nullable: true })
  properties: Record<string, unknown> | null;
}

@ObjectType({
  description:
    "One rule of a cohort, as given (normalized): exactly one of event, segmentId or minChurnProbability is set.",
})
export class CohortRule {
  @Field(() => String, { nullable: true })
  event: string | null;

  @Field(() => EventFilterValue, { nullable: true })
  filter: EventFilterValue | null;

  @Field(() => Int, { nullable: true, description: "Event rules: at least this many events." })
  minCount: number | null;

  @Field(() => Int, { nullable: true, description: "Event rules: at most (null: unbounded)." })
  maxCount: number | null;

  @Field(() => Int, { nullable: true, description: "Event rules: the window (null: all time)." })
  withinDays: number | null;

  @Field(() => ID, { nullable: true })
  segmentId: string | null;

  @Field(() => Float, { nullable: true })
  minChurnProbability: number | null;
}

@ObjectType({
  description:
    "A named set of customers defined by rules on their events, segments and churn risk, computed when read (never stored).",
})
export class Cohort {
  @Field(() => ID)
  id: string;

  @Field()
  name: string;

  @Field(() => CohortMatch)
  match: CohortMatch;

  @Field(() => [CohortRule])
  rules: CohortRule[];

  @Field()
  createdAt: Date;
}

/** A stored rule in its GraphQL shape. */
export function toCohortRule(rule: StoredRule): CohortRule {
  const none = {
    event: null,
    filter: null,
    minCount: null,
    maxCount: null,
    withinDays: null,
    segmentId: null,
    minChurnProbability: null,
  };
  if (rule.kind === "segment") return { ...none, segmentId: rule.segmentId };
  if (rule.kind === "churn") return { ...none, minChurnProbability: rule.minChurnProbability };
  return {
    ...none,
    event: rule.event,
    filter: rule.filter && toFilterValue(rule.filter),
    minCount: rule.minCount,
    maxCount: rule.maxCount,
    withinDays: rule.withinDays,
  };
}

function toFilterValue(filter: EventFilter): EventFilterValue {
  return {
    types: filter.types ?? null,
    customerId: filter.customerId ?? null,
    campaignId: filter.campaignId ?? null,
    properties: filter.properties ?? null,
  };
}
