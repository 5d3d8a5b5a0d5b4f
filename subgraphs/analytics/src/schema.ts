import type { GraphQLSchema } from "graphql";
import { buildFederatedSchema } from "../../shared/src/schema/build-subgraph-schema";
import { Customer } from "./modules/customer-stats/customer.type";
import { resolveByKey } from "./modules/entity-reference";
import { CustomerStatsResolver } from "./modules/customer-stats/customer-stats.resolver";
import { MetricResolver } from "./modules/metric/metric.resolver";
import { TrackEventsResolver } from "./modules/ingest/track-events.resolver";
import { ChurnResolver, CustomerChurnRiskResolver } from "./modules/churn/churn.resolver";
import { CampaignPerformanceResolver, CampaignRecommendationResolver } from "./modules/campaign/campaign.resolver";
import { Campaign } from "./modules/campaign/campaign.type";
import { TimeseriesResolver } from "./modules/timeseries/timeseries.resolver";
import { CustomerSegmentResolver, SegmentationResolver, SegmentResolver } from "./modules/segmentation/segmentation.resolver";

/** The analytics subgraph schema: ingestion, metrics and timeseries, and the fields it adds to `Customer`. */
export function buildAnalyticsSchema(): Promise<GraphQLSchema> {
  return buildFederatedSchema(
    { resolvers: [MetricResolver, CustomerStatsResolver, TrackEventsResolver, TimeseriesResolver, SegmentationResolver, SegmentResolver, CustomerSegmentResolver, ChurnResolver, CustomerChurnRiskResolver, CampaignPerformanceResolver, CampaignRecommendationResolver], orphanedTypes: [Customer, Campaign] },
    { Customer: { __resolveReference: resolveByKey }, Campaign: { __resolveReference: resolveByKey } } as never,
  );
}
