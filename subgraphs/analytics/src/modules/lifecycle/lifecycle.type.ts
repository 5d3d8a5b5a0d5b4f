import { Field, Int, ObjectType } from "type-graphql";

@ObjectType({
  description:
    "One interval of a lifecycle: its active actors split into new, returning and resurrecting, and the actors of the previous interval that are not back.",
})
export class LifecyclePoint {
  @Field({ description: "The interval's start, aligned in the time zone." })
  bucket: Date;

  @Field(() => Int, {
    description: "Actors whose first event of the type ever is in this interval.",
  })
  new: number;

  @Field(() => Int, { description: "Actors active in this interval and in the previous one." })
  returning: number;

  @Field(() => Int, {
    description: "Actors active in this interval, not in the previous one, but some time before.",
  })
  resurrecting: number;

  @Field(() => Int, {
    description:
      "Actors active in the previous interval and not in this one (a count, never negative).",
  })
  dormant: number;
}
