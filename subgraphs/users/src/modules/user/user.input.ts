import { Field, InputType } from "type-graphql";
import { Role } from "#kit/auth/role";

@InputType({ description: "A new user of the caller's organization." })
export class CreateUserInput {
  @Field()
  email: string;

  @Field()
  name: string;

  @Field({ description: "At least 10 characters." })
  password: string;

  @Field(() => Role)
  role: Role;
}
