import type { NotificationMessage } from "../notifications/senders";
import type { NotificationReason } from "../notifications/outbox";
import { AlertCondition } from "./alert.types";

/** What a message tells of an alert. */
export interface AlertFacts {
  id: string;
  value: number;
  threshold: number;
  condition: AlertCondition;
  triggeredAt: Date;
  bucket: Date | null;
  rule: { id: string; name: string; metric: string; windowMinutes: number };
}

/**
 * An alert as every channel renders it: the JSON webhooks receive (`event` is `alert.firing` or
 * `alert.escalated`), Slack's text and lines, the e-mail's subject and body.
 */
export function alertMessage(
  organizationId: string,
  alert: AlertFacts,
  reason: NotificationReason,
): NotificationMessage {
  const crossing =
    alert.condition === AlertCondition.ANOMALY
      ? `${alert.value} is outside the expected band (bound ${round(alert.threshold)})`
      : `${alert.value} is ${alert.condition === AlertCondition.ABOVE ? "above" : "below"} ${alert.threshold}`;
  const summary = `${reason === "ESCALATION" ? "[not acknowledged] " : ""}${alert.rule.name}: ${alert.rule.metric} ${crossing}`;
  return {
    summary,
    details: [
      `Rule: ${alert.rule.name} (${alert.rule.id})`,
      `Metric: ${alert.rule.metric}`,
      `Value: ${alert.value} (${alert.condition} ${round(alert.threshold)})`,
      `Fired at: ${alert.triggeredAt.toISOString()}`,
      ...(alert.bucket ? [`Bucket: ${alert.bucket.toISOString()}`] : []),
      `Alert: ${alert.id}`,
    ],
    payload: {
      event: reason === "ESCALATION" ? "alert.escalated" : "alert.firing",
      alertId: alert.id,
      organizationId,
      status: "FIRING",
      value: alert.value,
      threshold: alert.threshold,
      condition: alert.condition,
      triggeredAt: alert.triggeredAt.toISOString(),
      bucket: alert.bucket?.toISOString() ?? null,
      rule: alert.rule,
    },
  };
}

function round(value: number): number {
  return Math.round(value * 1e6) / 1e6;
}
