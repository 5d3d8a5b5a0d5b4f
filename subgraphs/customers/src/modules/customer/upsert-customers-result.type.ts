import { Field, Int, ObjectType } from "type-graphql";

@ObjectType({ description: "A row of a batch that was not stored, and why." })
export class RejectedRow {
  @Field(() => Int, { description: "Its position in the input list, from 0." })
  index: number;

  @Field()
  reason: string;

  @Field(() => String, { nullable: true, description: "The input field at fault, when one is." })
  field: string | null;
}

@ObjectType({
  description:
    "What upsertCustomers did with a batch: every valid row is stored, each invalid one reported.",
})
export class UpsertCustomersResult {
  @Field(() => Int)
  created: number;

  @Field(() => Int)
  updated: number;

  @Field(() => Int, {
    description: "Rows identical to what was stored: nothing was written for them.",
  })
  unchanged: number;

  @Field(() => [RejectedRow])
  rejected: RejectedRow[];
}
