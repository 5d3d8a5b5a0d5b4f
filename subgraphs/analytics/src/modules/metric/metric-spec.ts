import { Aggregation } from "./aggregation";

/**
 * How to compute a metric: an aggregation over events of one type (or of every type), of `value`
 * or of a numeric property; or the ratio of two such metrics.
 */
export type MetricSpec = SimpleMetric | RatioMetric;

export interface SimpleMetric {
  kind: "simple";
  name: string;
  aggregation: Aggregation;
  /** Only events of this type; null for every type. */
  eventType: string | null;
  /** A numeric key of `properties` to aggregate instead of `value`. */
  property: string | null;
}

export interface RatioMetric {
  kind: "ratio";
  name: string;
  numerator: SimpleMetric;
  denominator: SimpleMetric;
}

const simple = (
  name: string,
  aggregation: Aggregation,
  eventType: string | null,
): SimpleMetric => ({ kind: "simple", name, aggregation, eventType, property: null });

/** The metrics every organization has, with their descriptions. */
export const BUILT_IN_METRICS: readonly { spec: MetricSpec; description: string }[] = [
  {
    spec: simple("events", Aggregation.COUNT, null),
    description: "Number of events (of given types when filtered by type).",
  },
  {
    spec: simple("unique_customers", Aggregation.DISTINCT_CUSTOMERS, null),
    description: "Distinct customers with at least one event.",
  },
  {
    spec: simple("revenue", Aggregation.SUM, "purchase"),
    description: "Sum of the value of purchase events.",
  },
  {
    spec: simple("orders", Aggregation.COUNT, "purchase"),
    description: "Number of purchase events.",
  },
  {
    spec: simple("average_order_value", Aggregation.AVG, "purchase"),
    description: "Average value of purchase events.",
  },
  {
    spec: {
      kind: "ratio",
      name: "conversion_rate",
      numerator: simple("purchasers", Aggregation.DISTINCT_CUSTOMERS, "purchase"),
      denominator: simple("active_customers", Aggregation.DISTINCT_CUSTOMERS, null),
    },
    description: "Distinct purchasing customers divided by distinct active customers.",
  },
  {
    spec: simple("page_views", Aggregation.COUNT, "page_view"),
    description: "Number of page_view events.",
  },
  {
    spec: simple("new_customers", Aggregation.COUNT, "signup"),
    description: "Number of signup events.",
  },
];

/** The simple metrics a spec is computed from. */
export function parts(spec: MetricSpec): SimpleMetric[] {
  return spec.kind === "simple" ? [spec] : [spec.numerator, spec.denominator];
}
