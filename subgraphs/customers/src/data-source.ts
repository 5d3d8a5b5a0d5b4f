import { DataSource } from "typeorm";
import { CreateCustomersAndCampaigns1763900000000 } from "../migrations/1763900000000-CreateCustomersAndCampaigns";
import { CampaignEntity } from "./modules/campaign/campaign.entity";
import { CustomerEntity } from "./modules/customer/customer.entity";

/** The customers database: explicit entities and migrations, never `synchronize`. */
export function createCustomersDataSource(url: string): DataSource {
  return new DataSource({
    type: "postgres",
    url,
    entities: [CustomerEntity, CampaignEntity],
    migrations: [CreateCustomersAndCampaigns1763900000000],
    synchronize: false,
    migrationsRun: false,
    applicationName: "customers",
    extra: { max: Number(process.env.CUSTOMERS_DB_POOL_SIZE ?? 10) },
  });
}
