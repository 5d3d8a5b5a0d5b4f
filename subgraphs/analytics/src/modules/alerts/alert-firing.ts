import type { DataSource } from "typeorm";
import { cancelNotifications, enqueueNotifications } from "../notifications/outbox";
import { alertMessage } from "./alert-message";
import { RULE_COLUMNS, type AlertMessage } from "./alert-store";
import { AlertRuleState, type AlertRule } from "./alert.types";

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
      const [resolved]: [{ id: string }[], number] = await manager.query(
        `UPDATE alerts SET status = 'RESOLVED', resolved_at = $3
          WHERE organization_id = $1 AND rule_id = $2 AND status <> 'RESOLVED' RETURNING id`,
        [organizationId, rule.id, now],
      );
      await cancelNotifications(
        manager,
        organizationId,
        resolved.map((row) => row.id),
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
    const notify = !silenced && !flapping && updated.channelIds.length > 0;
    if (notify) {
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
        lastNotifiedAt: notify
          ? now.toISOString()
          : updated.lastNotifiedAt
            ? new Date(updated.lastNotifiedAt).toISOString()
            : null,
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
