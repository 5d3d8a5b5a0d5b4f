import { Ctx, FieldResolver, Resolver, Root } from "type-graphql";
import type { UsersContext } from "../../context";
import type { UserEntity } from "../user/user.entity";
import { User } from "../user/user.type";
import type { OrganizationEntity } from "./organization.entity";
import { Organization } from "./organization.type";

@Resolver(() => Organization)
export class OrganizationResolver {
  @FieldResolver(() => [User], { description: "The organization's users, oldest first." })
  async users(
    @Root() organization: OrganizationEntity,
    @Ctx() { loaders }: UsersContext,
  ): Promise<UserEntity[]> {
    return loaders ? loaders.usersByOrganizationId.load(organization.id) : [];
  }
}
