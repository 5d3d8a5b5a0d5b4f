import { Field, ID, Int, ObjectType } from "type-graphql";

@ObjectType({ description: "An anonymous visitor identified as a customer." })
export class Identity {
  @Field()
  anonymousId: string;

  @Field(() => ID)
  customerId: string;

  @Field(() => Int, {
    description:
      "The anonymous id's events that count as the customer's: those stored so far (events sent later count too).",
  })
  linkedEvents: number;
}
