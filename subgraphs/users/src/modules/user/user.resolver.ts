import { Ctx, FieldResolver, Query, Resolver, Root } from "type-graphql";
import { requireViewer } from "../../../../shared/src/auth/guards";
import type { UsersContext } from "../../context";
import { Organization } from "../organization/organization.type";
import type { OrganizationEntity } from "../organization/organization.entity";
import type { UserEntity } from "./user.entity";
import { User } from "./user.type";

@Resolver(() => User)
export class UserResolver {
  @Query(() => User, { nullable: true, description: "The signed-in user; null for an anonymous request." })
  async me(@Ctx() { viewer, loaders }: UsersContext): Promise<UserEntity | null> {
    if (!viewer || !loaders) return null;
    return loaders.userById.load(viewer.userId);
  }

  @Query(() => [User], { description: "The users of the caller's organization, oldest first." })
  async users(@Ctx() ctx: UsersContext): Promise<UserEntity[]> {
    const viewer = requireViewer(ctx.viewer);
    return ctx.loaders!.usersByOrganizationId.load(viewer.organizationId);
  }

  @FieldResolver(() => Organization)
  async organization(@Root() user: UserEntity, @Ctx() { loaders }: UsersContext): Promise<OrganizationEntity | null> {
    return loaders!.organizationById.load(user.organizationId);
  }
}
