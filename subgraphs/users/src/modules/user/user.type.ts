import { Directive, Field, ID, ObjectType, registerEnumType } from "type-graphql";
import { Role } from "#kit/auth/role";

registerEnumType(Role, {
  name: "Role",
  description:
    "What a user may do in their organization: VIEWER reads; ANALYST also changes data and runs models; ADMIN also manages users and API keys.",
});

@Directive('@key(fields: "id")')
@ObjectType({ description: "A person who signs in to an organization." })
export class User {
  @Field(() => ID)
  id: string;

  @Field()
  email: string;

  @Field()
  name: string;

  @Field(() => Role)
  role: Role;

  @Field()
  createdAt: Date;
}
