import type { DataSource, EntityManager } from "typeorm";
import { enqueueNotifications } from "../notifications/outbox";
import { alertMessage } from "./alert-message";
import {
  AlertCondition,
  AlertRuleState,
  AlertStatus,
  type Alert,
  type AlertRule,
} from "./alert.types";

const RULE_FIELDS = {
  id: "id",
  name: "name",
  metric: "metric",
  condition: "condition",
  threshold: "threshold",
  windowMinutes: "window_minutes",
  state: "state",
  lastValue: "last_value",
  createdAt: "created_at",
  filter: "filter",
  channelIds: "channel_ids",
  escalateAfterMinutes: "escalate_after_minutes",
  interval: "interval",
  sensitivity: "sensitivity",
  silencedUntil: "silenced_until",
  lastNotifiedAt: "last_notified_at",
};
const RULE_COLUMNS = Object.entries(RULE_FIELDS)
  .map(([field, column]) => `${column} AS "${field}"`)
  .join(", ");
const RULE_JSON = `json_build_object(${Object.entries(RULE_FIELDS)
  .map(([field, column]) => `'${field}', r.${column}`)
  .join(", ")})`;
const ALERT_COLUMNS = `a.id, a.value, a.threshold, a.condition, a.triggered_at AS "triggeredAt", a.status,
  a.acknowledged_by AS "acknowledgedById", a.acknowledged_at AS "acknowledgedAt", a.resolved_at AS "resolvedAt",
  a.bucket, ${RULE_JSON} AS rule`;

/** An alert as stored and published (JSON-safe: dates as ISO strings). */
export interface AlertMessage {
  id: string;
  rule: Omit<AlertRule, "createdAt" | "silencedUntil" | "lastNotifiedAt"> & {
    createdAt: string;
    silencedUntil: string | null;
    lastNotifiedAt: string | null;
  };
  value: number;
  threshold: number;
  condition: AlertCondition;
  triggeredAt: string;
  bucket: string | null;
}

/** A rule read back from JSON (dates as strings). */
export function ruleFromJson(rule: Record<string, any>): AlertRule {
  return {
    ...(rule as AlertRule),
    createdAt: new Date(rule.createdAt),
    silencedUntil: rule.silencedUntil ? new Date(rule.silencedUntil) : null,
    lastNotifiedAt: rule.lastNotifiedAt ? new Date(rule.lastNotifiedAt) : null,
    channelIds: rule.channelIds ?? [],
  };
}

function alertFromRow(row: Record<string, any>): Alert {
  return {
    ...(row as Alert),
    rule: ruleFromJson(row.rule),
    triggeredAt: new Date(row.triggeredAt),
    bucket: row.bucket ? new Date(row.bucket) : null,
  };
}

export function listAlertRules(
  db: DataSource | EntityManager,
  organizationId: string,
): Promise<AlertRule[]> {
  return db.query(
    `SELECT ${RULE_COLUMNS} FROM alert_rules WHERE organization_id = $1 ORDER BY created_at, id`,
    [organizationId],
  );
}

export async function insertAlertRule(
  db: DataSource | EntityManager,
  organizationId: string,
  rule: Pick<
    AlertRule,
    | "id"
    | "name"
    | "metric"
    | "condition"
    | "threshold"
    | "windowMinutes"
    | "filter"
    | "channelIds"
    | "escalateAfterMinutes"
    | "interval"
    | "sensitivity"
  >,
  createdBy: string,
): Promise<AlertRule> {
  const [row] = await db.query(
    `INSERT INTO alert_rules (organization_id, id, name, metric, condition, threshold, window_minutes, filter, created_by,
                              channel_ids, escalate_after_minutes, interval, sensitivity)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13) RETURNING ${RULE_COLUMNS}`,
    [
      organizationId,
      rule.id,
      rule.name,
      rule.metric,
      rule.condition,
      rule.threshold,
      rule.windowMinutes,
      rule.filter ? JSON.stringify(rule.filter) : null,
      createdBy,
      rule.channelIds,
      rule.escalateAfterMinutes,
      rule.interval,
      rule.sensitivity,
    ],
  );
  return row;
}

/** Deletes a rule and its alerts; resolves false when the organization has no such rule. */
export async function deleteAlertRule(
  db: DataSource,
  organizationId: string,
  id: string,
): Promise<boolean> {
  // TypeORM answers a DELETE with [rows, affected].
  const [rows] = await db.query(
    `DELETE FROM alert_rules WHERE organization_id = $1 AND id = $2 RETURNING id`,
    [organizationId, id],
  );
  return rows.length > 0;
}

