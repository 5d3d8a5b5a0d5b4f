import type { DataSource, EntityManager } from "typeorm";
import { cancelNotifications } from "../notifications/outbox";
import { AlertCondition, AlertStatus, type Alert, type AlertRule } from "./alert.types";

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
export const RULE_COLUMNS = Object.entries(RULE_FIELDS)
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
    await db.transaction(async (manager) => {
      const [resolved]: [{ id: string }[], number] = await manager.query(
        `UPDATE alerts SET status = 'RESOLVED', resolved_at = $4
          WHERE organization_id = $1 AND id = $2 AND status = ANY ($3::text[]) RETURNING id`,
        [organizationId, id, from, now],
      );
      // What was not delivered yet of a resolved alert is not sent any more.
      if (resolved.length) await cancelNotifications(manager, organizationId, [id]);
    });
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
