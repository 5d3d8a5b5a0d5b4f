import { Ctx, FieldResolver, Resolver, Root } from "type-graphql";
import type { AnalyticsContext } from "../../context";
import { Customer } from "./customer.type";
import { CustomerStats } from "./customer-stats.type";

@Resolver(() => Customer)
export class CustomerStatsResolver {
  @FieldResolver(() => CustomerStats, {
    description: "Orders and spend from this customer's events (batched per request).",
  })
  async stats(
    @Root() customer: Customer,
    @Ctx() { loaders }: AnalyticsContext,
  ): Promise<CustomerStats> {
    return loaders!.customerStats.load(customer.id);
  }
}
