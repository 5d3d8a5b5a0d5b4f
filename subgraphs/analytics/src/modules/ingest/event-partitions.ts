import type { DataSource } from "typeorm";
import { numberFromEnv } from "#kit/config";

/** Months of partitions kept ready beyond the current one. */
export const PARTITIONS_AHEAD_MONTHS = 3;

/**
 * `ANALYTICS_EVENT_RETENTION_MONTHS`: whole months of raw events kept before the current one; 0
 * keeps everything. @default 0
 */
export function eventRetentionMonthsFromEnv(env: NodeJS.ProcessEnv = process.env): number {
  return numberFromEnv(env, "ANALYTICS_EVENT_RETENTION_MONTHS", 0, { min: 0 });
}

/** The first instant (UTC) of the month `offset` months from the one `at` falls in. */
export function monthStart(at: Date | number, offset = 0): Date {
  const date = new Date(at);
  return new Date(Date.UTC(date.getUTCFullYear(), date.getUTCMonth() + offset, 1));
}

/** The months whose partitions are known to exist, per database. */
const known = new WeakMap<DataSource, Set<number>>();

/**
 * Makes sure `events` has a partition for the month of every timestamp given: a lookup in memory
 * for the months seen before, else one `ensure_event_partition` call per new month, each in its own
 * short transaction (creating a partition briefly locks `events`, so never inside an ingest
 * transaction). Concurrent callers, in this process or others, are safe: the function serialises
 * creators and skips months already made.
 */
export async function ensureEventPartitions(
  dataSource: DataSource,
  timestamps: Iterable<Date>,
): Promise<void> {
  let months = known.get(dataSource);
  if (!months) known.set(dataSource, (months = new Set()));
  const missing = new Set<number>();
  for (const timestamp of timestamps) {
    const month = monthStart(timestamp).getTime();
    if (!months.has(month)) missing.add(month);
  }
  for (const month of missing) {
    await dataSource.query(`SELECT ensure_event_partition($1)`, [new Date(month).toISOString()]);
    months.add(month);
  }
}

/** What one pass of partition maintenance did. */
export interface PartitionMaintenance {
  /** Months (YYYY-MM) whose partitions were dropped. */
  dropped: string[];
  /** Ids of dropped events forgotten, so they could be sent again. */
  forgottenIds: number;
}

/**
 * Creates the partitions of the current month and the next {@link PARTITIONS_AHEAD_MONTHS}, and,
 * when `retentionMonths` > 0, drops the partitions of months before the current one minus
 * `retentionMonths` (whole months: `DROP TABLE`, no row-by-row delete) and forgets their event ids.
 * Rollups and customer activity are kept: series over old months still answer from the rollups.
 */
export async function maintainEventPartitions(
  dataSource: DataSource,
  retentionMonths: number,
  now = Date.now(),
): Promise<PartitionMaintenance> {
  await ensureEventPartitions(
    dataSource,
    Array.from({ length: PARTITIONS_AHEAD_MONTHS + 1 }, (_, i) => monthStart(now, i)),
  );
  if (retentionMonths <= 0) return { dropped: [], forgottenIds: 0 };
  const cutoff = monthStart(now, -retentionMonths);
  const partitions: { name: string }[] = await dataSource.query(
    `SELECT c.relname AS name FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid WHERE i.inhparent = 'events'::regclass ORDER BY 1`,
  );
  const dropped: string[] = [];
  for (const { name } of partitions) {
    const match = /^events_p(\d{4})(\d{2})$/.exec(name);
    if (!match || Date.UTC(Number(match[1]), Number(match[2]) - 1, 1) >= cutoff.getTime()) continue;
    await dataSource.query(`DROP TABLE ${name}`);
    dropped.push(`${match[1]}-${match[2]}`);
  }
  const [{ forgotten }]: { forgotten: number }[] = await dataSource.query(
    `WITH gone AS (DELETE FROM event_ids WHERE "timestamp" < $1 RETURNING 1) SELECT count(*)::int AS forgotten FROM gone`,
    [cutoff.toISOString()],
  );
  known.delete(dataSource);
  return { dropped, forgottenIds: forgotten };
}
