import DataLoader from "dataloader";
import type { DataSource, EntityManager } from "typeorm";
import type { NotificationChannel, NotificationChannelKind } from "./notification-channel.types";

const CHANNEL_COLUMNS = `id, kind, name, url, email, secret_ciphertext AS "secretCiphertext", created_at AS "createdAt", deleted_at AS "deletedAt"`;

/** Most channels one organization may have. */
export const MAX_CHANNELS = 50;

/** The organization's channels (not deleted), oldest first. */
export function listChannels(
  db: DataSource,
  organizationId: string,
): Promise<NotificationChannel[]> {
  return db.query(
    `SELECT ${CHANNEL_COLUMNS} FROM notification_channels
      WHERE organization_id = $1 AND deleted_at IS NULL ORDER BY created_at, id`,
    [organizationId],
  );
}

export async function countChannels(db: EntityManager, organizationId: string): Promise<number> {
  const [{ count }] = await db.query(
    `SELECT count(*)::int AS count FROM notification_channels WHERE organization_id = $1 AND deleted_at IS NULL`,
    [organizationId],
  );
  return count;
}

export async function insertChannel(
  db: EntityManager,
  organizationId: string,
  channel: {
    id: string;
    kind: NotificationChannelKind;
    name: string;
    url: string | null;
    email: string | null;
    secretCiphertext: string | null;
  },
  createdBy: string,
): Promise<NotificationChannel> {
  const [row] = await db.query(
    `INSERT INTO notification_channels (organization_id, id, kind, name, url, email, secret_ciphertext, created_by)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING ${CHANNEL_COLUMNS}`,
    [
      organizationId,
      channel.id,
      channel.kind,
      channel.name,
      channel.url,
      channel.email,
      channel.secretCiphertext,
      createdBy,
    ],
  );
  return row;
}

/**
 * Deletes a channel: it leaves the rules that name it and receives nothing more (its pending
 * messages are dropped), but its past deliveries keep showing it. False when there is none.
 */
export function deleteChannel(
  db: DataSource,
  organizationId: string,
  id: string,
  now: Date,
): Promise<boolean> {
  return db.transaction(async (manager) => {
    const [rows] = await manager.query(
      `UPDATE notification_channels SET deleted_at = $3
        WHERE organization_id = $1 AND id = $2 AND deleted_at IS NULL RETURNING id`,
      [organizationId, id, now],
    );
    if (rows.length === 0) return false;
    await manager.query(
      `UPDATE alert_rules SET channel_ids = array_remove(channel_ids, $2::uuid)
        WHERE organization_id = $1 AND $2::uuid = ANY (channel_ids)`,
      [organizationId, id],
    );
    await manager.query(
      `UPDATE alert_notifications SET state = 'CANCELLED'
        WHERE organization_id = $1 AND channel_id = $2 AND state = 'PENDING'`,
      [organizationId, id],
    );
    return true;
  });
}

/** Of `ids`, those that are channels of the organization (not deleted). */
export async function existingChannelIds(
  db: DataSource | EntityManager,
  organizationId: string,
  ids: string[],
): Promise<Set<string>> {
  const rows: { id: string }[] = await db.query(
    `SELECT id FROM notification_channels WHERE organization_id = $1 AND id = ANY ($2::uuid[]) AND deleted_at IS NULL`,
    [organizationId, ids],
  );
  return new Set(rows.map((row) => row.id));
}

/** Channels by id within one organization, deleted ones included (past deliveries show them). */
export function createChannelLoader(db: DataSource, organizationId: string) {
  return new DataLoader<string, NotificationChannel | null>(async (ids) => {
    const rows: NotificationChannel[] = await db.query(
      `SELECT ${CHANNEL_COLUMNS} FROM notification_channels WHERE organization_id = $1 AND id = ANY ($2::uuid[])`,
      [organizationId, [...ids]],
    );
    const byId = new Map(rows.map((row) => [row.id, row]));
    return ids.map((id) => byId.get(id) ?? null);
  });
}
