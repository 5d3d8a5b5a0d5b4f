import { Field, ObjectType } from "type-graphql";
import { User } from "../user/user.type";

@ObjectType({ description: "The result of signing in: a short-lived access token for `Authorization: Bearer`." })
export class AuthPayload {
  @Field({ description: "A JWT to send as `Authorization: Bearer <accessToken>`." })
  accessToken: string;

  @Field({ description: "When the access token stops being accepted." })
  expiresAt: Date;

  @Field(() => User)
  user: User;
}
