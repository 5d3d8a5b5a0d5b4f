import type { DataSource } from "typeorm";
import { queryPrepared } from "#kit/database/prepared-query";
import { activityMarksSql, ANY_TYPE, NO_CAMPAIGN } from "../rollups/rollup-keys";
import { ensureEventPartitions } from "./event-partitions";
import type { EventRow } from "./event-validation";
import { SqlState, sqlStateOf } from "#kit/database/sqlstate";

/** An event as stored, returned for the rows a batch really inserted. */
export interface StoredEvent {
  id: string;
  type: string;
  customerId: string | null;
  campaignId: string | null;
  timestamp: Date;
  value: number | null;
  properties: Record<string, unknown> | null;
}

const UPSERT_ROLLUP = `
           count = r.count + EXCLUDED.count,
           value_count = r.value_count + EXCLUDED.value_count,
           value_sum = r.value_sum + EXCLUDED.value_sum,
           value_min = least(r.value_min, EXCLUDED.value_min),
           value_max = greatest(r.value_max, EXCLUDED.value_max)`;

/** The upsert of a batch's per-campaign rollup rows of one grain (`event_rollups_<grain>`). */
const rollup = (grain: "minute" | "hour") => `
  ${grain} AS (
    INSERT INTO event_rollups_${grain} AS r (organization_id, type, campaign_id, bucket, count, value_count, value_sum, value_min, value_max)
    SELECT $1, type, coalesce(campaign_id, '${NO_CAMPAIGN}'::uuid), date_trunc('${grain}', "timestamp", 'UTC'),
           count(*), count(value), coalesce(sum(value), 0), min(value), max(value)
      FROM inserted
     GROUP BY 2, 3, 4
     ORDER BY 2, 4, 3
    ON CONFLICT (organization_id, type, bucket, campaign_id) DO UPDATE SET ${UPSERT_ROLLUP}
  )`;

/** The upsert of a batch's per-type hourly rollup rows (`event_type_rollups_hour`, no campaign). */
const typeRollup = `
  type_hour AS (
    INSERT INTO event_type_rollups_hour AS r (organization_id, type, bucket, count, value_count, value_sum, value_min, value_max)
    SELECT $1, type, date_trunc('hour', "timestamp", 'UTC'), count(*), count(value), coalesce(sum(value), 0), min(value), max(value)
      FROM inserted
     GROUP BY 2, 3
     ORDER BY 2, 3
    ON CONFLICT (organization_id, type, bucket) DO UPDATE SET ${UPSERT_ROLLUP}
  )`;

const marks = activityMarksSql('i."timestamp"');

/**
 * Marks the UTC day of each inserted event in its customer's `customer_activity` rows (its type and
 * every type, ''; its month's rows and the next month's). OR-ing a bit that is already set changes
 * nothing, so such rows are locked but not rewritten.
 */
const activity = `
  activity AS (
    INSERT INTO customer_activity AS a (organization_id, type, month, customer_id, days)
    SELECT $1, k.type, ${marks.month}, i.customer_id, bit_or(${marks.bit})
      FROM inserted i CROSS JOIN LATERAL (VALUES (i.type), ('${ANY_TYPE}')) AS k(type) ${marks.join}
     WHERE i.customer_id IS NOT NULL
     GROUP BY 2, 3, 4
     ORDER BY 2, 3, 4
    ON CONFLICT (organization_id, type, month, customer_id) DO UPDATE
       SET days = a.days | EXCLUDED.days
     WHERE (a.days | EXCLUDED.days) <> a.days
  )`;

/**
 * Batches up to this many events run the statement prepared: parsed once per connection and, after
 * a few runs, with a generic plan, which PostgreSQL makes for about this many rows of `unnest`.
 * Larger batches are planned for their own size (planning is then a small part of their time).
 */
const PREPARED_BATCH_MAX = 100;

