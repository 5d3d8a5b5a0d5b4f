import type { DataSource, EntityManager } from "typeorm";
import { AlertCondition, AlertRuleState, type Alert, type AlertRule } from "./alert.types";

const RULE_COLUMNS = `id, name, metric, condition, threshold, window_minutes AS "windowMinutes", state, last_value AS "lastValue", created_at AS "createdAt", filter`;

/** An alert as stored and published (JSON-safe: dates as ISO strings). */
export interface AlertMessage {
  id: string;
  rule: Omit<AlertRule, "createdAt"> & { createdAt: string };
  value: number;
  threshold: number;
  condition: AlertCondition;
  triggeredAt: string;
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
  rule: Omit<AlertRule, "state" | "lastValue" | "createdAt">,
  createdBy: string,
): Promise<AlertRule> {
  const [row] = await db.query(
    `INSERT INTO alert_rules (organization_id, id, name, metric, condition, threshold, window_minutes, filter, created_by)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING ${RULE_COLUMNS}`,
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

/** The organization's latest alerts, newest first. */
export async function listAlerts(
  db: DataSource,
  organizationId: string,
  limit: number,
): Promise<Alert[]> {
  const rows = await db.query(
    `SELECT a.id, a.value, a.threshold, a.condition, a.triggered_at AS "triggeredAt",
            json_build_object('id', r.id, 'name', r.name, 'metric', r.metric, 'condition', r.condition, 'threshold', r.threshold,
                              'windowMinutes', r.window_minutes, 'state', r.state, 'lastValue', r.last_value, 'createdAt', r.created_at, 'filter', r.filter) AS rule
       FROM alerts a JOIN alert_rules r ON r.organization_id = a.organization_id AND r.id = a.rule_id
      WHERE a.organization_id = $1 ORDER BY a.triggered_at DESC, a.id LIMIT $2`,
    [organizationId, limit],
  );
  return rows.map((row: Alert & { rule: AlertRule & { createdAt: string } }) => ({
    ...row,
    rule: { ...row.rule, createdAt: new Date(row.rule.createdAt) },
  }));
}

/**
 * Records one evaluation: the rule's value, and its state change. Moving OK -> FIRING inserts the
 * alert in the same transaction and resolves it; a rule already FIRING (here or by another
 * replica) or recovering resolves null. The conditional update is what makes a crossing fire once.
 */
export async function recordEvaluation(
  db: DataSource,
  organizationId: string,
  rule: AlertRule,
  value: number,
  breached: boolean,
  alertId: string,
): Promise<AlertMessage | null> {
  return db.transaction(async (manager) => {
    const from = breached ? AlertRuleState.OK : AlertRuleState.FIRING;
    const to = breached ? AlertRuleState.FIRING : AlertRuleState.OK;
    // TypeORM answers an UPDATE with [rows, affected].
    const changed = await manager.query(
      `UPDATE alert_rules SET state = $4, last_value = $5, last_evaluated_at = now()
        WHERE organization_id = $1 AND id = $2 AND state = $3 RETURNING ${RULE_COLUMNS}`,
      [organizationId, rule.id, from, to, value],
    );
    if (changed[0].length === 0) {
      await manager.query(
        `UPDATE alert_rules SET last_value = $3, last_evaluated_at = now() WHERE organization_id = $1 AND id = $2`,
        [organizationId, rule.id, value],
      );
      return null;
    }
    if (!breached) return null;
    const updated: AlertRule = changed[0][0];
    const [alert] = await manager.query(
      `INSERT INTO alerts (organization_id, id, rule_id, value, threshold, condition) VALUES ($1, $2, $3, $4, $5, $6) RETURNING triggered_at AS "triggeredAt"`,
      [organizationId, alertId, rule.id, value, rule.threshold, rule.condition],
    );
    return {
      id: alertId,
      rule: { ...updated, createdAt: new Date(updated.createdAt).toISOString() },
      value,
      threshold: rule.threshold,
      condition: rule.condition,
      triggeredAt: new Date(alert.triggeredAt).toISOString(),
    };
  });
}
