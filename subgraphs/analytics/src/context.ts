import type { DataSource } from "typeorm";
import type { Viewer } from "../../shared/src/auth/viewer";
import type { BaseSubgraphContext } from "../../shared/src/subgraph-server";
import { createCustomerStatsLoader } from "./modules/customer-stats/customer-stats.loader";

/** The analytics subgraph's per-request context. */
export interface AnalyticsContext extends BaseSubgraphContext {
  dataSource: DataSource;
  /** Loaders scoped to the caller's organization; `null` for an anonymous request. */
  loaders: { customerStats: ReturnType<typeof createCustomerStatsLoader> } | null;
}

export function createAnalyticsContext(dataSource: DataSource, viewer: Viewer | null): AnalyticsContext {
  return {
    viewer,
    dataSource,
    loaders: viewer ? { customerStats: createCustomerStatsLoader(dataSource, viewer.organizationId) } : null,
  };
}
