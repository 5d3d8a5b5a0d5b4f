import type { CustomersContext } from "../../context";
import type { CampaignEntity } from "./campaign.entity";

/** Resolves `Campaign` references in one query per request; another tenant's campaign is `null`. */
export async function resolveCampaignReference(
  reference: { id: string },
  { loaders }: CustomersContext,
): Promise<CampaignEntity | null> {
  return loaders ? loaders.campaignById.load(reference.id) : null;
}
