import { Directive, Field, ID, ObjectType } from "type-graphql";
import { connectionType } from "#kit/pagination/connection";

/** The customers subgraph's `Customer`, which analytics extends with computed fields. */
@Directive('@key(fields: "id")')
@ObjectType()
export class Customer {
  @Field(() => ID)
  id: string;
}

export const CustomerConnection = connectionType("Customer", Customer);
export type CustomerConnection = InstanceType<typeof CustomerConnection>;
