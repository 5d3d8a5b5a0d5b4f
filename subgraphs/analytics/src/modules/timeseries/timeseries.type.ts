import { Field, Float, ObjectType } from "type-graphql";
import { Interval } from "./interval";

@ObjectType({ description: "A metric's value in one bucket (and group)." })
export class MetricPoint {
  @Field()
  metric: string;

  @Field({ description: "The bucket's start." })
  bucket: Date;

  @Field(() => Float, { description: "0 for a bucket without events." })
  value: number;

  @Field(() => String, {
    nullable: true,
    description:
      "The group, with groupBy: a value, '(none)' for events without one, or 'other' beyond the top 10.",
  })
  group: string | null;
}

@ObjectType({ description: "A metric over time." })
export class Timeseries {
  @Field()
  metric: string;

  @Field(() => Interval)
  interval: Interval;

  @Field()
  timezone: string;

  @Field(() => [MetricPoint], { description: "By bucket, then group." })
  points: MetricPoint[];

  @Field(() => Float, {
    description:
      "The metric over the whole range (not the sum of points for averages, distinct counts and percentiles).",
  })
  total: number;

  @Field(() => Float, {
    nullable: true,
    description: "The metric over the previous period of the same length, with compare: true.",
  })
  previousTotal: number | null;
}

@ObjectType()
export class MetricValue {
  @Field()
  metric: string;

  @Field(() => Float, {
    nullable: true,
    description: "null when it is undefined for no events (an average, a percentile).",
  })
  value: number | null;
}

@ObjectType({ description: "The metrics of one group over the whole range." })
export class AggregateRow {
  @Field(() => String, { nullable: true })
  group: string | null;

  @Field(() => [MetricValue])
  values: MetricValue[];
}
