import { Field, Int, ObjectType } from "type-graphql";

@ObjectType({
  description: "How many actors did an event in exactly `intervals` distinct intervals.",
})
export class StickinessBucket {
  @Field(() => Int, { description: "n, from 1 to the number of intervals in the range." })
  intervals: number;

  @Field(() => Int, {
    description: "Actors (customers and anonymous visitors) with the event in exactly n intervals.",
  })
  actors: number;
}
