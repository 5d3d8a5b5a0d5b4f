import { Aggregation } from "./aggregation";
import type { MetricDefinition } from "./metric-definition.type";

/** The metrics every organization has (see docs/product.md, "Built-in metrics"). */
export const BUILT_IN_METRICS: readonly MetricDefinition[] = [
  { name: "events", description: "Number of events (of one type when filtered by type).", aggregation: Aggregation.COUNT, eventType: null, builtIn: true },
  { name: "unique_customers", description: "Distinct customers with at least one event.", aggregation: Aggregation.DISTINCT_CUSTOMERS, eventType: null, builtIn: true },
  { name: "revenue", description: "Sum of the value of purchase events.", aggregation: Aggregation.SUM, eventType: "purchase", builtIn: true },
  { name: "orders", description: "Number of purchase events.", aggregation: Aggregation.COUNT, eventType: "purchase", builtIn: true },
  { name: "average_order_value", description: "Average value of purchase events.", aggregation: Aggregation.AVG, eventType: "purchase", builtIn: true },
  { name: "conversion_rate", description: "Purchasing customers divided by active customers.", aggregation: Aggregation.DISTINCT_CUSTOMERS, eventType: "purchase", builtIn: true },
  { name: "page_views", description: "Number of page_view events.", aggregation: Aggregation.COUNT, eventType: "page_view", builtIn: true },
  { name: "new_customers", description: "Number of signup events.", aggregation: Aggregation.COUNT, eventType: "signup", builtIn: true },
];
