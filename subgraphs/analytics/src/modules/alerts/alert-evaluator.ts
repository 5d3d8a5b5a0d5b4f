import { randomUUID } from "node:crypto";
import type { ReadReplica } from "#kit/database/read-replica";
import type { Logger } from "#kit/logger";
import { resolveMetrics } from "../metric/metric-catalog";
import { queryMetrics } from "../timeseries/metric-query";
import type { RealtimeHub } from "../realtime/realtime-hub";
import { anomalySeries, everyBucketHasValue, INTERVAL_MS } from "../anomaly/anomaly-series";
import { systemClock, type Clock } from "../notifications/outbox";
import { Interval } from "../timeseries/interval";
import { recordEvaluation, type Crossing } from "./alert-firing";
import { listAlertRules, type AlertMessage } from "./alert-store";
import { AlertCondition, type AlertRule } from "./alert.types";
import { runInBackground } from "#kit/database/query-counter";

export interface AlertEvaluatorOptions {
  /**
   * How long after a batch its organization's rules are evaluated (batches in between coalesce).
   * @default 200
   */
  debounceMs?: number;
  /**
   * Every rule is also evaluated this often, so windows that slide past their events recover (or
   * BELOW rules fire). @default 30_000
   */
  sweepMs?: number;
  /** The time rules are evaluated at. @default the system clock */
  clock?: Clock;
}

/**
 * Evaluates alert rules: an organization's rules shortly after each of its batches arrives, and
 * every rule periodically. A rule whose value crosses its threshold moves to FIRING and publishes
 * an {@link AlertMessage} to `alertTriggered` subscribers; it fires again only after recovering.
 * Several replicas may evaluate the same rule: the database decides which records the crossing.
 */
export class AlertEvaluator {
  private readonly pending = new Map<string, NodeJS.Timeout>();
  private readonly running = new Map<string, Promise<void>>();
  private readonly stopListening: () => void;
  private readonly stopListeningToRules: () => void;
  private readonly sweep: NodeJS.Timeout;
  private stopped = false;
  /**
   * Organizations that have rules, so that batches of the others cost nothing: loaded at start,
   * again at every sweep, and updated when a replica says an organization's rules changed.
   */
  private withRules = new Set<string>();
  private readonly clock: Clock;

  /** @param reads the primary for the rules and alerts, and where the rules' metrics are read */
  constructor(
    private readonly reads: ReadReplica,
    private readonly hub: RealtimeHub,
    private readonly log: Logger,
    options: AlertEvaluatorOptions = {},
  ) {
    const debounceMs = options.debounceMs ?? 200;
    this.clock = options.clock ?? systemClock;
    this.stopListening = hub.onAnyEvents((organizationId) => {
      if (!this.withRules.has(organizationId) || this.pending.has(organizationId) || this.stopped)
        return;
      this.pending.set(
        organizationId,
        setTimeout(
          () =>
            runInBackground(() => {
              this.pending.delete(organizationId);
              void this.evaluateOrganization(organizationId);
            }),
          debounceMs,
        ),
      );
    });
    this.stopListeningToRules = hub.onAlertRulesChanged((organizationId) =>
      runInBackground(() => void this.refreshOrganization(organizationId)),
    );
    // Constructed inside runInBackground (service.ts), so the sweep's statements are background work.
    void this.loadOrganizationsWithRules();
    this.sweep = setInterval(() => void this.evaluateAll(), options.sweepMs ?? 30_000);
    this.sweep.unref();
  }

  private async loadOrganizationsWithRules(): Promise<string[]> {
    const rows: { organization_id: string }[] = await this.reads.primary
      .query(`SELECT DISTINCT organization_id FROM alert_rules`)
      .catch(() => []);
    this.withRules = new Set(rows.map((row) => row.organization_id));
    return [...this.withRules];
  }

  private async refreshOrganization(organizationId: string): Promise<void> {
    const rows = await this.reads.primary
      .query(`SELECT 1 FROM alert_rules WHERE organization_id = $1 LIMIT 1`, [organizationId])
      .catch(() => [{}]);
    if (rows.length > 0) this.withRules.add(organizationId);
    else this.withRules.delete(organizationId);
  }

