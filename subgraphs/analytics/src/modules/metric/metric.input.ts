import { Field, InputType } from "type-graphql";
import { Aggregation } from "./aggregation";

@InputType({ description: "An organization's own metric: an aggregation over one event type." })
export class MetricInput {
  @Field({
    description:
      "Lower case letters, digits and _, starting with a letter; not a built-in metric's name.",
  })
  name: string;

  @Field(() => String, { nullable: true })
  description?: string | null;

  @Field()
  eventType: string;

  @Field(() => Aggregation)
  aggregation: Aggregation;

  @Field(() => String, {
    nullable: true,
    description:
      "A numeric property to aggregate instead of `value` (not for COUNT or DISTINCT_CUSTOMERS).",
  })
  property?: string | null;
}
