import { Arg, Ctx, Mutation, Resolver } from "type-graphql";
import type { EntityManager } from "typeorm";
import { Role } from "#kit/auth/role";
import { unauthenticated } from "#kit/errors";
import type { UsersContext } from "../../context";
import { OrganizationEntity } from "../organization/organization.entity";
import {
  issueRefreshToken,
  revokeRefreshTokenFamily,
  rotateRefreshToken,
} from "../session/refresh-tokens";
import { UserEntity } from "../user/user.entity";
import {
  assertEmailFree,
  assertPassword,
  normalizeEmail,
  normalizeName,
  withUniqueEmail,
} from "../user/user-validation";
import { AuthPayload } from "./auth-payload.type";
import { hashPassword, verifyPassword } from "../user/password";
import { SignUpInput } from "./sign-up.input";

@Resolver()
export class AuthResolver {
  @Mutation(() => AuthPayload, {
    description: "Creates an organization and its first user, an ADMIN, and signs them in.",
  })
  async signUp(@Arg("input") input: SignUpInput, @Ctx() ctx: UsersContext): Promise<AuthPayload> {
    const organizationName = normalizeName(input.organizationName, "organizationName");
    const name = normalizeName(input.name);
    const email = normalizeEmail(input.email);
    assertPassword(input.password);
    const passwordHash = await hashPassword(input.password);
    return withUniqueEmail(email, () =>
      ctx.dataSource.transaction(async (manager) => {
        await assertEmailFree(manager, email);
        const organization = await manager.save(
          manager.create(OrganizationEntity, { name: organizationName }),
        );
        const user = await manager.save(
          manager.create(UserEntity, {
            organizationId: organization.id,
            email,
            name,
            role: Role.ADMIN,
            passwordHash,
          }),
        );
        return signIn(ctx, manager, user);
      }),
    );
  }

  @Mutation(() => AuthPayload, {
    description:
      "Signs in. A wrong email or password gives the same UNAUTHENTICATED error; repeated failures give RATE_LIMITED.",
  })
  async login(
    @Arg("email") email: string,
    @Arg("password") password: string,
    @Ctx() ctx: UsersContext,
  ): Promise<AuthPayload> {
    const account = email.trim().toLowerCase();
    ctx.throttle.assertAllowed(account, ctx.clientAddress);
    const user = await ctx.dataSource
      .getRepository(UserEntity)
      .createQueryBuilder("user")
      .addSelect("user.passwordHash")
      .where("user.email = :email", { email: account })
      .getOne();
    const valid = await verifyPassword(user?.passwordHash, password);
    if (!user || !valid) {
      ctx.throttle.recordFailure(account, ctx.clientAddress);
      throw unauthenticated("Invalid email or password.");
    }
    ctx.throttle.recordSuccess(account);
    return ctx.dataSource.transaction((manager) => signIn(ctx, manager, user));
  }

  @Mutation(() => AuthPayload, {
    description:
      "Exchanges a refresh token for a new access token and a new refresh token. A refresh token works once: reusing one revokes its session.",
  })
  async refreshToken(
    @Arg("refreshToken") refreshToken: string,
    @Ctx() ctx: UsersContext,
  ): Promise<AuthPayload> {
    const rotated = await rotateRefreshToken(ctx.dataSource, refreshToken);
    const user = await ctx.dataSource
      .getRepository(UserEntity)
      .findOneBy({ organizationId: rotated.organizationId, id: rotated.userId });
    if (!user) throw unauthenticated("The refresh token's user no longer exists.");
    const viewer = {
      kind: "user" as const,
      userId: user.id,
      organizationId: user.organizationId,
      role: user.role,
    };
    const { token, expiresAt } = await ctx.tokens.issue(viewer);
    ctx.actAs(viewer);
    return { accessToken: token, refreshToken: rotated.refreshToken, expiresAt, user };
  }

  @Mutation(() => Boolean, {
    description:
      "Signs out: revokes the session of this refresh token. False when it was unknown or already revoked.",
  })
  async logout(
    @Arg("refreshToken") refreshToken: string,
    @Ctx() ctx: UsersContext,
  ): Promise<boolean> {
    return revokeRefreshTokenFamily(ctx.dataSource, refreshToken);
  }
}

/** Issues the token pair for a user and lets the rest of the request act as them. */
async function signIn(
  ctx: UsersContext,
  manager: EntityManager,
  user: UserEntity,
): Promise<AuthPayload> {
  const viewer = {
    kind: "user" as const,
    userId: user.id,
    organizationId: user.organizationId,
    role: user.role,
  };
  const { token, expiresAt } = await ctx.tokens.issue(viewer);
  const refreshToken = await issueRefreshToken(manager, user);
  ctx.actAs(viewer);
  const { passwordHash: _hash, ...publicUser } = user;
  return { accessToken: token, refreshToken, expiresAt, user: publicUser };
}
