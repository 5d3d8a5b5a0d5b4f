import type { DataSource } from "typeorm";

/** Per-customer features computed from events before `asOf`. */
export interface CustomerFeatureRow {
  customerId: string;
  /** Days from the last purchase (order) to asOf (from the first event when there was no purchase). */
  recency: number;
  /** Purchase events: orders (an importer and applications send one per order, docs/analytics.md). */
  frequency: number;
  /**
   * Sum of purchase values (refunds, the cancellations, are not purchases), added exactly (as
   * numeric, each value to its 15 significant digits) and rounded once: the same whatever order the
   * events were stored in, where a float sum would depend on it in the last digits.
   */
  monetary: number;
  /** Days from the first event to asOf. */
  tenure: number;
  average_order_value: number;
  /** Purchases in the 90 days before asOf minus those in the 90 days before that. */
  purchase_trend: number;
  /** Events of any type in the 30 days before asOf. */
  engagement: number;
}

/** Features derived from events, by name. */
export const EVENT_FEATURES = [
  "recency",
  "frequency",
  "monetary",
  "tenure",
  "average_order_value",
  "purchase_trend",
  "engagement",
] as const;
export type EventFeature = (typeof EVENT_FEATURES)[number];

/**
 * The event features of every customer of the organization with at least one event before
 * `asOf` (with `purchasersOnly`, at least one purchase), in one grouped query.
 */
export async function customerFeatures(
  dataSource: DataSource,
  organizationId: string,
  asOf: Date,
  purchasersOnly: boolean,
): Promise<CustomerFeatureRow[]> {
  const rows: Record<string, unknown>[] = await dataSource.query(
    `SELECT customer_id,
            extract(epoch FROM $2::timestamptz - coalesce(max("timestamp") FILTER (WHERE type = 'purchase'), min("timestamp"))) / 86400 AS recency,
            count(*) FILTER (WHERE type = 'purchase') AS frequency,
            coalesce(sum(value::numeric) FILTER (WHERE type = 'purchase'), 0)::float8 AS monetary,
            extract(epoch FROM $2::timestamptz - min("timestamp")) / 86400 AS tenure,
            count(*) FILTER (WHERE type = 'purchase' AND "timestamp" >= $2::timestamptz - interval '90 days')
              - count(*) FILTER (WHERE type = 'purchase' AND "timestamp" < $2::timestamptz - interval '90 days' AND "timestamp" >= $2::timestamptz - interval '180 days') AS purchase_trend,
            count(*) FILTER (WHERE "timestamp" >= $2::timestamptz - interval '30 days') AS engagement
       FROM events
      WHERE organization_id = $1 AND customer_id IS NOT NULL AND "timestamp" < $2
      GROUP BY customer_id
      ${purchasersOnly ? "HAVING count(*) FILTER (WHERE type = 'purchase') > 0" : ""}
      ORDER BY customer_id`,
    [organizationId, asOf.toISOString()],
  );
  return rows.map((row) => {
    const frequency = Number(row.frequency);
    const monetary = Number(row.monetary);
    return {
      customerId: row.customer_id as string,
      recency: Number(row.recency),
      frequency,
      monetary,
      tenure: Number(row.tenure),
      average_order_value: frequency > 0 ? monetary / frequency : 0,
      purchase_trend: Number(row.purchase_trend),
      engagement: Number(row.engagement),
    };
  });
}
