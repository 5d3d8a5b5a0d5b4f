import type { DataSource } from "typeorm";
import type { ReadReplica } from "#kit/database/read-replica";
import type { MetricSpec } from "../metric/metric-spec";
import type { EventFilter } from "../timeseries/event-filter.input";
import { INTERVAL_UNIT, type Interval } from "../timeseries/interval";
import { queryMetrics } from "../timeseries/metric-query";
import type { MetricPoint } from "../timeseries/timeseries.type";
import { matchesFilter } from "./event-matcher";
import type { PublishedEvent } from "./published-event";
import { runInBackground } from "#kit/database/query-counter";

/** What one metricUpdated subscription watches. */
export interface MetricWatchRequest {
  organizationId: string;
  spec: MetricSpec;
  interval: Interval;
  timezone: string;
  filter: EventFilter | null;
}

type PointListener = (point: MetricPoint) => void;

/** Where a watch hears of an organization's new events (the RealtimeHub); the result stops it. */
export interface EventSource {
  onEvents(organizationId: string, listener: (events: PublishedEvent[]) => void): () => void;
}

/**
 * The metricUpdated subscriptions of this process, shared: subscribers asking for the same metric,
 * interval, time zone and filter in the same organization share one {@link MetricWatch}, so the
 * value of a bucket is computed once per update however many watch it.
 */
export class MetricWatches {
  private readonly watches = new Map<string, MetricWatch>();

  /**
   * @param coalesceMs the shortest time between two updates of one watch
   *   (`METRIC_UPDATE_INTERVAL_MS`)
   */
  /** @param reads where the watches' metric queries go */
  constructor(
    private readonly reads: ReadReplica,
    private readonly hub: EventSource,
    private readonly coalesceMs: number,
  ) {}

  /**
   * Sends `listener` the current bucket's value now, then each new value; the returned function
   * stops it.
   */
  watch(request: MetricWatchRequest, listener: PointListener): () => void {
    const key = JSON.stringify([
      request.organizationId,
      request.spec.name,
      request.interval,
      request.timezone,
      request.filter ?? null,
    ]);
    let watch = this.watches.get(key);
    if (!watch) {
      watch = new MetricWatch(this.reads, this.hub, request, this.coalesceMs, () =>
        this.watches.delete(key),
      );
      this.watches.set(key, watch);
    }
    return watch.add(listener);
  }

  /** Watches running (for metrics and tests). */
  get size(): number {
    return this.watches.size;
  }

  close(): void {
    for (const watch of [...this.watches.values()]) watch.stop();
  }
}

/**
 * One metric's current bucket, kept up to date: every new event that can change it marks the watch
 * dirty, and the value is recomputed (with the same SQL as `timeseries`) at most once per
 * `coalesceMs`, always after the last change, so the final value of a bucket is always delivered.
 * The bucket before the current one is recomputed too, for events that arrive late, and a new
 * bucket's first value is sent when it begins.
 */
class MetricWatch {
  private readonly listeners = new Set<PointListener>();
  /**
   * Listeners that have not had a value yet: they get the current one whether it changed or not.
   */
  private readonly newcomers = new Set<PointListener>();
  /** The last value sent per bucket start (ISO). */
  private readonly sent = new Map<string, number>();
  private timer: NodeJS.Timeout | undefined;
  private rolloverTimer: NodeJS.Timeout | undefined;
  private flushing = false;
  private dirtyDuringFlush = false;
  private lastFlushAt = 0;
  private readonly stopListening: () => void;

  constructor(
    private readonly reads: ReadReplica,
    hub: EventSource,
    private readonly request: MetricWatchRequest,
    private readonly coalesceMs: number,
    private readonly onEmpty: () => void,
  ) {
    const types = eventTypesOf(request.spec);
    this.stopListening = hub.onEvents(request.organizationId, (events) => {
      if (
        events.some(
          (event) =>
            (types === null || types.has(event.type)) && matchesFilter(event, request.filter),
        )
      )
        this.schedule();
    });
  }

  add(listener: PointListener): () => void {
    this.listeners.add(listener);
    this.newcomers.add(listener);
    this.schedule(true);
    return () => {
      this.listeners.delete(listener);
      this.newcomers.delete(listener);
      if (this.listeners.size === 0) this.stop();
    };
  }

