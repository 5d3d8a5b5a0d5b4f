import type { DataSource } from "typeorm";
import { createServiceDataSource } from "#kit/database/service-data-source";
import { CreateCustomersAndCampaigns1763900000000 } from "../migrations/1763900000000-CreateCustomersAndCampaigns";
import { AddCustomerSearchIndexes1763900001000 } from "../migrations/1763900001000-AddCustomerSearchIndexes";
import { KeyCustomersByOrganization1763900050000 } from "../migrations/1763900050000-KeyCustomersByOrganization";
import { CampaignEntity } from "./modules/campaign/campaign.entity";
import { CustomerEntity } from "./modules/customer/customer.entity";

/** The customers database. */
export function createCustomersDataSource(url: string): DataSource {
  return createServiceDataSource({
    name: "customers",
    url,
    entities: [CustomerEntity, CampaignEntity],
    migrations: [
      CreateCustomersAndCampaigns1763900000000,
      AddCustomerSearchIndexes1763900001000,
      KeyCustomersByOrganization1763900050000,
    ],
  });
}
