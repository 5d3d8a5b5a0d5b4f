import type { DataSource } from "typeorm";
import type { Viewer } from "#kit/auth/viewer";
import type { ServiceContext } from "#kit/server/graphql-service";
import { createCampaignLoaders } from "./modules/campaign/campaign.loader";
import { createCustomerLoaders } from "./modules/customer/customer.loader";

/** The customers subgraph's per-request context. */
export interface CustomersContext extends ServiceContext {
  dataSource: DataSource;
  /** Loaders scoped to the caller's organization; `null` for an anonymous request. */
  loaders:
    (ReturnType<typeof createCustomerLoaders> & ReturnType<typeof createCampaignLoaders>) | null;
}

export function createCustomersContext(
  dataSource: DataSource,
  viewer: Viewer | null,
): CustomersContext {
  return {
    viewer,
    dataSource,
    loaders: viewer
      ? {
          ...createCustomerLoaders(dataSource, viewer.organizationId),
          ...createCampaignLoaders(dataSource, viewer.organizationId),
        }
      : null,
  };
}
