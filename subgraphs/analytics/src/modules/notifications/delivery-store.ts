import DataLoader from "dataloader";
import type { DataSource } from "typeorm";
import type { AlertDelivery } from "./notification-channel.types";

/** Every delivery attempt of alerts by alert id within one organization, oldest first. */
export function createDeliveriesLoader(db: DataSource, organizationId: string) {
  return new DataLoader<string, Omit<AlertDelivery, "channel">[]>(async (alertIds) => {
    const rows: (Omit<AlertDelivery, "channel"> & { alertId: string })[] = await db.query(
      `SELECT d.alert_id AS "alertId", d.channel_id AS "channelId", d.attempt, d.at, d.ok,
              d.http_status AS "httpStatus", d.error, n.reason
         FROM alert_deliveries d
         JOIN alert_notifications n ON n.organization_id = d.organization_id AND n.id = d.notification_id
        WHERE d.organization_id = $1 AND d.alert_id = ANY ($2::uuid[])
        ORDER BY d.at, d.notification_id, d.attempt`,
      [organizationId, [...alertIds]],
    );
    const byAlert = new Map<string, Omit<AlertDelivery, "channel">[]>();
    for (const row of rows) {
      const list = byAlert.get(row.alertId);
      if (list) list.push(row);
      else byAlert.set(row.alertId, [row]);
    }
    return alertIds.map((id) => byAlert.get(id) ?? []);
  });
}