/** Silences a rule until `until` (a past time lifts the silence); null when there is no such rule. */
export async function silenceAlertRule(
  db: DataSource,
  organizationId: string,
  id: string,
  until: Date,
): Promise<AlertRule | null> {
  const [rows] = await db.query(
    `UPDATE alert_rules SET silenced_until = $3 WHERE organization_id = $1 AND id = $2 RETURNING ${RULE_COLUMNS}`,
    [organizationId, id, until],
  );
  return rows[0] ?? null;
}

/** The organization's latest alerts, newest first, optionally of some statuses. */
export async function listAlerts(
  db: DataSource,
  organizationId: string,
  limit: number,
  statuses: AlertStatus[] | null = null,
): Promise<Alert[]> {
  const rows = await db.query(
    `SELECT ${ALERT_COLUMNS}
       FROM alerts a JOIN alert_rules r ON r.organization_id = a.organization_id AND r.id = a.rule_id
      WHERE a.organization_id = $1 AND ($3::text[] IS NULL OR a.status = ANY ($3::text[]))
      ORDER BY a.triggered_at DESC, a.id LIMIT $2`,
    [organizationId, limit, statuses],
  );
  return rows.map(alertFromRow);
}

/**
 * Moves an alert on: to ACKNOWLEDGED (from FIRING; by `userId`) or RESOLVED (from FIRING or
 * ACKNOWLEDGED). Resolves the alert after the change, the alert unchanged when it already has that
 * status (or, acknowledging, is RESOLVED: see `refused`), or null when there is no such alert.
 */
export async function moveAlert(
  db: DataSource,
  organizationId: string,
  id: string,
  to: AlertStatus.ACKNOWLEDGED | AlertStatus.RESOLVED,
  userId: string,
  now: Date,
): Promise<{ alert: Alert; refused: boolean } | null> {
  const from =
    to === AlertStatus.ACKNOWLEDGED
      ? [AlertStatus.FIRING]
      : [AlertStatus.FIRING, AlertStatus.ACKNOWLEDGED];
  if (to === AlertStatus.ACKNOWLEDGED)
    await db.query(
      `UPDATE alerts SET status = 'ACKNOWLEDGED', acknowledged_by = $4, acknowledged_at = $5
        WHERE organization_id = $1 AND id = $2 AND status = ANY ($3::text[])`,
      [organizationId, id, from, userId, now],
    );
  else
    await db.query(
      `UPDATE alerts SET status = 'RESOLVED', resolved_at = $4
        WHERE organization_id = $1 AND id = $2 AND status = ANY ($3::text[])`,
      [organizationId, id, from, now],
    );
  const [row] = await db.query(
    `SELECT ${ALERT_COLUMNS}
       FROM alerts a JOIN alert_rules r ON r.organization_id = a.organization_id AND r.id = a.rule_id
      WHERE a.organization_id = $1 AND a.id = $2`,
    [organizationId, id],
  );
  if (!row) return null;
  const alert = alertFromRow(row);
  return { alert, refused: alert.status !== to };
}

/** What an evaluation found beyond the value: the bound crossed and the bucket (ANOMALY). */
export interface Crossing {
  threshold: number;
  bucket: Date | null;
}

/**
 * Records one evaluation: the rule's value, and its state change. Moving OK -> FIRING inserts the
 * alert and, unless the rule is silenced or already sent a notification within its window (a
 * flapping rule), queues a message to each of its channels, all in one transaction, and resolves
 * the alert; a rule already FIRING (here or by another replica) resolves null. Moving FIRING -> OK
 * resolves the rule's open alerts. The conditional update is what makes a crossing fire once.
 */
