import type { DataSource } from "typeorm";
import { createServiceDataSource } from "#kit/database/service-data-source";
import { CreateOrganizationsAndUsers1763900000000 } from "../migrations/1763900000000-CreateOrganizationsAndUsers";
import { CreateRefreshTokensAndApiKeys1763900001000 } from "../migrations/1763900001000-CreateRefreshTokensAndApiKeys";
import { AddCustomersWriteScope1763900002000 } from "../migrations/1763900002000-AddCustomersWriteScope";
import { KeyUsersByOrganization1763900050000 } from "../migrations/1763900050000-KeyUsersByOrganization";
import { AddOrganizationCurrency1763900090000 } from "../migrations/1763900090000-AddOrganizationCurrency";
import { ApiKeyEntity } from "./modules/api-key/api-key.entity";
import { OrganizationEntity } from "./modules/organization/organization.entity";
import { UserEntity } from "./modules/user/user.entity";

/** The users database. */
export function createUsersDataSource(url: string): DataSource {
  return createServiceDataSource({
    name: "users",
    url,
    entities: [OrganizationEntity, UserEntity, ApiKeyEntity],
    migrations: [
      CreateOrganizationsAndUsers1763900000000,
      CreateRefreshTokensAndApiKeys1763900001000,
      AddCustomersWriteScope1763900002000,
      KeyUsersByOrganization1763900050000,
      AddOrganizationCurrency1763900090000,
    ],
  });
}
