import { Field, Float, Int, ObjectType } from "type-graphql";
import { Interval } from "../timeseries/interval";
import type { RetentionMembers } from "./retention-members";

@ObjectType({
  description: "The actors who started in one interval, and how many came back in each later one.",
})
export class RetentionCohort {
  @Field({ description: "The interval's start, aligned in the time zone." })
  start: Date;

  @Field(() => Int, { description: "Actors in the cohort (customers and anonymous visitors)." })
  size: number;

  @Field(() => [Int], {
    description:
      "values[0] = size; values[k] = members with a returnEvent in the k-th interval after the cohort's. Periods whose interval starts at or after `to` are left out.",
  })
  values: number[];

  @Field(() => [Float], { description: "values[k] / size (0 for an empty cohort)." })
  rates: number[];

  /** Not a field: the cohort's position, 0 for the first. */
  index: number;

  /** Not a field: the identified members, paged by `customers`. */
  members: RetentionMembers;
}

@ObjectType({ description: "A cohort table: one cohort per interval of the range." })
export class Retention {
  @Field(() => Interval)
  interval: Interval;

  @Field()
  timezone: string;

  @Field(() => [RetentionCohort], {
    description:
      "Every interval starting in [from, to) (from rounded down to its interval), empty ones included, oldest first.",
  })
  cohorts: RetentionCohort[];
}