/** The statement that stores a batch (see {@link ingestEvents}). */
const INGEST_SQL = `
  WITH batch AS (
    SELECT * FROM unnest($2::text[], $3::text[], $4::uuid[], $5::uuid[], $6::timestamptz[], $7::float8[], $8::jsonb[])
      WITH ORDINALITY AS b(id, type, customer_id, campaign_id, "timestamp", value, properties, position)
  ),
  new_ids AS (
    INSERT INTO event_ids (organization_id, id, "timestamp")
    SELECT $1, id, "timestamp" FROM batch ORDER BY position
    ON CONFLICT (organization_id, id) DO NOTHING
    RETURNING id, "timestamp"
  ),
  inserted AS (
    INSERT INTO events (organization_id, id, type, customer_id, campaign_id, "timestamp", value, properties)
    SELECT DISTINCT ON (b.id) $1, b.id, b.type, b.customer_id, b.campaign_id, b."timestamp", b.value, b.properties
      FROM batch b JOIN new_ids n ON n.id = b.id AND n."timestamp" = b."timestamp"
     ORDER BY b.id, b.position
    RETURNING id, type, customer_id, campaign_id, "timestamp", value, properties
  ),
  ${rollup("minute")},
  ${rollup("hour")},
  ${typeRollup},
  ${activity}
  SELECT id, type, customer_id AS "customerId", campaign_id AS "campaignId", "timestamp", value, properties FROM inserted`;

/**
 * Stores a batch in one SQL statement: the batch's ids go into `event_ids`, skipping those already
 * there (`ON CONFLICT DO NOTHING`; the first of repeated ids within a batch wins); the events whose
 * id was new go into `events`, and the rollup and customer-activity upserts are fed only by them.
 * So however often or concurrently a batch is replayed, each event and its rollup contribution
 * count once. The monthly partitions the batch needs are made first ({@link
 * ensureEventPartitions}). Small batches (live traffic sends a few events at a time) run the
 * statement prepared ({@link PREPARED_BATCH_MAX}): for 10 events, parsing and planning were half
 * its time. Rollup rows are upserted in key order, which keeps concurrent batches from deadlocking;
 * should PostgreSQL still report a deadlock, the statement is retried (it is idempotent). Resolves
 * with the events that were new, in the batch's order (subscribers hear of them so).
 */
export async function ingestEvents(
  dataSource: DataSource,
  organizationId: string,
  rows: EventRow[],
): Promise<StoredEvent[]> {
  if (rows.length === 0) return [];
  await ensureEventPartitions(
    dataSource,
    rows.map((r) => r.timestamp),
  );
  const params = [
    organizationId,
    rows.map((r) => r.id),
    rows.map((r) => r.type),
    rows.map((r) => r.customerId),
    rows.map((r) => r.campaignId),
    rows.map((r) => r.timestamp.toISOString()),
    rows.map((r) => r.value),
    rows.map((r) => r.properties),
  ];
  for (let attempt = 1; ; attempt++) {
    try {
      const stored: StoredEvent[] =
        rows.length <= PREPARED_BATCH_MAX
          ? await queryPrepared<StoredEvent>(
              dataSource,
              "analytics.ingest-events",
              INGEST_SQL,
              params,
            )
          : await dataSource.query(INGEST_SQL, params);
      return inBatchOrder(stored, rows);
    } catch (error) {
      const code = sqlStateOf(error);
      const retryable =
        code === SqlState.DeadlockDetected || code === SqlState.SerializationFailure;
      if (attempt < 5 && retryable) continue;
      throw error;
    }
  }
}

/**
 * `stored` (which the statement returns in id order) in the order their ids first stand in `rows`.
 */
function inBatchOrder(stored: StoredEvent[], rows: EventRow[]): StoredEvent[] {
  if (stored.length < 2) return stored;
  const position = new Map<string, number>();
  rows.forEach((row, index) => {
    if (!position.has(row.id)) position.set(row.id, index);
  });
  return stored.sort((a, b) => position.get(a.id)! - position.get(b.id)!);
}
