import { CampaignStatus } from "./campaign.entity";

/**
 * The campaign life cycle: DRAFT -> ACTIVE -> PAUSED <-> ACTIVE -> COMPLETED. COMPLETED is final
 * and DRAFT cannot be returned to.
 */
export const CAMPAIGN_TRANSITIONS: Record<CampaignStatus, readonly CampaignStatus[]> = {
  [CampaignStatus.DRAFT]: [CampaignStatus.ACTIVE],
  [CampaignStatus.ACTIVE]: [CampaignStatus.PAUSED, CampaignStatus.COMPLETED],
  [CampaignStatus.PAUSED]: [CampaignStatus.ACTIVE],
  [CampaignStatus.COMPLETED]: [],
};

/** True when a campaign may go from `from` to `to`. */
export function canTransition(from: CampaignStatus, to: CampaignStatus): boolean {
  return CAMPAIGN_TRANSITIONS[from].includes(to);
}
