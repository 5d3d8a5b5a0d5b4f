import type { DataSource } from "typeorm";
import { Aggregation } from "../metric/aggregation";
import type { MetricSpec } from "../metric/metric-spec";
import type { EventFilter } from "../timeseries/event-filter.input";
import { Interval, INTERVAL_UNIT } from "../timeseries/interval";
import { queryMetrics, type MetricQuery, type MetricRow } from "../timeseries/metric-query";
import { offsetMinutes, type TimeRange } from "../timeseries/time-range";
import {
  DEFAULT_PARAMETERS,
  detectAnomalies,
  historySpanMs,
  type DetectorParameters,
  type DetectorPoint,
} from "./anomaly-detector";
import type { AnomalyPoint } from "./anomaly-point.type";
import { EARLIEST_TIMESTAMP } from "../ingest/event-validation";

/** A bucket's nominal length (a month counts 31 days). */
export const INTERVAL_MS: Record<Interval, number> = {
  [Interval.MINUTE]: 60_000,
  [Interval.HOUR]: 3_600_000,
  [Interval.DAY]: 86_400_000,
  [Interval.WEEK]: 7 * 86_400_000,
  [Interval.MONTH]: 31 * 86_400_000,
};

/**
 * The detector's history per interval: four weeks of minutes, twelve weeks of hours, two years of
 * days, five years of weeks, ten years of months; refitted every hour, every day, or at
 * every bucket.
 */
export function parametersFor(interval: Interval): DetectorParameters {
  const span: Record<Interval, [number, number]> = {
    [Interval.MINUTE]: [40_320, 60],
    [Interval.HOUR]: [2_016, 24],
    [Interval.DAY]: [730, 1],
    [Interval.WEEK]: [260, 1],
    [Interval.MONTH]: [120, 1],
  };
  const [historySpan, refreshIntervals] = span[interval];
  return { ...DEFAULT_PARAMETERS, historySpan, refreshIntervals };
}

/**
 * True for metrics with a value in every bucket (counts and sums: an empty bucket is 0); the
 * others (averages, minima, maxima, percentiles, ratios) have points only where they have events.
 */
export function everyBucketHasValue(spec: MetricSpec): boolean {
  return (
    spec.kind === "simple" &&
    [Aggregation.COUNT, Aggregation.SUM, Aggregation.DISTINCT_CUSTOMERS].includes(spec.aggregation)
  );
}

export interface AnomalyQuery {
  spec: MetricSpec;
  range: TimeRange;
  interval: Interval;
  filter?: EventFilter | null;
  sensitivity: number;
}

/** Reads metric rows; the timeseries cache can stand in for the plain query. */
export type MetricReader = (query: MetricQuery) => Promise<MetricRow[]>;

/**
 * The metric's anomaly points over the range: its buckets read together with their history (from
 * {@link historySpanMs} before the range, aligned to a bucket start in the time zone), scored by
 * the detector, and those from the bucket holding `from` on returned. Buckets are whole (events
 * before `from` in the first bucket count) except the last, which ends at `to`. For counts and
 * sums, empty buckets are 0, but those before the metric's first value are not history.
 */
export async function anomalySeries(
  dataSource: DataSource,
  organizationId: string,
  query: AnomalyQuery,
  read: MetricReader = (metricQuery) => queryMetrics(dataSource, organizationId, metricQuery),
): Promise<AnomalyPoint[]> {
  const { range, interval } = query;
  const parameters = parametersFor(interval);
  const unit = INTERVAL_UNIT[interval];
  const [{ warm, first }]: { warm: Date; first: Date }[] = await dataSource.query(
    `SELECT date_trunc($1, $2::timestamptz, $4) AS warm, date_trunc($1, $3::timestamptz, $4) AS first`,
    [
      unit,
      new Date(range.from.getTime() - historySpanMs(INTERVAL_MS[interval], parameters)),
      range.from,
      range.timezone,
    ],
  );
  const history: TimeRange = { from: warm, to: range.to, timezone: range.timezone };
  const rows = await read({
    specs: [query.spec],
    range: history,
    interval,
    filter: query.filter,
    groupBy: null,
  });
  const values = new Map<number, number>();
  for (const row of rows)
    if (row.bucket && row.values[0] !== null) values.set(row.bucket.getTime(), row.values[0]);
  let buckets: number[];
  if (everyBucketHasValue(query.spec)) {
    const starts: { bucket: Date }[] = await dataSource.query(
      `SELECT generate_series(date_trunc($1, $2::timestamptz, $4), $3::timestamptz - interval '1 microsecond', ('1 ' || $1)::interval, $4) AS bucket`,
      [unit, history.from, history.to, range.timezone],
    );
    buckets = starts.map((row) => row.bucket.getTime());
    // Zeros before the metric's first value are no history: when it has no value before the
    // history read, the series starts at its first value (or at the range).
    const [before] = await read({
      specs: [query.spec],
      range: { from: EARLIEST_TIMESTAMP, to: warm, timezone: range.timezone },
      interval: null,
      filter: query.filter,
      groupBy: null,
    });
    if (!before?.values[0]) {
      const firstValue = Math.min(
        first.getTime(),
        ...[...values].filter(([, value]) => value !== 0).map(([bucket]) => bucket),
      );
      buckets = buckets.filter((bucket) => bucket >= firstValue);
    }
  } else {
    buckets = [...values.keys()].sort((a, b) => a - b);
  }
  const points: DetectorPoint[] = buckets.map((bucket) => ({
    bucket,
    value: values.get(bucket) ?? 0,
    hourOfWeek: hourOfWeek(bucket, range.timezone),
  }));
  const results = detectAnomalies(
    points,
    INTERVAL_MS[interval],
    query.sensitivity,
    parameters,
    first.getTime(),
  );
  const firstBucket = first.getTime();
  const out: AnomalyPoint[] = [];
  points.forEach((point, i) => {
    if (point.bucket < firstBucket) return;
    out.push({ bucket: new Date(point.bucket), value: point.value, ...results[i] });
  });
  return out;
}

/** The local hour of the week (Monday 00:00 is 0) of an instant in a time zone. */
export function hourOfWeek(at: number, timezone: string): number {
  const local = new Date(
    timezone === "UTC" ? at : at + offsetMinutes(timezone, new Date(at)) * 60_000,
  );
  return ((local.getUTCDay() + 6) % 7) * 24 + local.getUTCHours();
}
