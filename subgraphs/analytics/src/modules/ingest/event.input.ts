import { Field, Float, ID, InputType } from "type-graphql";
import { JSONScalar } from "#kit/schema/scalars";

@InputType({ description: "One event to track." })
export class EventInput {
  @Field(() => ID, {
    nullable: true,
    description:
      "Your id for the event (at most 128 characters): the same id twice is stored once. Generated when omitted.",
  })
  id?: string | null;

  @Field({
    description:
      "page_view, purchase, signup, campaign_impression, campaign_click, ad_spend, or your own (at most 64 characters).",
  })
  type: string;

  @Field(() => ID, {
    nullable: true,
    description: "A customer's id (UUID); not checked against the customers subgraph.",
  })
  customerId?: string | null;

  @Field(() => String, {
    nullable: true,
    description:
      "A visitor not yet known as a customer (at most 128 characters), e.g. a cookie id. identify(anonymousId, customerId) makes its events, before and after, count as the customer's.",
  })
  anonymousId?: string | null;

  @Field(() => ID, { nullable: true, description: "A campaign's id (UUID)." })
  campaignId?: string | null;

  @Field({ description: "When it happened: from 2000 to at most 5 minutes from now." })
  timestamp: Date;

  @Field(() => Float, {
    nullable: true,
    description: "A number: the amount of a purchase, the cost of ad_spend, ...",
  })
  value?: number | null;

  @Field(() => JSONScalar, { nullable: true, description: "A JSON object of at most 8 KB." })
  properties?: Record<string, unknown> | null;
}
