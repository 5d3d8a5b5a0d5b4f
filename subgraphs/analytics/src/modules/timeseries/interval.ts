import { registerEnumType } from "type-graphql";

/** The width of a timeseries bucket. */
export enum Interval {
  MINUTE = "MINUTE",
  HOUR = "HOUR",
  DAY = "DAY",
  WEEK = "WEEK",
  MONTH = "MONTH",
}

registerEnumType(Interval, {
  name: "Interval",
  description: "Bucket width; buckets align to the requested time zone (weeks start on Monday).",
});

/** The PostgreSQL `date_trunc` unit of an interval. */
export const INTERVAL_UNIT: Record<Interval, string> = {
  [Interval.MINUTE]: "minute",
  [Interval.HOUR]: "hour",
  [Interval.DAY]: "day",
  [Interval.WEEK]: "week",
  [Interval.MONTH]: "month",
};

/** The shortest a bucket of each interval can be, to bound a range's bucket count from above. */
export const INTERVAL_MIN_MS: Record<Interval, number> = {
  [Interval.MINUTE]: 60_000,
  [Interval.HOUR]: 3_600_000,
  [Interval.DAY]: 23 * 3_600_000,
  [Interval.WEEK]: 7 * 86_400_000 - 3_600_000,
  [Interval.MONTH]: 28 * 86_400_000 - 3_600_000,
};

/** Coarser intervals, finest first. */
export const INTERVAL_ORDER: Interval[] = [
  Interval.MINUTE,
  Interval.HOUR,
  Interval.DAY,
  Interval.WEEK,
  Interval.MONTH,
];
