import { Field, Float, ID, InputType, Int, ObjectType } from "type-graphql";
import { FeatureValue } from "../features/feature-value.type";
import { JobStatus } from "../jobs/job-status";

@ObjectType({ description: "A group of similar customers found by a segmentation run." })
export class Segment {
  @Field(() => ID, { description: "<run id>:<index>" })
  id: string;

  @Field(() => Int)
  index: number;

  @Field({
    description: "Derived from the centroid, e.g. Champions, Loyal, At risk, Hibernating, New.",
  })
  label: string;

  @Field(() => Int)
  size: number;

  @Field(() => Float, { description: "Share of the segmented customers." })
  share: number;

  @Field(() => Float, { description: "Share of the segmented customers' revenue." })
  revenueShare: number;

  @Field(() => [FeatureValue], {
    description: "The segment's centre in the features' original units (days, orders, money).",
  })
  centroid: FeatureValue[];

  /** Not a field: the run, to page through members. */
  runId: string;
}

@ObjectType({ description: "A k-means segmentation of the organization's customers as of a date." })
export class SegmentationRun {
  @Field(() => ID)
  id: string;

  @Field()
  createdAt: Date;

  @Field(() => JobStatus)
  status: JobStatus;

  @Field(() => Float, { description: "From 0 to 1 while RUNNING." })
  progress: number;

  @Field(() => String, { nullable: true, description: "Why a FAILED run failed." })
  error: string | null;

  @Field()
  asOf: Date;

  @Field(() => Int, { description: "0 until the run completes." })
  k: number;

  @Field(() => [String])
  features: string[];

  @Field(() => Float)
  silhouette: number;

  @Field(() => Float)
  inertia: number;

  @Field(() => Int)
  customerCount: number;

  @Field(() => [Segment])
  segments: Segment[];
}

@InputType()
export class SegmentationInput {
  @Field(() => Int, {
    nullable: true,
    description: "2 to 12; omitted: chosen in 2..8 by the best silhouette score.",
  })
  k?: number | null;

  @Field(() => [String], {
    nullable: true,
    description:
      "recency, frequency, monetary (the default), tenure, average_order_value, purchase_trend, engagement, age, attributes.<numeric attribute>.",
  })
  features?: string[] | null;

  @Field(() => Date, {
    nullable: true,
    description: "Compute features from events before this moment. @default now",
  })
  asOf?: Date | null;

  @Field(() => Int, {
    nullable: true,
    description: "The same seed on the same data gives the same segments. @default 42",
  })
  seed?: number | null;

  @Field(() => Int, {
    nullable: true,
    description:
      "Seconds to wait for the result before returning the RUNNING run to poll. @default 8",
  })
  waitSeconds?: number | null;
}
