import { DataSource } from "typeorm";
import { CreateOrganizationsAndUsers1763900000000 } from "../migrations/1763900000000-CreateOrganizationsAndUsers";
import { OrganizationEntity } from "./modules/organization/organization.entity";
import { UserEntity } from "./modules/user/user.entity";

/** The users database: explicit entities and migrations, never `synchronize`. */
export function createUsersDataSource(url: string): DataSource {
  return new DataSource({
    type: "postgres",
    url,
    entities: [OrganizationEntity, UserEntity],
    migrations: [CreateOrganizationsAndUsers1763900000000],
    synchronize: false,
    migrationsRun: false,
    applicationName: "users",
    extra: { max: Number(process.env.USERS_DB_POOL_SIZE ?? 10) },
  });
}
