import { Directive, Field, ID, ObjectType } from "type-graphql";

/** The customers subgraph's `Customer`, which analytics extends with computed fields. */
@Directive('@key(fields: "id")')
@ObjectType()
export class Customer {
  @Field(() => ID)
  id: string;
}
