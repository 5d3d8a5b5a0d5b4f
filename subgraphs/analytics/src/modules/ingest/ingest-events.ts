import type { DataSource } from "typeorm";
import { queryPrepared, transactionPrepared } from "#kit/database/prepared-query";
import { identityLockKeySql } from "../actors/actor-sql";
import { markActivitySql } from "../rollups/mark-activity";
import { addCustomerTotalsSql } from "../rollups/customer-totals";
import { NO_CAMPAIGN } from "../rollups/rollup-keys";
import { ensureEventPartitions } from "./event-partitions";
import type { EventRow } from "./event-validation";
import { SqlState, sqlStateOf } from "#kit/database/sqlstate";

/** An event as stored, returned for the rows a batch really inserted. */
export interface StoredEvent {
  id: string;
  type: string;
  /** Its customer: the one it was sent with, else the one its anonymous id is identified as. */
  customerId: string | null;
  anonymousId: string | null;
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

/**
 * Batches up to this many events run the statement prepared: parsed once per connection and, after
 * a few runs, with a generic plan, which PostgreSQL makes for about this many rows of `unnest`.
 * Larger batches are planned for their own size (planning is then a small part of their time).
 */
const PREPARED_BATCH_MAX = 100;

/**
 * The statement that stores a batch (see {@link ingestEvents}). `resolveIdentities`: the batch has
 * anonymous ids, and an event without a customer takes the one its anonymous id is identified as
 * (`identities`); batches without anonymous ids skip that join.
 */
const ingestSql = (resolveIdentities: boolean) => `
  WITH batch AS (
    SELECT * FROM unnest($2::text[], $3::text[], $4::uuid[], $5::uuid[], $6::timestamptz[], $7::float8[], $8::jsonb[], $9::text[])
      WITH ORDINALITY AS b(id, type, customer_id, campaign_id, "timestamp", value, properties, anonymous_id, position)
  ),
  new_ids AS (
    INSERT INTO event_ids (organization_id, id, "timestamp")
    SELECT $1, id, "timestamp" FROM batch ORDER BY position
    ON CONFLICT (organization_id, id) DO NOTHING
    RETURNING id, "timestamp"
  ),
  inserted AS (
    INSERT INTO events (organization_id, id, type, customer_id, campaign_id, "timestamp", value, properties, anonymous_id)
    SELECT DISTINCT ON (b.id) $1, b.id, b.type, ${resolveIdentities ? "coalesce(b.customer_id, l.customer_id)" : "b.customer_id"}, b.campaign_id, b."timestamp", b.value, b.properties, b.anonymous_id
      FROM batch b JOIN new_ids n ON n.id = b.id AND n."timestamp" = b."timestamp"${
        resolveIdentities
          ? `
      LEFT JOIN identities l ON l.organization_id = $1 AND l.anonymous_id = b.anonymous_id AND b.customer_id IS NULL`
          : ""
      }
     ORDER BY b.id, b.position
    RETURNING id, type, customer_id, anonymous_id, campaign_id, "timestamp", value, properties
  ),
  ${rollup("minute")},
  ${rollup("hour")},
  ${typeRollup},
  ${markActivitySql("inserted e", "e.customer_id")},
  ${addCustomerTotalsSql("inserted e", "e.customer_id")}
  SELECT id, type, customer_id AS "customerId", anonymous_id AS "anonymousId", campaign_id AS "campaignId", "timestamp", value, properties FROM inserted`;

const INGEST_SQL = ingestSql(false);
const INGEST_RESOLVING_IDENTITIES_SQL = ingestSql(true);

/**
 * Takes the shared identity lock ({@link identityLockKeySql}) of each anonymous id of a batch, in
 * key order, for the rest of the transaction.
 */
const LOCK_ANONYMOUS_IDS_SQL = `
  SELECT count(pg_advisory_xact_lock_shared(k1, k2))::int AS locked
    FROM (SELECT DISTINCT ${identityLockKeySql("$1", "a")} FROM unnest($2::text[]) AS a ORDER BY 1, 2) AS keys(k1, k2)`;

/**
 * Stores a batch in one SQL statement: the batch's ids go into `event_ids`, skipping those already
 * there (`ON CONFLICT DO NOTHING`; the first of repeated ids within a batch wins); the events whose
 * id was new go into `events`, and the rollup and customer-activity upserts are fed only by them.
 * So however often or concurrently a batch is replayed, each event and its rollup contribution
 * count once. An event with an anonymous id but no customer is stored with the customer its
 * anonymous id is identified as, if any (so it counts as that customer's everywhere, its
 * customer_activity bits included); such a batch runs its statement in a transaction after taking
 * the shared identity lock of each of its anonymous ids, so that an `identify` running at the same
 * time either sees its events (and rewrites them) or is seen by it. The monthly partitions the
 * batch needs are made first ({@link ensureEventPartitions}). Small batches (live traffic sends a
 * few events at a time) run the statement prepared ({@link PREPARED_BATCH_MAX}): for 10 events,
 * parsing and planning were half its time. Rollup rows are upserted in key order, which keeps
 * concurrent batches from deadlocking; should PostgreSQL still report a deadlock, the statement is
 * retried (it is idempotent). Resolves with the events that were new, in the batch's order
 * (subscribers hear of them so).
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
  const { text, values: params, anonymousIds } = ingestStatement(organizationId, rows);
  const prepared = rows.length <= PREPARED_BATCH_MAX;
  for (let attempt = 1; ; attempt++) {
    try {
      const stored: StoredEvent[] =
        anonymousIds.length > 0
          ? await transactionPrepared(dataSource, async (query) => {
              await query(
                prepared ? "analytics.lock-anonymous-ids" : null,
                LOCK_ANONYMOUS_IDS_SQL,
                [organizationId, anonymousIds],
              );
              return query<StoredEvent>(
                prepared ? "analytics.ingest-events-identified" : null,
                text,
                params,
              );
            })
          : prepared
            ? await queryPrepared<StoredEvent>(dataSource, "analytics.ingest-events", text, params)
            : await dataSource.query(text, params);
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
 * The statement that stores `rows` and its parameters, as {@link ingestEvents} runs it; the batch's
 * distinct anonymous ids (non-empty: the statement resolves identities and must run after their
 * shared locks, in a transaction). The ingest benchmark EXPLAINs it.
 */
export function ingestStatement(
  organizationId: string,
  rows: EventRow[],
): { text: string; values: unknown[]; anonymousIds: string[] } {
  const anonymousIds = [
    ...new Set(rows.flatMap((r) => (r.anonymousId !== null ? [r.anonymousId] : []))),
  ];
  return {
    text: anonymousIds.length > 0 ? INGEST_RESOLVING_IDENTITIES_SQL : INGEST_SQL,
    values: [
      organizationId,
      rows.map((r) => r.id),
      rows.map((r) => r.type),
      rows.map((r) => r.customerId),
      rows.map((r) => r.campaignId),
      rows.map((r) => r.timestamp.toISOString()),
      rows.map((r) => r.value),
      rows.map((r) => r.properties),
      rows.map((r) => r.anonymousId),
    ],
    anonymousIds,
  };
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
