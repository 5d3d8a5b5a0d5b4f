import type { DataSource } from "typeorm";
import type { CampaignPerformance } from "./campaign.type";
import { campaignTotals, performanceOf } from "./campaign-performance";
import {
  CampaignObjective,
  RecommendationAction,
  type CampaignOptimization,
  type Recommendation,
} from "./recommendation.types";

/** How a segment responded to the campaign. */
interface SegmentResponse {
  label: string;
  exposed: number;
  converted: number;
  revenue: number;
}

/**
 * Share a budget change moves; its effect is estimated at the campaign's own ROAS, discounted for
 * diminishing returns.
 */
const BUDGET_STEP = 0.2;
const DIMINISHING_RETURNS = 0.7;
/** Customers a segment needs to have seen the campaign before its response counts. */
const MIN_EXPOSED = 10;

/**
 * Recommendations for a campaign from the last 90 days of events: pause it when it loses money
 * (ROAS below 1), move its budget up or down when its ROAS is well above or below the median of the
 * organization's campaigns, and target or exclude segments (latest segmentation) whose conversion
 * rate among customers who saw it is well above or below the campaign's own. Retention weighs
 * lapsed segments ("At risk", "Hibernating"). Every recommendation carries its figures.
 */
export async function recommendForCampaign(
  dataSource: DataSource,
  organizationId: string,
  campaignId: string,
  objective: CampaignObjective,
  now = new Date(),
): Promise<CampaignOptimization> {
  const from = new Date(now.getTime() - 90 * 86_400_000);
  const all = await campaignTotals(dataSource, organizationId, null, from, now);
  const performance = performanceOf(
    all.get(campaignId) ?? { impressions: 0, clicks: 0, conversions: 0, revenue: 0, spend: 0 },
  );
  const peers = [...all.entries()]
    .filter(([id, t]) => id !== campaignId && t.spend > 0)
    .map(([, t]) => performanceOf(t));
  const benchmarks = {
    ctr: median(peers.map((p) => p.ctr)),
    conversionRate: median(peers.map((p) => p.conversionRate)),
    roas: median(peers.map((p) => p.roas)),
    cpa: median(peers.map((p) => p.cpa)),
  };
  const recommendations: Recommendation[] = [];
  const fig = (entries: Record<string, number | null>) =>
    Object.entries(entries)
      .filter(([, v]) => v !== null)
      .map(([feature, value]) => ({ feature, value: value as number }));

  if (performance.spend > 0 && performance.revenue < performance.spend) {
    recommendations.push({
      action: RecommendationAction.PAUSE,
      segment: null,
      rationale: `It spent ${money(performance.spend)} and brought ${money(performance.revenue)} in 90 days (ROAS ${fixed(performance.roas)}): it loses money.`,
      expectedEffect: `Saves about ${money(performance.spend - performance.revenue)} per 90 days of net loss.`,
      figures: fig({
        spend: performance.spend,
        revenue: performance.revenue,
        roas: performance.roas,
      }),
    });
  } else if (performance.roas !== null && benchmarks.roas !== null) {
    if (performance.roas > benchmarks.roas * 1.2) {
      const extra = performance.spend * BUDGET_STEP;
      recommendations.push({
        action: RecommendationAction.INCREASE_BUDGET,
        segment: null,
        rationale: `ROAS ${fixed(performance.roas)} is ${percent(performance.roas / benchmarks.roas - 1)} above the median of your other campaigns (${fixed(benchmarks.roas)}).`,
        expectedEffect: `Spending ${money(extra)} more per 90 days (+${percent(BUDGET_STEP)}) should bring about ${money(extra * performance.roas * DIMINISHING_RETURNS)} more revenue, assuming returns fall to ${percent(DIMINISHING_RETURNS)} at the margin.`,
        figures: fig({
          roas: performance.roas,
          medianRoas: benchmarks.roas,
          spend: performance.spend,
        }),
      });
    } else if (performance.roas < benchmarks.roas * 0.8) {
      const saved = performance.spend * BUDGET_STEP;
      recommendations.push({
        action: RecommendationAction.DECREASE_BUDGET,
        segment: null,
        rationale: `ROAS ${fixed(performance.roas)} is ${percent(1 - performance.roas / benchmarks.roas)} below the median of your other campaigns (${fixed(benchmarks.roas)}).`,
        expectedEffect: `Spending ${money(saved)} less per 90 days (-${percent(BUDGET_STEP)}) frees it for campaigns returning ${fixed(benchmarks.roas)} per unit, for a loss of at most ${money(saved * performance.roas)} revenue here.`,
        figures: fig({
          roas: performance.roas,
          medianRoas: benchmarks.roas,
          spend: performance.spend,
        }),
      });
    }
  }

  const segments = await segmentResponses(dataSource, organizationId, campaignId, from, now);
  const exposed = segments.reduce((s, r) => s + r.exposed, 0);
  const converted = segments.reduce((s, r) => s + r.converted, 0);
  const overall = exposed > 0 ? converted / exposed : null;
  if (overall !== null) {
    for (const segment of segments.filter((s) => s.exposed >= MIN_EXPOSED)) {
      const rate = segment.converted / segment.exposed;
      const lapsed = /^(At risk|Hibernating)/.test(segment.label);
      const favoured = objective === CampaignObjective.RETENTION && lapsed ? 1.1 : 1.5;
      if (rate >= overall * favoured && rate > 0) {
        recommendations.push({
          action: RecommendationAction.TARGET_SEGMENT,
          segment: segment.label,
          rationale: `${percent(rate)} of "${segment.label}" customers who saw it bought, against ${percent(overall)} overall${objective === CampaignObjective.RETENTION && lapsed ? ", and they are lapsing" : ""}.`,
          expectedEffect: `Each further ${segment.label} customer reached converts with about ${percent(rate)} chance, worth about ${money(segment.converted ? segment.revenue / segment.converted : 0)} per conversion.`,
          figures: fig({
            exposed: segment.exposed,
            conversionRate: rate,
            campaignConversionRate: overall,
            revenue: segment.revenue,
          }),
        });
      } else if (rate <= overall * 0.5 && !(objective === CampaignObjective.RETENTION && lapsed)) {
        recommendations.push({
          action: RecommendationAction.EXCLUDE_SEGMENT,
          segment: segment.label,
          rationale: `Only ${percent(rate)} of "${segment.label}" customers who saw it bought, against ${percent(overall)} overall.`,
          expectedEffect: `Excluding them removes ${segment.exposed} of ${exposed} customers reached (${percent(segment.exposed / exposed)}) for ${percent(converted ? segment.converted / converted : 0)} of conversions.`,
          figures: fig({
            exposed: segment.exposed,
            conversionRate: rate,
            campaignConversionRate: overall,
          }),
        });
      }
    }
  }
  if (recommendations.length === 0) {
    recommendations.push({
      action: RecommendationAction.KEEP,
      segment: null,
      rationale:
        performance.spend === 0 && performance.impressions === 0
          ? "The campaign has no impressions or spend in the last 90 days: there is nothing to judge yet."
          : `Its ROAS (${fixed(performance.roas)}) and conversion rate (${fixed(performance.conversionRate)}) are in line with your other campaigns (median ROAS ${fixed(benchmarks.roas)}).`,
      expectedEffect: null,
      figures: fig({
        roas: performance.roas,
        medianRoas: benchmarks.roas,
        conversionRate: performance.conversionRate,
      }),
    });
  }
  return {
    campaignId,
    objective,
    performance,
    benchmarks: fig(benchmarks),
    recommendations,
  };
}

