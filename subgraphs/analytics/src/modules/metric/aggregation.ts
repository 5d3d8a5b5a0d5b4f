import { registerEnumType } from "type-graphql";

/** How a metric folds the events of a bucket into one number. */
export enum Aggregation {
  COUNT = "COUNT",
  SUM = "SUM",
  AVG = "AVG",
  MIN = "MIN",
  MAX = "MAX",
  DISTINCT_CUSTOMERS = "DISTINCT_CUSTOMERS",
  P50 = "P50",
  P90 = "P90",
  P95 = "P95",
  P99 = "P99",
}

registerEnumType(Aggregation, { name: "Aggregation" });