export async function recordEvaluation(
  db: DataSource,
  organizationId: string,
  rule: AlertRule,
  value: number,
  breached: boolean,
  alertId: string,
  now: Date,
  crossing: Crossing = { threshold: rule.threshold, bucket: null },
): Promise<AlertMessage | null> {
  return db.transaction(async (manager) => {
    const from = breached ? AlertRuleState.OK : AlertRuleState.FIRING;
    const to = breached ? AlertRuleState.FIRING : AlertRuleState.OK;
    // TypeORM answers an UPDATE with [rows, affected].
    const changed = await manager.query(
      `UPDATE alert_rules SET state = $4, last_value = $5, last_evaluated_at = $6
        WHERE organization_id = $1 AND id = $2 AND state = $3 RETURNING ${RULE_COLUMNS}`,
      [organizationId, rule.id, from, to, value, now],
    );
    if (changed[0].length === 0) {
      await manager.query(
        `UPDATE alert_rules SET last_value = $3, last_evaluated_at = $4 WHERE organization_id = $1 AND id = $2`,
        [organizationId, rule.id, value, now],
      );
      return null;
    }
    if (!breached) {
      await manager.query(
        `UPDATE alerts SET status = 'RESOLVED', resolved_at = $3
          WHERE organization_id = $1 AND rule_id = $2 AND status <> 'RESOLVED'`,
        [organizationId, rule.id, now],
      );
      return null;
    }
    const updated: AlertRule = changed[0][0];
    await manager.query(
      `INSERT INTO alerts (organization_id, id, rule_id, value, threshold, condition, triggered_at, bucket)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
      [
        organizationId,
        alertId,
        rule.id,
        value,
        crossing.threshold,
        rule.condition,
        now,
        crossing.bucket,
      ],
    );
    const silenced = updated.silencedUntil !== null && new Date(updated.silencedUntil) > now;
    const flapping =
      updated.lastNotifiedAt !== null &&
      now.getTime() - new Date(updated.lastNotifiedAt).getTime() < updated.windowMinutes * 60_000;
    if (!silenced && !flapping && updated.channelIds.length > 0) {
      const facts = {
        id: alertId,
        value,
        threshold: crossing.threshold,
        condition: rule.condition,
        triggeredAt: now,
        bucket: crossing.bucket,
        rule: updated,
      };
      const message = alertMessage(
        organizationId,
        { ...facts, rule: ruleSummary(updated) },
        "FIRING",
      );
      await enqueueNotifications(
        manager,
        organizationId,
        alertId,
        updated.channelIds,
        "FIRING",
        message,
        now,
      );
      await manager.query(
        `UPDATE alert_rules SET last_notified_at = $3 WHERE organization_id = $1 AND id = $2`,
        [organizationId, rule.id, now],
      );
    }
    return {
      id: alertId,
      rule: {
        ...updated,
        createdAt: new Date(updated.createdAt).toISOString(),
        silencedUntil: updated.silencedUntil ? new Date(updated.silencedUntil).toISOString() : null,
        lastNotifiedAt: now.toISOString(),
      },
      value,
      threshold: crossing.threshold,
      condition: rule.condition,
      triggeredAt: now.toISOString(),
      bucket: crossing.bucket?.toISOString() ?? null,
    };
  });
}

function ruleSummary(rule: AlertRule) {
  return { id: rule.id, name: rule.name, metric: rule.metric, windowMinutes: rule.windowMinutes };
}

/**
 * Queues the escalation of every alert due: FIRING (not acknowledged) `escalate_after_minutes`
 * after it fired, not escalated yet, its rule not silenced. The conditional update marks each alert
 * escalated once, whichever replica runs first. Resolves the number of alerts escalated.
 */
export async function escalateDueAlerts(db: DataSource, now: Date): Promise<number> {
  return db.transaction(async (manager) => {
    const [rows] = await manager.query(
      `UPDATE alerts a SET escalated_at = $1
         FROM alert_rules r
        WHERE r.organization_id = a.organization_id AND r.id = a.rule_id
          AND a.status = 'FIRING' AND a.escalated_at IS NULL AND r.escalate_after_minutes IS NOT NULL
          AND a.triggered_at + make_interval(mins => r.escalate_after_minutes) <= $1
          AND (r.silenced_until IS NULL OR r.silenced_until <= $1)
       RETURNING a.organization_id AS "organizationId", a.id, a.value, a.threshold, a.condition,
                 a.triggered_at AS "triggeredAt", a.bucket, r.channel_ids AS "channelIds",
                 json_build_object('id', r.id, 'name', r.name, 'metric', r.metric, 'windowMinutes', r.window_minutes) AS rule`,
      [now],
    );
    for (const row of rows) {
      const message = alertMessage(
        row.organizationId,
        {
          ...row,
          triggeredAt: new Date(row.triggeredAt),
          bucket: row.bucket ? new Date(row.bucket) : null,
        },
        "ESCALATION",
      );
      await enqueueNotifications(
        manager,
        row.organizationId,
        row.id,
        row.channelIds,
        "ESCALATION",
        message,
        now,
      );
    }
    return rows.length;
  });
}