/**
 * Customers who saw the campaign (impression or click) and who bought through it, per segment of
 * the latest segmentation.
 */
async function segmentResponses(
  dataSource: DataSource,
  organizationId: string,
  campaignId: string,
  from: Date,
  to: Date,
): Promise<SegmentResponse[]> {
  const rows: Record<string, any>[] = await dataSource.query(
    `WITH latest AS (SELECT id FROM segmentation_runs WHERE organization_id = $1 AND status = 'COMPLETED' ORDER BY created_at DESC LIMIT 1),
          touched AS (
            SELECT customer_id,
                   bool_or(type IN ('campaign_impression', 'campaign_click')) AS exposed,
                   bool_or(type = 'purchase') AS converted,
                   coalesce(sum(value) FILTER (WHERE type = 'purchase'), 0) AS revenue
              FROM events
             WHERE organization_id = $1 AND campaign_id = $2 AND customer_id IS NOT NULL AND "timestamp" >= $3 AND "timestamp" < $4
             GROUP BY customer_id)
     SELECT s.label, count(*) FILTER (WHERE t.exposed OR t.converted)::int AS exposed, count(*) FILTER (WHERE t.converted)::int AS converted, sum(t.revenue)::float8 AS revenue
       FROM touched t JOIN latest ON true
       JOIN segment_members m ON m.organization_id = $1 AND m.run_id = latest.id AND m.customer_id = t.customer_id
       JOIN segments s ON s.organization_id = $1 AND s.run_id = m.run_id AND s.index = m.segment_index
      GROUP BY s.label ORDER BY s.label`,
    [organizationId, campaignId, from.toISOString(), to.toISOString()],
  );
  return rows.map((row) => ({
    label: row.label,
    exposed: row.exposed,
    converted: row.converted,
    revenue: row.revenue ?? 0,
  }));
}

function median(values: (number | null)[]): number | null {
  const sorted = values.filter((v): v is number => v !== null).sort((a, b) => a - b);
  if (sorted.length === 0) return null;
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

const money = (value: number) => value.toFixed(2);
const fixed = (value: number | null) => (value === null ? "n/a" : value.toFixed(2));
const percent = (value: number) => `${(value * 100).toFixed(1)}%`;

export type { CampaignPerformance };
