import type { GraphQLSchema } from "graphql";
import { buildFederatedSchema } from "#kit/schema/build-subgraph-schema";
import { resolveCampaignReference } from "./modules/campaign/campaign.reference";
import { CampaignResolver } from "./modules/campaign/campaign.resolver";
import { resolveCustomerReference } from "./modules/customer/customer.reference";
import { CustomerResolver } from "./modules/customer/customer.resolver";

/** The customers subgraph schema: customers and campaigns. */
export function buildCustomersSchema(): Promise<GraphQLSchema> {
  return buildFederatedSchema({ resolvers: [CustomerResolver, CampaignResolver] }, {
    Customer: { __resolveReference: resolveCustomerReference },
    Campaign: { __resolveReference: resolveCampaignReference },
  } as never);
}
