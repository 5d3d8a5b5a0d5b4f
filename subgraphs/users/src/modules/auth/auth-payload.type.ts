import { Field, ObjectType } from "type-graphql";
import { User } from "../user/user.type";

@ObjectType({
  description:
    "The result of signing in or refreshing: a short-lived access token and the refresh token for the next one.",
})
export class AuthPayload {
  @Field({ description: "A JWT to send as `Authorization: Bearer <accessToken>`." })
  accessToken: string;

  @Field({
    description:
      "Opaque; exchange it once with `refreshToken` for a new pair. Using it twice revokes the session.",
  })
  refreshToken: string;

  @Field({ description: "When the access token stops being accepted." })
  expiresAt: Date;

  @Field(() => User)
  user: User;
}
