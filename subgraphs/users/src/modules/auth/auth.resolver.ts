import { Arg, Ctx, Mutation, Resolver } from "type-graphql";
import { unauthenticated } from "../../../../shared/src/errors";
import type { UsersContext } from "../../context";
import { UserEntity } from "../user/user.entity";
import { AuthPayload } from "./auth-payload.type";
import { verifyPassword } from "./password";

@Resolver()
export class AuthResolver {
  @Mutation(() => AuthPayload, { description: "Signs in with email and password. A wrong email or password gives the same UNAUTHENTICATED error." })
  async login(@Arg("email") email: string, @Arg("password") password: string, @Ctx() ctx: UsersContext): Promise<AuthPayload> {
    const user = await ctx.dataSource
      .getRepository(UserEntity)
      .createQueryBuilder("user")
      .addSelect("user.passwordHash")
      .where("user.email = :email", { email: email.trim().toLowerCase() })
      .getOne();
    const valid = await verifyPassword(user?.passwordHash, password);
    if (!user || !valid) throw unauthenticated("Invalid email or password.");
    const viewer = { userId: user.id, organizationId: user.organizationId, role: user.role };
    const { token, expiresAt } = await ctx.tokens.issue(viewer);
    ctx.actAs(viewer);
    const { passwordHash: _hash, ...publicUser } = user;
    return { accessToken: token, expiresAt, user: publicUser };
  }
}
