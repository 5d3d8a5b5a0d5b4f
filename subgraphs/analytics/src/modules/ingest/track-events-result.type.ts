import { Field, Int, ObjectType } from "type-graphql";

@ObjectType({ description: "An event of a batch that was not stored, and why." })
export class RejectedEvent {
  @Field(() => Int, { description: "Its position in the batch, from 0." })
  index: number;

  @Field()
  reason: string;
}

@ObjectType({
  description: "What trackEvents did with a batch. It is durable when the mutation returns.",
})
export class TrackEventsResult {
  @Field(() => Int, { description: "Events stored now." })
  accepted: number;

  @Field(() => Int, {
    description:
      "Valid events whose id was already stored (a retry, or a repeat within the batch).",
  })
  duplicates: number;

  @Field(() => [RejectedEvent])
  rejected: RejectedEvent[];
}
