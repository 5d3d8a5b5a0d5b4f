import DataLoader from "dataloader";
import { In, type DataSource } from "typeorm";
import { groupByKeys, uuidLoader } from "#kit/data/batch";
import { UserEntity } from "./user.entity";

/** Per-request loaders for users of one organization: N lookups cost one query. */
export function createUserLoaders(dataSource: DataSource, organizationId: string) {
  const users = dataSource.getRepository(UserEntity);
  return {
    /**
     * A user of the caller's organization by id; `null` for a missing id or another tenant's user.
     */
    userById: uuidLoader((ids) => users.findBy({ organizationId, id: In(ids) })),
    /** The users of an organization, oldest first; only the caller's own organization has any. */
    usersByOrganizationId: new DataLoader<string, UserEntity[]>(async (organizationIds) => {
      const wanted = organizationIds.filter((id) => id === organizationId);
      const rows =
        wanted.length > 0
          ? await users.find({ where: { organizationId }, order: { createdAt: "ASC", id: "ASC" } })
          : [];
      return groupByKeys(organizationIds, rows, (row) => row.organizationId);
    }),
  };
}
