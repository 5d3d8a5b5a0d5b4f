/**
 * The keys of the tables that ingest keeps beside `events` (the rollups and `customer_activity`),
 * shared by what writes them (ingest, the benchmark's bulk loader) and what reads them (metric
 * queries).
 */

/** The campaign key of rollup rows for events without a campaign. */
export const NO_CAMPAIGN = "00000000-0000-0000-0000-000000000000";

/** The type key of the `customer_activity` rows that cover every event type (a type is never empty). */
export const ANY_TYPE = "";

/**
 * Where a `customer_activity` row's bits of the month before start: bit d - 1 is day d of the
 * row's month, bit 32 + d - 1 day d of the month before.
 */
export const PREVIOUS_MONTH_BIT = 32n;

/**
 * How the events of a query mark customer_activity rows: `join` pairs each event with the two
 * rows it marks (its own month's and the next month's, `s.shift` 0 and 1), `month` and `bit` are
 * the row's month and the event's day bit in it. `ts` is the event's timestamptz expression.
 */
export function activityMarksSql(ts: string): { join: string; month: string; bit: string } {
  return {
    join: "CROSS JOIN (VALUES (0), (1)) AS s(shift)",
    month: `(date_trunc('month', ${ts} AT TIME ZONE 'UTC') + s.shift * interval '1 month')::date`,
    bit: `(1::bigint << (extract(day FROM ${ts} AT TIME ZONE 'UTC')::int - 1 + ${PREVIOUS_MONTH_BIT} * s.shift))`,
  };
}
