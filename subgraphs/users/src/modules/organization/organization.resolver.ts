import { Arg, Ctx, Mutation, Resolver } from "type-graphql";
import { requireUser } from "#kit/auth/guards";
import { Role } from "#kit/auth/role";
import { badUserInput } from "#kit/errors";
import type { UsersContext } from "../../context";
import { knownCurrency } from "./currency";
import { OrganizationEntity } from "./organization.entity";
import { Organization } from "./organization.type";

@Resolver(() => Organization)
export class OrganizationResolver {
  @Mutation(() => Organization, {
    description:
      'Sets the ISO 4217 currency (e.g. "EUR", any case) the organization\'s money is reported in. ADMIN only. An unknown code is BAD_USER_INPUT (field "currency").',
  })
  async setOrganizationCurrency(
    @Arg("currency") currency: string,
    @Ctx() ctx: UsersContext,
  ): Promise<OrganizationEntity> {
    const admin = requireUser(ctx.viewer, Role.ADMIN);
    const code = knownCurrency(currency);
    if (!code)
      throw badUserInput(
        `"${currency.slice(0, 20)}" is not an ISO 4217 currency code (e.g. USD, EUR, JPY).`,
        "currency",
      );
    return ctx.dataSource.transaction(async (manager) => {
      await manager.update(OrganizationEntity, { id: admin.organizationId }, { currency: code });
      return manager.findOneByOrFail(OrganizationEntity, { id: admin.organizationId });
    });
  }
}
