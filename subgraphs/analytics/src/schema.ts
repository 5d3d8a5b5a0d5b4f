import type { GraphQLSchema } from "graphql";
import { buildFederatedSchema } from "#kit/schema/build-subgraph-schema";
import { Customer } from "./modules/customer-stats/customer.type";
import { extendedEntityReference } from "./extended-entity-reference";
import { CustomerStatsResolver } from "./modules/customer-stats/customer-stats.resolver";
import { MetricResolver } from "./modules/metric/metric.resolver";
import { TrackEventsResolver } from "./modules/ingest/track-events.resolver";
import { IdentityResolver } from "./modules/actors/identity.resolver";
import { FunnelResolver, FunnelStepResolver } from "./modules/funnel/funnel.resolver";
import { RetentionCohortResolver, RetentionResolver } from "./modules/retention/retention.resolver";
import { StickinessResolver } from "./modules/stickiness/stickiness.resolver";
import { LifecycleResolver } from "./modules/lifecycle/lifecycle.resolver";
import { PathsResolver } from "./modules/paths/paths.resolver";
import { CohortResolver, CustomerCohortsResolver } from "./modules/cohort/cohort.resolver";
import { ChurnResolver, CustomerChurnRiskResolver } from "./modules/churn/churn.resolver";
import {
  CampaignPerformanceResolver,
  CampaignRecommendationResolver,
} from "./modules/campaign/campaign.resolver";
import { Campaign } from "./modules/campaign/campaign.type";
import { TimeseriesResolver } from "./modules/timeseries/timeseries.resolver";
import { AlertResolver } from "./modules/alerts/alert.resolver";
import {
  AlertFieldsResolver,
  AlertRuleFieldsResolver,
} from "./modules/alerts/alert-fields.resolver";
import { User } from "./modules/alerts/user.type";
import { AnomalyResolver } from "./modules/anomaly/anomaly.resolver";
import { NotificationChannelResolver } from "./modules/notifications/channel.resolver";
import { AlertDeliveryResolver } from "./modules/notifications/delivery.resolver";
import { JobProgressResolver } from "./modules/jobs/job-progress.resolver";
import { EventTrackedResolver } from "./modules/realtime/event-tracked.resolver";
import { MetricUpdatedResolver } from "./modules/realtime/metric-updated.resolver";
import {
  CustomerSegmentResolver,
  SegmentationResolver,
  SegmentResolver,
} from "./modules/segmentation/segmentation.resolver";

/**
 * type-graphql insists on a topic-based PubSub once a schema has subscriptions; ours all bring
 * their own `subscribe` function (over the RealtimeHub), so a topic subscription is a programming
 * error.
 */
const NO_TOPIC_SUBSCRIPTIONS = {
  publish(): void {
    throw new Error("Topic-based subscriptions are not used: publish through the RealtimeHub.");
  },
  subscribe(): never {
    throw new Error(
      "Topic-based subscriptions are not used: give the @Subscription a subscribe function.",
    );
  },
};

/**
 * The analytics subgraph schema: ingestion, metrics and timeseries, and the fields it adds to
 * `Customer`.
 */
export function buildAnalyticsSchema(): Promise<GraphQLSchema> {
  return buildFederatedSchema(
    {
      pubSub: NO_TOPIC_SUBSCRIPTIONS,
      resolvers: [
        MetricResolver,
        CustomerStatsResolver,
        TrackEventsResolver,
        IdentityResolver,
        FunnelResolver,
        FunnelStepResolver,
        RetentionResolver,
        RetentionCohortResolver,
        StickinessResolver,
        LifecycleResolver,
        PathsResolver,
        TimeseriesResolver,
        SegmentationResolver,
        SegmentResolver,
        CustomerSegmentResolver,
        ChurnResolver,
        CustomerChurnRiskResolver,
        CampaignPerformanceResolver,
        CampaignRecommendationResolver,
        EventTrackedResolver,
        MetricUpdatedResolver,
        AlertResolver,
        AlertFieldsResolver,
        AlertRuleFieldsResolver,
        NotificationChannelResolver,
        AlertDeliveryResolver,
        AnomalyResolver,
        JobProgressResolver,
        CohortResolver,
        CustomerCohortsResolver,
      ],
      orphanedTypes: [Customer, Campaign, User],
    },
    {
      Customer: { __resolveReference: extendedEntityReference },
      Campaign: { __resolveReference: extendedEntityReference },
    } as never,
  );
}
