import { Field, Float, Int, ObjectType } from "type-graphql";

@ObjectType({ description: "A customer's purchase history, computed from their events." })
export class CustomerStats {
  @Field(() => Int, { description: "Number of purchase events." })
  orders: number;

  @Field(() => Float, { description: "Sum of the value of purchase events." })
  totalSpent: number;

  @Field(() => Float, { description: "totalSpent / orders; 0 with no orders." })
  averageOrderValue: number;

  @Field(() => Date, { nullable: true, description: "The customer's first event of any type." })
  firstSeenAt: Date | null;

  @Field(() => Date, { nullable: true, description: "The customer's latest event of any type." })
  lastSeenAt: Date | null;
}
