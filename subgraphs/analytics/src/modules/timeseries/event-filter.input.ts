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
}
