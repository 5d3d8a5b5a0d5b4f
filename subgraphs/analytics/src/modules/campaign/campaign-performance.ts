import DataLoader from "dataloader";
import type { DataSource } from "typeorm";
import { isUuid } from "#kit/data/ids";
import type { CampaignPerformance } from "./campaign.type";

export interface PerformanceKey {
  campaignId: string;
  from: Date | null;
  to: Date | null;
}

/** Raw sums per campaign over a range. */
interface Totals {
  impressions: number;
  clicks: number;
  conversions: number;
  revenue: number;
  spend: number;
}

/** Ratios from totals; null where the denominator is 0. */
export function performanceOf(t: Totals): CampaignPerformance {
  const ratio = (a: number, b: number) => (b > 0 ? a / b : null);
  return {
    ...t,
    ctr: ratio(t.clicks, t.impressions),
    conversionRate: ratio(t.conversions, t.clicks),
    roas: ratio(t.revenue, t.spend),
    cpa: ratio(t.spend, t.conversions),
  };
}

/**
 * Totals of campaigns of one organization over [from, to) (open ends when null), one grouped query.
 */
export async function campaignTotals(
  dataSource: DataSource,
  organizationId: string,
  campaignIds: string[] | null,
  from: Date | null,
  to: Date | null,
): Promise<Map<string, Totals>> {
  const rows: Record<string, any>[] = await dataSource.query(
    `SELECT campaign_id,
            count(*) FILTER (WHERE type = 'campaign_impression')::int AS impressions,
            count(*) FILTER (WHERE type = 'campaign_click')::int AS clicks,
            count(*) FILTER (WHERE type = 'purchase')::int AS conversions,
            coalesce(sum(value) FILTER (WHERE type = 'purchase'), 0)::float8 AS revenue,
            coalesce(sum(value) FILTER (WHERE type = 'ad_spend'), 0)::float8 AS spend
       FROM events
      WHERE organization_id = $1 AND campaign_id IS NOT NULL
        AND ($2::uuid[] IS NULL OR campaign_id = ANY($2::uuid[]))
        AND "timestamp" >= coalesce($3::timestamptz, '-infinity') AND "timestamp" < coalesce($4::timestamptz, 'infinity')
      GROUP BY campaign_id`,
    [organizationId, campaignIds, from?.toISOString() ?? null, to?.toISOString() ?? null],
  );
  return new Map(
    rows.map((row) => [
      row.campaign_id,
      {
        impressions: row.impressions,
        clicks: row.clicks,
        conversions: row.conversions,
        revenue: row.revenue,
        spend: row.spend,
      },
    ]),
  );
}

const EMPTY: Totals = { impressions: 0, clicks: 0, conversions: 0, revenue: 0, spend: 0 };

/**
 * Per-request loader of campaign performance: all campaigns asked for the same range cost one
 * query, on the data source `reads` gives for it (the read replica when it is current).
 */
export function createCampaignPerformanceLoader(
  reads: () => Promise<DataSource>,
  organizationId: string,
): DataLoader<PerformanceKey, CampaignPerformance, string> {
  return new DataLoader<PerformanceKey, CampaignPerformance, string>(
    async (keys) => {
      const ranges = new Map<string, PerformanceKey[]>();
      for (const key of keys) {
        const range = `${key.from?.toISOString() ?? ""}|${key.to?.toISOString() ?? ""}`;
        (ranges.get(range) ?? ranges.set(range, []).get(range)!).push(key);
      }
      const results = new Map<string, CampaignPerformance>();
      for (const group of ranges.values()) {
        const ids = [...new Set(group.map((key) => key.campaignId).filter(isUuid))];
        const totals = ids.length
          ? await campaignTotals(await reads(), organizationId, ids, group[0].from, group[0].to)
          : new Map();
        for (const key of group)
          results.set(cacheKey(key), performanceOf(totals.get(key.campaignId) ?? EMPTY));
      }
      return keys.map((key) => results.get(cacheKey(key))!);
    },
    { cacheKeyFn: cacheKey },
  );
}

function cacheKey(key: PerformanceKey): string {
  return `${key.campaignId}|${key.from?.toISOString() ?? ""}|${key.to?.toISOString() ?? ""}`;
}
