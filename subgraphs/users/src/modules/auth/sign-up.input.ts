import { Field, InputType } from "type-graphql";

@InputType({ description: "A new organization and its first user, who becomes its ADMIN." })
export class SignUpInput {
  @Field()
  organizationName: string;

  @Field()
  name: string;

  @Field()
  email: string;

  @Field({ description: "At least 10 characters." })
  password: string;
}
