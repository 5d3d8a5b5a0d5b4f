import type { DataSource } from "typeorm";
import type { Viewer } from "#kit/auth/viewer";
import type { ServiceContext } from "#kit/server/graphql-service";
import { createCustomerStatsLoader } from "./modules/customer-stats/customer-stats.loader";
import { createCustomerSegmentLoader } from "./modules/segmentation/segmentation-store";
import { createChurnRiskLoader } from "./modules/churn/churn-store";
import { createCampaignPerformanceLoader } from "./modules/campaign/campaign-performance";
import type { RealtimeHub } from "./modules/realtime/realtime-hub";
import { createChannelLoader } from "./modules/notifications/channel-store";
import { createDeliveriesLoader } from "./modules/notifications/delivery-store";
import type { Clock } from "./modules/notifications/outbox";
import type { SecretBox } from "./modules/notifications/secret-box";

/** What alerting needs in a request: the secrets' key and the time. */
export interface Alerting {
  secrets: SecretBox;
  clock: Clock;
}

/** The analytics subgraph's per-request context. */
export interface AnalyticsContext extends ServiceContext {
  dataSource: DataSource;
  /** Loaders scoped to the caller's organization; `null` for an anonymous request. */
  loaders: {
    customerStats: ReturnType<typeof createCustomerStatsLoader>;
    customerSegment: ReturnType<typeof createCustomerSegmentLoader>;
    churnRisk: ReturnType<typeof createChurnRiskLoader>;
    campaignPerformance: ReturnType<typeof createCampaignPerformanceLoader>;
    notificationChannel: ReturnType<typeof createChannelLoader>;
    alertDeliveries: ReturnType<typeof createDeliveriesLoader>;
  } | null;
  /** The caller's access token, to read customers through their public API as the caller. */
  accessToken: string | null;
  /** The customers subgraph's GraphQL endpoint. */
  customersUrl: string;
  /** Publishes stored events and serves subscriptions (one per process). */
  realtime: RealtimeHub;
  alerting: Alerting;
}

export function createAnalyticsContext(
  dataSource: DataSource,
  viewer: Viewer | null,
  customersUrl: string,
  accessToken: string | null,
  realtime: RealtimeHub,
  alerting: Alerting,
): AnalyticsContext {
  return {
    realtime,
    alerting,
    viewer,
    dataSource,
    accessToken,
    customersUrl,
    loaders: viewer
      ? {
          customerStats: createCustomerStatsLoader(dataSource, viewer.organizationId),
          customerSegment: createCustomerSegmentLoader(dataSource, viewer.organizationId),
          churnRisk: createChurnRiskLoader(dataSource, viewer.organizationId),
          campaignPerformance: createCampaignPerformanceLoader(dataSource, viewer.organizationId),
          notificationChannel: createChannelLoader(dataSource, viewer.organizationId),
          alertDeliveries: createDeliveriesLoader(dataSource, viewer.organizationId),
        }
      : null,
  };
}
