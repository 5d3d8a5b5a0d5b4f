import { numberFromEnv } from "#kit/config";
import type { ReadReplica } from "#kit/database/read-replica";
import type { PubSub } from "#kit/pubsub/pubsub";
import type { StoredEvent } from "../ingest/ingest-events";
import { MetricQueryCache } from "../timeseries/query-cache";
import { CohortDefinitionCache } from "../cohort/cohort-definitions";
import { MetricWatches } from "./metric-watch";
import { toPublishedEvent, type EventBatchMessage, type PublishedEvent } from "./published-event";

/**
 * Topics of the analytics service. Organizations share a topic; messages carry the organization.
 */
export const TOPICS = {
  events: "analytics.events",
  alerts: "analytics.alerts",
  alertRules: "analytics.alert-rules",
  dataChanged: "analytics.data-changed",
  cohorts: "analytics.cohorts",
} as const;

/** Receives the new events of one organization, a stored batch at a time. */
export type EventsListener = (events: PublishedEvent[]) => void;

/** A message published to every replica, addressed to one organization. */
export interface OrganizationMessage<T> {
  organizationId: string;
  payload: T;
}

/**
 * The analytics service's real-time fan-in and fan-out: `trackEvents` publishes each stored batch
 * through the {@link PubSub} (so every replica hears every batch), and subscriptions of this
 * process listen here per organization. A listener never receives another organization's messages.
 */
export class RealtimeHub {
  private readonly eventListeners = new Map<string, Set<EventsListener>>();
  private readonly anyEventListeners = new Set<
    (organizationId: string, events: PublishedEvent[]) => void
  >();
  private readonly alertListeners = new Map<string, Set<(alert: unknown) => void>>();
  private readonly stops: (() => void)[];
  /** The metricUpdated subscriptions of this process. */
  readonly metricWatches: MetricWatches;
  /** Metric query results per organization, retired when the organization's events change. */
  readonly queryCache = new MetricQueryCache();
  /** Cohort definitions per organization, dropped when the organization's cohorts change. */
  readonly cohortDefinitions = new CohortDefinitionCache();

  /**
   * @param reads where the metric queries of subscriptions go; it hears of every replica's stored
   *   batches (their WAL positions) before their cached results are retired
   * @param metricUpdateIntervalMs the shortest time between two updates of one metricUpdated
   *   subscription
   */
  constructor(
    readonly pubsub: PubSub,
    reads: ReadReplica,
    metricUpdateIntervalMs = metricUpdateIntervalFromEnv(),
  ) {
    this.metricWatches = new MetricWatches(reads, this, metricUpdateIntervalMs);
    this.stops = [
      pubsub.subscribe<EventBatchMessage>(TOPICS.events, (message) => {
        // First the position its reads must wait for, then the cache: a result computed after
        // the retirement waits for the batch on the read replica.
        if (message.lsn) reads.noteWriteAt(message.organizationId, message.lsn);
        this.queryCache.invalidate(message.organizationId);
        for (const listener of [...(this.eventListeners.get(message.organizationId) ?? [])])
          listener(message.events);
        for (const listener of [...this.anyEventListeners])
          listener(message.organizationId, message.events);
      }),
      pubsub.subscribe<OrganizationMessage<null> & { lsn?: string | null }>(
        TOPICS.dataChanged,
        (message) => {
          if (message.lsn) reads.noteWriteAt(message.organizationId, message.lsn);
          this.queryCache.invalidate(message.organizationId);
        },
      ),
      pubsub.subscribe<OrganizationMessage<null>>(TOPICS.cohorts, (message) =>
        this.cohortDefinitions.invalidate(message.organizationId),
      ),
      pubsub.subscribe<OrganizationMessage<unknown>>(TOPICS.alerts, (message) => {
        for (const listener of [...(this.alertListeners.get(message.organizationId) ?? [])])
          listener(message.payload);
      }),
    ];
  }

