import type { RunningService } from "../../shared/src/subgraph-server";
import { startSubgraphService, type SubgraphServiceOptions } from "../../shared/src/subgraph-service";
import { createAnalyticsContext } from "./context";
import { createAnalyticsDataSource } from "./data-source";
import { seedAnalyticsDemoData } from "./demo-data";
import { buildAnalyticsSchema } from "./schema";

/** Starts the analytics subgraph (events and metrics, and `Customer.stats`). */
export function startAnalyticsService(options: SubgraphServiceOptions = {}): Promise<RunningService> {
  return startSubgraphService(
    { name: "analytics", seedDemoData: seedAnalyticsDemoData, createDataSource: createAnalyticsDataSource, buildSchema: buildAnalyticsSchema, createContext: createAnalyticsContext },
    options,
  );
}
