import { Arg, Ctx, FieldResolver, ID, Mutation, Query, Resolver, Root } from "type-graphql";
import { requireUser, requireViewer } from "#kit/auth/guards";
import { Role } from "#kit/auth/role";
import { isUuid } from "#kit/data/ids";
import { badUserInput, notFound } from "#kit/errors";
import type { UsersContext } from "../../context";
import { hashPassword } from "./password";
import { Organization } from "../organization/organization.type";
import type { OrganizationEntity } from "../organization/organization.entity";
import { UserEntity } from "./user.entity";
import { CreateUserInput } from "./user.input";
import { User } from "./user.type";
import {
  assertEmailFree,
  assertPassword,
  normalizeEmail,
  normalizeName,
  withUniqueEmail,
} from "./user-validation";

@Resolver(() => User)
export class UserResolver {
  @Query(() => User, {
    nullable: true,
    description: "The signed-in user; null for an anonymous request or an API key.",
  })
  async me(@Ctx() { viewer, loaders }: UsersContext): Promise<UserEntity | null> {
    if (viewer?.kind !== "user" || !loaders) return null;
    return loaders.userById.load(viewer.userId);
  }

  @Query(() => [User], { description: "The users of the caller's organization, oldest first." })
  async users(@Ctx() ctx: UsersContext): Promise<UserEntity[]> {
    const viewer = requireViewer(ctx.viewer);
    return ctx.loaders!.usersByOrganizationId.load(viewer.organizationId);
  }

  @Mutation(() => User, { description: "Adds a user to the caller's organization. ADMIN only." })
  async createUser(
    @Arg("input") input: CreateUserInput,
    @Ctx() ctx: UsersContext,
  ): Promise<UserEntity> {
    const admin = requireUser(ctx.viewer, Role.ADMIN);
    const email = normalizeEmail(input.email);
    const name = normalizeName(input.name);
    assertPassword(input.password);
    const passwordHash = await hashPassword(input.password);
    const user = await withUniqueEmail(email, () =>
      ctx.dataSource.transaction(async (manager) => {
        await assertEmailFree(manager, email);
        return manager.save(
          manager.create(UserEntity, {
            organizationId: admin.organizationId,
            email,
            name,
            role: input.role,
            passwordHash,
          }),
        );
      }),
    );
    const { passwordHash: _hash, ...publicUser } = user;
    return publicUser as UserEntity;
  }

  @Mutation(() => User, {
    description:
      "Changes a user's role in the caller's organization. ADMIN only. The last ADMIN cannot be demoted. Takes effect on the user's next access token.",
  })
  async updateUserRole(
    @Arg("id", () => ID) id: string,
    @Arg("role", () => Role) role: Role,
    @Ctx() ctx: UsersContext,
  ): Promise<UserEntity> {
    const admin = requireUser(ctx.viewer, Role.ADMIN);
    if (!isUuid(id)) throw notFound("User", id);
    return ctx.dataSource.transaction(async (manager) => {
      // Lock the organization's admins so two concurrent demotions cannot leave none.
      const admins: { id: string }[] = await manager.query(
        "SELECT id FROM users WHERE organization_id = $1 AND role = 'ADMIN' FOR UPDATE",
        [admin.organizationId],
      );
      const user = await manager.findOneBy(UserEntity, {
        id,
        organizationId: admin.organizationId,
      });
      if (!user) throw notFound("User", id);
      if (user.role === Role.ADMIN && role !== Role.ADMIN && admins.length === 1) {
        throw badUserInput(
          "An organization needs at least one ADMIN: promote someone else first.",
          "role",
        );
      }
      user.role = role;
      return manager.save(user);
    });
  }

  @FieldResolver(() => Organization)
  async organization(
    @Root() user: UserEntity,
    @Ctx() { loaders }: UsersContext,
  ): Promise<OrganizationEntity | null> {
    return loaders!.organizationById.load(user.organizationId);
  }
}
