import { Arg, Ctx, ID, Int, Query, Resolver } from "type-graphql";
import { requireViewer } from "../../../../shared/src/auth/guards";
import { pageSize } from "../../../../shared/src/pagination/cursor";
import type { Page } from "../../../../shared/src/pagination/connection";
import { keysetPage } from "../../../../shared/src/pagination/keyset";
import type { CustomersContext } from "../../context";
import { CustomerEntity } from "./customer.entity";
import { Customer, CustomerConnection } from "./customer.type";

@Resolver(() => Customer)
export class CustomerResolver {
  @Query(() => Customer, { nullable: true, description: "A customer of your organization; null when there is none with this id." })
  async customer(@Arg("id", () => ID) id: string, @Ctx() ctx: CustomersContext): Promise<CustomerEntity | null> {
    requireViewer(ctx.viewer);
    return ctx.loaders!.customerById.load(id);
  }

  @Query(() => CustomerConnection, { description: "Your organization's customers, oldest first, a page at a time." })
  async customers(
    @Ctx() ctx: CustomersContext,
    @Arg("first", () => Int, { nullable: true, description: "Page size, 1 to 100. @default 20" }) first?: number,
    @Arg("after", () => String, { nullable: true, description: "The endCursor of the previous page." }) after?: string,
  ): Promise<Page<CustomerEntity>> {
    const viewer = requireViewer(ctx.viewer);
    const query = ctx.dataSource
      .getRepository(CustomerEntity)
      .createQueryBuilder("customer")
      .where("customer.organization_id = :organizationId", { organizationId: viewer.organizationId });
    return keysetPage(query, {
      first: pageSize(first),
      after,
      sort: { column: "customer.created_at", direction: "ASC", valueOf: (row) => row.createdAt, cast: "timestamptz" },
      id: { column: "customer.id", valueOf: (row) => row.id },
    });
  }
}
