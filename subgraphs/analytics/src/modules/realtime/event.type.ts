import { Field, Float, ID, ObjectType } from "type-graphql";
import { JSONScalar } from "#kit/schema/scalars";
import { Campaign } from "../campaign/campaign.type";
import { Customer } from "../customer-stats/customer.type";

@ObjectType({ description: "A stored event, as delivered by eventTracked." })
export class Event {
  @Field(() => ID)
  id: string;

  @Field()
  type: string;

  @Field()
  timestamp: Date;

  @Field(() => Float, { nullable: true })
  value: number | null;

  @Field(() => JSONScalar, { nullable: true })
  properties: Record<string, unknown> | null;

  @Field(() => String, {
    nullable: true,
    description: "The visitor id it was sent with; its customer is the one it is identified as.",
  })
  anonymousId: string | null;

  @Field(() => Customer, {
    nullable: true,
    description:
      "The customer, resolved by the customers subgraph (null when the event has none, or it was deleted).",
  })
  customer: Customer | null;

  @Field(() => Campaign, {
    nullable: true,
    description: "The campaign, resolved by the customers subgraph.",
  })
  campaign: Campaign | null;
}
