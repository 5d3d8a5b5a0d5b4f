import type { DataSource } from "typeorm";
import type { Viewer } from "#kit/auth/viewer";
import type { ReadReplica } from "#kit/database/read-replica";
import type { ServiceContext } from "#kit/server/graphql-service";
import { createCustomerStatsLoader } from "./modules/customer-stats/customer-stats.loader";
import { createCustomerSegmentLoader } from "./modules/segmentation/segmentation-store";
import { createChurnRiskLoader } from "./modules/churn/churn-store";
import { createCampaignPerformanceLoader } from "./modules/campaign/campaign-performance";
import { createCohortLoaders, type CohortLoaders } from "./modules/cohort/cohort.loader";
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
  /**
   * The primary: every write, and the reads that must see what this service just wrote (metric
   * definitions, alert rules, alerts, channels and deliveries, segmentation and churn results, job
   * status).
   */
  dataSource: DataSource;
  /**
   * The data source of the request's next read-only analytics query over events and what is
   * derived from them (timeseries, aggregates, summaries, customer stats, people and cohort
   * queries, model training features): the read replica (`ANALYTICS_READ_DATABASE_URL`) once it
   * has replayed the caller's organization's last write known to this process, else the primary
   * (docs/SCALING.md). Call it for each query (or each DataLoader batch), not once per request.
   * Without a replica, the primary at once.
   */
  readDataSource(): Promise<DataSource>;
  /** The same routing outside the request's organization (background work, subscriptions). */
  reads: ReadReplica;
  /** Loaders scoped to the caller's organization; `null` for an anonymous request. */
  loaders: {
    customerStats: ReturnType<typeof createCustomerStatsLoader>;
    customerSegment: ReturnType<typeof createCustomerSegmentLoader>;
    churnRisk: ReturnType<typeof createChurnRiskLoader>;
    campaignPerformance: ReturnType<typeof createCampaignPerformanceLoader>;
    notificationChannel: ReturnType<typeof createChannelLoader>;
    alertDeliveries: ReturnType<typeof createDeliveriesLoader>;
    /** Cohort members, customers' cohorts, and `EventFilter.cohortId` resolution. */
    cohorts: CohortLoaders;
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
  reads: ReadReplica,
  viewer: Viewer | null,
  customersUrl: string,
  accessToken: string | null,
  realtime: RealtimeHub,
  alerting: Alerting,
): AnalyticsContext {
  const dataSource = reads.primary;
  const readDataSource = () => reads.forReading(viewer?.organizationId ?? null);
  return {
    realtime,
    alerting,
    viewer,
    dataSource,
    readDataSource,
    reads,
    accessToken,
    customersUrl,
    loaders: viewer
      ? {
          customerStats: createCustomerStatsLoader(readDataSource, viewer.organizationId),
          customerSegment: createCustomerSegmentLoader(dataSource, viewer.organizationId),
          churnRisk: createChurnRiskLoader(dataSource, viewer.organizationId),
          campaignPerformance: createCampaignPerformanceLoader(
            readDataSource,
            viewer.organizationId,
          ),
          notificationChannel: createChannelLoader(dataSource, viewer.organizationId),
          alertDeliveries: createDeliveriesLoader(dataSource, viewer.organizationId),
          cohorts: createCohortLoaders(
            dataSource,
            readDataSource,
            viewer.organizationId,
            realtime.cohortDefinitions,
          ),
        }
      : null,
  };
}