  /**
   * Evaluates one organization's rules now (after an evaluation in progress); resolves the alerts
   * fired.
   */
  evaluateOrganization(organizationId: string): Promise<void> {
    const previous = this.running.get(organizationId) ?? Promise.resolve();
    const next = previous
      .then(() => this.evaluate(organizationId))
      .catch((error: Error) => this.log.warn(`alert evaluation failed: ${error.message}`));
    this.running.set(organizationId, next);
    void next.then(() => {
      if (this.running.get(organizationId) === next) this.running.delete(organizationId);
    });
    return next;
  }

  stop(): void {
    this.stopped = true;
    this.stopListening();
    this.stopListeningToRules();
    clearInterval(this.sweep);
    for (const timer of this.pending.values()) clearTimeout(timer);
    this.pending.clear();
  }

  private async evaluateAll(): Promise<void> {
    for (const organizationId of await this.loadOrganizationsWithRules())
      if (!this.stopped) await this.evaluateOrganization(organizationId);
  }

  private async evaluate(organizationId: string): Promise<void> {
    const rules = await listAlertRules(this.reads.primary, organizationId);
    for (const rule of rules) {
      if (this.stopped) return;
      const now = this.clock();
      const evaluation =
        rule.condition === AlertCondition.ANOMALY
          ? await anomalyEvaluation(this.reads, organizationId, rule, now)
          : await thresholdEvaluation(this.reads, organizationId, rule, now);
      const alert = await recordEvaluation(
        this.reads.primary,
        organizationId,
        rule,
        evaluation.value,
        evaluation.breached,
        randomUUID(),
        now,
        evaluation.crossing,
      );
      if (alert) await this.hub.publishAlert<AlertMessage>(organizationId, alert);
    }
  }
}

interface Evaluation {
  value: number;
  breached: boolean;
  crossing?: Crossing;
}

/** True when `value` is on the wrong side of the rule's threshold. */
export function isBreached(
  rule: Pick<AlertRule, "condition" | "threshold">,
  value: number,
): boolean {
  return rule.condition === AlertCondition.ABOVE ? value > rule.threshold : value < rule.threshold;
}

/**
 * The rule's metric over its trailing window ending now (0 for no events), read where the
 * organization's reads go, against its threshold.
 */
async function thresholdEvaluation(
  reads: ReadReplica,
  organizationId: string,
  rule: AlertRule,
  now: Date,
): Promise<Evaluation> {
  const [spec] = await resolveMetrics(reads.primary, organizationId, [rule.metric]);
  const from = new Date(now.getTime() - rule.windowMinutes * 60_000);
  const [row] = await queryMetrics(await reads.forReading(organizationId), organizationId, {
    specs: [spec],
    range: { from, to: now, timezone: "UTC" },
    interval: null,
    filter: rule.filter,
  });
  const value = row?.values[0] ?? 0;
  return { value, breached: isBreached(rule, value) };
}

/**
 * An ANOMALY rule's latest buckets through the detector: breached when the last complete bucket is
 * an anomaly, or when the bucket in progress already is (above the band only, for counts and sums,
 * which only grow as the bucket fills).
 */
async function anomalyEvaluation(
  reads: ReadReplica,
  organizationId: string,
  rule: AlertRule,
  now: Date,
): Promise<Evaluation> {
  const [spec] = await resolveMetrics(reads.primary, organizationId, [rule.metric]);
  const interval = rule.interval ?? Interval.HOUR;
  const points = await anomalySeries(await reads.forReading(organizationId), organizationId, {
    spec,
    range: {
      from: new Date(now.getTime() - 2 * INTERVAL_MS[interval]),
      to: now,
      timezone: "UTC",
    },
    interval,
    filter: rule.filter,
    sensitivity: rule.sensitivity ?? 0.5,
  });
  const last = points.at(-1);
  const inProgress =
    last && last.bucket.getTime() + INTERVAL_MS[interval] > now.getTime() ? last : undefined;
  const complete = points.filter((point) => point !== inProgress).at(-1);
  const partialBreach =
    inProgress?.anomaly === true &&
    (!everyBucketHasValue(spec) ||
      (inProgress.upper !== null && inProgress.value > inProgress.upper));
  const hit = partialBreach ? inProgress! : complete?.anomaly ? complete : null;
  const shown = hit ?? complete ?? inProgress ?? null;
  if (!shown) return { value: 0, breached: false };
  const bound = shown.value > (shown.expected ?? shown.value) ? shown.upper : shown.lower;
  return {
    value: shown.value,
    breached: hit !== null,
    crossing: { threshold: bound ?? 0, bucket: shown.bucket },
  };
}
