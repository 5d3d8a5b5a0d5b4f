import { Directive, Field, ID, Int, ObjectType, registerEnumType } from "type-graphql";
import { connectionType } from "#kit/pagination/connection";
import { JSONScalar } from "#kit/schema/scalars";
import { CustomerStatus } from "./customer.entity";

registerEnumType(CustomerStatus, {
  name: "CustomerStatus",
  description: "Whether a customer is still a customer.",
});

@Directive('@key(fields: "id")')
// simpleResolvers: every field is a plain property (no middleware, no field resolver), so
// graphql-js reads it directly instead of through type-graphql's per-field wrapper: exports resolve
// 100,000s.
@ObjectType({ description: "A customer of the organization.", simpleResolvers: true })
export class Customer {
  @Field(() => ID)
  id: string;

  @Field(() => String, {
    nullable: true,
    description: "The id in the organization's own systems; unique within it.",
  })
  externalId: string | null;

  @Field()
  name: string;

  @Field(() => String, { nullable: true })
  email: string | null;

  @Field(() => Int, { nullable: true })
  age: number | null;

  @Field(() => String, { nullable: true })
  gender: string | null;

  @Field(() => String, { nullable: true })
  location: string | null;

  @Field(() => String, { nullable: true })
  incomeRange: string | null;

  @Field(() => String, { nullable: true })
  preferredCategory: string | null;

  @Field(() => CustomerStatus)
  status: CustomerStatus;

  @Field(() => Date, { nullable: true })
  churnedAt: Date | null;

  @Field()
  registeredAt: Date;

  @Field(() => JSONScalar, {
    nullable: true,
    description: "Free-form attributes, such as extra CSV columns.",
  })
  attributes: Record<string, unknown>;

  @Field()
  createdAt: Date;

  @Field()
  updatedAt: Date;
}

export const CustomerConnection = connectionType("Customer", Customer);
export type CustomerConnection = InstanceType<typeof CustomerConnection>;
