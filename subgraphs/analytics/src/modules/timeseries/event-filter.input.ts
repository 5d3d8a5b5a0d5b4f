import { Field, ID, InputType } from "type-graphql";
import { JSONScalar } from "#kit/schema/scalars";

@InputType({ description: "Which events count; every given condition must hold." })
export class EventFilter {
  @Field(() => [String], { nullable: true, description: "Only these event types." })
  types?: string[] | null;

  @Field(() => ID, { nullable: true })
  customerId?: string | null;

  @Field(() => ID, { nullable: true })
  campaignId?: string | null;

  @Field(() => JSONScalar, {
    nullable: true,
    description:
      'A JSON object: each key must equal the event\'s property, e.g. {"category": "books"}.',
  })
  properties?: Record<string, unknown> | null;

  @Field(() => ID, {
    nullable: true,
    description:
      "Only events of this cohort's members (customers; their identified visitors' events included), membership as of now.",
  })
  cohortId?: string | null;

  /**
   * Not a field: the SQL of `cohortId`'s members, set once the cohort module has checked the id
   * (modules/cohort/cohort-filter.ts). Compiling a filter with a `cohortId` and no members throws.
   */
  cohortMembers?: CohortMembersSql;
}

/**
 * SQL selecting the customer ids (`customer_id`, uuid) of a cohort's members as of the time the
 * filter was resolved; `p` adds a parameter and returns its placeholder.
 */
export type CohortMembersSql = (p: (value: unknown) => string) => string;

/**
 * The SQL condition that the events aliased `e` belong to the filter's cohort's members, or null
 * when the filter names no cohort. Every compiler of EventFilter to SQL (people queries,
 * timeseries, aggregates) adds it through here.
 * @throws TypeError when `cohortId` was not resolved to its members first
 */
export function cohortConditionSql(
  filter: EventFilter | null | undefined,
  p: (value: unknown) => string,
  e = "e",
): string | null {
  if (!filter?.cohortId) return null;
  if (!filter.cohortMembers)
    throw new TypeError(
      "EventFilter.cohortId must be resolved to its members (resolveCohortFilter) before it is compiled to SQL.",
    );
  return `${e}.customer_id IN (${filter.cohortMembers(p)})`;
}
