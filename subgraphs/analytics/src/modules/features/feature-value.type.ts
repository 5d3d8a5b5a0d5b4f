import { Field, Float, ObjectType } from "type-graphql";

/** One feature's value: a segment centre's coordinate, a campaign audience's mean. */
@ObjectType()
export class FeatureValue {
  @Field()
  feature: string;

  @Field(() => Float)
  value: number;
}
