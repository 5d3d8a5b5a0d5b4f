import { Field, ObjectType } from "type-graphql";
import { Aggregation } from "./aggregation";

@ObjectType({ description: "A metric that timeseries and aggregate queries can compute." })
export class MetricDefinition {
  @Field()
  name: string;

  @Field()
  description: string;

  @Field(() => Aggregation)
  aggregation: Aggregation;

  @Field(() => String, {
    nullable: true,
    description: "The event type it counts or aggregates; null when it spans several.",
  })
  eventType: string | null;

  @Field({ description: "True for the metrics every organization has." })
  builtIn: boolean;
}
