import { type DataSource } from "typeorm";
import { uuidLoader } from "#kit/data/batch";
import { OrganizationEntity } from "./organization.entity";

/** Per-request loader for the caller's organization; any other id resolves to `null`. */
export function createOrganizationLoaders(dataSource: DataSource, organizationId: string) {
  const organizations = dataSource.getRepository(OrganizationEntity);
  return {
    organizationById: uuidLoader(async (ids) =>
      ids.includes(organizationId) ? organizations.findBy({ id: organizationId }) : [],
    ),
  };
}
