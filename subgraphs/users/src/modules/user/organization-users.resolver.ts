import { Ctx, FieldResolver, Resolver, Root } from "type-graphql";
import type { UsersContext } from "../../context";
import type { OrganizationEntity } from "../organization/organization.entity";
import { Organization } from "../organization/organization.type";
import type { UserEntity } from "./user.entity";
import { User } from "./user.type";

/** `Organization.users`: the user module adds the organization's users to it. */
@Resolver(() => Organization)
export class OrganizationUsersResolver {
  @FieldResolver(() => [User], { description: "The organization's users, oldest first." })
  async users(
    @Root() organization: OrganizationEntity,
    @Ctx() { loaders }: UsersContext,
  ): Promise<UserEntity[]> {
    return loaders ? loaders.usersByOrganizationId.load(organization.id) : [];
  }
}
