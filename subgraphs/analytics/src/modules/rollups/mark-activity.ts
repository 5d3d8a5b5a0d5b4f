import { activityMarksSql, ANY_TYPE } from "./rollup-keys";

/**
 * The CTE (`activity`) of a statement that marks the UTC day of each event of `events` in its
 * customer's `customer_activity` rows (its type and every type, ''; its month's row and the next
 * month's), as ingestion and identify do. `events` is a FROM item with the alias `e` giving `type`
 * and `"timestamp"`; `customer` is the customer's id (NULL: not marked); `$1` is the organization.
 * Rows are upserted in key order, which keeps concurrent statements from deadlocking. OR-ing a bit
 * that is already set changes nothing, so such rows are locked but not rewritten (an UPDATE of the
 * rows with a new bit plus an INSERT of the missing ones locks fewer rows, but took 8% longer per
 * 1,000-event batch on the benchmark's data, where most marks set a new bit).
 */
export function markActivitySql(events: string, customer: string): string {
  const marks = activityMarksSql('e."timestamp"');
  return `
  activity AS (
    INSERT INTO customer_activity AS a (organization_id, type, month, customer_id, days)
    SELECT $1, k.type, ${marks.month}, ${customer}, bit_or(${marks.bit})
      FROM ${events} CROSS JOIN LATERAL (VALUES (e.type), ('${ANY_TYPE}')) AS k(type) ${marks.join}
     WHERE ${customer} IS NOT NULL
     GROUP BY 2, 3, 4
     ORDER BY 2, 3, 4
    ON CONFLICT (organization_id, type, month, customer_id) DO UPDATE
       SET days = a.days | EXCLUDED.days
     WHERE (a.days | EXCLUDED.days) <> a.days
  )`;
}
