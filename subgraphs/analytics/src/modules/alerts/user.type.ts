import { Directive, Field, ID, ObjectType } from "type-graphql";

/** A reference to a user of the users subgraph, which resolves its fields. */
@Directive('@key(fields: "id", resolvable: false)')
@ObjectType()
export class User {
  @Field(() => ID)
  id: string;
}
