import type { RunningService } from "../../shared/src/subgraph-server";
import { startSubgraphService, type SubgraphServiceOptions } from "../../shared/src/subgraph-service";
import { createAnalyticsContext } from "./context";
import { createAnalyticsDataSource } from "./data-source";
import { seedAnalyticsDemoData } from "./demo-data";
import { failInterruptedJobs } from "./modules/jobs/background-job";
import { buildAnalyticsSchema } from "./schema";

export interface AnalyticsServiceOptions extends SubgraphServiceOptions {
  /** The customers subgraph's GraphQL URL, to read customer attributes as the caller. @default CUSTOMERS_URL or http://localhost:4002/graphql */
  customersUrl?: string;
}

/** Starts the analytics subgraph (events, metrics, segmentation, churn, and the fields it adds to Customer and Campaign). */
export function startAnalyticsService(options: AnalyticsServiceOptions = {}): Promise<RunningService> {
  const customersUrl = options.customersUrl ?? process.env.CUSTOMERS_URL ?? `http://localhost:${process.env.CUSTOMERS_PORT ?? 4002}/graphql`;
  return startSubgraphService(
    {
      name: "analytics",
      prepare: failInterruptedJobs,
      seedDemoData: seedAnalyticsDemoData,
      createDataSource: createAnalyticsDataSource,
      buildSchema: buildAnalyticsSchema,
      createContext: (dataSource, viewer, _req, accessToken) => createAnalyticsContext(dataSource, viewer, customersUrl, accessToken),
    },
    options,
  );
}