  /**
   * Publishes a stored batch (only the events really inserted, so a replay publishes nothing),
   * with the primary's WAL position after it committed (`lsn`, with a read replica configured;
   * already noted in this process).
   */
  async publishEvents(
    organizationId: string,
    events: StoredEvent[],
    lsn: string | null = null,
  ): Promise<void> {
    if (events.length === 0) return;
    // This replica's cache at once (the caller may query next); the others when they hear of it.
    this.queryCache.invalidate(organizationId);
    await this.pubsub.publish<EventBatchMessage>(TOPICS.events, {
      organizationId,
      events: events.map(toPublishedEvent),
      lsn,
    });
  }

  /**
   * The organization's stored events changed other than by new events (`identify` gave a visitor's
   * events their customer): every replica retires its cached results of that organization, and its
   * reads wait for the change on the read replica (`lsn`, the primary's WAL position after it
   * committed, with a read replica configured; already noted in this process).
   */
  async publishDataChanged(organizationId: string, lsn: string | null = null): Promise<void> {
    this.queryCache.invalidate(organizationId);
    await this.pubsub.publish<OrganizationMessage<null> & { lsn: string | null }>(
      TOPICS.dataChanged,
      { organizationId, payload: null, lsn },
    );
  }

  /**
   * The organization's cohorts were created or deleted: this replica's cached definitions at once
   * (the caller may read next), the others' when they hear of it.
   */
  async publishCohortsChanged(organizationId: string): Promise<void> {
    this.cohortDefinitions.invalidate(organizationId);
    await this.pubsub.publish<OrganizationMessage<null>>(TOPICS.cohorts, {
      organizationId,
      payload: null,
    });
  }

  /** Calls `listener` with each new batch of the organization; the returned function stops it. */
  onEvents(organizationId: string, listener: EventsListener): () => void {
    return addTo(this.eventListeners, organizationId, listener);
  }

  /** Calls `listener` with every organization's batches (the alert evaluator). */
  onAnyEvents(listener: (organizationId: string, events: PublishedEvent[]) => void): () => void {
    this.anyEventListeners.add(listener);
    return () => this.anyEventListeners.delete(listener);
  }

  async publishAlert<T>(organizationId: string, alert: T): Promise<void> {
    await this.pubsub.publish<OrganizationMessage<T>>(TOPICS.alerts, {
      organizationId,
      payload: alert,
    });
  }

  onAlert<T>(organizationId: string, listener: (alert: T) => void): () => void {
    return addTo(this.alertListeners, organizationId, listener as (alert: unknown) => void);
  }

  /** Tells every replica's alert evaluator that an organization's rules changed. */
  async publishAlertRulesChanged(organizationId: string): Promise<void> {
    await this.pubsub.publish<OrganizationMessage<null>>(TOPICS.alertRules, {
      organizationId,
      payload: null,
    });
  }

  onAlertRulesChanged(listener: (organizationId: string) => void): () => void {
    return this.pubsub.subscribe<OrganizationMessage<null>>(TOPICS.alertRules, (message) =>
      listener(message.organizationId),
    );
  }

  /** Stops listening and closes the pub/sub. */
  async close(): Promise<void> {
    this.metricWatches.close();
    for (const stop of this.stops) stop();
    await this.pubsub.close();
  }
}

function addTo<T>(map: Map<string, Set<T>>, key: string, value: T): () => void {
  let set = map.get(key);
  if (!set) map.set(key, (set = new Set()));
  set.add(value);
  return () => {
    set.delete(value);
    if (set.size === 0 && map.get(key) === set) map.delete(key);
  };
}

/**
 * `METRIC_UPDATE_INTERVAL_MS`: the shortest time between two updates of one metricUpdated
 * subscription. @default 250
 */
export function metricUpdateIntervalFromEnv(env: NodeJS.ProcessEnv = process.env): number {
  return numberFromEnv(env, "METRIC_UPDATE_INTERVAL_MS", 250, { min: 0 });
}
