import type { GraphQLSchema } from "graphql";
import { buildFederatedSchema } from "../../shared/src/schema/build-subgraph-schema";
import { Customer } from "./modules/customer-stats/customer.type";
import { resolveCustomerReference } from "./modules/customer-stats/customer.reference";
import { CustomerStatsResolver } from "./modules/customer-stats/customer-stats.resolver";
import { MetricResolver } from "./modules/metric/metric.resolver";
import { TrackEventsResolver } from "./modules/ingest/track-events.resolver";
import { TimeseriesResolver } from "./modules/timeseries/timeseries.resolver";

/** The analytics subgraph schema: ingestion, metrics and timeseries, and the fields it adds to `Customer`. */
export function buildAnalyticsSchema(): Promise<GraphQLSchema> {
  return buildFederatedSchema(
    { resolvers: [MetricResolver, CustomerStatsResolver, TrackEventsResolver, TimeseriesResolver], orphanedTypes: [Customer] },
    { Customer: { __resolveReference: resolveCustomerReference } } as never,
  );
}
