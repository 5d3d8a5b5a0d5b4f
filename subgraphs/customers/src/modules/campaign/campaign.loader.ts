import { In, type DataSource } from "typeorm";
import { uuidLoader } from "#kit/data/batch";
import { CampaignEntity } from "./campaign.entity";

/** Per-request loaders for campaigns of one organization: N lookups cost one query. */
export function createCampaignLoaders(dataSource: DataSource, organizationId: string) {
  const campaigns = dataSource.getRepository(CampaignEntity);
  return {
    /** A campaign of the caller's organization; `null` for a missing id or another tenant's. */
    campaignById: uuidLoader((ids) => campaigns.findBy({ organizationId, id: In(ids) })),
  };
}