  stop(): void {
    clearTimeout(this.timer);
    clearTimeout(this.rolloverTimer);
    this.stopListening();
    this.listeners.clear();
    this.onEmpty();
  }

  private schedule(now = false): void {
    if (this.flushing) return void (this.dirtyDuringFlush = true);
    if (this.timer) return;
    const delay = now ? 0 : Math.max(0, this.lastFlushAt + this.coalesceMs - Date.now());
    this.timer = setTimeout(() => runInBackground(() => void this.flush()), delay);
  }

  private async flush(): Promise<void> {
    this.timer = undefined;
    this.flushing = true;
    this.lastFlushAt = Date.now();
    const newcomers = new Set(this.newcomers);
    try {
      // The organization's batch that woke this watch is on the read replica by then (or the
      // primary answers).
      const dataSource = await this.reads.forReading(this.request.organizationId);
      const { previous, current, currentEnd } = await bucketsNow(dataSource, this.request);
      const [previousValue, currentValue] = await Promise.all([
        this.valueOf(dataSource, previous, current),
        this.valueOf(dataSource, current, currentEnd),
      ]);
      const points = [
        { bucket: previous, value: previousValue },
        { bucket: current, value: currentValue },
      ];
      for (const point of points) {
        const key = point.bucket.toISOString();
        const hadValue = this.sent.has(key);
        const changed = hadValue && this.sent.get(key) !== point.value;
        this.sent.set(key, point.value);
        const isCurrent = point.bucket === current;
        for (const listener of this.listeners) {
          const newcomer = newcomers.has(listener);
          // The current bucket: each change, its first value, and the value for a new subscriber.
          // The previous bucket: late changes, for subscribers that saw it before.
          const send = isCurrent ? changed || !hadValue || newcomer : changed && !newcomer;
          if (send)
            listener({
              metric: this.request.spec.name,
              bucket: point.bucket,
              value: point.value,
              group: null,
            });
        }
      }
      for (const listener of newcomers) this.newcomers.delete(listener);
      for (const key of [...this.sent.keys()])
        if (key !== previous.toISOString() && key !== current.toISOString()) this.sent.delete(key);
      // A new bucket's first value is sent when it begins, even without events.
      clearTimeout(this.rolloverTimer);
      if (this.listeners.size > 0)
        this.rolloverTimer = setTimeout(
          () => runInBackground(() => this.schedule(true)),
          Math.min(2 ** 31 - 1, currentEnd.getTime() - Date.now() + 50),
        );
    } catch {
      // The database is unavailable: try again after the coalescing delay.
      this.dirtyDuringFlush = true;
    } finally {
      this.flushing = false;
      if (this.dirtyDuringFlush && this.listeners.size > 0) {
        this.dirtyDuringFlush = false;
        this.schedule();
      }
    }
  }

  private async valueOf(dataSource: DataSource, from: Date, to: Date): Promise<number> {
    const [row] = await queryMetrics(dataSource, this.request.organizationId, {
      specs: [this.request.spec],
      range: { from, to, timezone: this.request.timezone },
      interval: null,
      filter: this.request.filter,
    });
    return row?.values[0] ?? 0;
  }
}

/** The event types a metric counts, or null when any type can change it. */
function eventTypesOf(spec: MetricSpec): Set<string> | null {
  const types =
    spec.kind === "simple"
      ? [spec.eventType]
      : [spec.numerator.eventType, spec.denominator.eventType];
  return types.includes(null) ? null : new Set(types as string[]);
}

/**
 * The current bucket and the one before, by the database's clock, aligned in the request's time
 * zone.
 */
async function bucketsNow(
  dataSource: DataSource,
  request: MetricWatchRequest,
): Promise<{ previous: Date; current: Date; currentEnd: Date }> {
  const unit = INTERVAL_UNIT[request.interval];
  const [row] = await dataSource.query(
    `WITH b AS (SELECT date_trunc($1, now(), $2) AS current)
     SELECT date_trunc($1, current - interval '1 second', $2) AS previous, current,
            ((current AT TIME ZONE $2) + ('1 ' || $1)::interval) AT TIME ZONE $2 AS "currentEnd"
       FROM b`,
    [unit, request.timezone],
  );
  return {
    previous: new Date(row.previous),
    current: new Date(row.current),
    currentEnd: new Date(row.currentEnd),
  };
}
