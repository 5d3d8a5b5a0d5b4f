import { Directive, Field, ID, ObjectType } from "type-graphql";

@Directive('@key(fields: "id")')
@ObjectType({ description: "A tenant. Everything a user sees belongs to their organization." })
export class Organization {
  @Field(() => ID)
  id: string;

  @Field()
  name: string;
}
