import { In, type DataSource } from "typeorm";
import { uuidLoader } from "#kit/data/batch";
import { CustomerEntity } from "./customer.entity";

/** Per-request loaders for customers of one organization: N lookups cost one query. */
export function createCustomerLoaders(dataSource: DataSource, organizationId: string) {
  const customers = dataSource.getRepository(CustomerEntity);
  return {
    /** A customer of the caller's organization; `null` for a missing id or another tenant's. */
    customerById: uuidLoader((ids) => customers.findBy({ organizationId, id: In(ids) })),
  };
}
