import { Field, Float, ObjectType } from "type-graphql";

@ObjectType({
  description:
    "A bucket of a metric with what the detector expected of it, from the buckets before it only.",
})
export class AnomalyPoint {
  @Field({ description: "The bucket's start." })
  bucket: Date;

  @Field(() => Float)
  value: number;

  @Field(() => Float, { nullable: true, description: "Null while the history is too short." })
  expected: number | null;

  @Field(() => Float, { nullable: true })
  lower: number | null;

  @Field(() => Float, { nullable: true })
  upper: number | null;

  @Field(() => Float, { description: "0 to 1; higher is more anomalous." })
  score: number;

  @Field({ description: "The value is outside [lower, upper]." })
  anomaly: boolean;
}
